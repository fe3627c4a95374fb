import copy
import hashlib
import json

import numpy as np
import pytest
import torch
from sklearn.pipeline import make_pipeline

from skltransient import FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler, TransferClassifier
from skltransient.persistence import FORMAT_VERSION, load_model, save_model
from skltransient.utils._testing import make_toy_lightcurves


@pytest.fixture(scope="module")
def fitted():
    X, y = make_toy_lightcurves(40, 3, random_state=0)
    model = make_pipeline(LightCurvePadder("grid", max_length=20), FluxNormalizer("median", keep_brightness=False),
                          MetadataScaler(), GRUClassifier(hidden_size=8, num_layers=1, head_size=8, max_epochs=2, random_state=0))
    return model.fit(X, y), X, y


def test_save_load_round_trip(fitted, tmp_path):
    """Check that a saved and loaded pipeline predicts identically and keeps its parameters."""
    model, X, _ = fitted
    save_model(model, tmp_path / "m", card="# card")
    loaded = load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded[0].bands_ == model[0].bands_ and loaded[0].metadata_columns == ("redshift", "mwebv")
    assert loaded[-1].get_params()["hidden_size"] == 8
    assert (tmp_path / "m" / "MODEL_CARD.md").read_text() == "# card"
    description = json.loads((tmp_path / "m" / "model.json").read_text())
    assert description["format_version"] == FORMAT_VERSION
    assert [s["class"] for s in description["steps"]] == ["LightCurvePadder", "FluxNormalizer",
                                                           "MetadataScaler", "GRUClassifier"]


def test_save_load_round_trip_of_night_steps(tmp_path):
    """Check the nights representation: saved, loaded, predicting the same, its channels checked."""
    X, y = make_toy_lightcurves(40, 3, random_state=0)
    model = make_pipeline(LightCurvePadder("nights"), FluxNormalizer("running_peak"),
                          MetadataScaler(), GRUClassifier(hidden_size=8, num_layers=1, head_size=8,
                                                          max_epochs=2, random_state=0)).fit(X, y)
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded[0].channels_ == model[0].channels_ and loaded[0].channels_[-1] == "time"
    path = tmp_path / "m" / "model.json"
    description = json.loads(path.read_text())
    description["steps"][0]["state"]["channels_"] = description["steps"][0]["state"]["channels_"][:-1]
    path.write_text(json.dumps(description))
    with pytest.raises(ValueError, match="are not those of representation 'nights'"):
        load_model(tmp_path / "m")


def test_loaded_model_can_be_transferred(fitted, tmp_path):
    """Check that a loaded model serves as a TransferClassifier base, and a transfer saves."""
    model, X, y = fitted
    save_model(model, tmp_path / "m")
    tuned = TransferClassifier(load_model(tmp_path / "m"), max_epochs=1, random_state=0).fit(X, y)
    save_model(tuned, tmp_path / "t")
    np.testing.assert_array_equal(load_model(tmp_path / "t").predict_proba(X), tuned.predict_proba(X))


def test_format_version_mismatch(fitted, tmp_path):
    """Check clear messages for newer and older format versions and a missing folder."""
    model, _, _ = fitted
    save_model(model, tmp_path / "m")
    path = tmp_path / "m" / "model.json"
    description = json.loads(path.read_text())
    description["format_version"] = FORMAT_VERSION + 1
    path.write_text(json.dumps(description))
    with pytest.raises(ValueError, match="Upgrade skltransient"):
        load_model(tmp_path / "m")
    description["format_version"] = 0
    path.write_text(json.dumps(description))
    with pytest.raises(ValueError, match="format version 0"):
        load_model(tmp_path / "m")
    with pytest.raises(FileNotFoundError, match="not a saved skltransient model"):
        load_model(tmp_path / "nothing")


