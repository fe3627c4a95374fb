"""Saving and loading fitted models in a documented, versioned format.

A saved model is a folder holding

- ``model.json``: the format version, the package version, the SHA-256
  checksum of ``weights.pt``, and for each step of the pipeline its class,
  its parameters and its fitted state (arrays as lists), plus the
  classifier's classes and channel names;
- ``weights.pt``: the torch module's ``state_dict``, read back with
  ``torch.load(..., weights_only=True)``, so loading executes no pickled code;
- optionally ``MODEL_CARD.md``, free text about the training data and metrics.

:func:`load_model` checks the folder before it builds anything: the weights
against their checksum, ``model.json`` against the format (keys, types,
parameters), the steps' fitted states against each other (channel names and
order, metadata widths) and against the shapes of the weights, which must be
finite. What does not pass raises a ``ValueError`` naming the file and key.

A fitted :class:`~skltransient.TransferClassifier` is saved as the pipeline it
predicts with (its transformers and its fine-tuned classifier).

A model without a recurrent network (the feature baseline,
:func:`skltransient.recipes.features_pipeline`) has no such format:
scikit-learn's trees are saved as a joblib pickle, ``features-model.joblib``
beside the card. Loading a pickle runs code: load only such files you trust.
"""

import hashlib
import io
import json
import pickle
import re
import reprlib
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.pipeline import Pipeline

from . import __version__
from ._compat import validate_estimator_params
from .neural import GRUClassifier
from .preprocessing import FluxNormalizer, LightCurvePadder, MetadataScaler
from .utils import atomic_write, check_output, read_folder, split_model
from .utils._memory import format_bytes

__all__ = ["FEATURES_FILE", "FORMAT_VERSION", "MODEL_MARKERS", "load_model", "save_model"]

#: Version of the folder layout written by :func:`save_model`.
FORMAT_VERSION = 2
# Versions load_model reads; version 1 had no checksum of the weights.
_READABLE_VERSIONS = (1, 2)

_STEPS = {cls.__name__: cls for cls in (LightCurvePadder, FluxNormalizer, MetadataScaler, GRUClassifier)}
_STATE = {
    "LightCurvePadder": ("bands_", "channels_", "n_channels_", "metadata_names_", "features_"),
    "FluxNormalizer": ("n_channels_",),
    "MetadataScaler": ("mean_", "scale_", "n_features_in_", "feature_names_in_"),
    "GRUClassifier": ("classes_", "n_channels_", "n_metadata_", "channels_", "metadata_names_",
                      "n_epochs_", "best_epoch_", "do_early_stopping_", "device_"),
}
# The JSON kind of stored attributes, checked on load (an attribute not listed is not checked).
_STATE_KINDS = {
    "bands_": "names", "channels_": "names", "classes_": "array", "mean_": "array", "scale_": "array",
    "feature_names_in_": "array", "n_channels_": "count", "n_metadata_": "count",
    "n_features_in_": "count", "n_epochs_": "count", "best_epoch_": "count", "device_": "text",
    "metadata_names_": "names", "do_early_stopping_": "flag", "features_": "object",
}
# The padder's ``features`` (the hybrid network's statistics) that the format stores: their
# parameters and the fitted state that gives their width, never a pickle.
_FEATURES = {"LightCurveFeatures": ("bands_", "feature_names_out_")}
_KINDS = {
    "count": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
              "a non-negative integer"),
    "text": (lambda v: isinstance(v, str), "a string"),
    "flag": (lambda v: isinstance(v, bool), "true or false"),
    "names": (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
              "a list of strings"),
    "array": (lambda v: isinstance(v, dict) and isinstance(v.get("__array__"), list)
              and isinstance(v.get("dtype"), str), 'an array {"__array__": [...], "dtype": "..."}'),
    "object": (lambda v: isinstance(v, dict), "a JSON object"),
    "steps": (lambda v: isinstance(v, list) and len(v) > 0, "a non-empty list"),
    "sha256": (lambda v: isinstance(v, str) and re.fullmatch("[0-9a-f]{64}", v) is not None,
               "a SHA-256 digest (64 hexadecimal digits)"),
}
#: File of a saved model without a recurrent network (a feature pipeline): a joblib pickle.
FEATURES_FILE = "features-model.joblib"
#: Files of which a folder holds one when it is a saved model that may be overwritten:
#: ``model.json`` (a GRU model) or :data:`FEATURES_FILE` (a feature pipeline).
MODEL_MARKERS = ("model.json", FEATURES_FILE)
_REPAIR = ("The file is damaged or was edited: restore the saved folder, or save the model again "
           "with skltransient.persistence.save_model.")


