import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score
from sklearn.pipeline import make_pipeline

from skltransient import (FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler,
                          headline_numbers, transfer_learning_curve)
from skltransient.transfer import learning_curve_summary, mean_interval
from skltransient.transfer._learning_curve import _nested_subset, _stratified_order
from skltransient.utils._testing import make_toy_lightcurves


@pytest.fixture(scope="module")
def base():
    X, y = make_toy_lightcurves(150, 3, random_state=0)
    clf = GRUClassifier(hidden_size=16, num_layers=1, head_size=16, max_epochs=25, lr=1e-2, random_state=0)
    return make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler(), clf).fit(X, y)


def test_learning_curve_table(base):
    """Check the table's rows, counts and spreads, and the per-fit results."""
    X, y = make_toy_lightcurves(60, 3, random_state=4, bands=("lsstg", "lsstr"))
    curve, fits = transfer_learning_curve(
        base, X, y, train_sizes=(0.2, 1.0), strategies=("scratch", "transfer", "frozen"), n_repeats=2,
        transfer_params={"max_epochs": 3}, scratch_params={"gruclassifier__max_epochs": 3},
        random_state=0, return_fits=True)
    assert len(curve) == 6
    assert set(curve["strategy"]) == {"scratch", "transfer", "frozen"}
    assert curve.loc[curve.train_size == 1.0, "n_train"].tolist() == [42.0] * 3
    assert curve.loc[curve.train_size == 0.2, "n_train"].tolist() == [9.0] * 3
    assert curve["score_std"].notna().all() and curve["epochs_mean"].between(1, 3).all()
    assert len(fits) == 12 and fits["score"].between(0, 1).all()
    # Every fit ran its 3 epochs; "epochs" counts to the best validation epoch among them.
    assert fits["epochs_trained"].eq(3).all() and fits["epochs"].between(1, 3).all()


def test_learning_curve_epochs_to_best_validation_epoch(base, scripted_valid_loss):
    """Check that the curve's epochs count to the best validation epoch, not the patience after it."""
    X, y = make_toy_lightcurves(60, 3, random_state=4, bands=("lsstg", "lsstr"))
    early = {"validation_fraction": 0.3, "n_iter_no_change": 3, "max_epochs": 20,
             "callbacks": scripted_valid_loss}
    curve, fits = transfer_learning_curve(
        base, X, y, train_sizes=(1.0,), n_repeats=1, transfer_params=early,
        scratch_params={f"gruclassifier__{k}": v
                        for k, v in {**early, "early_stopping": True}.items()},
        random_state=0, return_fits=True)
    assert fits["epochs"].tolist() == [3, 3] and fits["epochs_trained"].tolist() == [6, 6]
    assert curve["epochs_mean"].tolist() == [3.0, 3.0]


def test_transfer_beats_scratch_with_few_labels(base):
    """Check that with few target labels transfer outscores scratch on a related task."""
    X, y = make_toy_lightcurves(150, 3, random_state=7, bands=("lsstg", "lsstr"))
    curve = transfer_learning_curve(base, X, y, train_sizes=(0.1,), n_repeats=2,
                                    transfer_params={"max_epochs": 5, "lr": 1e-3},
                                    scratch_params={"gruclassifier__max_epochs": 5}, random_state=0)
    score = curve.set_index("strategy")["score_mean"]
    assert score["transfer"] > score["scratch"] + 0.1


def test_nested_stratified_subsets():
    """Check that subsets are stratified, nested and hold at least 2 per class."""
    y = np.array(["a"] * 50 + ["b"] * 10)
    rank = _stratified_order(y, np.random.RandomState(0))
    small, large = _nested_subset(y, rank, 0.1), _nested_subset(y, rank, 0.5)
    assert set(small) <= set(large)
    assert (y[small] == "a").sum() == 5 and (y[small] == "b").sum() == 2
    assert (y[large] == "a").sum() == 25 and (y[large] == "b").sum() == 5


def test_headline_numbers_of_a_single_curve():
    """Check the match fraction and the share at 30% on a known curve (one repeat, no interval)."""
    curve = pd.DataFrame({
        "train_size": [0.1, 0.25, 0.5, 1.0] * 2,
        "strategy": ["scratch"] * 4 + ["transfer"] * 4,
        "score_mean": [0.4, 0.5, 0.6, 0.8, 0.6, 0.81, 0.85, 0.9],
    })
    numbers = headline_numbers(curve)
    assert numbers["baseline_score"] == 0.8
    assert numbers["match_fraction"] == 0.25
    assert numbers["share_of_baseline_at"] == pytest.approx((0.81 + 0.2 * 0.04) / 0.8)
    # One repeat: no interval, so no match can be excluded and none is resolved.
    assert np.isnan(numbers["share_low"]) and not numbers["match_resolved"]
    with pytest.raises(ValueError, match="needs both strategies 'frozen'"):
        headline_numbers(curve, strategy="frozen")


