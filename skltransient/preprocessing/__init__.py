"""Transformers from light curves to model inputs."""

from ._metadata import MetadataScaler
from ._normalization import FluxNormalizer
from ._padding import LightCurvePadder, PaddedLightCurves

__all__ = ["FluxNormalizer", "LightCurvePadder", "MetadataScaler", "PaddedLightCurves"]
