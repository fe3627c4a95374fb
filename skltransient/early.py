"""Early and real-time classification: predictions over time and streaming updates.

RAPID (Muthukrishna et al. 2019) gives class probabilities after every new
observation. The classifiers' own ``predict_proba_over_time`` and
``predict_proba_at`` take padded input; the functions here accept a whole
fitted pipeline (padder, normaliser, scaler, classifier) and light curves,
and :class:`ClassificationStream` updates one object's probabilities per new
observation at constant cost, for alert brokers.
"""

import warnings

import numpy as np
import pandas as pd

from ._lightcurves import LightCurves
from ._streaming import ClassificationStream
from .utils import apply_transformers, split_model

__all__ = ["ClassificationStream", "StreamingClassifier", "predict_proba_at",
           "predict_proba_over_time", "with_prefixes"]


def predict_proba_over_time(estimator, X):
    """Class probabilities after each observation of each light curve, in one pass.

    Parameters
    ----------
    estimator : Pipeline, GRUClassifier or TransferClassifier
        Fitted model. Warns, saying what the probabilities assume, when its
        preprocessing lets a step depend on later observations (see
        ``PaddedLightCurves.lookahead``).
    X : LightCurves or PaddedLightCurves
        Input of ``estimator``.

    Returns
    -------
    proba : ndarray of shape (n_objects, n_steps, n_classes)
        NaN beyond each object's length.
    times : ndarray of shape (n_objects, n_steps)
        Time (MJD) of each step.
    """
    steps, clf = split_model(estimator)
    Xt = apply_transformers(steps, X)
    proba = clf.predict_proba_over_time(Xt)
    return proba, np.where(np.isnan(proba[:, :, 0]), np.nan, Xt.times[:, :proba.shape[1]])


def predict_proba_at(estimator, X, days_since_trigger):
    """Class probabilities from the observations up to given days after trigger.

    The result is the prediction on the light curves cut at each day
    (``X.truncate(days_since_trigger=day)``). A recurrent model with causal
    preprocessing gives every day from one pass over time. Where one pass
    cannot equal the cut light curves, they are predicted one day at a
    time: any classifier that is not a GRU model (e.g.
    ``make_pipeline(LightCurveFeatures(), HistGradientBoostingClassifier())``),
    and a GRU model whose preprocessing looks ahead (a ``"peak"``
    normalisation, the grid's interpolation, ``truncate="start"``, or, for
    negative days, a window around a trigger still to come). On padded input
    nothing can be cut again: the one pass warns, saying what it assumes.

    Parameters
    ----------
    estimator : Pipeline, GRUClassifier, TransferClassifier or classifier
        A fitted model; one that is not a GRU model needs ``X`` as
        ``LightCurves`` and a ``predict_proba``.
    X : LightCurves or PaddedLightCurves
    days_since_trigger : array-like of float

    Returns
    -------
    proba : ndarray of shape (n_objects, n_days, n_classes)
        NaN where an object has no observation yet.
    """
    try:
        steps, clf = split_model(estimator)
    except TypeError:
        return _proba_by_truncation(estimator, X, days_since_trigger)
    Xt = apply_transformers(steps, X)
    if not isinstance(X, LightCurves):
        return clf.predict_proba_at(Xt, days_since_trigger)
    days = np.atleast_1d(np.asarray(days_since_trigger, dtype=np.float64))
    # Days that one pass over the padded steps cannot give as the cut light curves would.
    cut = np.full(days.shape, bool(Xt.lookahead_reasons(before_trigger=False)))
    cut |= (days < 0) & bool(Xt.lookahead_reasons(before_trigger=True))
    out = np.full((len(X), days.size, len(clf.classes_)), np.nan)
    if np.any(~cut):
        out[:, ~cut] = clf.predict_proba_at(Xt, days[~cut])
    if np.any(cut):
        out[:, cut] = _proba_by_truncation(estimator, X, days[cut])
    return out