def save_model(model, path, *, card=None, overwrite=False):
    """Save a fitted model to a folder.

    The folder is written whole under a temporary name beside ``path`` and
    renamed into place when complete (see
    :func:`skltransient.utils.atomic_write`): an interrupted save leaves
    the previous model, and a model saved over another replaces the whole
    folder, so that no file of the old model (its card, say) is left beside
    the new one. A process loading ``path`` meanwhile gets the old model or
    the new one, complete.

    Parameters
    ----------
    model : Pipeline, GRUClassifier, TransferClassifier or classifier
        Fitted. A GRU model (a ``GRUClassifier``, a ``TransferClassifier``
        or a pipeline ending in one) is saved in the documented format: a
        pipeline's steps must then be the package's transformers. Any other
        fitted classifier with ``predict_proba`` (the feature baseline) is
        pickled with joblib as :data:`FEATURES_FILE`.
    path : str or Path
        Folder to write (its parent is created).
    card : str or None, default=None
        Model card text, written as ``MODEL_CARD.md``.
    overwrite : bool, default=False
        Replace a model saved at ``path``. A folder that is not a saved
        model (no ``model.json``) is never replaced; an empty folder is
        always used.

    Returns
    -------
    path : Path

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    ValueError
        If ``path`` is a folder, not empty, that holds no saved model.
    """
    try:
        steps, classifier = split_model(model)
    except TypeError:  # no recurrent network: scikit-learn's models are saved as a pickle
        return _save_pickled(model, path, card, overwrite)
    steps = steps + [("gruclassifier", classifier)]
    state = classifier.module_.state_dict()
    _check_finite(state, "The network to save",
                  "its training diverged: train it again (e.g. with a smaller lr) before saving it")
    buffer = io.BytesIO()
    torch.save(state, buffer)
    weights = buffer.getvalue()
    description = {"format_version": FORMAT_VERSION, "skltransient_version": __version__,
                   "weights_sha256": hashlib.sha256(weights).hexdigest(),
                   "steps": [_describe(name, step) for name, step in steps]}
    path = check_output(path, overwrite=overwrite, markers=MODEL_MARKERS)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, overwrite=overwrite, folder=True) as folder:
        (folder / "model.json").write_text(json.dumps(description, indent=1))
        (folder / "weights.pt").write_bytes(weights)
        if card is not None:
            (folder / "MODEL_CARD.md").write_text(card)
    return path


def _save_pickled(model, path, card, overwrite):
    """Save a fitted model that has no recurrent network as a joblib pickle, with its card."""
    import joblib
    from sklearn.utils.validation import check_is_fitted

    if not hasattr(model, "predict_proba"):
        raise TypeError(f"save_model saves classifiers; a {type(model).__name__} has no "
                        f"predict_proba.")
    check_is_fitted(model)
    path = check_output(path, overwrite=overwrite, markers=MODEL_MARKERS)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, overwrite=overwrite, folder=True) as folder:
        joblib.dump(model, folder / FEATURES_FILE)
        if card is not None:
            (folder / "MODEL_CARD.md").write_text(card)
    return path


