import json
import re

import numpy as np
import pytest
import torch

onnx = pytest.importorskip("onnx", reason="onnx is not installed (the 'onnx' extra)")
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (the 'onnx' extra)")

from sklearn.pipeline import make_pipeline  # noqa: E402

from skltransient import FluxNormalizer, GRUClassifier, LightCurvePadder, pretrained  # noqa: E402
from skltransient.datasets import simulate  # noqa: E402
from skltransient.onnx import OnnxClassifier, to_onnx  # noqa: E402

from skltransient.utils._testing import make_toy_lightcurves  # noqa: E402


def make_lightcurves(n_objects, seed=0, **kwargs):
    return make_toy_lightcurves(n_objects, 3, random_state=seed, **kwargs)


def _session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("name", ["ztf-sims", "lsst-sims", "ztf+lsst-sims"])
def test_to_onnx_equals_torch_at_any_batch_size_and_length(name, tmp_path):
    """Check that onnxruntime gives torch's probabilities within 1e-5, batch and length varying."""
    model = pretrained.load(name)
    module = model[-1].module_.eval()
    session = _session(to_onnx(model, tmp_path / "model.onnx"))
    lc = simulate(name.split("-")[0].split("+")[-1], 120, random_state=1).lightcurves
    padded = model[:-1].transform(lc)
    generator = np.random.default_rng(0)
    for rows in [[0], np.arange(7), np.arange(120)]:
        part = padded[rows]
        values, lengths, metadata = part.values.copy(), part.lengths, part.metadata
        # Garbage beyond each length: padding must not reach the prediction.
        beyond = np.arange(values.shape[1])[None, :] >= lengths[:, None]
        values[beyond] = generator.normal(size=(beyond.sum(), values.shape[2]))
        with torch.inference_mode():  # packed, as predict_proba runs it
            expected = module(torch.from_numpy(values), torch.from_numpy(lengths),
                              torch.from_numpy(metadata))
        logits, proba = session.run(None, {"values": values, "lengths": lengths,
                                           "metadata": metadata})
        assert logits.shape == (len(rows), len(model.classes_))
        np.testing.assert_allclose(proba, torch.softmax(expected, 1).numpy(), atol=1e-5, rtol=0)
        np.testing.assert_array_equal(logits.argmax(1), expected.numpy().argmax(1))


@pytest.mark.parametrize("name", ["ztf-sims", "lsst-sims"])
def test_onnx_classifier_equals_predict_proba_on_light_curves(name, tmp_path):
    """Check that OnnxClassifier with the pipeline's transformers gives predict_proba within 1e-5."""
    model = pretrained.load(name)
    onnx_model = OnnxClassifier(to_onnx(model, tmp_path / "m.onnx"), preprocessing=model[:-1])
    lc, _ = make_lightcurves(40, seed=3, n_obs=(1, 60))
    np.testing.assert_allclose(onnx_model.predict_proba(lc), model.predict_proba(lc),
                               atol=1e-5, rtol=0)
    np.testing.assert_array_equal(onnx_model.predict(lc), model.predict(lc))
    np.testing.assert_array_equal(onnx_model.classes_, model.classes_)


def test_to_onnx_records_what_the_inputs_must_be(tmp_path):
    """Check that the file names the classes, channels, metadata and pre-processing steps."""
    model = pretrained.load("ztf-sims")
    graph = onnx.load(to_onnx(model, tmp_path / "m.onnx"))
    meta = {prop.key: json.loads(prop.value) for prop in graph.metadata_props}
    assert meta["classes"] == model.classes_.tolist()
    assert meta["channels"] == list(model[-1].channels_)
    assert meta["metadata_names"] == list(model[-1].metadata_names_)
    assert [step["class"] for step in meta["preprocessing"]] == [
        "LightCurvePadder", "FluxNormalizer", "MetadataScaler"]
    assert [i.name for i in graph.graph.input] == ["values", "lengths", "metadata"]


def test_to_onnx_exports_a_network_without_metadata_and_leaves_it_in_training_mode(tmp_path):
    """Check a network without metadata branch, and that export restores the module's mode."""
    lc, y = make_lightcurves(30)
    model = make_pipeline(LightCurvePadder(metadata_columns=()), FluxNormalizer(),
                          GRUClassifier(hidden_size=8, max_epochs=1, random_state=0)).fit(lc, y)
    model[-1].module_.train()
    onnx_model = OnnxClassifier(to_onnx(model, tmp_path / "m.onnx"), preprocessing=model[:-1])
    assert model[-1].module_.training
    np.testing.assert_allclose(onnx_model.predict_proba(lc), model.predict_proba(lc), atol=1e-5,
                               rtol=0)


def test_onnx_classifier_refuses_inputs_of_other_channels(tmp_path):
    """Check that light curves padded with other channels are refused, naming both."""
    model = pretrained.load("ztf-sims")
    onnx_model = OnnxClassifier(to_onnx(model, tmp_path / "m.onnx"))
    lc, _ = make_lightcurves(5)
    padded = LightCurvePadder(metadata_columns=()).fit_transform(lc)
    with pytest.raises(ValueError, match="The ONNX network reads channels"):
        onnx_model.predict_proba(padded)


def test_onnx_classifier_refuses_a_file_not_written_by_to_onnx(tmp_path):
    """Check that an ONNX file without skltransient's metadata is refused, naming the file."""
    path = tmp_path / "other.onnx"
    torch.onnx.export(torch.nn.Linear(2, 2), (torch.zeros(1, 2),), str(path), dynamo=False)
    with pytest.raises(ValueError, match="other.onnx' has no 'classes' metadata"):
        OnnxClassifier(path)


