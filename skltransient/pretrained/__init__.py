"""Pretrained models shipped with the package.

Three base models for transfer, each a fitted pipeline of the package's
defaults (``LightCurvePadder()``, ``FluxNormalizer()``, ``MetadataScaler()``,
``GRUClassifier()``, the recipe of the user guide's "What makes the
classifier work", with the running-peak scaling of that recipe) trained on
50,600 light curves of :func:`skltransient.datasets.simulate`, eleven
classes in equal numbers:

- ``load("ztf-sims")``: simulated ZTF, g and r bands;
- ``load("lsst-sims")``: simulated Rubin LSST, ugrizy;
- ``load("ztf+lsst-sims")``: both surveys, half the light curves of each
  class from each (a multi-survey base: one model for a broker that
  receives both streams).

All read any survey's bands (bands are encoded by wavelength).
``scripts/train_pretrained.py --survey ztf|lsst|ztf+lsst`` in the
repository rebuilds them; a model card (``card(name)``) gives the training
data and command, per-class scores on a fresh simulated test set, scores at
days after trigger, and the feature baseline's scores on the same test set
(for ``ztf+lsst-sims``, the single-survey models' and baselines' scores on
the same per-survey test sets)."""

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