def _load_pickled(file):
    """The model pickled in ``file`` by :func:`save_model`; a damaged file is a ValueError."""
    import joblib

    try:
        model = joblib.load(file)
    # A damaged pickle fails in many ways (KeyError, EOFError, UnpicklingError...), all of
    # them "this file is not a model".
    except Exception as error:
        raise ValueError(f"{file} is not a model saved by save_model ({type(error).__name__}: "
                         f"{error}). {_REPAIR}") from error
    if not hasattr(model, "predict_proba"):
        raise ValueError(f"{file} holds a {type(model).__name__}, not a classifier. {_REPAIR}")
    return model


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
    model : Pipeline or classifier
        The fitted pipeline (a bare classifier is a one-step pipeline); a
        model saved as :data:`FEATURES_FILE` comes back as it was pickled
        (``device`` does not apply).

    Raises
    ------
    FileNotFoundError
        If the folder lacks ``model.json`` or ``weights.pt``.
    ValueError
        If ``weights.pt`` does not match its checksum, cannot be read or
        holds non-finite values, or ``model.json`` is not valid JSON, lacks
        a key, has a value of the wrong type, or describes steps that
        disagree with each other or with the weights; the message names
        the file and the key. Also if the format version is not one this
        skltransient reads.

    Warns
    -----
    UserWarning
        For a model in format version 1, which has no checksum of its
        weights; save it again to add one.
    """
    path = Path(path)
    if (path / FEATURES_FILE).is_file() and not (path / "model.json").exists():
        return _load_pickled(path / FEATURES_FILE)
    description_file, weights_file = path / "model.json", path / "weights.pt"
    try:
        files = read_folder(path, ["model.json", "weights.pt"])
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        raise FileNotFoundError(f"{path} is not a saved skltransient model: it needs model.json and "
                                f"weights.pt (written by skltransient.persistence.save_model)."
                                ) from None
    description = _read_description(files["model.json"], description_file)
    labels = [f"step {i} ({item['name']!r})" for i, item in enumerate(description["steps"])]
    steps = [(item["name"], _rebuild(item, f"{description_file}, {label}"))
             for item, label in zip(description["steps"], labels)]
    _check_pipeline(steps, labels, description_file)
    state = _read_weights(files["weights.pt"], weights_file, description.get("weights_sha256"),
                          description_file)
    _attach_module(steps[-1][1], state, device, weights_file, description_file)
    return Pipeline(steps)


def _read_description(data, file):
    """The parsed model.json (``data``, read from ``file``), checked down to each step's keys."""
    try:
        description = json.loads(data.decode())
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise ValueError(f"{file} is not valid JSON ({error}). {_REPAIR}") from error
    _check_kind(description, "object", str(file))
    version = _field(description, "format_version", "count", file)
    if version not in _READABLE_VERSIONS:
        raise ValueError(
            f"{file} was saved in model format version {version} by skltransient "
            f"{description.get('skltransient_version', 'unknown')}; this skltransient "
            f"({__version__}) reads format versions {', '.join(map(str, _READABLE_VERSIONS))}. "
            + ("Upgrade skltransient to load it." if version > FORMAT_VERSION
               else "Re-save the model with the skltransient version that wrote it, or retrain it."))
    _field(description, "skltransient_version", "text", file)
    if version >= 2:
        _field(description, "weights_sha256", "sha256", file)
    else:
        warnings.warn(f"{file} is in format version 1, which has no checksum of the weights, so "
                      f"damage to weights.pt cannot be detected; save the model again with "
                      f"skltransient.persistence.save_model to add one.", UserWarning, stacklevel=3)
    steps = _field(description, "steps", "steps", file)
    for i, item in enumerate(steps):
        where = f"{file}, step {i}"
        _check_kind(item, "object", where)
        where = f"{where} ({_field(item, 'name', 'text', where)!r})"
        kind = _field(item, "class", "text", where)
        expected = "GRUClassifier" if i == len(steps) - 1 else sorted(set(_STEPS) - {"GRUClassifier"})
        if kind not in _STEPS or (kind == "GRUClassifier") != (i == len(steps) - 1):
            raise ValueError(f"{where}: 'class' is {kind!r}; expected one of {sorted(_STEPS)}, the "
                             f"last step a GRUClassifier and no other ({expected!r} here). {_REPAIR}")
        _field(item, "params", "object", where)
        _field(item, "state", "object", where)
    return description