def test_to_onnx_refuses_an_unfitted_model(tmp_path):
    """Check that exporting an unfitted classifier raises, saying to fit it."""
    with pytest.raises(Exception, match="not fitted"):
        to_onnx(GRUClassifier(), tmp_path / "m.onnx")


class _CountingSession:
    """An onnxruntime session that counts its runs and the light curves of each."""

    def __init__(self, session):
        self.session, self.sizes, self.widths = session, [], []

    def run(self, names, feeds):
        self.sizes.append(len(feeds["lengths"]))
        self.widths.append((feeds["values"].shape[1], int(feeds["lengths"].max())))
        return self.session.run(names, feeds)


@pytest.mark.parametrize("batch_size", [1, 7, 32, 1000])
def test_onnx_classifier_batch_size_sets_the_calls_not_the_probabilities(batch_size, tmp_path):
    """Check that batch_size sets the light curves per onnxruntime call, and that every batch
    size gives predict_proba's probabilities within 1e-5."""
    model = pretrained.load("ztf-sims")
    onnx_model = OnnxClassifier(to_onnx(model, tmp_path / "m.onnx"), preprocessing=model[:-1],
                                batch_size=batch_size)
    onnx_model.session_ = _CountingSession(onnx_model.session_)
    lc, _ = make_lightcurves(40, seed=4, n_obs=(1, 60))
    proba = onnx_model.predict_proba(lc)
    assert max(onnx_model.session_.sizes) == min(batch_size, 40)
    assert len(onnx_model.session_.sizes) == -(-40 // batch_size)
    np.testing.assert_allclose(proba, model.predict_proba(lc), atol=1e-5, rtol=0)


@pytest.mark.parametrize("chunk", [5, 16, 2048])
def test_onnx_classifier_pads_in_chunks_and_runs_each_batch_at_its_own_width(
        chunk, tmp_path, monkeypatch):
    """Check that light curves padded a chunk at a time (fewer, larger padding calls) give
    the same probabilities, and that each onnxruntime call is as wide as its longest light
    curve, not its chunk's (the GRU would run on over padding)."""
    import skltransient.onnx as skl_onnx

    monkeypatch.setattr(skl_onnx, "_CHUNK", chunk)
    model = pretrained.load("ztf-sims")
    onnx_model = OnnxClassifier(to_onnx(model, tmp_path / "m.onnx"), preprocessing=model[:-1],
                                batch_size=4)
    onnx_model.session_ = _CountingSession(onnx_model.session_)
    lc, _ = make_lightcurves(40, seed=5, n_obs=(1, 80))
    proba = onnx_model.predict_proba(lc)
    assert sum(onnx_model.session_.sizes) == 40
    assert all(width == longest for width, longest in onnx_model.session_.widths)
    assert len({width for width, _ in onnx_model.session_.widths}) > 3  # lengths differ
    np.testing.assert_allclose(proba, model.predict_proba(lc), atol=1e-5, rtol=0)


@pytest.mark.parametrize("batch_size", [0, -3, 2.5, True, "32"])
def test_onnx_classifier_refuses_a_bad_batch_size(batch_size, tmp_path):
    """Check that a batch_size that is not a positive integer is refused, naming it."""
    with pytest.raises(ValueError, match=rf"batch_size must be a positive integer .*got "
                                         rf"{re.escape(repr(batch_size))}"):
        OnnxClassifier(tmp_path / "absent.onnx", batch_size=batch_size)


def test_onnx_classifier_with_the_gap_channel_and_snr_equals_predict_proba(tmp_path):
    """Check that the long-light-curve inputs (log_gap, snr) export: the same probabilities within 1e-5."""
    X, y = make_lightcurves(40, seed=4, n_obs=(1, 40))
    model = make_pipeline(LightCurvePadder(gap_channel=True), FluxNormalizer("snr"),
                          GRUClassifier(hidden_size=8, num_layers=2, head_size=8, max_epochs=2,
                                        random_state=0)).fit(X, y)
    onnx_model = OnnxClassifier(to_onnx(model, tmp_path / "m.onnx"), preprocessing=model[:-1])
    np.testing.assert_allclose(onnx_model.predict_proba(X), model.predict_proba(X), atol=1e-5, rtol=0)


@pytest.mark.parametrize("pooling", ["mean", "attention"])
def test_onnx_classifier_with_pooling_equals_predict_proba(tmp_path, pooling):
    """Check that a pooled network exports: the same probabilities within 1e-5."""
    X, y = make_lightcurves(40, seed=5, n_obs=(1, 40))
    model = make_pipeline(LightCurvePadder(), FluxNormalizer("snr"),
                          GRUClassifier(hidden_size=8, num_layers=2, head_size=8, max_epochs=2,
                                        pooling=pooling, random_state=0)).fit(X, y)
    onnx_model = OnnxClassifier(to_onnx(model, tmp_path / "m.onnx"), preprocessing=model[:-1],
                                batch_size=7)
    np.testing.assert_allclose(onnx_model.predict_proba(X), model.predict_proba(X), atol=1e-5, rtol=0)


def test_onnx_classifier_with_night_steps_equals_predict_proba(tmp_path):
    """Check that a network reading one step a night exports: the same probabilities within 1e-5."""
    X, y = make_lightcurves(40, seed=5, n_obs=(1, 40))
    model = make_pipeline(LightCurvePadder("nights"), FluxNormalizer("running_peak"),
                          GRUClassifier(hidden_size=8, num_layers=2, head_size=8, max_epochs=2,
                                        random_state=0)).fit(X, y)
    onnx_model = OnnxClassifier(to_onnx(model, tmp_path / "m.onnx"), preprocessing=model[:-1])
    assert onnx_model.channels_[-2:] == ("time", "scale_mag")
    np.testing.assert_allclose(onnx_model.predict_proba(X), model.predict_proba(X), atol=1e-5, rtol=0)
