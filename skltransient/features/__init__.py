"""Light-curve features for tabular classifiers (the optional ``features`` extra)."""

from ._features import LightCurveFeatures

__all__ = ["LightCurveFeatures"]
