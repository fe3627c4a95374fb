"""LightCurveFeatures: names, values, degenerate light curves, and use in scikit-learn."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

from skltransient import LightCurvePadder, LightCurves
from skltransient.utils._testing import make_toy_lightcurves

light_curve = pytest.importorskip("light_curve")
from skltransient.features import LightCurveFeatures  # noqa: E402


def one_object(**changes):
    data = dict(object_id=["a"] * 6, time=[0.0, 1.0, 2.0, 3.0, 5.0, 8.0],
                band=["ztfg", "ztfr", "ztfg", "ztfr", "ztfg", "ztfr"],
                flux=[1.0, 2.0, 8.0, 4.0, 3.0, 1.0], flux_err=[0.5] * 6)
    data.update(changes)
    detected = data.pop("detected", None)
    metadata = pd.DataFrame({"redshift": [0.1], "mwebv": [0.02]}, index=["a"])
    return LightCurves.from_arrays(*data.values(), detected=detected, metadata=metadata)


def column(features, X, name):
    return features.transform(X)[:, list(features.get_feature_names_out()).index(name)]


def test_features_names_and_shape():
    """Check that there is one name per column: per-band features, colours, timing, metadata."""
    X, _ = make_toy_lightcurves(12, bands=("ztfr", "ztfg", "ztfi"))
    features = LightCurveFeatures().fit(X)
    names = features.get_feature_names_out().tolist()
    out = features.transform(X)
    assert out.shape == (12, len(names)) and len(set(names)) == len(names)
    assert features.bands_ == ["ztfg", "ztfr", "ztfi"]  # by wavelength, not first appearance
    assert names[0] == "ztfg_amplitude"
    assert "colour_ztfg_ztfr" in names and "colour_ztfr_ztfi" in names
    assert names[-2:] == ["redshift", "mwebv"]


def test_features_values_match_the_light_curve_package():
    """Check the per-band values against light-curve's extractor called on that band alone."""
    X = one_object()
    features = LightCurveFeatures().fit(X)
    out = features.transform(X)[0]
    n = len(light_curve.Extractor(light_curve.Amplitude()).names)
    g = X.band_names == "ztfg"
    extractor = light_curve.Extractor(light_curve.Amplitude(), light_curve.Mean(),
                                      light_curve.Duration())
    expected = extractor(X.time[g], X.flux[g], X.flux_err[g])
    names = features.get_feature_names_out().tolist()
    got = [out[names.index(f"ztfg_{name}")] for name in ("amplitude", "mean", "duration")]
    np.testing.assert_allclose(got, expected)
    assert n == 1


def test_features_peak_colour_and_timing():
    """Check colours from the bands' peak fluxes and the peak's timing relative to the trigger."""
    X = one_object(detected=[False, False, True, True, True, False])
    features = LightCurveFeatures().fit(X)
    assert column(features, X, "colour_ztfg_ztfr")[0] == pytest.approx(-2.5 * np.log10(8 / 4))
    assert column(features, X, "log_peak_flux")[0] == pytest.approx(np.log10(8))
    assert column(features, X, "peak_time_since_trigger")[0] == 0.0  # trigger = first detection
    assert column(features, X, "rise_time")[0] == 2.0
    assert column(features, X, "decline_time")[0] == 6.0
    assert column(features, X, "detected_span")[0] == 3.0
    assert column(features, X, "redshift")[0] == pytest.approx(0.1)


@pytest.mark.parametrize("X", [
    LightCurves.from_arrays(["a"], [0.0], ["ztfg"], [5.0], [1.0]),  # one point
    LightCurves.from_arrays(["a"] * 3, [0.0, 1.0, 1.0], ["ztfg"] * 3, [1.0, 2.0, 3.0], [1.0] * 3),
    LightCurves.from_arrays(["a"] * 4, [0.0, 1.0, 2.0, 3.0], ["ztfg"] * 4, [-1.0, -2.0, -3.0, -1.0],
                            [1.0] * 4),  # all negative
    LightCurves.from_arrays(["a"] * 4, [0.0, 1.0, 2.0, 3.0], ["ztfg", "ztfg", "ztfr", "ztfr"],
                            [3.0, 4.0, 0.0, 0.0], [1.0] * 4),  # a zero peak: infinite colour
], ids=["one point", "repeated time", "all negative", "zero peak"])
def test_features_degenerate_light_curves_are_finite_or_nan(X):
    """Check that degenerate light curves give finite or NaN output (never inf) that boosting takes."""
    toy, _ = make_toy_lightcurves(6, n_classes=2)
    toy = LightCurves(toy.object_ids, toy.offsets, toy.time, toy.band, toy.flux, toy.flux_err,
                      metadata=toy.metadata.iloc[:, :0])
    both = LightCurves.concatenate([X, toy])
    features = LightCurveFeatures(bands=["ztfg", "ztfr"], metadata_columns=()).fit(both)
    out = features.transform(both)
    assert not np.isinf(out).any()
    names = features.get_feature_names_out().tolist()
    if not (X.band_names == "ztfr").any():
        assert np.isnan(out[0, names.index("ztfr_amplitude")])
    else:
        assert np.isnan(out[0, names.index("colour_ztfg_ztfr")])
    y = ["x"] + ["y", "z"] * 3
    HistGradientBoostingClassifier(max_iter=2).fit(out, y).predict(out)


