"""Metrics for early classification and calibration, and the gap between two data sets."""

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

__all__ = ["domain_gap", "earliness", "expected_calibration_error", "lightcurve_summaries",
           "scores_over_time"]


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


#: Per-object summaries of :func:`lightcurve_summaries`, with what each measures.
SUMMARIES = {
    "n_observations": "observations in the light curve",
    "n_detections": "observations flagged as detections (NaN without flags)",
    "fraction_detected": "share of the observations that are detections",
    "time_span": "days from the first to the last observation",
    "days_before_trigger": "days from the first observation to the trigger",
    "detected_span": "days from the first to the last detection",
    "median_interval": "median days between consecutive observations",
    "n_bands": "bands observed",
    "max_snr": "largest flux / flux_err",
    "log_peak_flux": "log10 of the largest flux (FLUXCAL; floored at 1)",
    "log_median_error": "log10 of the median flux uncertainty",
}


def lightcurve_summaries(X):
    """Survey-level summaries of each light curve: sampling, depth and detection.

    Parameters
    ----------
    X : LightCurves

    Returns
    -------
    summaries : DataFrame of shape (n_objects, len(SUMMARIES))
        Indexed by object id, columns as :data:`SUMMARIES`.
    """
    from ._lightcurves import LightCurves

    if not isinstance(X, LightCurves):
        raise TypeError(f"lightcurve_summaries takes a LightCurves; got {type(X).__name__}.")
    obj, first, last = X.object_index, X.offsets[:-1], X.offsets[1:] - 1
    n = X.lengths.astype(float)
    trigger = X.trigger_time
    frame = pd.DataFrame(index=pd.Index(X.object_ids, name="object_id"))
    frame["n_observations"] = n
    if X.detected is None:
        frame["n_detections"] = np.nan
        frame["fraction_detected"] = np.nan
        frame["detected_span"] = np.nan
    else:
        detections = np.bincount(obj, weights=X.detected, minlength=len(X))
        frame["n_detections"] = detections
        frame["fraction_detected"] = detections / n
        last_detection = np.full(len(X), -np.inf)
        np.maximum.at(last_detection, obj[X.detected], X.time[X.detected])
        frame["detected_span"] = np.where(detections > 0, last_detection - trigger, np.nan)
    frame["time_span"] = X.time[last] - X.time[first]
    frame["days_before_trigger"] = trigger - X.time[first]
    gaps = np.diff(X.time)
    same = obj[1:] == obj[:-1]
    frame["median_interval"] = (pd.Series(gaps[same]).groupby(obj[1:][same]).median()
                                .reindex(range(len(X))).to_numpy())
    frame["n_bands"] = pd.Series(X.band).groupby(obj).nunique().to_numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = X.flux / X.flux_err
    frame["max_snr"] = pd.Series(snr).groupby(obj).max().to_numpy()
    frame["log_peak_flux"] = np.log10(np.maximum(pd.Series(X.flux).groupby(obj).max().to_numpy(), 1.0))
    with np.errstate(divide="ignore"):
        frame["log_median_error"] = np.log10(pd.Series(X.flux_err).groupby(obj).median().to_numpy())
    # A zero uncertainty makes a summary infinite: unknown, not infinitely telling.
    return frame[list(SUMMARIES)].replace([np.inf, -np.inf], np.nan)


