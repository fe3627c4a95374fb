import os

import numpy as np
import pytest
import torch
from sklearn.base import clone
from skorch.callbacks import Callback

from skltransient import GRUClassifier, LightCurvePadder, MetadataScaler
from skltransient.neural import TransientGRU
from skltransient.neural import _runtime
from skltransient.neural._runtime import bf16_supported, runtime
from skltransient.utils._testing import make_toy_lightcurves

SMALL = dict(hidden_size=16, num_layers=1, head_size=16, metadata_size=4)


@pytest.fixture(scope="module")
def data():
    lc, y = make_toy_lightcurves(90, n_classes=3, random_state=1)
    padded = MetadataScaler().fit_transform(LightCurvePadder().fit_transform(lc))
    return padded, y


def test_gru_classifier_learns_separable_problem(data):
    """Check that the classifier learns the toy problem well above chance."""
    X, y = data
    clf = GRUClassifier(**SMALL, max_epochs=40, lr=1e-2, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.8
    assert clf.n_epochs_ == 40 and len(clf.net_.history) == 40


def test_gru_classifier_labels_and_probabilities(data):
    """Check string and integer labels, column order and row sums."""
    X, y = data
    clf = GRUClassifier(**SMALL, max_epochs=2, random_state=0).fit(X, y)
    assert clf.classes_.tolist() == ["SN II", "SN Ia", "TDE"]
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert set(clf.predict(X)) <= set(clf.classes_)
    y_int = np.unique(y, return_inverse=True)[1] * 10
    clf_int = GRUClassifier(**SMALL, max_epochs=2, random_state=0).fit(X, y_int)
    assert clf_int.classes_.tolist() == [0, 10, 20]
    # Same encoded problem and seed: the same network, whatever the label type.
    np.testing.assert_array_equal(clf_int.predict_proba(X), proba)


def test_gru_classifier_reproducible_and_leaves_global_rng(data):
    """Check bitwise reproducibility with a seed, and that the global torch RNG is untouched."""
    X, y = data
    state = torch.get_rng_state()
    a = GRUClassifier(**SMALL, max_epochs=3, random_state=7).fit(X, y).predict_proba(X)
    assert torch.equal(torch.get_rng_state(), state)
    b = GRUClassifier(**SMALL, max_epochs=3, random_state=7).fit(X, y).predict_proba(X)
    c = GRUClassifier(**SMALL, max_epochs=3, random_state=8).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_gru_classifier_class_weight(data):
    """Check the balanced and dict class weights reach the loss."""
    X, y = data
    y = y.copy()
    y[:60] = "SN Ia"
    clf = GRUClassifier(**SMALL, max_epochs=1, validation_fraction=None).fit(X, y)
    counts = np.array([np.sum(y == c) for c in clf.classes_])
    expected = len(y) / (len(counts) * counts)
    np.testing.assert_allclose(clf.net_.criterion_.weight.numpy(), expected, rtol=1e-6)
    clf = GRUClassifier(**SMALL, max_epochs=1, class_weight={"TDE": 3.0}).fit(X, y)
    np.testing.assert_allclose(clf.net_.criterion_.weight.numpy(), [1.0, 1.0, 3.0])
    assert GRUClassifier(**SMALL, max_epochs=1, class_weight=None).fit(X, y).net_.criterion_.weight is None
    with pytest.raises(ValueError, match="class_weight has labels \\['SN Iax'\\]"):
        GRUClassifier(**SMALL, max_epochs=1, class_weight={"SN Iax": 2.0}).fit(X, y)


def test_gru_classifier_early_stopping(data):
    """Check that a stalled validation loss stops training after the patience."""
    X, y = data
    clf = GRUClassifier(**SMALL, max_epochs=50, lr=1e-12, validation_fraction=0.2,
                        early_stopping=True, n_iter_no_change=3, random_state=0).fit(X, y)
    assert clf.n_epochs_ <= 5
    assert "valid_loss" in clf.net_.history[-1]


def test_gru_classifier_early_stopping_auto_follows_the_training_set_size(data, monkeypatch):
    """Check that "auto" stops early only above the threshold, True always, False never, and
    that True without a validation fraction is an error naming both parameters."""
    from skltransient.neural import _classifier

    X, y = data
    settings = dict(**SMALL, max_epochs=4, validation_fraction=0.2, random_state=0)
    auto = GRUClassifier(**settings).fit(X, y)
    assert "valid_loss" not in auto.net_.history[-1] and auto.n_epochs_ == auto.best_epoch_ == 4
    monkeypatch.setattr(_classifier, "_AUTO_EARLY_STOPPING", len(y) - 1)
    assert "valid_loss" in GRUClassifier(**settings).fit(X, y).net_.history[-1]
    assert "valid_loss" not in GRUClassifier(**settings, early_stopping=False).fit(
        X, y).net_.history[-1]
    assert "valid_loss" not in GRUClassifier(**{**settings, "validation_fraction": None}).fit(
        X, y).net_.history[-1]
    with pytest.raises(ValueError, match="early_stopping=True needs a validation set; set "
                                         "validation_fraction"):
        GRUClassifier(**{**settings, "validation_fraction": None}, early_stopping=True).fit(X, y)
    with pytest.raises(ValueError, match="early_stopping"):
        GRUClassifier(early_stopping="loss").fit(X, y)


def test_gru_classifier_validation_fallback_with_one_example(data):
    """Check that a class with one example makes validation fall back with a warning."""
    X, y = data
    y = y.copy()
    y[0] = "KN"
    with pytest.warns(UserWarning, match="smallest class has 1 examples"):
        clf = GRUClassifier(**SMALL, max_epochs=2, validation_fraction=0.2,
                            early_stopping=True).fit(X, y)
    assert "KN" in clf.classes_ and "valid_loss" not in clf.net_.history[-1]


def test_gru_classifier_module_names(data):
    """Check the torch module's public submodule names and sizes."""
    X, y = data
    clf = GRUClassifier(max_epochs=1, random_state=0).fit(X, y)
    module = clf.module_
    assert isinstance(module, TransientGRU)
    assert {name for name, _ in module.named_children()} == {"encoder", "metadata", "head"}
    assert module.encoder.hidden_size == 100 and module.encoder.num_layers == 2
    assert module.encoder.input_size == 4 and module.metadata[0].in_features == 4


def test_gru_classifier_padding_does_not_matter(data):
    """Check that extra zero padding leaves the predictions unchanged (packed sequences)."""
    X, y = data
    clf = GRUClassifier(**SMALL, max_epochs=2, random_state=0).fit(X, y)
    wider = X.replace(values=np.concatenate([X.values, np.ones_like(X.values)], axis=1),
                      times=np.concatenate([X.times, X.times], axis=1))
    np.testing.assert_allclose(clf.predict_proba(wider), clf.predict_proba(X), rtol=1e-5, atol=1e-7)


def test_gru_classifier_verbose(data, capsys):
    """Check that verbose=0 is silent and verbose=1 prints the epoch table."""
    X, y = data
    GRUClassifier(**SMALL, max_epochs=2).fit(X, y)
    assert capsys.readouterr().out == ""
    GRUClassifier(**SMALL, max_epochs=2, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and "Re-initializing" not in out
    pytest.importorskip("tqdm")
    GRUClassifier(**SMALL, max_epochs=1, verbose=2).fit(X, y)
    assert "it/s" in capsys.readouterr().err  # the progress bar


@pytest.mark.parametrize("device, available, expected", [
    ("auto", True, "cuda"), ("auto", False, "cpu"), ("cpu", True, "cpu"), ("cuda:1", False, "cuda:1"),
])
def test_gru_classifier_resolves_device(monkeypatch, device, available, expected):
    """Check that device='auto' means CUDA exactly when it is available, and a named device is kept."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
    X, y = np.zeros((4, 2, 1), np.float32), ["a", "b", "a", "b"]
    clf = GRUClassifier(device=device)
    clf.prepare_fit(X, y)
    assert clf.device_ == expected


def test_gru_classifier_trains_on_the_resolved_device(data):
    """Check that fit with device='auto' trains the net on the device it reports."""
    X, y = data
    clf = GRUClassifier(**SMALL, max_epochs=1, device="auto").fit(X, y)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert clf.device_ == clf.net_.device == expected
    assert next(clf.module_.parameters()).device.type == expected


def test_gru_classifier_bad_input(data):
    """Check the errors for unusable input."""
    X, y = data
    with pytest.raises(ValueError, match="at least 2 classes"):
        GRUClassifier(**SMALL, max_epochs=1).fit(X, np.full(len(y), "SN Ia"))
    with pytest.raises(ValueError, match="one label per light curve"):
        GRUClassifier(**SMALL, max_epochs=1).fit(X, y[:-1])
    raw = LightCurvePadder().fit_transform(make_toy_lightcurves(10)[0])
    raw.metadata[0, 0] = np.nan
    with pytest.raises(ValueError, match="impute metadata with a MetadataScaler"):
        GRUClassifier(**SMALL, max_epochs=1).fit(raw, make_toy_lightcurves(10)[1])
    clf = GRUClassifier(**SMALL, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="fitted with 4 and 4"):
        clf.predict(X.replace(values=X.values[:, :, :3]))
    with pytest.raises(TypeError, match="put a LightCurvePadder before it"):
        clf.predict(make_toy_lightcurves(10)[0])
    assert not hasattr(clone(clf), "net_")


def test_gru_classifier_plain_array_input():
    """Check that a 3-D array is accepted as full-length sequences without metadata."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6, 3)).astype(np.float32)
    y = (X[:, :, 0].sum(axis=1) > 0).astype(int)
    clf = GRUClassifier(**SMALL, max_epochs=30, lr=1e-2, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.8
    assert clf.n_metadata_ == 0


def test_gru_classifier_refuses_other_channels():
    """Check that predict refuses channels whose names differ from those seen in fit, naming them."""
    lc, y = make_toy_lightcurves(40, random_state=1)
    ztf = MetadataScaler().fit_transform(LightCurvePadder(representation="grid").fit_transform(lc))
    clf = GRUClassifier(**SMALL, max_epochs=1, random_state=0).fit(ztf, y)
    assert clf.channels_ == ("flux_ztfg", "flux_ztfr", "flux_err_ztfg", "flux_err_ztfr")
    lsst = ztf.replace(channels=("flux_lssti", "flux_lsstz", "flux_err_lssti", "flux_err_lsstz"))
    with pytest.raises(ValueError, match=r"GRUClassifier was fitted on channels \['flux_ztfg'.*"
                                         r"missing \['flux_ztfg', .*unexpected \['flux_lssti'.*"
                                         "TransferClassifier"):
        clf.predict(lsst)
    swapped = ztf.replace(channels=("flux_ztfr", "flux_ztfg", "flux_err_ztfr", "flux_err_ztfg"))
    with pytest.raises(ValueError, match="the same names in another order"):
        clf.predict_proba(swapped)
    with pytest.raises(ValueError, match="fitted on channels"):
        clf.predict_proba_over_time(lsst)


def test_gru_classifier_refuses_other_metadata_columns(data):
    """Check that predict refuses metadata columns other than those seen in fit, naming them."""
    X, y = data
    clf = GRUClassifier(**SMALL, max_epochs=1, random_state=0).fit(X, y)
    assert clf.metadata_names_ == ("redshift", "mwebv", "missing_redshift", "missing_mwebv")
    swapped = X.replace(metadata_names=("mwebv", "redshift", "missing_mwebv", "missing_redshift"))
    with pytest.raises(ValueError, match=r"metadata columns \['redshift', 'mwebv', 'missing_redshift', "
                                         r"'missing_mwebv'\].*the same names in another order"):
        clf.predict(swapped)
    other = X.replace(metadata_names=("redshift", "hostmass", "missing_redshift", "missing_hostmass"))
    with pytest.raises(ValueError, match=r"missing \['mwebv', 'missing_mwebv'\] and unexpected "
                                         r"\['hostmass', 'missing_hostmass'\]"):
        clf.predict(other)


def test_gru_classifier_without_recorded_metadata_names_checks_counts(data):
    """Check that a model saved before metadata names were recorded still predicts, by count."""
    X, y = data
    clf = GRUClassifier(**SMALL, max_epochs=1, random_state=0).fit(X, y)
    expected = clf.predict_proba(X)
    del clf.metadata_names_
    renamed = X.replace(metadata_names=("a", "b", "c", "d"))
    np.testing.assert_array_equal(clf.predict_proba(renamed), expected)
    clf.n_metadata_ = 3
    with pytest.raises(ValueError, match="4 metadata columns, but GRUClassifier was fitted with 4 and 3"):
        clf.predict(X)


def test_gru_classifier_unnamed_arrays_are_checked_by_count():
    """Check that 3-D arrays, whose channels have no names, are matched by their number."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 5, 3)).astype(np.float32)
    y = np.arange(20) % 2
    clf = GRUClassifier(**SMALL, max_epochs=1, random_state=0).fit(X, y)
    assert clf.predict(X[:4]).shape == (4,)
    with pytest.raises(ValueError, match="X has 2 channels and 0 metadata columns, but GRUClassifier "
                                         "was fitted with 3 and 0"):
        clf.predict(X[:, :, :2])


@pytest.mark.parametrize("labels, match", [
    (["SN Ia", "TDE", np.nan, "TDE"], r"y has a missing label \(NaN or None\) at position 2 "
                                      r"\(light curve 'obj2'; 1 in all\)"),
    (["SN Ia", None, None, "TDE"], r"missing label \(NaN or None\) at position 1 \(light curve "
                                   r"'obj1'; 2 in all\)"),
    ([1.0, 0.0, np.nan, 1.0], r"missing label \(NaN or None\) at position 2"),
    (["SN Ia", "TDE", 3, "TDE"], r"y mixes label types: 'SN Ia' \(str\) at position 0 and 3 "
                                 r"\(int\) at position 2 \(light curve 'obj2'\)"),
])
def test_gru_classifier_refuses_missing_and_mixed_labels(labels, match):
    """Check that NaN, None and mixed-type labels are refused, naming the position and the object."""
    padded = MetadataScaler().fit_transform(LightCurvePadder().fit_transform(
        make_toy_lightcurves(4)[0]))
    with pytest.raises(ValueError, match=match):
        GRUClassifier(**SMALL, max_epochs=1).fit(padded, np.array(labels, dtype=object))


class _Record(Callback):
    """Record torch's thread count and autocast state at every training batch."""

    def __init__(self, fail=False):
        self.fail = fail

    def initialize(self):
        self.threads, self.autocast = set(), set()
        return self

    def on_batch_begin(self, net, **kwargs):
        self.threads.add(torch.get_num_threads())
        self.autocast.add(torch.is_autocast_enabled("cpu"))
        if self.fail:
            raise RuntimeError("stop here")


def _fit_recording(X, y, fail=False, **params):
    record = _Record(fail)
    clf = GRUClassifier(**SMALL, max_epochs=1, callbacks=[("record", record)], **params)
    return clf.fit(X, y), record


def test_gru_classifier_bucketed_fit_is_reproducible(data):
    """Check that two bucketed fits with random_state=0 give bitwise equal weights and outputs."""
    X, y = data
    a, b = (GRUClassifier(**SMALL, max_epochs=3, batch_size=8, batching="bucketed",
                          random_state=0).fit(X, y) for _ in range(2))
    for (name, left), (_, right) in zip(a.module_.state_dict().items(),
                                        b.module_.state_dict().items()):
        assert torch.equal(left, right), name
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_gru_classifier_batching_changes_training(data):
    """Check that random and bucketed batches train different networks from the same seed."""
    X, y = data
    proba = [GRUClassifier(**SMALL, max_epochs=2, batch_size=8, batching=batching,
                           random_state=0).fit(X, y).predict_proba(X)
             for batching in ("random", "bucketed")]
    assert not np.array_equal(*proba)


def test_gru_classifier_bucketed_with_validation_and_prefixes(data):
    """Check that bucketed batches train with early stopping and prefix augmentation."""
    X, y = data
    clf = GRUClassifier(**SMALL, max_epochs=3, batch_size=8, batching="bucketed",
                        validation_fraction=0.2, early_stopping=True, prefix_augmentation=0.5,
                        random_state=0).fit(X, y)
    assert np.isfinite(clf.net_.history[-1, "valid_loss"]) and clf.n_epochs_ == 3


@pytest.mark.parametrize("n_threads", [2, -1])
def test_gru_classifier_trains_with_its_threads_and_restores_the_callers(data, n_threads):
    """Check that training runs with n_threads torch threads and the caller's count comes back."""
    X, y = data
    caller = torch.get_num_threads()
    _, record = _fit_recording(X, y, n_threads=n_threads)
    expected = len(os.sched_getaffinity(0)) if n_threads == -1 else n_threads
    assert record.threads == {expected}
    assert torch.get_num_threads() == caller


def test_gru_classifier_restores_threads_after_a_failed_fit(data):
    """Check that a fit that raises inside training still gives the caller its thread count back."""
    X, y = data
    caller = torch.get_num_threads()
    with pytest.raises(RuntimeError, match="stop here"):
        _fit_recording(X, y, fail=True, n_threads=caller + 1)
    assert torch.get_num_threads() == caller


def test_runtime_restores_threads_on_exception():
    """Check that the runtime context sets the count inside the block and restores it on error."""
    caller = torch.get_num_threads()
    with pytest.raises(KeyError), runtime(caller + 1, "float32", "cpu"):
        assert torch.get_num_threads() == caller + 1
        raise KeyError("inside")
    assert torch.get_num_threads() == caller


def test_runtime_refuses_bad_settings():
    """Check that unknown precisions and thread counts are errors naming the parameter."""
    with pytest.raises(ValueError, match="precision must be one of \\['float32', 'bf16'\\]"):
        with runtime(1, "fp16", "cpu"):
            pass
    with pytest.raises(ValueError, match="n_threads must be a positive int or -1 .* got 0"):
        with runtime(0, "float32", "cpu"):
            pass


def test_gru_classifier_float32_trains_without_autocast(data):
    """Check that the default precision trains outside autocast, in float32."""
    X, y = data
    clf, record = _fit_recording(X, y)
    assert record.autocast == {False}
    assert clf.predict_proba(X).dtype == np.float64


@pytest.mark.skipif(not bf16_supported("cpu"), reason="this CPU has no native bfloat16")
def test_gru_classifier_bf16_trains_under_autocast(data):
    """Check that precision='bf16' trains under autocast and predicts finite probabilities."""
    X, y = data
    clf, record = _fit_recording(X, y, precision="bf16", random_state=0)
    assert record.autocast == {True} and not torch.is_autocast_enabled("cpu")
    proba = clf.predict_proba(X)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    float32 = GRUClassifier(**SMALL, max_epochs=1, random_state=0).fit(X, y).predict_proba(X)
    assert not np.array_equal(proba, float32)


def test_gru_classifier_bf16_refused_without_native_support(data, monkeypatch):
    """Check that bf16 on a device without native bfloat16 is an error naming the parameter."""
    X, y = data
    monkeypatch.setattr(_runtime, "bf16_supported", lambda device: False)
    with pytest.raises(ValueError, match="precision='bf16' needs native bfloat16 on device 'cpu'"):
        GRUClassifier(**SMALL, max_epochs=1, precision="bf16").fit(X, y)


@pytest.mark.parametrize("batching, training_packed", [("bucketed", {False}), ("random", {True})])
def test_gru_classifier_trains_bucketed_batches_unpacked(data, monkeypatch, batching,
                                                         training_packed):
    """Check that bucketed batches train through the unpacked GRU, validation stays packed."""
    X, y = data
    calls = []
    encode = TransientGRU.encode

    def spy(module, values, lengths, packed=True):
        calls.append((module.training, packed))
        return encode(module, values, lengths, packed)

    monkeypatch.setattr(TransientGRU, "encode", spy)
    GRUClassifier(**SMALL, max_epochs=1, batching=batching, validation_fraction=0.2,
                  early_stopping=True, sequence_loss=0.0, random_state=0).fit(X, y)
    assert {packed for training, packed in calls if training} == training_packed
    assert {packed for training, packed in calls if not training} == {True}


def test_sequence_loss_share_zero_is_the_plain_weighted_loss():
    """Check that the loss of every prefix reduces to the plain class-weighted loss at share 0."""
    from skltransient.neural._loss import sequence_cross_entropy as _sequence_loss

    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 7, 3, generator=gen)
    y = torch.tensor([0, 1, 2, 1, 1])
    lengths = torch.tensor([7, 3, 1, 5, 2])
    weight = torch.tensor([1.0, 0.5, 2.0])
    last = logits[torch.arange(5), lengths - 1]
    plain = torch.nn.functional.cross_entropy(last, y, weight=weight)
    assert torch.allclose(_sequence_loss(logits, y, lengths, weight, 0.0), plain)
    # share 1: the class-weighted mean over objects of each object's mean over its valid steps.
    per_step = -torch.log_softmax(logits, dim=2).gather(2, y[:, None, None].expand(-1, 7, 1))[..., 0]
    per_object = torch.stack([per_step[i, :n].mean() for i, n in enumerate(lengths.tolist())])
    expected = (per_object * weight[y]).sum() / weight[y].sum()
    assert torch.allclose(_sequence_loss(logits, y, lengths, weight, 1.0), expected)
    # Padding beyond each length never enters the loss.
    noisy = logits.clone()
    for i, n in enumerate(lengths.tolist()):
        noisy[i, n:] = 1e3
    assert torch.allclose(_sequence_loss(noisy, y, lengths, weight, 0.5),
                          _sequence_loss(logits, y, lengths, weight, 0.5))


def test_sequence_loss_from_a_start_scores_only_the_later_prefixes():
    """Check that start drops the earlier prefixes from the sequence loss, and clips to the last step."""
    from skltransient.neural._loss import sequence_cross_entropy as _sequence_loss

    gen = torch.Generator().manual_seed(1)
    logits = torch.randn(4, 6, 3, generator=gen)
    y = torch.tensor([0, 1, 2, 1])
    lengths = torch.tensor([6, 4, 2, 5])
    start = torch.tensor([0, 2, 5, 4])  # the third beyond its length: its last step only
    weight = torch.tensor([1.0, 0.5, 2.0])
    per_step = -torch.log_softmax(logits, dim=2).gather(2, y[:, None, None].expand(-1, 6, 1))[..., 0]
    first = [0, 2, 1, 4]
    per_object = torch.stack([per_step[i, f:n].mean()
                              for i, (f, n) in enumerate(zip(first, lengths.tolist()))])
    expected = (per_object * weight[y]).sum() / weight[y].sum()
    assert torch.allclose(_sequence_loss(logits, y, lengths, weight, 1.0, start), expected)
    assert torch.allclose(_sequence_loss(logits, y, lengths, weight, 0.5, torch.zeros(4, dtype=torch.long)),
                          _sequence_loss(logits, y, lengths, weight, 0.5))


def test_sequence_loss_from_trigger_changes_training():
    """Check that sequence_loss_from='trigger' trains differently from 'first' on light curves with pre-trigger steps, and is validated."""
    from skltransient.datasets import simulate

    lc, y = simulate("ztf", 40, trigger_window=(-60, 60), random_state=0, return_X_y=True)
    padded = MetadataScaler().fit_transform(LightCurvePadder().fit_transform(lc))
    assert np.any(np.nan_to_num(padded.times[:, 0], nan=np.inf) < padded.trigger)
    kwargs = dict(SMALL, max_epochs=2, random_state=0)
    first = GRUClassifier(**kwargs).fit(padded, y)
    trigger = GRUClassifier(**kwargs, sequence_loss_from="trigger").fit(padded, y)
    assert not np.allclose(first.predict_proba(padded), trigger.predict_proba(padded))
    with pytest.raises(ValueError, match="sequence_loss_from"):
        GRUClassifier(sequence_loss_from="peak").fit(padded, y)


def test_sequence_loss_trains_and_is_a_parameter(data):
    """Check that sequence_loss changes training, and that 0 reproduces whole-curve training."""
    X, y = data
    seq = GRUClassifier(**SMALL, max_epochs=3, random_state=0).fit(X, y)
    assert seq.get_params()["sequence_loss"] == 0.5
    plain = GRUClassifier(**SMALL, max_epochs=3, random_state=0, sequence_loss=0.0).fit(X, y)
    assert not np.array_equal(seq.predict_proba(X), plain.predict_proba(X))
    with pytest.raises(ValueError, match="sequence_loss"):
        GRUClassifier(sequence_loss=1.5).fit(X, y)


@pytest.mark.parametrize("terminal", [False, True])
def test_gru_classifier_log_colours_only_on_a_terminal(data, capsys, monkeypatch, terminal):
    """Check that the epoch table has no raw colour codes when written to a file or a pipe."""
    import sys

    X, y = data
    monkeypatch.setattr(sys.stdout, "isatty", lambda: terminal, raising=False)
    GRUClassifier(**SMALL, max_epochs=2, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    assert "train_loss" in out and ("\x1b[" in out) == terminal


def test_gru_classifier_noise_through_the_normaliser_is_reproducible():
    """Check that training with flux noise drawn before a FluxNormalizer gives, from a seed,
    the same network to the bit, and another seed another network."""
    from sklearn.pipeline import make_pipeline

    from skltransient import FluxNormalizer

    lc, y = make_toy_lightcurves(60, n_classes=3, random_state=2)

    def fit(seed):
        model = make_pipeline(LightCurvePadder(), FluxNormalizer("running_peak"), MetadataScaler(),
                              GRUClassifier(**SMALL, max_epochs=2, batch_size=16, flux_noise=1.0,
                                            observation_dropout=0.2, random_state=seed))
        return model.fit(lc, y)

    a, b, c = fit(0), fit(0), fit(1)
    for (name, left), (_, right) in zip(a[-1].module_.state_dict().items(),
                                        b[-1].module_.state_dict().items()):
        assert torch.equal(left, right), name
    np.testing.assert_array_equal(a.predict_proba(lc), b.predict_proba(lc))
    assert not np.array_equal(a.predict_proba(lc), c.predict_proba(lc))

@pytest.mark.parametrize("params", [dict(num_layers=10**9), dict(hidden_size=10**6)])
def test_gru_classifier_refuses_a_network_no_memory_holds_before_building_it(params):
    """Check that fit refuses a network larger than the machine's memory at once, with its size."""
    X, y = make_toy_lightcurves(6, 2)
    padded = LightCurvePadder().fit_transform(X)
    (name, value), = params.items()
    with pytest.raises(ValueError, match=rf"GRUClassifier\(.*{name}={value}.*\) has [\d,]+ "
                                         rf"parameters; training it would need about [\d.]+ [TPE]B "
                                         rf"of memory, more than this machine's"):
        GRUClassifier(max_epochs=1, **params).fit(padded, y)


def test_gru_classifier_fit_is_its_public_seams(data):
    """Check that prepare_fit, build_module and train_module in seeded give fit's model, bit for bit."""
    from skltransient.neural._seeding import seeded

    X, y = data
    fitted = GRUClassifier(**SMALL, max_epochs=2, random_state=0).fit(X, y)
    clf = GRUClassifier(**SMALL, max_epochs=2, random_state=0)
    Xp, y_encoded = clf.prepare_fit(X, y)
    assert clf.classes_.tolist() == fitted.classes_.tolist() and clf.device_ == "cpu"
    np.testing.assert_array_equal(clf.classes_[y_encoded], y)
    with seeded(clf.random_state, clf.device_):
        clf.train_module(clf.build_module(), Xp, y_encoded)
    np.testing.assert_array_equal(clf.predict_proba(X), fitted.predict_proba(X))


def test_gru_classifier_attach_module_predicts_as_the_trained_one(data):
    """Check that a classifier given a trained module by attach_module predicts as the trained one."""
    X, y = data
    fitted = GRUClassifier(**SMALL, max_epochs=2, random_state=0).fit(X, y)
    copy = clone(fitted)
    copy.prepare_fit(X, y)
    module = copy.build_module()
    module.load_state_dict(fitted.module_.state_dict())
    assert copy.attach_module(module, "cpu") is copy and copy.device_ == "cpu"
    np.testing.assert_array_equal(copy.predict_proba(X), fitted.predict_proba(X))


@pytest.mark.parametrize("params, expected", [
    (dict(), False),  # "auto": not on 90 light curves
    (dict(early_stopping=True, validation_fraction=0.2), True),
    (dict(early_stopping=True, validation_fraction=0.2, max_epochs=0), False),
    (dict(early_stopping=False), False),
])
def test_gru_classifier_records_its_early_stopping_decision(data, params, expected):
    """Check that do_early_stopping_ records what early_stopping chose, as HGB's attribute does."""
    X, y = data
    clf = GRUClassifier(**{**SMALL, "max_epochs": 2, "random_state": 0, **params}).fit(X, y)
    assert clf.do_early_stopping_ is expected


def test_gru_classifier_early_stopping_decision_falls_back_with_a_tiny_class(data):
    """Check that do_early_stopping_ is False when a class is too small to split, with the warning."""
    X, y = data
    y = np.array(y, dtype=object)
    y[0] = "rare"
    clf = GRUClassifier(**SMALL, max_epochs=1, early_stopping=True, validation_fraction=0.2,
                        random_state=0)
    with pytest.warns(UserWarning, match="cannot be split stratified"):
        clf.fit(X, y)
    assert clf.do_early_stopping_ is False


def test_gru_classifier_validate_input_refuses_other_channels(data):
    """Check that validate_input names the channels fit did not see."""
    X, y = data
    clf = GRUClassifier(**SMALL, max_epochs=1, random_state=0).fit(X, y)
    assert clf.validate_input(X) is X
    renamed = X.replace(channels=("time", "flux", "flux_err", "band"))
    with pytest.raises(ValueError, match="unexpected \\['band'\\]"):
        clf.validate_input(renamed)


@pytest.mark.parametrize("pooling", ["last", "mean", "attention"])
def test_gru_classifier_count_parameters_is_that_of_the_built_module(data, pooling):
    """Check that count_parameters gives the parameters of build_module's network, unbuilt."""
    X, y = data
    clf = GRUClassifier(**SMALL, pooling=pooling)
    clf.prepare_fit(X, y)
    assert clf.count_parameters() == sum(p.numel() for p in clf.build_module().parameters())


@pytest.mark.parametrize("pooling", ["mean", "attention"])
def test_gru_classifier_with_pooling_fits_embeds_and_pickles(data, pooling):
    """Check that pooling builds the network it names, learns the toy problem, embeds in twice
    the hidden width and survives pickling and clone with the same probabilities."""
    import pickle

    X, y = data
    clf = GRUClassifier(**SMALL, pooling=pooling, max_epochs=30, lr=1e-2, random_state=0).fit(X, y)
    assert clf.module_.pooling == pooling
    assert hasattr(clf.module_, "attention") == (pooling == "attention")
    assert clf.score(X, y) > 0.8
    assert clf.embed(X).shape == (len(y), 2 * SMALL["hidden_size"])
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(clf)).predict_proba(X),
                                  clf.predict_proba(X))
    assert clone(clf).get_params()["pooling"] == pooling


def test_gru_classifier_refuses_an_unknown_pooling(data):
    """Check that an unknown pooling is refused at fit, naming the parameter."""
    X, y = data
    with pytest.raises(ValueError, match="pooling"):
        GRUClassifier(**SMALL, pooling="max").fit(X, y)


def test_gru_classifier_is_fitted_only_with_a_trained_net(data):
    """Check that check_is_fitted asks for the trained net: prepare_fit's classes_ are not enough."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    X, y = data
    clf = GRUClassifier(**SMALL, max_epochs=1, random_state=0)
    clf.prepare_fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    check_is_fitted(clf.fit(X, y))