def _field(mapping, key, kind, where):
    """``mapping[key]``, refused with a message naming ``where`` if absent or not of ``kind``."""
    if key not in mapping:
        raise ValueError(f"{where} has no {key!r} key. {_REPAIR}")
    _check_kind(mapping[key], kind, f"{where}: {key!r}")
    return mapping[key]


def _check_kind(value, kind, what):
    test, expected = _KINDS[kind]
    if not test(value):
        raise ValueError(f"{what} is a {type(value).__name__} ({reprlib.repr(value)}); expected "
                         f"{expected}. {_REPAIR}")


def _describe(name, step):
    kind = type(step).__name__
    if kind not in _STEPS:
        raise TypeError(f"Step {name!r} is a {kind}; the model format stores only "
                        f"{sorted(_STEPS)}.")
    params = step.get_params(deep=False)
    if kind == "LightCurvePadder" and step.features is not None:
        params["features"] = _describe_features(step.features, name)
    if kind == "GRUClassifier":
        params.pop("callbacks", None)
        if not isinstance(params["optimizer"], str):
            raise TypeError("Only optimizers given by name ('adam', 'adamw', 'sgd') can be saved.")
    state = {attr: _jsonable(getattr(step, attr)) for attr in _STATE[kind]
             if hasattr(step, attr) and attr != "features_"}
    if getattr(step, "features_", None) is not None:
        state["features_"] = _describe_features(step.features_, name, fitted=True)
    return {"name": name, "class": kind, "params": _jsonable(params), "state": state}


def _describe_features(features, name, fitted=False):
    """A padder's features as JSON: their class, parameters and (fitted) the state giving their width."""
    kind = type(features).__name__
    if kind not in _FEATURES:
        raise TypeError(f"Step {name!r} has features {kind}; the model format stores only "
                        f"{sorted(_FEATURES)} as a LightCurvePadder's features.")
    described = {"class": kind, "params": _jsonable(features.get_params(deep=False))}
    if fitted:
        described["state"] = {attr: _jsonable(getattr(features, attr)) for attr in _FEATURES[kind]}
    return described


def _rebuild_features(item, where):
    """The inverse of :func:`_describe_features`, checked."""
    from .features import LightCurveFeatures

    if not isinstance(item, dict) or item.get("class") not in _FEATURES:
        raise ValueError(f"{where} is not one of {sorted(_FEATURES)} described as "
                         f"{{'class': ..., 'params': ...}}. {_REPAIR}")
    params = _restore(item.get("params", {}))
    if isinstance(params.get("metadata_columns"), list):
        params["metadata_columns"] = tuple(params["metadata_columns"])
    try:
        features = LightCurveFeatures(**params)
        validate_estimator_params(features)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: {error} {_REPAIR}") from None
    for attr in _FEATURES[item["class"]] if "state" in item else ():
        if attr not in item["state"]:
            raise ValueError(f"{where} has no fitted state {attr!r}. {_REPAIR}")
        _check_kind(item["state"][attr], "names" if attr == "bands_" else "array",
                    f"{where}: state {attr!r}")
        setattr(features, attr, _restore(item["state"][attr]))
    return features


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


#: Parameters added after the format was first written, with the value that
#: gives the behaviour of the package before they existed: a file without one
#: was saved before it, and must load as the model it was, not with today's default.
_ADDED_PARAMS = {
    "FluxNormalizer": {"keep_brightness": False},
    "GRUClassifier": {"sequence_loss": 0.0, "observation_dropout": 0.0, "flux_noise": 0.0,
                      "early_stopping": True, "sequence_loss_from": "first", "pooling": "last"},
}


