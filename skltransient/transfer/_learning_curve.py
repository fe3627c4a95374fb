"""Learning curves of transfer against training from scratch, over label fractions."""

import os
import time
import warnings

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import get_scorer
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from scipy import stats

from ._transfer import TransferClassifier
from ._zero_shot import ZeroShotClassifier

__all__ = ["headline_numbers", "mean_interval", "transfer_learning_curve"]

#: TransferClassifier parameters of each transfer strategy.
STRATEGIES = {"transfer": {"freeze": None}, "frozen": {"freeze": "encoder"}}

#: Strategies that train nothing on the target: scored once, the same in every repeat.
UNTRAINED = ("zero-shot",)


def transfer_learning_curve(estimator, X, y, *, train_sizes=(0.05, 0.1, 0.25, 0.5, 1.0),
                            strategies=("scratch", "transfer"), scoring="f1_macro", n_repeats=3,
                            test_size=0.3, transfer_params=None, scratch_params=None,
                            scratch_estimator=None, baselines=None, random_state=None, n_jobs=None,
                            verbose=0, return_fits=False, test_indices=None,
                            return_estimators=False):
    """Score training from scratch against transfer at growing fractions of the labels.

    In the spirit of :func:`sklearn.model_selection.learning_curve`: the
    target data are split once into a training pool and a fixed, stratified
    held-out test set. For each repeat the pool is shuffled and, for each
    fraction in ``train_sizes``, the first examples of each class form a
    stratified subset; the subsets of one repeat are nested. Each strategy is
    trained on each subset and scored on the test set.

    Parameters
    ----------
    estimator : GRUClassifier or Pipeline
        The fitted base model (e.g. trained on simulated ZTF light curves).
        ``"scratch"`` trains an unfitted clone of it (same hyperparameters)
        unless ``scratch_estimator`` is given; the transfer strategies
        fine-tune it with :class:`TransferClassifier`; ``"zero-shot"`` scores
        it as it is, through ``transfer_params["class_map"]``
        (:class:`ZeroShotClassifier`).
    X : LightCurves
        Target light curves.
    y : array-like of shape (n_objects,)
        Target labels.
    train_sizes : sequence of float, default=(0.05, 0.1, 0.25, 0.5, 1.0)
        Fractions of the training pool, in (0, 1].
    strategies : sequence of {"scratch", "transfer", "frozen", "zero-shot"}, \
            default=("scratch", "transfer")
        ``"transfer"`` fine-tunes every layer; ``"frozen"`` freezes the
        encoder and trains the metadata branch and head; ``"zero-shot"``
        uses no target label (scored once: the same in every repeat).
    scoring : str or callable, default="f1_macro"
        A scikit-learn scorer.
    n_repeats : int, default=3
        Repeats with different subsets and seeds, for the spread.
    test_size : float, default=0.3
        Fraction of the target data held out for testing (stratified);
        ignored when ``test_indices`` are given.
    transfer_params : dict or None, default=None
        Further :class:`TransferClassifier` parameters (e.g. ``class_map``,
        ``max_epochs``, ``lr``).
    scratch_params : dict or None, default=None
        Parameters set on the scratch clone (e.g.
        ``{"gruclassifier__max_epochs": 40}``).
    scratch_estimator : estimator or None, default=None
        The unfitted model that ``"scratch"`` trains (its own recipe, e.g.
        :func:`skltransient.recipes.default_pipeline`); None: a clone of
        ``estimator``, which inherits the base's hyperparameters and window.
    baselines : dict of {str: estimator} or None, default=None
        More models trained from scratch on the same subsets and scored on
        the same test set, each a strategy under its key, after
        ``strategies``: e.g. ``{"features": make_pipeline(LightCurveFeatures(),
        HistGradientBoostingClassifier())}``, the yardstick a neural model
        must beat. Unfitted estimators taking ``LightCurves``; their
        ``random_state`` parameters are seeded per repeat. Their ``epochs``
        are NaN when they have no ``best_epoch_``.
    random_state : int, RandomState instance or None, default=None
    n_jobs : int or None, default=None
        Fits run in parallel with joblib; torch threads are divided among
        the workers so that the cores are not oversubscribed. A
        ``GRUClassifier`` fits with its own ``n_threads`` (1 by default)
        wherever it runs, so its scores do not depend on ``n_jobs``.
    verbose : int, default=0
        Above 0, a progress bar over the fits (needs tqdm).
    return_fits : bool, default=False
        Also return the result of every fit.
    test_indices : array-like of int or None, default=None
        The held-out test set, as positions in ``X``; the training pool is
        every other light curve. None: a stratified split of ``test_size``.
        Give them to score other models on the same test set.
    return_estimators : bool, default=False
        Keep every fitted model in the fits' ``estimator`` column (needs
        ``return_fits``), e.g. to draw confusion matrices of the models
        the table scored rather than train them again.

    Returns
    -------
    curve : DataFrame
        One row per fraction and strategy: ``train_size``, ``n_train``,
        ``strategy``, ``n_repeats``, ``score_mean``, ``score_std``,
        ``score_low`` and ``score_high`` (the 95 % confidence interval of
        the mean over repeats, Student's t; NaN with one repeat),
        ``epochs_mean``, ``epochs_std``, ``time_mean``, ``time_std``.
    fits : DataFrame
        Only with ``return_fits``: one row per fit (``repeat``,
        ``train_size``, ``n_train``, ``strategy``, ``score``, ``epochs``,
        ``epochs_trained``, ``time``, ``warnings``: the warnings the fit
        raised, joined), and ``estimator`` with ``return_estimators``.

    Notes
    -----
    ``epochs`` are the epochs to converge: the model's ``best_epoch_``, the
    epoch of the best validation loss, whose weights early stopping keeps.
    The ``n_iter_no_change`` epochs of patience that follow it are in
    ``epochs_trained`` and not in ``epochs``, which would otherwise pull
    every strategy's count, and their ratio, towards the patience. Without
    a validation split (``validation_fraction=None``, the default) every
    fit trains ``max_epochs`` and the epochs say nothing about convergence;
    give both strategies the same ``validation_fraction`` and
    ``n_iter_no_change``.

    See Also
    --------
    headline_numbers : The paper's two headline numbers from a curve.
    """
    unknown = sorted(set(strategies) - {"scratch", *STRATEGIES, *UNTRAINED})
    if unknown:
        raise ValueError(f"Unknown strategies {unknown}; choose from 'scratch', "
                         f"{', '.join(map(repr, [*STRATEGIES, *UNTRAINED]))}.")
    baselines = dict(baselines or {})
    clash = sorted(set(baselines) & {"scratch", *STRATEGIES, *UNTRAINED})
    if clash:
        raise ValueError(f"baselines {clash} have the names of built-in strategies; rename them.")
    strategies = [*strategies, *baselines]
    sizes = np.asarray(train_sizes, dtype=float)
    if sizes.size == 0 or np.any((sizes <= 0) | (sizes > 1)):
        raise ValueError(f"train_sizes must be fractions in (0, 1]; got {list(train_sizes)}.")
    if return_estimators and not return_fits:
        raise ValueError("return_estimators=True needs return_fits=True: the models come back in "
                         "the fits' 'estimator' column.")
    rng = check_random_state(random_state)
    y = np.asarray(y)
    split_seed = rng.randint(2**31 - 1)
    if test_indices is None:
        pool, test = train_test_split(np.arange(len(y)), test_size=test_size, stratify=y,
                                      random_state=split_seed)
    else:
        pool, test = _pool_and_test(test_indices, len(y))
    jobs = []
    for repeat in range(n_repeats):
        order = _stratified_order(y[pool], rng)
        seed = rng.randint(2**31 - 1)
        for size in sizes:
            subset = pool[_nested_subset(y[pool], order, size)]
            jobs += [(repeat, size, strategy, subset, seed) for strategy in strategies]
    scorer = get_scorer(scoring)
    n_workers = 1 if n_jobs in (None, 1) else (os.cpu_count() if n_jobs < 0 else n_jobs)
    threads = max(1, (os.cpu_count() or 1) // n_workers)
    # A strategy that trains nothing is scored once and its result repeated. The largest
    # subsets go first, so that parallel workers do not end waiting on one long fit.
    trained = sorted((job for job in jobs if job[2] not in UNTRAINED), key=lambda job: -job[1])
    once = {job[2]: job for job in jobs if job[2] in UNTRAINED}
    run = delayed(_fit_and_score)
    results = Parallel(n_jobs=n_jobs)(
        run(_model_of(strategy, estimator, scratch_estimator, baselines), X, y, subset, test,
            _kind(strategy, baselines), seed, scorer, transfer_params, scratch_params,
            threads if n_workers > 1 else None, return_estimators)
        for _, _, strategy, subset, seed in _progress([*trained, *once.values()], verbose))
    done = dict(zip(map(id, [*trained, *once.values()]), results))
    results = [done.get(id(job)) or done[id(once[job[2]])] for job in jobs]
    fits = pd.DataFrame([
        {"repeat": r, "train_size": s, "n_train": len(sub), "strategy": st, **res}
        for (r, s, st, sub, _), res in zip(jobs, results)])
    curve = learning_curve_summary(fits)
    return (curve, fits) if return_fits else curve


def learning_curve_summary(fits):
    """The learning curve of a per-fit table: one row per fraction and strategy.

    What :func:`transfer_learning_curve` returns, from its ``fits``; for a
    table with more rows, e.g. a strategy scored from the fitted models of
    others (their probabilities averaged).

    Parameters
    ----------
    fits : DataFrame
        One row per fit, with ``train_size``, ``strategy``, ``n_train`` and
        ``score``; ``epochs`` and ``time`` where known (NaN otherwise).

    Returns
    -------
    curve : DataFrame
        As :func:`transfer_learning_curve`'s: ``train_size``, ``strategy``,
        ``n_train``, ``n_repeats``, ``score_mean``, ``score_std``,
        ``score_low``, ``score_high`` (95 % Student-t interval of the mean),
        ``epochs_mean``, ``epochs_std``, ``time_mean``, ``time_std``.
    """
    fits = fits.reindex(columns=fits.columns.union(["epochs", "time"], sort=False))
    curve = (fits.groupby(["train_size", "strategy"], sort=True)
             .agg(n_train=("n_train", "mean"), n_repeats=("score", "size"),
                  score_mean=("score", "mean"), score_std=("score", "std"),
                  epochs_mean=("epochs", "mean"), epochs_std=("epochs", "std"),
                  time_mean=("time", "mean"), time_std=("time", "std"))
             .reset_index())
    half = _half_width(curve["score_std"], curve["n_repeats"])
    curve.insert(curve.columns.get_loc("score_std") + 1, "score_low", curve["score_mean"] - half)
    curve.insert(curve.columns.get_loc("score_low") + 1, "score_high", curve["score_mean"] + half)
    return curve


def _pool_and_test(test_indices, n):
    """The training pool and the test set of explicit test positions, checked."""
    test = np.asarray(test_indices)
    if test.ndim != 1 or test.size == 0 or not np.issubdtype(test.dtype, np.integer):
        raise ValueError(f"test_indices must be a non-empty 1-d array of integer positions; got "
                         f"{test_indices!r:.80}.")
    if test.min() < 0 or test.max() >= n:
        raise ValueError(f"test_indices must be positions in X, 0 to {n - 1}; got values from "
                         f"{test.min()} to {test.max()}.")
    if np.unique(test).size != test.size:
        raise ValueError("test_indices hold repeated positions; each light curve is tested once.")
    pool = np.setdiff1d(np.arange(n), test)
    if pool.size == 0:
        raise ValueError("test_indices hold every light curve: no training pool is left.")
    return pool, test


def _model_of(strategy, estimator, scratch_estimator, baselines):
    if strategy in baselines:
        return baselines[strategy]
    if strategy == "scratch" and scratch_estimator is not None:
        return scratch_estimator
    return estimator


def _kind(strategy, baselines):
    return "baseline" if strategy in baselines else strategy


def _half_width(std, n, confidence=0.95):
    """Half-width of the Student-t confidence interval of a mean of ``n`` values (NaN for n < 2)."""
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore"):
        t = stats.t.ppf(0.5 + confidence / 2, np.where(n > 1, n - 1, np.nan))
        return np.where(n > 1, t * np.asarray(std, dtype=float) / np.sqrt(n), np.nan)


def mean_interval(values, confidence=0.95):
    """Mean of ``values`` and its Student-t confidence interval.

    Parameters
    ----------
    values : array-like of float
        One value per repeat (NaN are left out).
    confidence : float, default=0.95

    Returns
    -------
    mean, low, high : float
        ``low`` and ``high`` are NaN with fewer than two values; with values
        that do not vary (an untrained strategy) they equal the mean.
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return np.nan, np.nan, np.nan
    mean = float(values.mean())
    half = float(_half_width(values.std(ddof=1) if values.size > 1 else np.nan, values.size,
                             confidence))
    return mean, mean - half, mean + half


def _fit_and_score(estimator, X, y, train, test, strategy, seed, scorer, transfer_params,
                   scratch_params, threads, keep_estimator=False):
    """One fit and its score, with ``threads`` torch, OpenMP and BLAS threads when given.

    Parallel workers divide the cores among them for every thread pool: two
    boosting fits with two OpenMP threads each on two cores run slower than
    with one each, and spend twice the CPU.
    """
    from contextlib import nullcontext

    import torch
    from threadpoolctl import threadpool_limits

    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        with threadpool_limits(threads) if threads is not None else nullcontext():
            result = _fit_once(estimator, X, y, train, test, strategy, seed, scorer,
                               transfer_params, scratch_params)
    finally:
        torch.set_num_threads(previous)
    if not keep_estimator:
        result.pop("estimator")
    return result


def _fit_once(estimator, X, y, train, test, strategy, seed, scorer, transfer_params,
              scratch_params):
    if strategy == "scratch":
        model = clone(estimator)
        model.set_params(**_seed_params(model, seed), **(scratch_params or {}))
    elif strategy == "zero-shot":
        model = ZeroShotClassifier(estimator, class_map=(transfer_params or {}).get("class_map"))
    elif strategy == "baseline":
        model = clone(estimator)
        model.set_params(**_seed_params(model, seed))
    else:
        params = {**STRATEGIES[strategy], **(transfer_params or {})}
        model = TransferClassifier(estimator, random_state=seed, **params)
    start = time.perf_counter()
    # Warnings (e.g. a validation split falling back at tiny fractions) are
    # kept with the fit's results rather than printed once per fit.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X[train], y[train])
    elapsed = time.perf_counter() - start
    final = model[-1] if hasattr(model, "steps") else model
    return {"score": scorer(model, X[test], y[test]),
            "epochs": getattr(final, "best_epoch_", np.nan),
            "epochs_trained": getattr(final, "n_epochs_", np.nan), "time": elapsed,
            "warnings": "; ".join(sorted({str(w.message) for w in caught})), "estimator": model}


def _seed_params(model, seed):
    return {key: seed for key in model.get_params() if key.split("__")[-1] == "random_state"}


def _stratified_order(y, rng):
    """A random order of the examples within each class (rank of each example)."""
    rank = np.empty(len(y), dtype=np.int64)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        rank[members] = rng.permutation(len(members))
    return rank


def _nested_subset(y, rank, size):
    """The first ``size`` of each class by rank (at least 2 per class): nested in size."""
    keep = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        members = y == label
        n = max(min(2, members.sum()), int(np.ceil(size * members.sum())))
        keep |= members & (rank < n)
    return np.flatnonzero(keep)


def _progress(jobs, verbose):
    if not verbose:
        return jobs
    from tqdm.auto import tqdm

    return tqdm(jobs, desc="learning curve", unit="fit")


def headline_numbers(fits, *, strategy="transfer", baseline="scratch", at=0.3, confidence=0.95):
    """The paper's headline numbers measured on a learning curve, with their uncertainty.

    Parameters
    ----------
    fits : DataFrame
        The per-fit table of :func:`transfer_learning_curve` (``return_fits=True``):
        one row per repeat, fraction and strategy. A curve (one row per
        fraction and strategy, no ``repeat`` column) is read as a single
        repeat, without intervals.
    strategy : str, default="transfer"
        The transfer strategy to report.
    baseline : str, default="scratch"
        The strategy whose score with all labels is the baseline.
    at : float, default=0.3
        The label fraction at which to report the share of the baseline
        (linearly interpolated between measured fractions, within each repeat).
    confidence : float, default=0.95

    Returns
    -------
    numbers : dict
        ``baseline_score`` (the baseline with the largest fraction, mean over
        repeats); ``match_fraction``: the smallest fraction at which the
        strategy's mean score, paired by repeat, reaches the baseline's (NaN
        if it never does); ``match_resolved``: whether the data pin that
        fraction down: at every smaller fraction the strategy is below the
        baseline beyond the interval (the upper bound of the paired
        difference is below 0), and, when it never reaches it, it is below
        beyond the interval at the largest fraction too;
        ``match_fraction_earliest``: the smallest fraction at which a match
        cannot be excluded (the paired difference's upper bound is 0 or
        more); ``share_of_baseline_at`` with ``share_low`` and
        ``share_high`` (the strategy's score at ``at`` over the baseline,
        per repeat, mean and interval); ``n_repeats``.

    Notes
    -----
    The intervals are Student-t intervals of the mean over repeats; each
    repeat has its own label subsets and seed, and the test set is shared.
    """
    if "repeat" not in fits.columns:
        fits = fits.rename(columns={"score_mean": "score"}).assign(repeat=0)
    missing = sorted({strategy, baseline} - set(fits["strategy"]))
    if missing:
        raise ValueError(f"The curve needs both strategies {strategy!r} and {baseline!r}; it has "
                         f"{sorted(fits['strategy'].unique())}.")
    scores = fits.pivot_table(index="repeat", columns=["strategy", "train_size"], values="score")
    ours, base = scores[strategy], scores[baseline]
    reference = base[base.columns.max()]
    difference = ours.sub(reference, axis=0)
    sizes = np.asarray(ours.columns, dtype=float)
    summary = np.array([mean_interval(difference[size], confidence) for size in ours.columns])
    mean, high = summary[:, 0], summary[:, 2]
    reached = np.flatnonzero(mean >= 0)
    possible = np.flatnonzero(~(high < 0))  # NaN bounds (one repeat) cannot exclude a match
    match = float(sizes[reached[0]]) if reached.size else float("nan")
    earliest = float(sizes[possible[0]]) if possible.size else float("nan")
    if reached.size:
        resolved = bool(np.all(high[:reached[0]] < 0))
    else:
        resolved = bool(high[-1] < 0)
    shares = [np.interp(at, sizes, ours.loc[r].to_numpy()) / reference.loc[r] for r in ours.index]
    share, share_low, share_high = mean_interval(shares, confidence)
    return {
        "baseline_score": float(reference.mean()), "match_fraction": match,
        "match_resolved": resolved, "match_fraction_earliest": earliest,
        "share_of_baseline_at": share, "share_low": share_low, "share_high": share_high,
        "n_repeats": int(len(ours.index)),
    }
