"""Transfer learning: fine-tune a fitted classifier on a new survey or on real data."""

from ._learning_curve import (headline_numbers, learning_curve_summary, mean_interval,
                              transfer_learning_curve)
from ._transfer import TransferClassifier
from ._zero_shot import ZeroShotClassifier

__all__ = ["TransferClassifier", "ZeroShotClassifier", "headline_numbers",
           "learning_curve_summary", "mean_interval", "transfer_learning_curve"]
