"""skltransient: scikit-learn estimators for classifying astronomical transients
from their light curves, and for transferring models between surveys.

The names below are imported on first use (PEP 562), so that ``import
skltransient`` and the command line's ``--help`` do not pay for importing
torch and scikit-learn until a model is needed.
"""

import importlib

__version__ = "0.1.0.dev0"

#: Public name -> the module that defines it.
_LAZY = {
    "FluxNormalizer": ".preprocessing",
    "GRUClassifier": ".neural",
    "LightCurvePadder": ".preprocessing",
    "LightCurves": "._lightcurves",
    "MetadataScaler": ".preprocessing",
    "NetworkEmbedding": ".features",
    "PaddedLightCurves": ".preprocessing",
    "TransferClassifier": ".transfer",
    "ZeroShotClassifier": ".transfer",
    "headline_numbers": ".transfer",
    "transfer_learning_curve": ".transfer",
}

__all__ = [  # defined on first use by __getattr__
    "FluxNormalizer",
    "GRUClassifier",
    "LightCurvePadder",
    "LightCurves",
    "MetadataScaler",
    "NetworkEmbedding",
    "PaddedLightCurves",
    "TransferClassifier",
    "ZeroShotClassifier",
    "__version__",
    "headline_numbers",
    "transfer_learning_curve",
]


#: Subpackages and modules reachable as attributes, e.g. ``skltransient.datasets``.
_SUBMODULES = ("bands", "calibration", "cli", "datasets", "early", "features", "metrics", "neural",
               "onnx", "parallel", "persistence", "plotting", "preprocessing", "pretrained", "recipes",
               "spark", "transfer", "utils")


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted({*globals(), *_LAZY, *_SUBMODULES})
