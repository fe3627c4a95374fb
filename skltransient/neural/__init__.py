"""Neural-network estimators and their torch module."""

from ._classifier import GRUClassifier
from ._module import TransientGRU

__all__ = ["GRUClassifier", "TransientGRU"]
