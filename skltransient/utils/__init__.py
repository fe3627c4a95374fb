"""Utilities: safe writing of outputs, the project's own estimator checks, small test-data helpers."""

from ._io import atomic_write, check_output, read_folder

__all__ = ["atomic_write", "check_output", "read_folder"]
