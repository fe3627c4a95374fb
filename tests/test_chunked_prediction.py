"""Prediction batch by batch: padding deferred to each batch, results in input order."""

import numpy as np
import pandas as pd
import pytest
from sklearn.pipeline import make_pipeline

from skltransient import (FluxNormalizer, GRUClassifier, LightCurvePadder, LightCurves,
                          MetadataScaler, PaddedLightCurves)
from skltransient.early import predict_proba_at
from skltransient.utils._testing import make_toy_lightcurves

SMALL = dict(hidden_size=12, num_layers=2, head_size=12, metadata_size=4, max_epochs=3,
             random_state=0)


@pytest.fixture(scope="module")
def data():
    return make_toy_lightcurves(70, n_classes=3, n_obs=(3, 40), random_state=3)


@pytest.fixture(scope="module")
def model(data):
    return make_pipeline(LightCurvePadder(), FluxNormalizer("running_peak"), MetadataScaler(),
                         GRUClassifier(**SMALL)).fit(*data)


def eager(model, X):
    """The classifier's input padded all at once, as an ordinary (not deferred) collection."""
    Xt = model[:-1].transform(X)
    return Xt.replace()  # reading every field pads everything


def test_padder_output_is_deferred_until_read(data):
    """Check that transform pads nothing until an array is read, then pads once."""
    X, _ = data
    padder = LightCurvePadder().fit(X)
    calls = []
    original = padder._pad
    padder._pad = lambda lc: calls.append(len(lc)) or original(lc)
    Xt = padder.transform(X)
    assert calls == [] and len(Xt) == len(X) and Xt.is_deferred
    np.testing.assert_array_equal(Xt.lengths, X.lengths)
    assert Xt.channels == ("time", "flux", "flux_err", "wavelength") and calls == [1]
    values = Xt.values
    assert calls == [1, len(X)] and Xt.values is values and not Xt.is_deferred


def test_deferred_padding_equals_eager_padding(data, model):
    """Check that every field of a deferred collection equals the eager padding's."""
    X, _ = data
    deferred, padded = model[:-1].transform(X), eager(model, X)
    for name in ("values", "lengths", "metadata", "times", "t0", "trigger", "object_ids"):
        np.testing.assert_array_equal(getattr(deferred, name), getattr(padded, name))


@pytest.mark.parametrize("batch_size", [1, 7, 1024])
def test_chunked_predictions_equal_whole_array_predictions(data, model, batch_size):
    """Check predict_proba, over time and at days, batch by batch against the padded array."""
    X, _ = data
    clf = model[-1]
    padded = eager(model, X)
    clf.set_params(predict_batch_size=100_000)
    whole = clf.predict_proba(padded), clf.predict_proba_over_time(padded)
    at_whole = clf.predict_proba_at(padded, [0, 5, 30])
    clf.set_params(predict_batch_size=batch_size)
    try:
        np.testing.assert_allclose(model.predict_proba(X), whole[0], rtol=0, atol=1e-6)
        over = clf.predict_proba_over_time(model[:-1].transform(X))
        np.testing.assert_allclose(over, whole[1], rtol=0, atol=1e-6)
        np.testing.assert_allclose(predict_proba_at(model, X, [0, 5, 30]), at_whole, atol=1e-6)
    finally:
        clf.set_params(predict_batch_size=512)


def test_chunked_predictions_come_back_in_input_order(data, model):
    """Check that the batches' length order does not leak: a permuted input permutes the output."""
    X, _ = data
    permutation = np.random.default_rng(0).permutation(len(X))
    model[-1].set_params(predict_batch_size=5)
    try:
        np.testing.assert_allclose(model.predict_proba(X[permutation]),
                                   model.predict_proba(X)[permutation], atol=1e-6)
    finally:
        model[-1].set_params(predict_batch_size=512)


def test_prediction_pads_batch_by_batch(data, model):
    """Check that predict_proba never pads more than a batch of light curves at once."""
    X, _ = data
    padder, clf = model[0], model[-1]
    sizes, original = [], padder._pad
    padder._pad = lambda lc: sizes.append(len(lc)) or original(lc)
    clf.set_params(predict_batch_size=16)
    try:
        model.predict_proba(X)
    finally:
        del padder._pad
        clf.set_params(predict_batch_size=512)
    assert sizes[0] == 1  # the one-object check of the transformers
    assert max(sizes[1:]) <= 16 and sum(sizes[1:]) == len(X)


def test_a_long_light_curve_pads_only_a_small_batch():
    """Check the step budget: one very long light curve among short ones gets a batch of its own."""
    X, _ = make_toy_lightcurves(40, n_obs=(5, 10), random_state=0)
    n = 3000
    long = LightCurves.from_arrays(["long"] * n, np.arange(n, dtype=float), ["ztfg"] * n,
                                   np.ones(n), np.ones(n),
                                   metadata=pd.DataFrame({"redshift": [0.1], "mwebv": [0.0]},
                                                         index=["long"]))
    X = LightCurves.concatenate([X, long])
    padded = LightCurvePadder(window=None).fit(X).transform(X)
    order = np.argsort(padded.lengths, kind="stable")
    batches = list(padded.batches(32, steps_per_batch=32 * 100, order=order))
    assert all(len(index) * part.lengths.max() <= 32 * 100 or len(index) == 1
               for index, part in batches)
    last_index, last = batches[-1]
    assert last.object_ids.tolist() == ["long"] and last.values.shape[:2] == (1, n)
    assert [len(index) for index, _ in batches] == [32, 8, 1]  # the short ones stay together
    assert max(part.values.shape[1] for _, part in batches[:-1]) <= 10
    assert sorted(np.concatenate([index for index, _ in batches]).tolist()) == list(range(len(X)))


def test_transformers_check_deferred_input_at_once(data, model):
    """Check that a bad input fails in transform (on one object), not later inside predict."""
    X, _ = data
    scaler = model[2]
    swapped = LightCurvePadder(metadata_columns=("mwebv", "redshift")).fit(X).transform(X)
    swapped = model[1].transform(swapped)
    assert isinstance(swapped, PaddedLightCurves)
    with pytest.raises(ValueError, match="MetadataScaler was fitted on metadata columns"):
        MetadataScaler().fit(swapped.replace(metadata_names=("a", "b"))).transform(swapped)
    # The same columns in another order are matched by name, also when deferred.
    np.testing.assert_allclose(scaler.transform(swapped).metadata,
                               scaler.transform(model[1].transform(model[0].transform(X))).metadata)


def test_prediction_uses_n_threads_and_restores_the_callers(data, model):
    """Check that predict_* run with the classifier's n_threads and leave the caller's count."""
    import torch

    X, _ = data
    clf = model[-1]
    seen = []
    hook = clf.module_.register_forward_pre_hook(lambda *_: seen.append(torch.get_num_threads()))
    caller = torch.get_num_threads()
    clf.set_params(n_threads=2)
    try:
        model.predict_proba(X)
        predict_proba_at(model, X, [0])
    finally:
        hook.remove()
        clf.set_params(n_threads=1)
    assert seen and set(seen) == {2}
    assert torch.get_num_threads() == caller


def test_predict_batch_size_auto_follows_the_device():
    """Check that predict_batch_size='auto' means small batches on a CPU, large ones on a GPU."""
    clf = GRUClassifier()
    assert clf.predict_batch_size == "auto" and clf._predict_batch_size() == 512
    clf.device_ = "cuda:0"
    assert clf._predict_batch_size() == 8192
    assert GRUClassifier(predict_batch_size=64, device="cuda")._predict_batch_size() == 64