def domain_gap(X_a, X_b, *, model=None, cv=5, max_per_domain=5000, random_state=0):
    """How well two sets of light curves can be told apart: a classifier two-sample test.

    A gradient-boosting classifier learns to tell ``X_a`` from ``X_b``; its
    cross-validated ROC AUC is the gap: 0.5 when the sets are
    indistinguishable, 1.0 when every light curve betrays where it comes
    from. The AUC is read either way round, ``max(auc, 1 - auc)`` of the
    mean over folds, so it is never below one half: a classifier that is right
    less often than chance still tells the sets apart. Run it on simulations and on real data before trusting a
    simulation-trained model on the real data. It is measured on the
    :func:`lightcurve_summaries` (sampling, depth, detection: what the
    survey does to a light curve) and, given a fitted ``model``, on its
    encoder's representation (what the network sees).

    Parameters
    ----------
    X_a, X_b : LightCurves
        The two sets, e.g. training simulations and real alerts.
    model : Pipeline or TransferClassifier or None, default=None
        A fitted GRU model (its preprocessing then
        :meth:`GRUClassifier.embed <skltransient.GRUClassifier.embed>`).
    cv : int, default=5
        Stratified folds.
    max_per_domain : int or None, default=5000
        Light curves drawn at random from each set (None: all).
    random_state : int, default=0

    Returns
    -------
    gap : Bunch
        ``auc`` and ``auc_std`` (summaries, mean and spread over folds);
        ``n_shared``, the light curves of ``X_b`` that are also in ``X_a``
        (see Notes);
        ``auc_encoder`` and ``auc_encoder_std`` (NaN without a model); and
        ``summaries``, a DataFrame with each summary's median in each set
        and its own AUC (one summary alone telling the sets apart), the most
        telling first.

    Notes
    -----
    The sets may overlap, e.g. a sample and the whole catalogue it was
    drawn from. Light curves that are in both (the same object id, or the
    same observations) are twins: they always fall in the same fold, so the
    test never learns "the opposite label of my twin". A set against itself
    reads exactly 0.5, and against its own subset about 0.5.

    Examples
    --------
    >>> from skltransient.datasets import simulate
    >>> from skltransient.metrics import domain_gap
    >>> ztf = simulate("ztf", 200, random_state=0).lightcurves
    >>> lsst = simulate("lsst", 200, random_state=0).lightcurves
    >>> gap = domain_gap(ztf, lsst)  # two surveys: told apart at once
    >>> round(gap.auc, 2), gap.summaries.index[0]
    (1.0, 'log_median_error')
    >>> ztf_again = simulate("ztf", 200, random_state=1).lightcurves
    >>> bool(abs(domain_gap(ztf, ztf_again).auc - 0.5) < 0.1)  # one survey, two draws
    True
    """
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_score
    from sklearn.utils import Bunch, check_random_state

    rng = check_random_state(random_state)
    sets = []
    for name, X in (("X_a", X_a), ("X_b", X_b)):
        if len(getattr(X, "object_ids", ())) < cv:
            raise ValueError(f"domain_gap: {name} needs at least cv={cv} light curves; got "
                             f"{len(getattr(X, 'object_ids', ()))}.")
        if max_per_domain is not None and len(X) > max_per_domain:
            X = X[np.sort(rng.choice(len(X), max_per_domain, replace=False))]
        sets.append(X)
    X_a, X_b = sets
    domain = np.r_[np.zeros(len(X_a), int), np.ones(len(X_b), int)]
    groups, n_shared = _twin_groups(X_a, X_b)
    folds = list(StratifiedGroupKFold(cv, shuffle=True, random_state=rng.randint(2**31 - 1))
                 .split(domain, domain, groups))

    def auc_of(features):
        clf = HistGradientBoostingClassifier(random_state=0)
        scores = cross_val_score(clf, features, domain, cv=folds, scoring="roc_auc")
        return max(float(scores.mean()), 1 - float(scores.mean())), float(scores.std())

    summary_a, summary_b = lightcurve_summaries(X_a), lightcurve_summaries(X_b)
    summaries = np.vstack([summary_a.to_numpy(), summary_b.to_numpy()])
    usable = ~np.all(np.isnan(summaries), axis=0)
    auc, auc_std = auc_of(summaries[:, usable])
    alone = {}
    for k, column in enumerate(summary_a.columns):
        known = ~np.isnan(summaries[:, k])
        if len(np.unique(domain[known])) == 2:
            auc_k = roc_auc_score(domain[known], summaries[known, k])
            alone[column] = max(auc_k, 1 - auc_k)  # telling apart either way round
    table = (pd.DataFrame({"median_a": summary_a.median(), "median_b": summary_b.median(),
                           "auc_alone": pd.Series(alone, dtype=float)})
             .rename_axis("summary")
             .sort_values("auc_alone", ascending=False, na_position="last"))
    auc_encoder = auc_encoder_std = np.nan
    if model is not None:
        from .utils import apply_transformers, split_model

        steps, clf = split_model(model)
        embedded = np.vstack([clf.embed(apply_transformers(steps, X)) for X in (X_a, X_b)])
        auc_encoder, auc_encoder_std = auc_of(embedded)
    return Bunch(auc=auc, auc_std=auc_std, auc_encoder=auc_encoder,
                 auc_encoder_std=auc_encoder_std, n_shared=n_shared, summaries=table)


def _content_keys(X):
    """A 64-bit key of each light curve's observations: equal for identical light curves."""
    rows = pd.DataFrame({"time": X.time, "band": X.band_names, "flux": X.flux,
                         "flux_err": X.flux_err,
                         "detected": True if X.detected is None else X.detected})
    hashed = pd.util.hash_pandas_object(rows, index=False).to_numpy()
    position = np.arange(X.n_observations, dtype=np.uint64) - np.repeat(
        X.offsets[:-1], X.lengths).astype(np.uint64)
    with np.errstate(over="ignore"):  # wrapping arithmetic is the point of a hash
        keys = np.zeros(len(X), np.uint64)
        np.add.at(keys, X.object_index, hashed * (2 * position + np.uint64(1)))
        return keys + X.lengths.astype(np.uint64)


def _twin_groups(X_a, X_b):
    """A group per light curve, shared by twins (same id, or same observations) across the sets,
    and how many of ``X_b``'s light curves have a twin in ``X_a``."""
    keys = np.r_[_content_keys(X_a), _content_keys(X_b)]
    groups = pd.factorize(keys)[0]
    ids_a = pd.Index(X_a.object_ids.tolist())
    first_a = ~ids_a.duplicated()
    group_of_id = pd.Series(groups[:len(X_a)][first_a], index=ids_a[first_a])
    same_id = group_of_id.reindex(X_b.object_ids.tolist()).to_numpy()
    shared_id = ~np.isnan(same_id)
    groups[len(X_a):][shared_id] = same_id[shared_id].astype(np.int64)
    twins = np.isin(groups[len(X_a):], groups[:len(X_a)])
    return groups, int(np.count_nonzero(twins))
