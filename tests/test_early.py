import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline

from skltransient import FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler, TransferClassifier
from skltransient.early import StreamingClassifier, predict_proba_at, predict_proba_over_time
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


def test_over_time_equals_truncated_inputs(data, causal):
    """Check that the one-pass probabilities after step k equal those from the first k+1 observations."""
    X, _ = data
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


def test_transfer_classifier_over_time(data, causal):
    """Check that TransferClassifier predicts over time through its transformers."""
    X, y = data
    tuned = TransferClassifier(causal, max_epochs=1, random_state=0).fit(X, y)
    proba = tuned.predict_proba_over_time(X)
    np.testing.assert_allclose(proba[np.arange(40), X.lengths - 1], tuned.predict_proba(X), rtol=1e-5, atol=1e-6)


def test_streaming_equals_recomputation(data, causal):
    """Check that streaming observations one by one equals a full recomputation at every step."""
    X, _ = data
    stream = StreamingClassifier(causal)
    obs = X.to_pandas()
    obs = obs.sort_values(["time"], kind="stable")  # interleaved objects, as alerts arrive
    over_time, _ = predict_proba_over_time(causal, X)
    seen = {}
    position = {o: i for i, o in enumerate(X.object_ids)}
    for start in range(0, len(obs), 37):
        chunk = obs.iloc[start:start + 37]
        out = stream.update(chunk.object_id, chunk.time, chunk.band, chunk.flux, chunk.flux_err,
                            metadata=X.metadata)
        for object_id in out.index:
            seen[object_id] = seen.get(object_id, 0) + int((chunk.object_id == object_id).sum())
            step = seen[object_id] - 1
            np.testing.assert_allclose(out.loc[object_id].to_numpy(),
                                       over_time[position[object_id], step], rtol=1e-5, atol=1e-6)
    assert stream.n_objects_ == 40


def test_streaming_refuses_out_of_order_and_non_causal(data, causal):
    """Check errors for an observation earlier than a seen one and for a non-causal model."""
    X, y = data
    stream = StreamingClassifier(causal)
    stream.update(["a"], [10.0], ["ztfg"], [1.0], [0.1])
    with pytest.raises(ValueError, match="earlier than one it already has"):
        stream.update(["a"], [5.0], ["ztfg"], [1.0], [0.1])
    peak = make_pipeline(LightCurvePadder(), FluxNormalizer("peak"), GRUClassifier(**SMALL, max_epochs=1))
    peak.set_params(lightcurvepadder__metadata_columns=()).fit(X, y)
    with pytest.raises(ValueError, match="cannot be streamed"):
        StreamingClassifier(peak)


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
