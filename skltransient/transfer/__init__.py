"""Transfer learning: fine-tune a fitted classifier on a new survey or on real data."""

from ._learning_curve import headline_numbers, transfer_learning_curve
from ._transfer import TransferClassifier

__all__ = ["TransferClassifier", "headline_numbers", "transfer_learning_curve"]
