"""Pretrained models shipped with the package.

``load("ztf-sims")`` returns a fitted pipeline (``LightCurvePadder`` with the
observation representation, ``FluxNormalizer("running_peak")``,
``MetadataScaler``, paper-sized ``GRUClassifier``) trained on light curves
from :func:`skltransient.datasets.simulate` ``("ztf", ...)``, the base model
for transfer. ``scripts/train_pretrained.py`` in the repository rebuilds it;
its model card (``card("ztf-sims")``) gives the training data, classes,
bands and held-out metrics.
"""

from importlib import resources

from ..persistence import load_model

__all__ = ["available", "card", "load"]


def available():
    """Names of the shipped models."""
    root = resources.files(__name__)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and (p / "model.json").is_file())


def _path(name):
    if name not in available():
        raise ValueError(f"No pretrained model {name!r}; available models are {available()}.")
    return resources.files(__name__) / name


def load(name="ztf-sims", *, device="cpu"):
    """Load a shipped pretrained model.

    Parameters
    ----------
    name : str, default="ztf-sims"
        See :func:`available`.
    device : str, default="cpu"

    Returns
    -------
    model : Pipeline
        Fitted; use it directly or as the ``estimator`` of a
        :class:`~skltransient.TransferClassifier`.
    """
    with resources.as_file(_path(name)) as path:
        return load_model(path, device=device)


def card(name="ztf-sims"):
    """The model card (Markdown) of a shipped model."""
    return (_path(name) / "MODEL_CARD.md").read_text()
