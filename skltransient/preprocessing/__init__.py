"""Transformers from light curves to model inputs."""

from ._metadata import MetadataScaler
from ._normalization import FluxNormalizer
from .._padded import PaddedLightCurves
from ._padding import LightCurvePadder

__all__ = ["FluxNormalizer", "LightCurvePadder", "MetadataScaler", "PaddedLightCurves"]