def test_features_of_an_object_do_not_depend_on_the_others():
    """Check that an object's row is the same alone and in a collection (no leakage across rows)."""
    X, _ = make_toy_lightcurves(20)
    features = LightCurveFeatures().fit(X)
    np.testing.assert_array_equal(features.transform(X)[[7]], features.transform(X[[7]]))


def test_features_warn_on_ignored_bands_and_missing_metadata():
    """Check the warnings that name an ignored band and a missing metadata column."""
    X, _ = make_toy_lightcurves(8, bands=("ztfg", "ztfr", "ztfi"))
    features = LightCurveFeatures(bands=["ztfg", "ztfr"], metadata_columns=("redshift", "hostz"))
    with pytest.warns(UserWarning, match=r"bands \['ztfi'\].*ignored"):
        out = features.fit(X).transform(X)
    with pytest.warns(UserWarning, match="'hostz' is not in the light curves' metadata"):
        out = features.transform(X)
    assert np.isnan(out[:, -1]).all() and out.shape[1] == len(features.get_feature_names_out())


def test_features_refuse_bad_input():
    """Check the errors for input that is not a LightCurves, and for an unknown band name."""
    with pytest.raises(TypeError, match="expects a skltransient.LightCurves, got ndarray"):
        LightCurveFeatures().fit(np.zeros((3, 2)))
    X, _ = make_toy_lightcurves(4)
    with pytest.raises(ValueError, match="Unknown band 'ztfq'"):
        LightCurveFeatures(bands=["ztfq"]).fit(X)


def periodic(period, *, n=120, days=1000.0, seed=0):
    """Two bands of one sinusoid with its own mean and amplitude in each band, sparsely sampled."""
    rng = np.random.default_rng(seed)
    time = np.sort(rng.uniform(0.0, days, n))
    band = np.where(rng.random(n) < 0.5, "lsstg", "lssti")
    mean, amplitude = np.where(band == "lsstg", 100.0, 400.0), np.where(band == "lsstg", 10.0, 60.0)
    flux = mean + amplitude * np.sin(2 * np.pi * time / period) + rng.normal(0.0, 2.0, n)
    return LightCurves.from_arrays(["v"] * n, time, band, flux, np.full(n, 2.0))


@pytest.mark.parametrize("period", [0.31, 0.57, 3.7, 180.0])
def test_features_periodogram_finds_the_period_of_a_variable_sampled_in_two_bands(period):
    """Check the periodogram's best period: the variable's to half a frequency step, in two colours."""
    X = periodic(period)
    features = LightCurveFeatures(periodogram=True, metadata_columns=()).fit(X)
    found = column(features, X, "periodogram_period_0")[0]
    step = 2 * np.pi / 0.1 / 2**14  # the documented grid of angular frequencies
    assert abs(2 * np.pi / found - 2 * np.pi / period) <= step / 2
    assert column(features, X, "periodogram_period_s_to_n_0")[0] > 5


def test_features_periodogram_pools_the_bands_after_standardising_each():
    """Check that each band is standardised: a band's offset and scale do not change the result."""
    X = periodic(0.57)
    shifted = LightCurves.from_arrays(
        X.object_ids[X.object_index], X.time, X.band_names,
        np.where(X.band_names == "lsstg", 7.0 * X.flux + 1e4, X.flux),
        np.where(X.band_names == "lsstg", 7.0 * X.flux_err, X.flux_err))
    features = LightCurveFeatures(periodogram=True, metadata_columns=()).fit(X)
    names = [name for name in features.get_feature_names_out() if name.startswith("periodogram")]
    for name in names:
        assert column(features, shifted, name)[0] == pytest.approx(column(features, X, name)[0])


def test_features_periodogram_names_width_and_short_light_curves():
    """Check four named columns before the metadata, NaN below three observations, and no inf."""
    X, _ = make_toy_lightcurves(10)
    short = LightCurves.from_arrays(["s", "s"], [0.0, 1.0], ["ztfg", "ztfr"], [1.0, 2.0], [0.1] * 2,
                                    metadata=X.metadata.iloc[:1].set_axis(["s"]))
    both = LightCurves.concatenate([X, short])
    plain = LightCurveFeatures(metadata_columns=()).fit(both)
    features = LightCurveFeatures(periodogram=True, metadata_columns=()).fit(both)
    names = features.get_feature_names_out().tolist()
    assert names[-4:] == ["periodogram_period_0", "periodogram_period_s_to_n_0",
                          "periodogram_period_1", "periodogram_period_s_to_n_1"]
    out = features.transform(both)
    assert out.shape == (11, len(plain.get_feature_names_out()) + 4)
    np.testing.assert_array_equal(out[:, :-4], plain.transform(both))
    assert np.isnan(out[-1, -4:]).all() and np.isfinite(out[:-1, -4:]).all()
    np.testing.assert_array_equal(features.transform(both[[3]]), out[[3]])


