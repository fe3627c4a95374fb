"""Calibrated probabilities, through scikit-learn's own calibration."""

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator

__all__ = ["calibrate"]


def calibrate(model, X, y, *, method="temperature"):
    """Calibrate a fitted model's probabilities on held-out data.

    Temperature scaling (Guo et al. 2017) divides the logits by one number
    fitted to minimise the log loss on ``X, y``: it keeps the predicted
    class and the ranking, and fixes the overconfidence typical of networks.
    This wraps :class:`~sklearn.calibration.CalibratedClassifierCV` around a
    :class:`~sklearn.frozen.FrozenEstimator`, so the model is not refitted.

    Parameters
    ----------
    model : fitted classifier
        A ``GRUClassifier``, ``TransferClassifier`` or a pipeline ending in one.
    X, y : held-out data and labels, not used to train ``model``
    method : {"temperature", "sigmoid", "isotonic"}, default="temperature"

    Returns
    -------
    calibrated : CalibratedClassifierCV
        Fitted; ``predict_proba`` gives calibrated probabilities.
    """
    # The model is frozen, so no cross-validation is needed: one "fold" whose
    # calibration set is all of X fits a single calibrator on every example,
    # and works however few examples a class has.
    everything = np.arange(len(y))
    calibrated = CalibratedClassifierCV(FrozenEstimator(model), method=method,
                                        cv=[(everything, everything)], ensemble=False)
    return calibrated.fit(X, y)