def _rebuild(item, where):
    kind = item["class"]
    cls = _STEPS[kind]
    params = {**_ADDED_PARAMS.get(kind, {}), **_restore(item["params"])}
    if kind == "LightCurvePadder" and params.get("features") is not None:
        params["features"] = _rebuild_features(params["features"], f"{where}: params 'features'")
    unknown = sorted(set(params) - set(cls._get_param_names()))
    if unknown:
        raise ValueError(f"{where}: 'params' has {unknown}, which {kind} does not take. {_REPAIR}")
    for key, value in params.items():  # JSON turns tuples into lists
        if isinstance(value, list) and key in ("metadata_columns", "bands", "window"):
            params[key] = value if key == "bands" else tuple(value)
    step = cls(**params)
    try:
        validate_estimator_params(step)
    except ValueError as error:  # sklearn's InvalidParameterError
        raise ValueError(f"{where}: {error} {_REPAIR}") from None
    extra = sorted(set(item["state"]) - set(_STATE[kind]))
    if extra:
        raise ValueError(f"{where}: 'state' has {extra}, which the format does not store for a "
                         f"{kind}. {_REPAIR}")
    for attr, value in item["state"].items():
        if attr in _STATE_KINDS:
            _check_kind(value, _STATE_KINDS[attr], f"{where}: state {attr!r}")
        if attr == "features_":
            setattr(step, attr, _rebuild_features(value, f"{where}: state 'features_'"))
            continue
        try:
            value = _restore(value)
        except (TypeError, ValueError) as error:  # an unknown dtype, ragged lists
            raise ValueError(f"{where}: state {attr!r} is not a valid array ({error}). "
                             f"{_REPAIR}") from None
        setattr(step, attr, tuple(value) if attr in ("channels_", "metadata_names_") else value)
    return step


def _fitted(step, attr, where):
    if not hasattr(step, attr):
        raise ValueError(f"{where} has no fitted state {attr!r}. {_REPAIR}")
    return getattr(step, attr)


def _check_pipeline(steps, labels, file):
    """Refuse fitted states that disagree: channel names and order, channel and metadata widths."""
    where = [f"{file}, {label}" for label in labels]
    classifier = steps[-1][1]
    channels = _fitted(classifier, "channels_", where[-1])
    n_channels = _fitted(classifier, "n_channels_", where[-1])
    if len(channels) != n_channels:
        raise ValueError(f"{where[-1]}: channels_ has {len(channels)} names but n_channels_ is "
                         f"{n_channels}. {_REPAIR}")
    classes = _fitted(classifier, "classes_", where[-1])
    if classes.ndim != 1 or len(np.unique(classes)) != len(classes):
        raise ValueError(f"{where[-1]}: classes_ {classes.tolist()} are not distinct labels. {_REPAIR}")
    n_metadata = _fitted(classifier, "n_metadata_", where[-1])
    given = {"channels": None, "metadata": None}  # (value, label of the step that sets it)
    for (_, step), here, label in zip(steps[:-1], where, labels):
        _check_step_state(step, here, label, given)
    given_channels, given_metadata = given["channels"], given["metadata"]
    if given_channels is not None and given_channels[0] != tuple(channels):
        raise ValueError(f"{where[-1]}: channels_ {list(channels)} differ from the channels_ "
                         f"{list(given_channels[0])} of {given_channels[1]}. {_REPAIR}")
    if given_metadata is not None and given_metadata[0] != n_metadata:
        raise ValueError(f"{where[-1]}: n_metadata_ is {n_metadata} but {given_metadata[1]} gives "
                         f"{given_metadata[0]} metadata columns. {_REPAIR}")