def test_features_with_boosting_in_grid_search_and_cross_validation():
    """Check the baseline pipeline composes with GridSearchCV and cross_val_score and learns."""
    X, y = make_toy_lightcurves(90)
    model = make_pipeline(LightCurveFeatures(), HistGradientBoostingClassifier(random_state=0))
    scores = cross_val_score(model, X, y, cv=3)
    assert scores.mean() > 0.6  # three classes, chance is 1/3
    search = GridSearchCV(model, {"histgradientboostingclassifier__max_iter": [5, 20]}, cv=2)
    search.fit(X, y)
    assert search.best_estimator_.predict_proba(X[:3]).shape == (3, 3)


@pytest.mark.parametrize("make", [lambda cols: LightCurveFeatures(metadata_columns=cols),
                                  lambda cols: LightCurvePadder(metadata_columns=cols)])
def test_simulation_truth_as_metadata_is_warned_about(make):
    """Check that the simulator's true_* columns as model inputs are warned about by name:
    a baseline given them scores 0.92 macro F1 instead of 0.72 on simulated ZTF."""
    from skltransient.datasets import simulate

    X, _ = simulate("ztf", 20, random_state=0, return_X_y=True)
    with pytest.warns(UserWarning, match=r"\['true_peak_absmag'\], which are simulation truth"):
        make(("redshift", "true_peak_absmag")).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make(("redshift", "mwebv")).fit(X)


def test_fill_empty_features_keeps_missing_values_but_not_empty_columns():
    """Check the baseline's guard: columns all NaN in fit become 0, other NaNs stay NaN, so
    gradient boosting fits on a training set where a band is never observed."""
    from skltransient.recipes import features_pipeline
    from skltransient.features._features import FillEmptyFeatures

    X = np.array([[1.0, np.nan, np.nan], [2.0, np.nan, 3.0]])
    fill = FillEmptyFeatures().fit(X)
    out = fill.transform(np.array([[np.nan, 5.0, np.nan]]))
    assert np.isnan(out[0, 0]) and out[0, 1] == 0.0 and np.isnan(out[0, 2])
    lc, y = make_toy_lightcurves(30, 2, random_state=0, bands=("ztfg", "ztfr"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        young = lc.truncate(max_time=lc.time[lc.offsets[:-1]] + 0.5)  # one point each
        model = features_pipeline(random_state=0).fit(young, y)
    assert model.predict_proba(young).shape == (30, 2)


def test_predict_proba_at_by_truncation_for_the_feature_baseline():
    """Check that predict_proba_at takes the feature baseline: equal to predicting on the light
    curves cut at each day, NaN for an object not observed yet."""
    from skltransient.early import predict_proba_at

    X, y = make_toy_lightcurves(40, 2, random_state=3, bands=("ztfg", "ztfr"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = make_pipeline(LightCurveFeatures(), HistGradientBoostingClassifier(max_iter=20)).fit(X, y)
        # Toy triggers are the first observations: nothing is observed a day before.
        days = [-1.0, 1.0, 10.0]
        proba = predict_proba_at(model, X, days)
        assert proba.shape == (40, 3, 2)
        assert np.isnan(proba[:, 0]).all() and not np.isnan(proba[:, 1:]).any()
        for j, day in enumerate(days[1:], start=1):
            cutoff = X.trigger_time + day
            seen = np.flatnonzero(X.time[X.offsets[:-1]] <= cutoff)
            expected = model.predict_proba(X[seen].truncate(max_time=cutoff[seen]))
            np.testing.assert_array_equal(proba[seen, j], expected)
            unseen = np.setdiff1d(np.arange(40), seen)
            assert np.isnan(proba[unseen, j]).all()
    with pytest.raises(TypeError, match="predict_proba_at needs a GRU model"):
        predict_proba_at(model, np.zeros((3, 4, 2)), [1.0])


def test_tuned_baseline_learns_from_a_few_dozen_labels():
    """Check that the tuned feature baseline is a real yardstick at the smallest label budgets:
    with 30 light curves of two well-separated classes (folds of 20), its grid holds trees
    that can split, so it separates the classes instead of predicting one prior for all."""
    from skltransient.recipes import features_pipeline

    X, y = make_toy_lightcurves(30, 2, random_state=0, bands=("ztfg", "ztfr"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = features_pipeline(tuned=True, random_state=0).fit(X, y)
        predicted = model.predict(X)
    assert len(np.unique(predicted)) == 2
    assert np.mean(predicted == y) > 0.8
