import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline

from skltransient import (
    FluxNormalizer,
    GRUClassifier,
    LightCurvePadder,
    LightCurves,
    MetadataScaler,
    TransferClassifier,
)
from skltransient.early import ClassificationStream, predict_proba_at, predict_proba_over_time
from skltransient.datasets import simulate
from skltransient.utils._testing import make_toy_lightcurves

SMALL = dict(hidden_size=12, num_layers=2, head_size=12, metadata_size=4, random_state=0)


@pytest.fixture(scope="module")
def data():
    X, y = make_toy_lightcurves(40, 3, random_state=2)
    return X, y


@pytest.fixture(scope="module")
def causal(data):
    model = make_pipeline(LightCurvePadder(), FluxNormalizer("running_peak"), MetadataScaler(),
                          GRUClassifier(**SMALL, max_epochs=3))
    return model.fit(*data)


@pytest.fixture(scope="module")
def causal_attention(data):
    """A model that pools its states with attention (GRUClassifier(pooling="attention"))."""
    model = make_pipeline(LightCurvePadder(), FluxNormalizer("snr"), MetadataScaler(),
                          GRUClassifier(**SMALL, pooling="attention", max_epochs=3))
    return model.fit(*data)


@pytest.fixture(scope="module")
def causal_mean(data):
    """A model that pools its states by their running mean (GRUClassifier(pooling="mean"))."""
    model = make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler(),
                          GRUClassifier(**SMALL, pooling="mean", max_epochs=3))
    return model.fit(*data)


@pytest.mark.parametrize("model_name", ["causal", "causal_snr", "causal_gap", "causal_attention",
                                        "causal_mean"])
def test_over_time_equals_truncated_inputs(data, model_name, request):
    """Check that the one-pass probabilities after step k equal those from the first k+1 observations."""
    X, _ = data
    causal = request.getfixturevalue(model_name)
    proba, times = predict_proba_over_time(causal, X)
    lengths = X.lengths
    assert proba.shape == (40, lengths.max(), 3)
    for k in (0, 3, 7):
        truncated = causal.predict_proba(X.truncate(n_observations=k + 1))
        np.testing.assert_allclose(proba[:, k], truncated, rtol=1e-5, atol=1e-6)
    last = proba[np.arange(40), lengths - 1]
    np.testing.assert_allclose(last, causal.predict_proba(X), rtol=1e-5, atol=1e-6)
    assert np.isnan(proba[lengths < lengths.max(), -1]).all()
    np.testing.assert_allclose(times[0, :lengths[0]], X.time[:lengths[0]])


def test_nights_over_time_equal_the_light_curves_cut_at_each_nights_end(data):
    """Check that one pass with night steps gives, after each night, the light curve cut at its
    last observation, and warns that a day within a night is another matter."""
    X, y = data
    model = make_pipeline(LightCurvePadder("nights"), FluxNormalizer("running_peak"),
                          MetadataScaler(), GRUClassifier(**SMALL, max_epochs=2)).fit(X, y)
    with pytest.warns(UserWarning, match="each night one step"):
        proba, times = predict_proba_over_time(model, X)
    for k in (0, 2, 5):
        has = ~np.isnan(times[:, k])
        cut = X[has].truncate(max_time=times[has, k])
        np.testing.assert_allclose(proba[has, k], model.predict_proba(cut), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="representation='nights'.* cannot be streamed"):
        ClassificationStream(model)


def test_over_time_warns_for_non_causal_normalisation(data):
    """Check the warning that a whole-curve normalisation leaks the future."""
    X, y = data
    model = make_pipeline(LightCurvePadder(), FluxNormalizer("peak"), MetadataScaler(),
                          GRUClassifier(**SMALL, max_epochs=1)).fit(X, y)
    with pytest.warns(UserWarning, match="scaled by information from the future"):
        predict_proba_over_time(model, X)


