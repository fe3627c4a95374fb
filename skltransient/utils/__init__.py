"""Utilities: safe writing of outputs, unwrapping fitted models, validation, estimator checks."""

from ._io import atomic_write, check_output, read_folder
from ._models import apply_transformers, split_model

__all__ = ["apply_transformers", "atomic_write", "check_output", "read_folder", "split_model"]