def test_save_refuses_unknown_steps(tmp_path):
    """Check that a pipeline with a foreign step is refused with its name."""
    from sklearn.preprocessing import FunctionTransformer

    X, y = make_toy_lightcurves(20, 2)
    model = make_pipeline(LightCurvePadder(), FunctionTransformer(), MetadataScaler(),
                          GRUClassifier(hidden_size=4, max_epochs=1)).fit(X, y)
    with pytest.raises(TypeError, match="'functiontransformer' is a FunctionTransformer"):
        save_model(model, tmp_path / "m")


def saved(fitted, tmp_path):
    """Save the fitted pipeline to a fresh folder; return the folder and its parsed model.json."""
    model, _, _ = fitted
    folder = save_model(model, tmp_path / "m")
    return folder, json.loads((folder / "model.json").read_text())


def rewrite(folder, description=None, state=None):
    """Write a new model.json and/or weights.pt, keeping the checksum true to the weights."""
    if state is not None:
        torch.save(state, folder / "weights.pt")
    description = description or json.loads((folder / "model.json").read_text())
    description["weights_sha256"] = hashlib.sha256((folder / "weights.pt").read_bytes()).hexdigest()
    (folder / "model.json").write_text(json.dumps(description))


def test_save_model_records_the_weights_checksum(fitted, tmp_path):
    """Check that model.json holds the SHA-256 of weights.pt."""
    folder, description = saved(fitted, tmp_path)
    assert description["weights_sha256"] == hashlib.sha256((folder / "weights.pt").read_bytes()).hexdigest()