def _fits(transfer, scratch, sizes=(0.1, 0.3, 1.0)):
    """A per-fit table from per-repeat score lists of each strategy, by fraction."""
    rows = [{"repeat": r, "train_size": size, "strategy": name, "score": score}
            for name, scores in (("transfer", transfer), ("scratch", scratch))
            for r, per_size in enumerate(scores) for size, score in zip(sizes, per_size)]
    return pd.DataFrame(rows)


def test_headline_numbers_resolved_match_with_intervals():
    """Check a match pinned down by the repeats: clearly below before, level from 30%."""
    fits = _fits(transfer=[[0.50, 0.80, 0.85], [0.52, 0.81, 0.86], [0.51, 0.79, 0.84]],
                 scratch=[[0.30, 0.60, 0.80], [0.31, 0.61, 0.80], [0.29, 0.62, 0.79]])
    numbers = headline_numbers(fits)
    assert numbers["match_fraction"] == 0.3 and numbers["match_resolved"]
    assert numbers["n_repeats"] == 3
    shares = [0.80 / 0.80, 0.81 / 0.80, 0.79 / 0.79]
    assert numbers["share_of_baseline_at"] == pytest.approx(np.mean(shares))
    assert numbers["share_low"] < numbers["share_of_baseline_at"] < numbers["share_high"]


def test_headline_numbers_unresolved_when_intervals_overlap():
    """Check that a match the repeats cannot pin down is reported as not resolved."""
    # At 10 % transfer is below on average but above in one repeat: a match cannot be excluded.
    fits = _fits(transfer=[[0.70, 0.82, 0.85], [0.85, 0.83, 0.86], [0.72, 0.81, 0.84]],
                 scratch=[[0.30, 0.60, 0.80], [0.31, 0.61, 0.80], [0.29, 0.62, 0.79]])
    numbers = headline_numbers(fits)
    assert numbers["match_fraction"] == 0.3
    assert numbers["match_fraction_earliest"] == 0.1 and not numbers["match_resolved"]


def test_learning_curve_summary_of_fits_and_of_an_added_strategy():
    """Check that the summary of a per-fit table is the learning curve of those fits, and that a
    strategy without epochs or times (e.g. two models' probabilities averaged) gets its mean and
    interval with NaN epochs."""
    fits = pd.DataFrame({"repeat": [0, 1, 0, 1], "train_size": [0.5] * 4, "n_train": [10] * 4,
                         "strategy": ["transfer", "transfer", "scratch", "scratch"],
                         "score": [0.6, 0.8, 0.4, 0.5], "epochs": [3.0, 5.0, 7.0, 9.0],
                         "time": [1.0, 1.0, 2.0, 2.0]})
    added = pd.DataFrame({"repeat": [0, 1], "train_size": [0.5, 0.5], "n_train": [10, 10],
                          "strategy": ["mean", "mean"], "score": [0.7, 0.9]})
    curve = learning_curve_summary(pd.concat([fits, added], ignore_index=True)).set_index("strategy")
    mean, low, high = mean_interval(np.array([0.7, 0.9]))
    np.testing.assert_allclose(curve.loc["mean", ["score_mean", "score_low", "score_high"]],
                               [mean, low, high])
    assert np.isnan(curve.loc["mean", "epochs_mean"])
    assert curve.loc["transfer", "epochs_mean"] == 4.0 and curve.loc["scratch", "n_repeats"] == 2
    np.testing.assert_allclose(curve.loc["transfer", "score_mean"], 0.7)


def test_mean_interval_is_students_t():
    """Check the mean and its 95% Student-t interval, and the degenerate cases."""
    from scipy import stats

    values = [0.5, 0.6, 0.7]
    mean, low, high = mean_interval(values)
    half = stats.t.ppf(0.975, 2) * np.std(values, ddof=1) / np.sqrt(3)
    assert mean == pytest.approx(0.6) and (low, high) == pytest.approx((0.6 - half, 0.6 + half))
    assert np.isnan(mean_interval([0.5])[1]) and mean_interval([0.4, 0.4])[1:] == (0.4, 0.4)


def test_learning_curve_zero_shot_and_scratch_estimator(base):
    """Check that zero-shot is scored once (the same in every repeat) and that scratch trains
    the given scratch estimator, not a clone of the base."""
    X, y = make_toy_lightcurves(60, 3, random_state=4, bands=("lsstg", "lsstr"))
    scratch = make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler(),
                            GRUClassifier(hidden_size=4, num_layers=1, head_size=4, max_epochs=2))
    curve, fits = transfer_learning_curve(
        base, X, y, train_sizes=(0.3, 1.0), strategies=("zero-shot", "scratch"), n_repeats=2,
        scratch_estimator=scratch, random_state=0, return_fits=True)
    zero = fits[fits.strategy == "zero-shot"]
    assert len(zero) == 4 and zero["score"].nunique() == 1
    assert (curve.loc[curve.strategy == "zero-shot", "score_low"]
            == curve.loc[curve.strategy == "zero-shot", "score_mean"]).all()
    assert fits.loc[fits.strategy == "scratch", "epochs_trained"].eq(2).all()


