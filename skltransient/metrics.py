"""Metrics for early classification and calibration."""

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

__all__ = ["earliness", "expected_calibration_error", "scores_over_time"]


def scores_over_time(y_true, proba_at, classes, days_since_trigger):
    """Macro F1, accuracy and macro ROC AUC as functions of days since trigger.

    Parameters
    ----------
    y_true : array-like of shape (n_objects,)
        True labels.
    proba_at : ndarray of shape (n_objects, n_days, n_classes)
        Output of ``predict_proba_at``; objects without a prediction yet
        (NaN) are left out of that day's scores.
    classes : array-like of shape (n_classes,)
        The model's ``classes_``.
    days_since_trigger : array-like of shape (n_days,)

    Returns
    -------
    scores : DataFrame
        Indexed by ``days_since_trigger``, with columns ``f1_macro``,
        ``accuracy``, ``roc_auc_macro`` (NaN when a class is absent among the
        scored objects) and ``n_objects``.

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[[0.9, 0.1], [0.8, 0.2]], [[np.nan, np.nan], [0.3, 0.7]]])
    >>> scores_over_time(["a", "b"], proba, ["a", "b"], [0, 10])["accuracy"].tolist()
    [1.0, 1.0]
    """
    y_true, classes = _check_labels(y_true, proba_at, classes, "proba_at", allow_nan=True)
    days_since_trigger = np.atleast_1d(days_since_trigger)
    if proba_at.ndim != 3 or proba_at.shape[1] != days_since_trigger.size:
        raise ValueError(f"days_since_trigger has {days_since_trigger.size} days but proba_at has "
                         f"{proba_at.shape[1] if proba_at.ndim == 3 else 'no day axis'}; pass the "
                         f"days given to predict_proba_at.")
    rows = []
    for j, day in enumerate(days_since_trigger):
        proba = proba_at[:, j]
        ok = ~np.isnan(proba).any(axis=1)
        y, p = y_true[ok], proba[ok]
        predicted = classes[p.argmax(axis=1)] if ok.any() else np.array([])
        row = {"days_since_trigger": day, "n_objects": int(ok.sum()),
               "f1_macro": f1_score(y, predicted, average="macro", labels=np.unique(y_true),
                                    zero_division=0) if ok.any() else np.nan,
               "accuracy": accuracy_score(y, predicted) if ok.any() else np.nan,
               "roc_auc_macro": _roc_auc(y, p, classes)}
        rows.append(row)
    return pd.DataFrame(rows).set_index("days_since_trigger")


def _roc_auc(y, proba, classes):
    if len(np.unique(y)) < 2 or not set(np.unique(y)) <= set(classes.tolist()):
        return np.nan
    present = np.isin(classes, np.unique(y))
    if present.sum() < len(classes):
        return np.nan
    if len(classes) == 2:
        return roc_auc_score(y == classes[1], proba[:, 1])
    return roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=classes)


def earliness(y_true, proba_over_time, times, trigger, classes, *, threshold=0.5):
    """Days after trigger at which each object's true class first passes a probability.

    Parameters
    ----------
    y_true : array-like of shape (n_objects,)
    proba_over_time : ndarray of shape (n_objects, n_steps, n_classes)
        Output of ``predict_proba_over_time`` (NaN beyond each length).
    times : ndarray of shape (n_objects, n_steps)
        Time (MJD) of each step.
    trigger : array-like of shape (n_objects,)
        Trigger time (MJD) of each object, e.g. ``LightCurves.trigger_time``.
    classes : array-like of shape (n_classes,)
    threshold : float, default=0.5

    Returns
    -------
    days : ndarray of shape (n_objects,)
        NaN for objects whose true class never reaches the threshold.
    """
    y_true, classes = _check_labels(y_true, proba_over_time, classes, "proba_over_time",
                                    allow_nan=True)
    column = np.searchsorted(classes, y_true, sorter=np.argsort(classes))
    column = np.argsort(classes)[column]
    p_true = proba_over_time[np.arange(len(column)), :, column]
    reached = np.nan_to_num(p_true, nan=-1.0) >= threshold
    first = reached.argmax(axis=1)
    days = times[np.arange(len(column)), first] - np.asarray(trigger, dtype=float)
    return np.where(reached.any(axis=1), days, np.nan)


def expected_calibration_error(y_true, proba, classes, *, n_bins=10):
    """Top-label expected calibration error.

    Predictions are binned by their highest probability; the error is the
    mean, weighted by bin size, of ``|accuracy - confidence|`` per bin
    (Guo et al. 2017).

    Parameters
    ----------
    y_true : array-like of shape (n_objects,)
    proba : ndarray of shape (n_objects, n_classes)
    classes : array-like of shape (n_classes,)
    n_bins : int, default=10

    Returns
    -------
    ece : float

    Examples
    --------
    >>> import numpy as np
    >>> expected_calibration_error(["a", "b"], np.array([[1.0, 0.0], [1.0, 0.0]]), ["a", "b"])
    0.5
    """
    proba = np.asarray(proba, dtype=float)
    if proba.ndim != 2:
        raise ValueError(f"proba must be 2-D, shape (n_objects, n_classes); got shape {proba.shape}.")
    y_true, classes = _check_labels(y_true, proba, classes, "proba", allow_nan=False)
    confidence = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == y_true
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        members = bins == b
        total += members.sum() * abs(correct[members].mean() - confidence[members].mean())
    return float(total / len(confidence))


def _check_labels(y_true, proba, classes, name, *, allow_nan):
    """Labels and classes as arrays, checked against each other and the probabilities."""
    y_true, classes, proba = np.asarray(y_true), np.asarray(classes), np.asarray(proba)
    if proba.shape[0] != y_true.shape[0]:
        raise ValueError(f"Got {y_true.shape[0]} labels for {proba.shape[0]} rows of probabilities "
                         f"in {name}; give one label per object.")
    if proba.shape[-1] != classes.shape[0]:
        raise ValueError(f"{name} has {proba.shape[-1]} columns of probabilities for "
                         f"{classes.shape[0]} classes; pass the model's classes_.")
    unknown = np.setdiff1d(y_true, classes)
    if unknown.size:
        raise ValueError(f"y_true has labels {unknown[:5].tolist()} that are not among the classes "
                         f"{classes.tolist()}.")
    if not allow_nan and not np.all(np.isfinite(proba)):
        row = int(np.flatnonzero(~np.isfinite(proba).all(axis=tuple(range(1, proba.ndim))))[0])
        raise ValueError(f"{name} has NaN or infinite probabilities (first at row {row}).")
    return y_true, classes