def test_load_model_refuses_corrupted_weights(fitted, tmp_path):
    """Check that 20 flipped bytes, a truncated and an empty weights.pt are refused, naming the file."""
    folder, _ = saved(fitted, tmp_path)
    weights = (folder / "weights.pt").read_bytes()
    flipped = bytearray(weights)
    for i in range(len(weights) - 400, len(weights) - 380):
        flipped[i] ^= 0xFF
    for damaged in (bytes(flipped), weights[: len(weights) // 2], b""):
        (folder / "weights.pt").write_bytes(damaged)
        with pytest.raises(ValueError, match=r"weights\.pt does not match the SHA-256 checksum "
                                             r"recorded in .*model\.json"):
            load_model(folder)
    rewrite(folder)  # an empty file with a checksum that matches it
    with pytest.raises(ValueError, match=r"weights\.pt cannot be read as the network's weights"):
        load_model(folder)


def test_default_pipeline_round_trip_and_files_older_than_its_parameters(tmp_path):
    """Check the brightness channel survives a round trip, and that a file saved before a
    parameter existed loads with the behaviour it was saved with, not with today's default."""
    X, y = make_toy_lightcurves(40, 3, random_state=0)
    model = make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler(),
                          GRUClassifier(hidden_size=8, num_layers=1, head_size=8, max_epochs=2,
                                        random_state=0)).fit(X, y)
    assert model[-1].channels_[-1] == "scale_mag"
    folder, description = saved((model, X, y), tmp_path)
    np.testing.assert_array_equal(load_model(folder).predict_proba(X), model.predict_proba(X))
    # An older file: no window, no keep_brightness, no sequence_loss, no augmentation (and four
    # channels).
    old = make_pipeline(LightCurvePadder(window=None), FluxNormalizer(keep_brightness=False),
                        MetadataScaler(),
                        GRUClassifier(hidden_size=8, num_layers=1, head_size=8, max_epochs=2,
                                      sequence_loss=0.0, observation_dropout=0.0,
                                      flux_noise=0.0, early_stopping=True, random_state=0)).fit(X, y)
    folder, description = saved((old, X, y), tmp_path / "old")
    del description["steps"][0]["params"]["window"]
    del description["steps"][1]["params"]["keep_brightness"]
    for name in ("sequence_loss", "observation_dropout", "flux_noise", "early_stopping"):
        del description["steps"][3]["params"][name]
    (folder / "model.json").write_text(json.dumps(description))
    loaded = load_model(folder)
    assert loaded[1].keep_brightness is False and loaded[-1].sequence_loss == 0.0
    assert loaded[-1].observation_dropout == 0.0 and loaded[-1].flux_noise == 0.0
    assert loaded[-1].early_stopping is True
    assert loaded[0].window is None
    np.testing.assert_array_equal(loaded.predict_proba(X), old.predict_proba(X))


def test_load_model_refuses_non_finite_weights(fitted, tmp_path):
    """Check that NaN or infinite weights are refused at load (and at save), naming the tensor."""
    folder, _ = saved(fitted, tmp_path)
    state = torch.load(folder / "weights.pt", weights_only=True)
    state["head.3.bias"][1] = float("nan")
    rewrite(folder, state=state)
    with pytest.raises(ValueError, match=r"weights\.pt holds non-finite values in 'head\.3\.bias'"):
        load_model(folder)
    model, _, _ = fitted
    broken = copy.deepcopy(model)
    with torch.no_grad():
        broken[-1].module_.head[3].bias[0] = float("inf")
    with pytest.raises(ValueError, match=r"non-finite values in 'head\.3\.bias'"):
        save_model(broken, tmp_path / "broken")


def drop(mapping, key):
    del mapping[key]


def add_band(description, band):
    """Give the padder and the classifier one more band, consistently across model.json."""
    bands = description["steps"][0]["state"]["bands_"] + [band]
    channels = [f"flux_{b}" for b in bands] + [f"flux_err_{b}" for b in bands]
    description["steps"][0]["state"].update(bands_=bands, channels_=channels)
    description["steps"][3]["state"]["channels_"] = channels
    for step in (0, 1, 3):
        description["steps"][step]["state"]["n_channels_"] = len(channels)


def set_state(step, key, value):
    return lambda d: d["steps"][step]["state"].__setitem__(key, value)


@pytest.mark.parametrize("edit, message", [
    (lambda d: drop(d, "steps"), r"model\.json has no 'steps' key"),
    (lambda d: drop(d, "weights_sha256"), r"model\.json has no 'weights_sha256' key"),
    (lambda d: d.__setitem__("steps", {}), r"model\.json: 'steps' is a dict \(\{\}\); expected a non-empty list"),
    (lambda d: drop(d["steps"][3], "state"), r"step 3 \('gruclassifier'\) has no 'state' key"),
    (lambda d: d["steps"][3].__setitem__("class", "Net"), r"step 3 \('gruclassifier'\): 'class' is "
                                                           r"'Net'; expected one of"),
    (lambda d: drop(d["steps"][3]["state"], "classes_"), r"step 3 \('gruclassifier'\) has no fitted "
                                                          r"state 'classes_'"),
    (set_state(3, "n_channels_", "4"), r"state 'n_channels_' is a str \('4'\); expected a "
                                       r"non-negative integer"),
    (lambda d: d["steps"][3]["params"].__setitem__("hidden_size", -3),
     r"step 3 \('gruclassifier'\): .*'hidden_size' parameter"),
    (lambda d: d["steps"][3]["params"].__setitem__("colour", "red"),
     r"step 3 \('gruclassifier'\): 'params' has \['colour'\], which GRUClassifier does not take"),
    (set_state(3, "foo_", 1), r"step 3 \('gruclassifier'\): 'state' has \['foo_'\], which the "
                              r"format does not store for a GRUClassifier"),
    # The representation and the channels must match each other and the weights.
    (lambda d: d["steps"][0]["params"].__setitem__("representation", "observations"),
     r"step 0 \('lightcurvepadder'\): its channels_ \['flux_ztfg', 'flux_ztfr', 'flux_err_ztfg', "
     r"'flux_err_ztfr'\] are not those of representation 'observations'"),
    (set_state(3, "channels_", ["flux_ztfr", "flux_ztfg", "flux_err_ztfg", "flux_err_ztfr"]),
     r"step 3 \('gruclassifier'\): channels_ \['flux_ztfr', 'flux_ztfg', 'flux_err_ztfg', "
     r"'flux_err_ztfr'\] differ from the channels_ \['flux_ztfg', 'flux_ztfr', 'flux_err_ztfg', "
     r"'flux_err_ztfr'\] of step 1 \('fluxnormalizer'\)"),
    (set_state(3, "channels_", ["flux_ztfg", "flux_ztfr", "flux_err_ztfg"]),
     r"step 3 \('gruclassifier'\): channels_ has 3 names but n_channels_ is 4"),
    (lambda d: add_band(d, "ztfi"),
     r"weights\.pt does not match .*model\.json: tensor 'encoder\.weight_ih_l0' has shape \(24, 4\), "
     r"but the GRUClassifier of model\.json \(n_channels_=6, .*\) needs \(24, 6\)"),
    (set_state(3, "classes_", {"__array__": ["a", "b", "c", "d"], "dtype": "<U1"}),
     r"weights\.pt does not match .*model\.json: tensor 'head\.3\.weight' has shape \(3, 8\), but "
     r"the GRUClassifier of model\.json \(n_channels_=4, n_metadata_=4, 4 classes_"),
    (lambda d: d["steps"][3]["params"].__setitem__("hidden_size", 9),
     r"tensor 'encoder\.weight_ih_l0' has shape \(24, 4\), .* needs \(27, 4\)"),
    (set_state(2, "n_features_in_", 3), r"step 2 \('metadatascaler'\): n_features_in_ is 3 but "
                                        r"mean_ has 2 values"),
    (set_state(3, "n_metadata_", 2), r"step 3 \('gruclassifier'\): n_metadata_ is 2 but step 2 "
                                     r"\('metadatascaler'\) gives 4 metadata columns"),
])
def test_load_model_validates_model_json(fitted, tmp_path, edit, message):
    """Check that a model.json that breaks the format or disagrees with the weights is refused."""
    folder, description = saved(fitted, tmp_path)
    edit(description)
    (folder / "model.json").write_text(json.dumps(description))
    with pytest.raises(ValueError, match=message):
        load_model(folder)


def test_load_model_refuses_a_file_that_is_not_json(fitted, tmp_path):
    """Check that a model.json that does not parse is refused, naming the file."""
    folder, _ = saved(fitted, tmp_path)
    (folder / "model.json").write_text('{"format_version": 2,')
    with pytest.raises(ValueError, match=r"model\.json is not valid JSON"):
        load_model(folder)


def test_load_model_reads_format_version_1_without_checksum(fitted, tmp_path):
    """Check that a model saved before checksums loads, with a warning saying to save it again."""
    model, X, _ = fitted
    folder, description = saved(fitted, tmp_path)
    description["format_version"] = 1
    del description["weights_sha256"]
    (folder / "model.json").write_text(json.dumps(description))
    with pytest.warns(UserWarning, match=r"model\.json is in format version 1, which has no checksum"):
        loaded = load_model(folder)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_shipped_model_has_a_checksum():
    """Check that the shipped ztf-sims model is saved in the current format with its checksum."""
    from importlib import resources

    folder = resources.files("skltransient.pretrained") / "ztf-sims"
    description = json.loads((folder / "model.json").read_text())
    assert description["format_version"] == FORMAT_VERSION
    assert description["weights_sha256"] == hashlib.sha256((folder / "weights.pt").read_bytes()).hexdigest()


def test_windowed_padder_round_trip(tmp_path):
    """Check that a padder's window survives saving (as the tuple it was) and still windows."""
    X, y = make_toy_lightcurves(30, 3, random_state=1)
    model = make_pipeline(LightCurvePadder(window=(-10.0, 30.0)), FluxNormalizer(), MetadataScaler(),
                          GRUClassifier(hidden_size=8, num_layers=1, head_size=8, max_epochs=1,
                                        random_state=0)).fit(X, y)
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded[0].window == (-10.0, 30.0)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X.window(None, 30.0)))


