"""skltransient: scikit-learn estimators for classifying astronomical transients
from their light curves, and for transferring models between surveys."""

from ._lightcurves import LightCurves
from .neural import GRUClassifier
from .transfer import TransferClassifier, headline_numbers, transfer_learning_curve
from .preprocessing import FluxNormalizer, LightCurvePadder, MetadataScaler, PaddedLightCurves

__version__ = "0.1.0.dev0"

__all__ = [
    "FluxNormalizer",
    "GRUClassifier",
    "LightCurvePadder",
    "LightCurves",
    "MetadataScaler",
    "PaddedLightCurves",
    "TransferClassifier",
    "__version__",
    "headline_numbers",
    "transfer_learning_curve",
]