def test_predict_proba_at_days(data, causal):
    """Check probabilities at days since trigger against explicit truncation by time."""
    X, _ = data
    days = [-100.0, 5.0, 20.0]
    at = predict_proba_at(causal, X, days)
    assert at.shape == (40, 3, 3)
    assert np.isnan(at[:, 0]).all()
    cutoff = X.trigger_time + 20.0
    keep = X.time[X.offsets[:-1]] <= cutoff
    expected = causal.predict_proba(X[keep].truncate(max_time=cutoff[keep]))
    np.testing.assert_allclose(at[keep, 2], expected, rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def long_baseline():
    X, y = simulate("ztf", 150, trigger_window=(-400, 100), random_state=0, return_X_y=True)
    model = make_pipeline(LightCurvePadder(), FluxNormalizer("running_peak"),
                          MetadataScaler(), GRUClassifier(**SMALL, max_epochs=1))
    return X, model.fit(X, y)


def test_predict_proba_at_with_the_simulators_window(long_baseline):
    """Check the simulator's window on a year of forced photometry: at every day, before the
    trigger too, predictions equal those on the light curve cut then; long before the trigger
    the cut light curve has no detection, so its window is placed at its first observation."""
    X, unwindowed = long_baseline
    labels = unwindowed.predict(X)  # any labels of more than one class serve
    model = make_pipeline(LightCurvePadder(window=(-30, 100)), FluxNormalizer("running_peak"),
                          MetadataScaler(),
                          GRUClassifier(**SMALL, max_epochs=1)).fit(X, labels)
    first, trigger = X.time[X.offsets[:-1]], X.trigger_time
    days = [-200.0, 0.0, 12.5, 90.0]
    at = predict_proba_at(model, X, days)
    before = first < trigger - 30  # objects with observations years ahead
    assert before.sum() > 100
    for j, day in enumerate(days):
        keep = first <= trigger + day
        expected = model.predict_proba(X[keep].truncate(max_time=trigger[keep] + day))
        np.testing.assert_allclose(at[keep, j], expected, rtol=0, atol=1e-6)
        assert np.isnan(at[~keep, j]).all()
    assert not np.isnan(at[before & (first <= trigger - 200), 0]).any()


def test_predict_proba_at_equals_truncation_over_years_of_baseline(long_baseline):
    """Check that predictions at days since trigger equal predictions on light curves cut at that time, for every object."""
    X, model = long_baseline
    first, trigger = X.time[X.offsets[:-1]], X.trigger_time
    rows = X.time[X.offsets[0]:X.offsets[1]]
    observed = rows[np.searchsorted(rows, trigger[0], side="right") + 1]  # after object 0's trigger
    exact_day = observed - trigger[0]
    assert exact_day > 0 and trigger[0] + exact_day == observed
    days = [-200.0, 0.0, exact_day, 12.5]
    at = predict_proba_at(model, X, days)
    for j, day in enumerate(days):
        cutoff = trigger + day
        keep = first <= cutoff
        expected = model.predict_proba(X[keep].truncate(max_time=cutoff[keep]))
        np.testing.assert_allclose(at[keep, j], expected, rtol=0, atol=1e-6)
        assert np.isnan(at[~keep, j]).all()


def test_transfer_classifier_over_time(data, causal):
    """Check that TransferClassifier predicts over time through its transformers."""
    X, y = data
    tuned = TransferClassifier(causal, max_epochs=1, random_state=0).fit(X, y)
    proba = tuned.predict_proba_over_time(X)
    np.testing.assert_allclose(proba[np.arange(40), X.lengths - 1], tuned.predict_proba(X), rtol=1e-5, atol=1e-6)


@pytest.fixture(scope="module")
def causal_short(data):
    model = make_pipeline(LightCurvePadder(max_length=5), FluxNormalizer("running_peak"),
                          MetadataScaler(), GRUClassifier(**SMALL, max_epochs=3))
    return model.fit(*data)


@pytest.fixture(scope="module")
def causal_windowed(data):
    """A model that pads only the observations up to 40 days after trigger."""
    model = make_pipeline(LightCurvePadder(window=(-10, 40)), FluxNormalizer("running_peak"),
                          MetadataScaler(), GRUClassifier(**SMALL, max_epochs=3))
    return model.fit(*data)


@pytest.fixture(scope="module")
def causal_snr(data):
    """A model whose fluxes are each observation's signal-to-noise (FluxNormalizer('snr'))."""
    model = make_pipeline(LightCurvePadder(), FluxNormalizer("snr"), MetadataScaler(),
                          GRUClassifier(**SMALL, max_epochs=3))
    return model.fit(*data)


@pytest.fixture(scope="module")
def causal_gap(data):
    """A model with the gap channel (LightCurvePadder(gap_channel=True))."""
    model = make_pipeline(LightCurvePadder(gap_channel=True, window=(-30, 100)),
                          FluxNormalizer(), MetadataScaler(), GRUClassifier(**SMALL, max_epochs=3))
    return model.fit(*data)


@pytest.mark.parametrize("model_name", ["causal", "causal_short", "causal_windowed", "causal_snr",
                                        "causal_gap", "causal_attention", "causal_mean"])
def test_streaming_equals_predict_proba_at_every_step(data, model_name, request):
    """Check that streaming, observation by observation, equals the pipeline's predict_proba on the light curve so far."""
    X, _ = data
    model = request.getfixturevalue(model_name)
    stream = ClassificationStream(model)
    obs = X.to_pandas().sort_values(["time"], kind="stable")  # interleaved objects, as alerts arrive
    expected = np.stack([model.predict_proba(X.truncate(n_observations=k + 1))
                         for k in range(X.lengths.max())], axis=1)
    seen = pd.Series(0, index=X.object_ids)
    position = pd.Series(np.arange(len(X)), index=X.object_ids)
    for start in range(0, len(obs), 37):
        chunk = obs.iloc[start:start + 37]
        out = stream.update(chunk.object_id, chunk.time, chunk.band, chunk.flux, chunk.flux_err,
                            metadata=X.metadata)
        seen = seen.add(chunk.object_id.value_counts(), fill_value=0).astype(int)
        assert sorted(out.index) == sorted(chunk.object_id.unique())
        steps = seen[out.index].to_numpy() - 1
        np.testing.assert_allclose(out.to_numpy(), expected[position[out.index], steps],
                                   rtol=1e-5, atol=1e-6)
    assert stream.n_objects_ == 40


def _good_update(stream, object_ids, time):
    n = len(object_ids)
    return stream.update(object_ids, time, ["ztfg"] * n, [10.0] * n, [1.0] * n)


@pytest.mark.parametrize("bad, match", [
    (dict(object_id=["a", "new"], time=[5.0, 20.0]), "'a' got an observation earlier"),
    (dict(object_id=["a", "new"], time=[30.0]), r"time has shape \(1,\); expected \(2,\) like object_id"),
    (dict(object_id=["new", "a"], time=[20.0, 30.0], flux=[1.0, np.nan]), "'a' has non-finite flux"),
    (dict(object_id=["new"], time=[20.0], band=["ztfx"]), "ztfx"),
    (dict(object_id=["new", "a"], time=[20.0, 30.0],
          metadata=pd.DataFrame({"redshift": [0.1, 0.2]}, index=["new", "new"])), "'new'.*more than one"),
    (dict(object_id=["new", "a"], time=[20.0, 30.0], flux=[1.0, 1e300]),
     r"'a' has a flux of 1e\+300 .*beyond float32's range"),
    (dict(object_id=["new", "a"], time=[20.0, 30.0], flux_err=[1.0, 1e300]),
     r"'a' has a flux of 10 \(flux_err 1e\+300\) beyond float32's range"),
    (dict(object_id=["new", "a"], time=[20.0, 1e300]),
     r"'a' has a time 1e\+300"),
])
def test_streaming_bad_update_changes_nothing(causal, bad, match):
    """Check that a refused update registers no object and leaves every object's state as it was."""
    stream, reference = ClassificationStream(causal), ClassificationStream(causal)
    for s in (stream, reference):
        _good_update(s, ["a", "b"], [10.0, 11.0])
    n = len(bad["object_id"])
    kwargs = dict(band=["ztfg"] * n, flux=[10.0] * n, flux_err=[1.0] * n, metadata=None)
    kwargs.update({k: v for k, v in bad.items() if k not in ("object_id", "time")})
    with pytest.raises(ValueError, match=match):
        stream.update(bad["object_id"], bad["time"], kwargs.pop("band"), kwargs.pop("flux"),
                      kwargs.pop("flux_err"), **kwargs)
    assert stream.n_objects_ == 2
    after, expected = _good_update(stream, ["a", "b", "new"], [40.0, 41.0, 42.0]), \
        _good_update(reference, ["a", "b", "new"], [40.0, 41.0, 42.0])
    pd.testing.assert_frame_equal(after, expected)


def test_streaming_stops_after_max_length_and_refuses_truncate_start(data, causal_short):
    """Check that with truncate='end' an object stops changing after max_length observations, and that truncate='start' is refused."""
    X, y = data
    stream = ClassificationStream(causal_short)
    fifth = _good_update(stream, ["a"] * 5, np.arange(5.0))
    sixth = stream.update(["a"], [9.0], ["ztfr"], [99.0], [3.0])
    pd.testing.assert_frame_equal(sixth, fifth)
    start = make_pipeline(LightCurvePadder(max_length=5, truncate="start"),
                          FluxNormalizer("running_peak"), MetadataScaler(),
                          GRUClassifier(**SMALL, max_epochs=1)).fit(X, y)
    with pytest.raises(ValueError, match="truncate='start'"):
        ClassificationStream(start)


def test_streaming_refuses_unknown_metadata_without_scaler(data):
    """Check that, without a MetadataScaler to impute it, a new object's missing metadata is refused, not streamed as NaN."""
    X, y = data
    model = make_pipeline(LightCurvePadder(), FluxNormalizer("running_peak"),
                          GRUClassifier(**SMALL, max_epochs=1)).fit(X, y)
    stream = ClassificationStream(model)
    with pytest.raises(ValueError, match="'c' has no value of metadata column 'redshift'"):
        stream.update(["c"], [1.0], ["ztfg"], [1.0], [0.1])
    assert stream.n_objects_ == 0
    out = stream.update(["obj0"], [58001.0], ["ztfg"], [1.0], [0.1], metadata=X.metadata)
    assert np.isfinite(out.to_numpy()).all()


def test_prefix_augmentation_changes_training_and_is_reproducible(data):
    """Check that the truncation augmentation is active, seeded, and off by default."""
    X, y = data
    def fit(p):
        model = make_pipeline(LightCurvePadder(), FluxNormalizer("running_peak"), MetadataScaler(),
                              GRUClassifier(**SMALL, max_epochs=2, prefix_augmentation=p))
        return model.fit(X, y).predict_proba(X)
    off, on, again = fit(0.0), fit(0.8), fit(0.8)
    np.testing.assert_array_equal(on, again)
    assert not np.allclose(on, off)


def test_random_prefixes_bounds():
    """Check that random prefixes keep lengths in [1, true length] and cut about p of them."""
    import torch

    from skltransient.neural._dataset import _random_prefixes
    torch.manual_seed(0)
    lengths = torch.full((10000,), 20)
    cut = _random_prefixes(lengths, 0.3)
    assert cut.min() >= 1 and cut.max() <= 20
    assert 0.25 < (cut < 20).float().mean() < 0.32


def test_streaming_with_detection_flags_waits_for_the_trigger(long_baseline):
    """Check streaming with detection flags on a year of forced photometry before the transient:
    nothing is predicted before the first detection, and after all observations each object's
    probabilities equal the batch pipeline's (with the simulator's window around the trigger)."""
    X, unwindowed = long_baseline
    labels = unwindowed.predict(X)
    model = make_pipeline(LightCurvePadder(window=(-30, 100)), FluxNormalizer("running_peak"),
                          MetadataScaler(),
                          GRUClassifier(**SMALL, max_epochs=1)).fit(X, labels)
    X = X[np.arange(12)]
    obs = X.to_pandas().sort_values("time", kind="stable")
    stream = ClassificationStream(model)
    first_detection = obs[obs.detected].groupby("object_id").time.min()
    seen_before = obs[obs.time < obs.object_id.map(first_detection)]
    out = stream.update(seen_before.object_id, seen_before.time, seen_before.band,
                        seen_before.flux, seen_before.flux_err,
                        detected=seen_before.detected.to_numpy(), metadata=X.metadata)
    assert out.isna().all().all()  # no detection yet: nothing to predict
    rest = obs.drop(seen_before.index)
    for start in range(0, len(rest), 50):
        chunk = rest.iloc[start:start + 50]
        stream.update(chunk.object_id, chunk.time, chunk.band, chunk.flux, chunk.flux_err,
                      detected=chunk.detected.to_numpy(), metadata=X.metadata)
    last = stream.update(X.object_ids, X.time[X.offsets[1:] - 1] + 1000, ["ztfg"] * len(X),
                         np.zeros(len(X)), np.ones(len(X)), detected=np.zeros(len(X), bool))
    np.testing.assert_allclose(last.loc[X.object_ids].to_numpy(), model.predict_proba(X),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("padder, normalizer", [
    (LightCurvePadder(max_length=6, truncate="start"), FluxNormalizer("running_peak")),
    (LightCurvePadder("grid", grid_step=2.0), FluxNormalizer("running_peak")),
    (LightCurvePadder(), FluxNormalizer("peak")),
    (LightCurvePadder("nights"), FluxNormalizer("running_peak")),
], ids=["truncate_start", "grid", "peak", "nights"])
def test_predict_proba_at_looking_ahead_equals_truncation(data, padder, normalizer):
    """Check that predict_proba_at, with preprocessing that looks ahead (truncate='start', the
    grid, a whole-curve normalisation), equals the prediction on the light curves cut at each
    day, exactly."""
    X, y = data
    model = make_pipeline(padder, normalizer, MetadataScaler(),
                          GRUClassifier(**SMALL, max_epochs=2)).fit(X, y)
    days = [0.0, 5.0, 20.0, 60.0]
    at = predict_proba_at(model, X, days)
    first, trigger = X.time[X.offsets[:-1]], X.trigger_time
    for j, day in enumerate(days):
        cutoff = trigger + day
        keep = first <= cutoff
        np.testing.assert_array_equal(
            at[keep, j], model.predict_proba(X[keep].truncate(max_time=cutoff[keep])))
        assert np.isnan(at[~keep, j]).all()


def test_predict_proba_at_on_padded_input_warns_what_it_assumes(data):
    """Check that the classifier's one pass on padded input with truncate='start' says that it
    assumes the light curve's end is known, and that a causal one says nothing."""
    X, y = data
    model = make_pipeline(LightCurvePadder(max_length=6, truncate="start"),
                          FluxNormalizer("running_peak"), MetadataScaler(),
                          GRUClassifier(**SMALL, max_epochs=1)).fit(X, y)
    padded = model[:-1].transform(X)
    with pytest.warns(UserWarning, match=r"truncate='start'\) keeps each light curve's last 6"):
        model[-1].predict_proba_at(padded, [5.0])
    with pytest.warns(UserWarning, match="assume the light curve's end is known"):
        predict_proba_over_time(model, X)
    causal = make_pipeline(LightCurvePadder(max_length=6), FluxNormalizer("running_peak"),
                           MetadataScaler(), GRUClassifier(**SMALL, max_epochs=1)).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        causal[-1].predict_proba_at(causal[:-1].transform(X), [-3.0, 5.0])
        predict_proba_over_time(causal, X)


def test_predict_proba_at_before_the_trigger_with_a_window(long_baseline):
    """Check that with a window around the trigger, predictions at negative days equal those on
    the light curves cut then (the one pass would place the window around a trigger still to
    come), and that the classifier's one pass on padded input warns about it."""
    X, unwindowed = long_baseline
    labels = unwindowed.predict(X)
    model = make_pipeline(LightCurvePadder(window=(-30, 100)), FluxNormalizer("running_peak"),
                          MetadataScaler(),
                          GRUClassifier(**SMALL, max_epochs=1)).fit(X, labels)
    first, trigger = X.time[X.offsets[:-1]], X.trigger_time
    days = [-20.0, -5.0, 0.0, 10.0]
    at = predict_proba_at(model, X, days)
    for j, day in enumerate(days):
        cutoff = trigger + day
        keep = first <= cutoff
        assert keep.sum() > 50
        np.testing.assert_allclose(
            at[keep, j], model.predict_proba(X[keep].truncate(max_time=cutoff[keep])),
            rtol=0, atol=1e-6)
    with pytest.warns(UserWarning, match="predictions before the trigger assume it"):
        model[-1].predict_proba_at(model[:-1].transform(X), [-5.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model[-1].predict_proba_at(model[:-1].transform(X), [0.0, 10.0])

def test_streaming_quiet_tick_returns_an_empty_result(causal):
    """Check that an update without observations (a quiet tick) returns an empty frame with the
    classes as columns and changes nothing."""
    stream = ClassificationStream(causal)
    _good_update(stream, ["a"], [10.0])
    out = stream.update([], [], [], [], [], detected=[], metadata=None)
    assert out.shape == (0, 3) and list(out.columns) == list(stream.classes_)
    assert stream.n_objects_ == 1


def test_streaming_metadata_of_a_known_object_is_used(data, causal):
    """Check that a metadata row for an object already in the stream replaces its metadata: the
    probabilities then equal the batch model's on the light curve so far with the new row."""
    X, _ = data
    one = X[[0]]
    changed = one.metadata.copy()
    changed["redshift"] = changed["redshift"] * 3 + 0.2
    stream = ClassificationStream(causal)
    frame = one.to_pandas()
    stream.update(frame.object_id[:2], frame.time[:2], frame.band[:2], frame.flux[:2],
                  frame.flux_err[:2], metadata=one.metadata)
    out = stream.update(frame.object_id[2:3], frame.time[2:3], frame.band[2:3], frame.flux[2:3],
                        frame.flux_err[2:3], metadata=changed)
    moved = LightCurves(one.object_ids, one.offsets, one.time, one.band, one.flux, one.flux_err,
                        one.detected, changed).truncate(n_observations=3)
    np.testing.assert_allclose(out.to_numpy(), causal.predict_proba(moved), rtol=1e-5, atol=1e-6)
    assert not np.allclose(out.to_numpy(), causal.predict_proba(one.truncate(n_observations=3)),
                           rtol=1e-3)


@pytest.mark.filterwarnings("ignore:Metadata column")
def test_streaming_keeps_only_what_the_window_can_use(causal_windowed):
    """Check that before its trigger an object keeps only the non-detections the window
    (10 days before the trigger) can still reach, not every one since it was first seen, and
    that the probabilities at the trigger are unchanged by it."""
    stream, n = ClassificationStream(causal_windowed), 500
    stream.update(["a"] * n, np.arange(float(n)), ["ztfg"] * n, np.zeros(n), np.ones(n),
                  detected=np.zeros(n, bool))
    pending = stream._state.pending[stream._rows["a"]]
    assert [p[0] for p in pending] == list(np.arange(n - 11.0, n))  # days n-11 .. n-1
    out = stream.update(["a"], [n + 1.0], ["ztfr"], [50.0], [2.0], detected=[True])
    X = LightCurves.from_arrays(["a"] * (n + 1), np.r_[np.arange(float(n)), n + 1.0],
                                ["ztfg"] * n + ["ztfr"], np.r_[np.zeros(n), 50.0],
                                np.r_[np.ones(n), 2.0], detected=np.r_[np.zeros(n, bool), True])
    np.testing.assert_allclose(out.to_numpy(), causal_windowed.predict_proba(X), rtol=1e-5,
                               atol=1e-6)


def test_streaming_retire_explicitly_and_by_age(causal):
    """Check retirement: retire() forgets objects (unknown ids ignored) and their rows are
    reused; a retired object's next observation starts it anew; max_age retires objects whose
    last observation is older than max_age days before the stream's latest."""
    stream, fresh = ClassificationStream(causal), ClassificationStream(causal)
    _good_update(stream, ["a", "b", "c"], [1.0, 2.0, 3.0])
    _good_update(stream, ["a", "b"], [5.0, 6.0])
    assert stream.retire(["a", "unknown", "a"]) == 1 and stream.retire("b") == 1
    assert stream.n_objects_ == 1 and stream.n_retired_ == 2
    capacity = len(stream._state.first)
    pd.testing.assert_frame_equal(_good_update(stream, ["a", "d"], [9.0, 9.5]),
                                  _good_update(fresh, ["a", "d"], [9.0, 9.5]))
    assert len(stream._state.first) == capacity and stream.n_objects_ == 3
    aging = ClassificationStream(causal, max_age=10)
    _good_update(aging, ["a"], [0.0])
    _good_update(aging, ["b"], [5.0])
    _good_update(aging, ["c"], [12.0])
    assert aging.n_objects_ == 2 and aging.n_retired_ == 1 and "a" not in aging._rows
    with pytest.raises(ValueError, match="max_age must be a positive number of days"):
        ClassificationStream(causal, max_age=0)


def test_streaming_one_object_updates_at_constant_cost(causal):
    """Check that 600 updates to one object cost the same each (one GRU step of one
    observation) and leave its memory unchanged: nothing is kept per observation."""
    import gc
    import tracemalloc

    stream = ClassificationStream(causal)
    seen = {"calls": 0, "shapes": set()}

    def record(module, args):
        seen["calls"] += 1
        seen["shapes"].add(tuple(args[0].shape))

    hook = stream._module.encoder.register_forward_pre_hook(record)
    sizes = []
    tracemalloc.start()
    try:
        for k in range(600):
            stream.update(["a"], [float(k)], ["ztfg" if k % 2 else "ztfr"], [10.0 + k % 7], [1.0],
                          detected=[k % 3 == 0])
            if k in (299, 599):  # after the first updates have warmed the caches up
                gc.collect()
                sizes.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
        hook.remove()
    assert seen["calls"] == 600 and [s[:2] for s in seen["shapes"]] == [(1, 1)]
    assert abs(sizes[1] - sizes[0]) < 20_000, sizes  # bytes: no growth with the observations


def test_streaming_classifier_is_a_deprecated_name_of_classification_stream(causal):
    """Check that the old name still streams, as a ClassificationStream, with a FutureWarning."""
    from skltransient.early import StreamingClassifier

    with pytest.warns(FutureWarning, match="renamed ClassificationStream"):
        old = StreamingClassifier(causal)
    assert isinstance(old, ClassificationStream)
    args = (["x"], [58001.0], ["ztfg"], [12.0], [3.0])
    np.testing.assert_array_equal(old.update(*args).to_numpy(),
                                  ClassificationStream(causal).update(*args).to_numpy())


def test_with_prefixes_adds_the_light_curves_as_known_at_each_day():
    """Check that with_prefixes keeps the originals and adds each cut, labelled and named."""
    from skltransient.early import with_prefixes

    X, y = make_toy_lightcurves(12, 3, random_state=1)
    X_aug, y_aug = with_prefixes(X, y, [0.0, 5.0])
    cut = X.truncate(days_since_trigger=5.0)
    assert X_aug.object_ids[:12].tolist() == [str(i) for i in X.object_ids]
    assert len(X_aug) == 12 + 12 + len(cut) and y_aug.shape == (len(X_aug),)
    copies = np.flatnonzero(np.char.endswith(X_aug.object_ids.astype(str), "@5d"))
    np.testing.assert_array_equal(X_aug[copies].lengths, cut.lengths)
    np.testing.assert_array_equal(y_aug[copies], y[np.isin(X.object_ids, cut.object_ids)])
    np.testing.assert_array_equal(X_aug[copies].metadata.to_numpy(), cut.metadata.to_numpy())
    np.testing.assert_array_equal(X_aug[copies].flux, cut.flux)
    with pytest.raises(ValueError, match="y has shape"):
        with_prefixes(X, y[:3], [2.0])
    with pytest.raises(ValueError, match="must be finite"):
        with_prefixes(X, y, [np.nan])