def test_gap_channel_and_snr_round_trip(tmp_path):
    """Check that the gap channel, the snr scaling and sequence_loss_from survive saving and still predict the same."""
    X, y = make_toy_lightcurves(30, 3, random_state=1)
    model = make_pipeline(LightCurvePadder(gap_channel=True), FluxNormalizer("snr"), MetadataScaler(),
                          GRUClassifier(hidden_size=8, num_layers=1, head_size=8, max_epochs=1,
                                        sequence_loss_from="trigger", random_state=0)).fit(X, y)
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded[0].channels_[-1] == "log_gap" and loaded[1].method == "snr"
    assert loaded[-1].sequence_loss_from == "trigger"
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("pooling", ["mean", "attention"])
def test_pooling_round_trip(tmp_path, pooling):
    """Check that a pooled network saves and loads as the same model, and that a file of one pooling
    with the weights of another is refused, naming it."""
    X, y = make_toy_lightcurves(30, 3, random_state=1)
    model = make_pipeline(LightCurvePadder(), FluxNormalizer("snr"), MetadataScaler(),
                          GRUClassifier(hidden_size=8, num_layers=1, head_size=8, max_epochs=1,
                                        pooling=pooling, random_state=0)).fit(X, y)
    save_model(model, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert loaded[-1].pooling == pooling
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    description = json.loads((tmp_path / "m" / "model.json").read_text())
    for step in description["steps"]:
        if step["class"] == "GRUClassifier":
            step["params"]["pooling"] = "last"
    (tmp_path / "m" / "model.json").write_text(json.dumps(description))
    with pytest.raises(ValueError, match="pooling='last'"):
        load_model(tmp_path / "m")


def test_save_model_refuses_an_existing_model_unless_told_to_overwrite(fitted, tmp_path):
    """Check that saving over a saved model is refused, and done with overwrite=True."""
    model, X, _ = fitted
    folder = save_model(model, tmp_path / "m", card="# old")
    with pytest.raises(FileExistsError, match=r"The output '.*m' exists; .*overwrite=True"):
        save_model(model, folder)
    save_model(model, folder, overwrite=True)
    np.testing.assert_array_equal(load_model(folder).predict_proba(X), model.predict_proba(X))


def test_save_model_replaces_the_folder_whole(fitted, tmp_path):
    """Check that a save without a card leaves neither the old card nor any other old file."""
    model, _, _ = fitted
    folder = save_model(model, tmp_path / "m", card="# the previous model")
    (folder / "features-model.joblib").write_bytes(b"an older model of another kind")
    save_model(model, folder, overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "weights.pt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary folder left


def test_save_model_never_replaces_a_folder_that_is_not_a_model(fitted, tmp_path):
    """Check that a folder of something else is refused, even with overwrite, and an empty one used."""
    model, _, _ = fitted
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"...")
    with pytest.raises(ValueError, match=r"'.*photos' exists and is not what this command writes"):
        save_model(model, tmp_path / "photos", overwrite=True)
    assert (tmp_path / "photos" / "cat.jpg").read_bytes() == b"..."
    (tmp_path / "empty").mkdir()
    assert (save_model(model, tmp_path / "empty") / "model.json").is_file()


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, OSError])
def test_save_model_interrupted_leaves_the_previous_model(fitted, tmp_path, monkeypatch, interrupt):
    """Check that a save interrupted while writing the weights leaves the old model, complete."""
    model, X, _ = fitted
    folder = save_model(model, tmp_path / "m", card="# old")
    old = {p.name: p.read_bytes() for p in folder.iterdir()}

    def fail(self, data):
        raise interrupt("interrupted")

    monkeypatch.setattr(type(folder), "write_bytes", fail)
    with pytest.raises(interrupt):
        save_model(model, folder, overwrite=True, card="# new")
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]
    np.testing.assert_array_equal(load_model(folder).predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("size, value", [("hidden_size", 30_000), ("num_layers", 10**9)])
def test_load_model_refuses_a_network_larger_than_its_weights_before_building_it(
        fitted, tmp_path, size, value):
    """Check that a model.json edited to a huge network is refused at once, with its memory."""
    folder, description = saved(fitted, tmp_path)
    description["steps"][3]["params"][size] = value
    (folder / "model.json").write_text(json.dumps(description))
    with pytest.raises(ValueError, match=rf"model\.json describes a GRUClassifier \(.*{size}={value}"
                                         rf".*\) of [\d,]+ parameters, about [\d.]+ [GTPE]B in "
                                         rf"memory, but .*weights\.pt holds [\d,]+; it is not built"):
        load_model(folder)


def test_load_model_refuses_a_max_length_no_memory_holds(fitted, tmp_path):
    """Check that a padder's max_length edited to 10**12 is refused at load with the memory it needs."""
    folder, description = saved(fitted, tmp_path)
    description["steps"][0]["params"]["max_length"] = 10**12
    (folder / "model.json").write_text(json.dumps(description))
    with pytest.raises(ValueError, match=r"step 0 \('lightcurvepadder'\): Padding 1 light curve to "
                                         r"1,000,000,000,000 steps .* would need about [\d.]+ TB"):
        load_model(folder)


@pytest.mark.parametrize("key, value, message", [
    ("mean_", float("nan"), r"mean_ holds nan at position 1 \(1 in all\); a fitted MetadataScaler's "
                            r"mean_ is finite"),
    ("scale_", 0.0, r"scale_ holds 0\.0 at position 1 .* is finite and positive"),
    ("scale_", float("inf"), r"scale_ holds inf at position 1"),
])
def test_load_model_refuses_scaler_state_that_makes_no_sense(fitted, tmp_path, key, value, message):
    """Check that a MetadataScaler's mean_ and scale_ from the file must be finite (scale_ positive)."""
    folder, description = saved(fitted, tmp_path)
    description["steps"][2]["state"][key]["__array__"][1] = value
    (folder / "model.json").write_text(json.dumps(description))
    with pytest.raises(ValueError, match=r"step 2 \('metadatascaler'\): " + message):
        load_model(folder)


def test_load_model_refuses_unknown_bands(fitted, tmp_path):
    """Check that a padder's bands_ must be known bands, named in the error."""
    folder, description = saved(fitted, tmp_path)
    description["steps"][0]["state"]["bands_"] = ["ztfg", "hubble"]
    description["steps"][0]["state"]["channels_"] = ["flux_ztfg", "flux_hubble", "flux_err_ztfg",
                                                     "flux_err_hubble"]
    (folder / "model.json").write_text(json.dumps(description))
    with pytest.raises(ValueError, match=r"step 0 \('lightcurvepadder'\): bands_ \['ztfg', 'hubble'\] "
                                         r"has unknown or repeated bands \(\['hubble'\]\)"):
        load_model(folder)


def test_load_model_refuses_a_symlinked_weights_file(fitted, tmp_path):
    """Check that weights.pt replaced by a link to other weights fails its checksum."""
    model, X, y = fitted
    folder, _ = saved(fitted, tmp_path)
    other = make_pipeline(LightCurvePadder("grid", max_length=20),
                          FluxNormalizer("median", keep_brightness=False), MetadataScaler(),
                          GRUClassifier(hidden_size=8, num_layers=1, head_size=8, max_epochs=2,
                                        random_state=1)).fit(X, y)
    elsewhere = save_model(other, tmp_path / "other")
    (folder / "weights.pt").unlink()
    (folder / "weights.pt").symlink_to(elsewhere / "weights.pt")
    with pytest.raises(ValueError, match=r"weights\.pt does not match the SHA-256 checksum"):
        load_model(folder)


def test_load_model_refuses_a_pickle_with_a_matching_checksum_without_running_it(fitted, tmp_path):
    """Check that a weights.pt holding a malicious pickle is refused, with its code not run."""
    import pickle

    folder, _ = saved(fitted, tmp_path)
    witness = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (open, (str(witness), "w"))

    torch.save({"encoder.weight_ih_l0": Payload()}, folder / "weights.pt", pickle_module=pickle)
    rewrite(folder)
    with pytest.raises(ValueError, match=r"weights\.pt cannot be read as the network's weights"):
        load_model(folder)
    assert not witness.exists()


@pytest.mark.parametrize("name", ["../ztf-sims", "/etc", "ztf-sims/../../persistence.py", ".."])
def test_pretrained_load_refuses_paths(name):
    """Check that pretrained.load takes only the names of shipped models, not paths."""
    from skltransient import pretrained

    with pytest.raises(ValueError, match=r"No pretrained model .*; available models are"):
        pretrained.load(name)
    with pytest.raises(ValueError, match=r"No pretrained model"):
        pretrained.card(name)


def save_and_load_repeatedly(shared, sources, expected, X, seconds, worker, barrier, results):
    """Save the two source models to ``shared`` in turn and load it, for ``seconds`` once all
    workers are ready (in a spawned process); put the loads of each version, or the error, in
    ``results``."""
    import time
    import traceback

    try:
        torch.set_num_threads(1)
        models = [load_model(source) for source in sources]
        seen = [0, 0]
        barrier.wait()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            version = (worker + sum(seen)) % 2
            save_model(models[version], shared, overwrite=True, card=f"# version {version}")
            proba = load_model(shared).predict_proba(X)
            matches = [k for k in (0, 1) if np.array_equal(proba, expected[k])]
            if len(matches) != 1:
                raise AssertionError("a load gave neither of the saved models")
            seen[matches[0]] += 1
        results.put((worker, seen))
    except BaseException:  # noqa: BLE001 - reported to the test in the parent process
        results.put((worker, traceback.format_exc()))


def test_save_model_and_load_model_from_eight_processes_at_once(fitted, tmp_path):
    """Check that 8 processes saving and loading one path always load a complete model, either one."""
    import multiprocessing

    model, X, y = fitted
    other = copy.deepcopy(model)
    with torch.no_grad():
        for parameter in other[-1].module_.parameters():
            parameter.add_(0.01)
    sources = [save_model(model, tmp_path / "a"), save_model(other, tmp_path / "b")]
    expected = [load_model(source).predict_proba(X) for source in sources]
    assert not np.array_equal(expected[0], expected[1])
    shared = tmp_path / "shared"
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(8), context.Queue()
    workers = [context.Process(target=save_and_load_repeatedly,
                               args=(shared, sources, expected, X, 3.0, worker, barrier, results))
               for worker in range(8)]
    for process in workers:
        process.start()
    outcomes = dict(results.get(timeout=900) for _ in workers)  # spawning 8 torch imports
    for process in workers:
        process.join()
    failures = [outcome for outcome in outcomes.values() if isinstance(outcome, str)]
    assert not failures, failures[0]
    assert all(sum(seen) > 0 for seen in outcomes.values())
    assert sum(seen[0] for seen in outcomes.values()) > 0 and sum(seen[1] for seen in outcomes.values()) > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "shared"]
    assert sorted(p.name for p in shared.iterdir()) == ["MODEL_CARD.md", "model.json", "weights.pt"]


