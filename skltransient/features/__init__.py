"""Features for tabular classifiers: light-curve statistics (the optional ``features`` extra)
and a fitted network's embedding."""

from ._embedding import NetworkEmbedding
from ._features import LightCurveFeatures

__all__ = ["LightCurveFeatures", "NetworkEmbedding"]
