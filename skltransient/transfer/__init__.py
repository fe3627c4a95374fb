"""Transfer learning: fine-tune a fitted classifier on a new survey or on real data."""

from ._transfer import TransferClassifier

__all__ = ["TransferClassifier"]