def _check_step_state(step, here, label, given):
    """One transformer's fitted state, checked by the transformer itself.

    Each step's ``check_fitted_state`` is given the channels and metadata
    width that the steps before it give, and returns what it gives in turn;
    this records which step gave them and names the file and step in errors.
    """
    incoming = {key: None if value is None else value[0] for key, value in given.items()}
    try:
        gives = step.check_fitted_state(incoming["channels"], incoming["metadata"])
    except ValueError as error:
        raise ValueError(f"{here}: {error} {_REPAIR}") from None
    given.update({key: (value, label) for key, value in gives.items()})


def _read_weights(data, file, checksum, description_file):
    """The state_dict in ``data`` (read from ``file``), checked against its checksum, finite."""
    digest = hashlib.sha256(data).hexdigest()
    if checksum is not None and digest != checksum:
        raise ValueError(
            f"{file} does not match the SHA-256 checksum recorded in {description_file}: it has "
            f"{len(data)} bytes of digest {digest[:16]}..., the model was saved with "
            f"{checksum[:16]}...; the file was truncated, damaged or replaced. Restore the saved "
            f"folder, or save the model again with skltransient.persistence.save_model.")
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, ValueError, pickle.UnpicklingError) as error:
        reason = str(error).split(". ")[0] or type(error).__name__
        raise ValueError(f"{file} cannot be read as the network's weights ({reason}). "
                         f"{_REPAIR}") from error
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ValueError(f"{file} holds a {type(state).__name__}, not the network's state_dict of "
                         f"tensors. {_REPAIR}")
    _check_finite(state, str(file), "the weights are damaged: restore the saved folder or "
                                    "retrain the model")
    return state


def _check_finite(state, what, advice):
    for key, tensor in state.items():
        bad = tensor.is_floating_point() and int((~torch.isfinite(tensor)).sum())
        if bad:
            raise ValueError(f"{what} holds non-finite values in {key!r} ({bad} of "
                             f"{tensor.numel()}); {advice}.")


def _check_shapes(module, state, classifier, weights_file, description_file):
    expected = module.state_dict()
    summary = (f"n_channels_={classifier.n_channels_}, n_metadata_={classifier.n_metadata_}, "
               f"{len(classifier.classes_)} classes_, hidden_size={classifier.hidden_size}, "
               f"num_layers={classifier.num_layers}, metadata_size={classifier.metadata_size}, "
               f"head_size={classifier.head_size}, pooling={classifier.pooling!r}")
    missing, unexpected = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ValueError(f"{weights_file} does not match {description_file}: it lacks tensors "
                         f"{missing} and has tensors {unexpected} that the GRUClassifier of "
                         f"model.json ({summary}) does not have. {_REPAIR}")
    for key, tensor in expected.items():
        if state[key].shape != tensor.shape:
            raise ValueError(
                f"{weights_file} does not match {description_file}: tensor {key!r} has shape "
                f"{tuple(state[key].shape)}, but the GRUClassifier of model.json ({summary}) "
                f"needs {tuple(tensor.shape)}. {_REPAIR}")


def _check_size(classifier, state, weights_file, description_file):
    """Refuse, before building it, a network far larger than the weights the file holds."""
    count = classifier.count_parameters()
    stored = sum(tensor.numel() for tensor in state.values())
    # Near the file's size, the tensors' shapes are compared (on the meta device), which says more.
    if count > 4 * stored:
        raise ValueError(
            f"{description_file} describes a GRUClassifier (hidden_size={classifier.hidden_size}, "
            f"num_layers={classifier.num_layers}, metadata_size={classifier.metadata_size}, "
            f"head_size={classifier.head_size}) of {count:,} parameters, about "
            f"{format_bytes(4 * count)} in memory, but {weights_file} holds {stored:,}; it is not "
            f"built. {_REPAIR}")


def _attach_module(classifier, state, device, weights_file, description_file):
    _check_size(classifier, state, weights_file, description_file)
    with torch.device("meta"):  # shapes only: nothing is allocated until they match
        skeleton = classifier.build_module()
    _check_shapes(skeleton, state, classifier, weights_file, description_file)
    module = classifier.build_module()
    module.load_state_dict(state)
    classifier.attach_module(module, device)