def test_learning_curve_bad_arguments(base):
    """Check errors for unknown strategies and fractions out of range."""
    X, y = make_toy_lightcurves(30, 3)
    with pytest.raises(ValueError, match="Unknown strategies \\['magic'\\]"):
        transfer_learning_curve(base, X, y, strategies=("magic",))
    with pytest.raises(ValueError, match="fractions in \\(0, 1\\]"):
        transfer_learning_curve(base, X, y, train_sizes=(0.0, 1.5))


def test_learning_curve_baselines_train_on_the_same_subsets(base):
    """Check that a baseline estimator joins the curve as a strategy, on the same subsets."""
    from sklearn.dummy import DummyClassifier
    from sklearn.base import BaseEstimator, ClassifierMixin

    class Counting(ClassifierMixin, BaseEstimator):
        """Predicts the majority class; remembers how many light curves it was fitted on."""

        def __init__(self, random_state=None):
            self.random_state = random_state

        def fit(self, X, y):
            self.dummy_ = DummyClassifier().fit(np.zeros((len(X), 1)), y)
            self.classes_ = self.dummy_.classes_
            return self

        def predict(self, X):
            return self.dummy_.predict(np.zeros((len(X), 1)))

    X, y = make_toy_lightcurves(60, 3, random_state=1)
    curve, fits = transfer_learning_curve(
        base, X, y, train_sizes=(0.5, 1.0), strategies=("transfer",), baselines={"majority": Counting()},
        n_repeats=1, transfer_params={"max_epochs": 1}, random_state=0, return_fits=True)
    assert sorted(set(curve["strategy"])) == ["majority", "transfer"]
    by = fits.set_index(["train_size", "strategy"])
    for size in (0.5, 1.0):
        assert by.loc[(size, "majority"), "n_train"] == by.loc[(size, "transfer"), "n_train"]
    assert np.isnan(by["epochs"].xs("majority", level="strategy")).all()
    with pytest.raises(ValueError, match=r"baselines \['scratch'\] have the names of built-in"):
        transfer_learning_curve(base, X, y, baselines={"scratch": Counting()})


def test_learning_curve_given_test_indices_and_estimators(base):
    """Check that explicit test indices are the held-out set and that the fitted models come back."""
    X, y = make_toy_lightcurves(60, 3, random_state=4, bands=("lsstg", "lsstr"))
    test = np.arange(0, 60, 3)
    curve, fits = transfer_learning_curve(
        base, X, y, train_sizes=(0.5, 1.0), strategies=("zero-shot", "scratch", "transfer"),
        n_repeats=1, transfer_params={"max_epochs": 1}, scratch_params={"gruclassifier__max_epochs": 1},
        test_indices=test, random_state=0, return_fits=True, return_estimators=True)
    # The pool is everything else: 40 light curves at 100 %.
    assert fits.loc[fits.train_size == 1.0, "n_train"].eq(40).all()
    for _, row in fits.iterrows():
        # Each model scores on the given test set what the table says it scores.
        predicted = row["estimator"].predict(X[test])
        assert f1_score(y[test], predicted, average="macro") == pytest.approx(row["score"])
    transfer = fits.loc[(fits.strategy == "transfer") & (fits.train_size == 1.0), "estimator"].item()
    assert type(transfer).__name__ == "TransferClassifier"


def test_learning_curve_rejects_bad_test_indices(base):
    """Check that test indices out of range, repeated or leaving no pool are refused by name."""
    X, y = make_toy_lightcurves(30, 3, random_state=4, bands=("lsstg", "lsstr"))
    for bad in ([0, 30], [1, 1], np.arange(30)):
        with pytest.raises(ValueError, match="test_indices"):
            transfer_learning_curve(base, X, y, test_indices=bad, n_repeats=1)
    with pytest.raises(ValueError, match="return_estimators"):
        transfer_learning_curve(base, X, y, return_estimators=True)


def test_learning_curve_workers_fit_with_one_openmp_thread(base, monkeypatch):
    """Check that parallel workers limit OpenMP and BLAS threads as they limit torch's (on two
    cores, two boosting fits with two OpenMP threads each run slower than with one)."""
    from threadpoolctl import threadpool_info

    from skltransient.transfer import _learning_curve

    seen = []
    original = _learning_curve._fit_once

    def spy(*args, **kwargs):
        seen.append({pool["user_api"]: pool["num_threads"] for pool in threadpool_info()})
        return original(*args, **kwargs)

    monkeypatch.setattr(_learning_curve, "_fit_once", spy)
    monkeypatch.setattr(_learning_curve.os, "cpu_count", lambda: 2)
    X, y = make_toy_lightcurves(30, 3, random_state=4, bands=("lsstg", "lsstr"))
    # A threading backend keeps the spy in this process; the limit is the same in loky workers.
    from joblib import parallel_backend
    with parallel_backend("threading"):
        transfer_learning_curve(base, X, y, train_sizes=(1.0,), strategies=("scratch",),
                                n_repeats=1, scratch_params={"gruclassifier__max_epochs": 1},
                                n_jobs=2, random_state=0)
    assert seen and all(threads == 1 for pools in seen for threads in pools.values())