def test_save_model_pickles_a_model_without_a_network(tmp_path):
    """Check that a fitted classifier that is not a GRU model (the feature baseline's kind) round
    trips through save_model and load_model, with its card, and that a damaged file is named."""
    from sklearn.linear_model import LogisticRegression

    X, y = np.random.default_rng(0).normal(size=(30, 3)), np.repeat(["a", "b", "c"], 10)
    model = LogisticRegression().fit(X, y)
    folder = save_model(model, tmp_path / "m", card="# a baseline")
    assert sorted(p.name for p in folder.iterdir()) == ["MODEL_CARD.md", "features-model.joblib"]
    np.testing.assert_array_equal(load_model(folder).predict_proba(X), model.predict_proba(X))
    save_model(model, folder, overwrite=True)  # a saved model of either kind may be replaced
    (folder / "features-model.joblib").write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="features-model.joblib is not a model saved by"):
        load_model(folder)


def test_save_model_refuses_an_unfitted_model_or_one_that_does_not_classify(tmp_path):
    """Check that save_model refuses, before writing anything, a model it cannot load back as one."""
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    with pytest.raises(NotFittedError):
        save_model(LogisticRegression(), tmp_path / "m")
    with pytest.raises(TypeError, match="StandardScaler has no predict_proba"):
        save_model(StandardScaler().fit(np.zeros((2, 2))), tmp_path / "m")
    assert not (tmp_path / "m").exists()