def with_prefixes(X, y, days_since_trigger):
    """Training light curves with copies of each as known at given days after its trigger.

    A model that reads statistics of the whole light curve (the hybrid
    network's, :func:`~skltransient.recipes.hybrid_pipeline`, or the feature
    baseline's) sees, when it predicts at a day after trigger, statistics
    of a short prefix (:func:`predict_proba_at` computes them on the light
    curve cut there), unlike any it was trained on. Training on the light
    curves and their prefixes (``LightCurves.truncate(days_since_trigger=day)``)
    teaches one model every phase, as the baseline trained at each phase
    is taught one.

    Parameters
    ----------
    X : LightCurves
    y : array-like of shape (n_objects,)
    days_since_trigger : array-like of float
        Days after each trigger at which a copy is cut; an object with no
        observation by then has no copy at that day.

    Returns
    -------
    X_prefixed : LightCurves
        The light curves, then their copies day by day. Object ids become
        strings: the originals' as they were (``str``), each copy's with
        ``@<day>d`` appended (e.g. ``"1234@5d"``), so that they stay unique.
    y_prefixed : ndarray of shape (len(X_prefixed),)
    """
    if not isinstance(X, LightCurves):
        raise TypeError(f"with_prefixes needs LightCurves; got {type(X).__name__}.")
    y = np.asarray(y)
    if y.shape != (len(X),):
        raise ValueError(f"y has shape {y.shape} but X holds {len(X)} light curves.")
    days = np.atleast_1d(np.asarray(days_since_trigger, dtype=np.float64))
    if not np.all(np.isfinite(days)):
        raise ValueError(f"days_since_trigger must be finite; got {days.tolist()}.")
    first = X.time[X.offsets[:-1]]
    parts, labels = [_renamed(X, "")], [y]
    for day in days:
        seen = np.flatnonzero(first <= X.trigger_time + day)
        if seen.size:
            parts.append(_renamed(X[seen].truncate(days_since_trigger=day), f"@{day:g}d"))
            labels.append(y[seen])
    return LightCurves.concatenate(parts), np.concatenate(labels)


def _renamed(X, suffix):
    """``X`` with string object ids, ``suffix`` appended."""
    ids = (pd.Series(X.object_ids, dtype=object).astype(str) + suffix).to_numpy(dtype=object)
    metadata = X.metadata.set_axis(pd.Index(ids, name=X.metadata.index.name), axis=0)
    return LightCurves(ids, X.offsets, X.time, X.band, X.flux, X.flux_err, X.detected, metadata)


def _proba_by_truncation(estimator, X, days_since_trigger):
    """``predict_proba_at`` of a classifier that is not recurrent: predict on each cut."""
    if not isinstance(X, LightCurves) or not hasattr(estimator, "predict_proba"):
        raise TypeError(
            f"predict_proba_at needs a GRU model (a GRUClassifier, a TransferClassifier or a "
            f"Pipeline ending in one), or a classifier with predict_proba and LightCurves to "
            f"truncate; got {type(estimator).__name__} and {type(X).__name__}.")
    days = np.atleast_1d(np.asarray(days_since_trigger, dtype=float))
    first = X.time[X.offsets[:-1]]
    out = np.full((len(X), len(days), len(estimator.classes_)), np.nan)
    for j, day in enumerate(days):
        seen = np.flatnonzero(first <= X.trigger_time + day)  # objects with an observation by then
        if seen.size:
            out[seen, j] = estimator.predict_proba(X[seen].truncate(days_since_trigger=day))
    return out


class StreamingClassifier(ClassificationStream):
    """Deprecated name of :class:`ClassificationStream`.

    .. deprecated:: 0.1.0
        Renamed :class:`ClassificationStream`: it holds the state of a
        stream made from a fitted model; it is not an estimator. The old
        name will be removed in a future release.
    """

    def __init__(self, model, *, max_age=None):
        warnings.warn("StreamingClassifier was renamed ClassificationStream (it holds a stream's "
                      "state; it is not an estimator); the old name will be removed in a future "
                      "release.", FutureWarning, stacklevel=2)
        super().__init__(model, max_age=max_age)
