"""Saving and loading fitted models in a documented, versioned format.

A saved model is a folder holding

- ``model.json``: the format version, the package version, and for each step
  of the pipeline its class, its parameters and its fitted state (arrays as
  lists), plus the classifier's classes and channel names;
- ``weights.pt``: the torch module's ``state_dict``, read back with
  ``torch.load(..., weights_only=True)``, so loading executes no pickled code;
- optionally ``MODEL_CARD.md``, free text about the training data and metrics.

A fitted :class:`~skltransient.TransferClassifier` is saved as the pipeline it
predicts with (its transformers and its fine-tuned classifier).
"""

import json
from pathlib import Path

import numpy as np
import torch
from sklearn.pipeline import Pipeline

from . import __version__
from .neural import GRUClassifier, TransientGRU
from .preprocessing import FluxNormalizer, LightCurvePadder, MetadataScaler
from .transfer._transfer import split_model

__all__ = ["FORMAT_VERSION", "load_model", "save_model"]

#: Version of the folder layout written by :func:`save_model`.
FORMAT_VERSION = 1

_STEPS = {cls.__name__: cls for cls in (LightCurvePadder, FluxNormalizer, MetadataScaler, GRUClassifier)}
_STATE = {
    "LightCurvePadder": ("bands_", "channels_", "n_channels_"),
    "FluxNormalizer": ("n_channels_",),
    "MetadataScaler": ("mean_", "scale_", "n_features_in_", "feature_names_in_"),
    "GRUClassifier": ("classes_", "n_channels_", "n_metadata_", "channels_", "metadata_names_", "n_epochs_", "device_"),
}


def save_model(model, path, *, card=None):
    """Save a fitted model to a folder.

    Parameters
    ----------
    model : Pipeline, GRUClassifier or TransferClassifier
        Fitted; a pipeline's steps must be the package's transformers and
        end in a ``GRUClassifier``.
    path : str or Path
        Folder to write (created; existing files in it are replaced).
    card : str or None, default=None
        Model card text, written as ``MODEL_CARD.md``.

    Returns
    -------
    path : Path
    """
    steps, classifier = split_model(model)
    steps = steps + [("gruclassifier", classifier)]
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    description = {"format_version": FORMAT_VERSION, "skltransient_version": __version__,
                   "steps": [_describe(name, step) for name, step in steps]}
    (path / "model.json").write_text(json.dumps(description, indent=1))
    torch.save(steps[-1][1].module_.state_dict(), path / "weights.pt")
    if card is not None:
        (path / "MODEL_CARD.md").write_text(card)
    return path


def load_model(path, *, device="cpu"):
    """Load a model saved by :func:`save_model`.

    Parameters
    ----------
    path : str or Path
        The folder.
    device : str, default="cpu"
        Torch device for the network.

    Returns
    -------
    model : Pipeline
        The fitted pipeline (a bare classifier is a one-step pipeline).
    """
    path = Path(path)
    if not (path / "model.json").is_file() or not (path / "weights.pt").is_file():
        raise FileNotFoundError(f"{path} is not a saved skltransient model: it needs model.json and "
                                f"weights.pt (written by skltransient.persistence.save_model).")
    description = json.loads((path / "model.json").read_text())
    version = description.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"{path} was saved in model format version {version} by skltransient "
            f"{description.get('skltransient_version', 'unknown')}; this skltransient "
            f"({__version__}) reads format version {FORMAT_VERSION}. "
            + ("Upgrade skltransient to load it." if isinstance(version, int) and version > FORMAT_VERSION
               else "Re-save the model with the skltransient version that wrote it, or retrain it."))
    steps = [(item["name"], _rebuild(item)) for item in description["steps"]]
    classifier = steps[-1][1]
    state = torch.load(path / "weights.pt", map_location="cpu", weights_only=True)
    _attach_module(classifier, state, device)
    return Pipeline(steps)


def _describe(name, step):
    kind = type(step).__name__
    if kind not in _STEPS:
        raise TypeError(f"Step {name!r} is a {kind}; the model format stores only "
                        f"{sorted(_STEPS)}.")
    params = step.get_params(deep=False)
    if kind == "GRUClassifier":
        params.pop("callbacks", None)
        if not isinstance(params["optimizer"], str):
            raise TypeError("Only optimizers given by name ('adam', 'adamw', 'sgd') can be saved.")
    state = {attr: _jsonable(getattr(step, attr)) for attr in _STATE[kind] if hasattr(step, attr)}
    return {"name": name, "class": kind, "params": _jsonable(params), "state": state}


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": "object" if value.dtype == object else str(value.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _restore(value):
    if isinstance(value, dict) and "__array__" in value:
        return np.asarray(value["__array__"], dtype=value["dtype"])
    if isinstance(value, dict):
        return {k: _restore(v) for k, v in value.items()}
    return value


def _rebuild(item):
    cls = _STEPS.get(item["class"])
    if cls is None:
        raise ValueError(f"Unknown step class {item['class']!r} in the saved model.")
    params = _restore(item["params"])
    for key, value in params.items():  # JSON turns tuples into lists
        if isinstance(value, list) and key in ("metadata_columns", "bands"):
            params[key] = tuple(value) if key == "metadata_columns" else value
    step = cls(**params)
    for attr, value in item["state"].items():
        value = _restore(value)
        setattr(step, attr, tuple(value) if attr in ("channels_", "metadata_names_") else value)
    return step


def _attach_module(classifier, state, device):
    module = TransientGRU(
        classifier.n_channels_, classifier.n_metadata_, len(classifier.classes_),
        hidden_size=classifier.hidden_size, num_layers=classifier.num_layers,
        dropout=classifier.dropout, metadata_size=classifier.metadata_size,
        head_size=classifier.head_size)
    module.load_state_dict(state)
    classifier.device_ = device
    net = classifier._make_net(module, None, None, max_epochs=0)
    net.initialize()
    net.module_.load_state_dict(state)
    classifier.net_ = net
