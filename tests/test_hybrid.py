"""The hybrid network: whole-light-curve statistics fused into the GRU's metadata branch."""

import copy
import json
import pickle
import warnings

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

pytest.importorskip("light_curve", reason="light-curve is not installed (the 'features' extra)")

from skltransient import LightCurvePadder, LightCurves, MetadataScaler, TransferClassifier  # noqa: E402
from skltransient.early import (  # noqa: E402
    ClassificationStream,
    predict_proba_at,
    predict_proba_over_time,
)
from skltransient.features import LightCurveFeatures  # noqa: E402
from skltransient.persistence import load_model, save_model  # noqa: E402
from skltransient.recipes import hybrid_pipeline  # noqa: E402
from skltransient.utils._testing import make_toy_lightcurves  # noqa: E402

SMALL = dict(hidden_size=8, num_layers=1, head_size=8, metadata_size=8, max_epochs=2)


@pytest.fixture(scope="module")
def data():
    return make_toy_lightcurves(40, 3, random_state=4)


@pytest.fixture(scope="module", params=[False, True], ids=["statistics", "periodogram"])
def hybrid(data, request):
    """The hybrid network, with and without the periodogram among its statistics."""
    return hybrid_pipeline(**SMALL).set_params(
        lightcurvepadder__features__periodogram=request.param).fit(*data)


def test_padder_features_append_named_columns_to_the_metadata(data):
    """Check that the features follow the metadata columns, named, equal to the transformer's."""
    X, _ = data
    padder = LightCurvePadder(features=LightCurveFeatures(metadata_columns=())).fit(X)
    padded = padder.transform(X)
    reference = LightCurveFeatures(metadata_columns=()).fit(X)
    names = tuple(reference.get_feature_names_out())
    assert padded.metadata_names == ("redshift", "mwebv") + names
    assert padder.metadata_names_ == padded.metadata_names
    expected = reference.transform(X).astype(np.float32)
    np.testing.assert_array_equal(padded.metadata[:, 2:], expected)
    np.testing.assert_array_equal(padded.metadata[:, :2], LightCurvePadder().fit(X).transform(X).metadata)
    assert not hasattr(padder.features, "bands_")  # a clone is fitted, the parameter left as given


def test_padder_features_are_those_of_the_window(data):
    """Check that with a window the statistics are of the observations the padder keeps."""
    X, _ = data
    padder = LightCurvePadder(window=(-5, 10), features=LightCurveFeatures(metadata_columns=()))
    padded = padder.fit(X).transform(X)
    kept = X.window(-5, 10)
    expected = LightCurveFeatures(metadata_columns=()).fit(kept).transform(kept).astype(np.float32)
    np.testing.assert_array_equal(padded.metadata[:, 2:], expected)
    whole = LightCurveFeatures(metadata_columns=()).fit(X).transform(X).astype(np.float32)
    assert not np.array_equal(np.nan_to_num(expected), np.nan_to_num(whole))


def test_padder_features_batch_by_batch_equal_the_whole(data):
    """Check that the deferred batches carry the same statistics as padding everything once."""
    X, _ = data
    padder = LightCurvePadder(features=LightCurveFeatures(metadata_columns=())).fit(X)
    whole = padder.transform(X).metadata
    deferred = padder.transform(X)
    for index, batch in deferred.batches(7, order=np.argsort(X.lengths)):
        np.testing.assert_array_equal(batch.metadata, whole[index])


def test_padder_features_refuse_names_that_repeat_the_metadata(data):
    """Check that features carrying their own redshift are refused, naming the columns."""
    X, _ = data
    with pytest.raises(ValueError, match=r"\['mwebv', 'redshift'\] repeat metadata_columns"):
        LightCurvePadder(features=LightCurveFeatures()).fit(X)


def test_padder_features_must_be_a_transformer(data):
    """Check that features that are not a transformer with feature names are refused."""
    X, _ = data
    with pytest.raises(ValueError, match="'features' parameter of LightCurvePadder"):
        LightCurvePadder(features="light-curve").fit(X)


def test_padder_features_declare_their_lookahead(data, hybrid):
    """Check that the padded output says the statistics see the whole light curve."""
    X, _ = data
    reasons = hybrid[:-1].transform(X).lookahead_reasons()
    assert any("statistics of each whole light curve" in reason for reason in reasons)
    plain = LightCurvePadder().fit(X).transform(X)
    assert "features" not in plain.lookahead


def test_hybrid_predict_proba_at_uses_only_the_observations_up_to_each_day(data, hybrid):
    """Check that predictions at a day equal the cut light curves' and ignore later observations."""
    X, _ = data
    days = [0.0, 3.0, 10.0]
    at = predict_proba_at(hybrid, X, days)
    for j, day in enumerate(days):
        cut = X.truncate(days_since_trigger=day)
        seen = np.isin(X.object_ids, cut.object_ids)
        np.testing.assert_allclose(at[seen, j], hybrid.predict_proba(cut), rtol=0, atol=1e-6)
    # Changing every observation after day 3 changes nothing at day 3.
    after = X.time > X.trigger_time[X.object_index] + 3.0
    frame = X.to_pandas()
    frame["flux"] = np.where(after, X.flux * 5 + 100, X.flux)
    changed = LightCurves.from_pandas(frame, X.metadata)
    np.testing.assert_array_equal(predict_proba_at(hybrid, changed, [3.0]), at[:, [1]])
    assert not np.allclose(hybrid.predict_proba(changed), hybrid.predict_proba(X))


def test_hybrid_over_time_warns_that_the_statistics_see_the_future(data, hybrid):
    """Check that one pass over time says it assumes the whole light curve's statistics."""
    X, _ = data
    with pytest.warns(UserWarning, match="statistics of each whole light curve"):
        predict_proba_over_time(hybrid, X)


def test_hybrid_cannot_be_streamed(hybrid):
    """Check that a stream refuses the hybrid network, saying why and what to do."""
    with pytest.raises(ValueError, match="cannot be streamed at constant cost.*predict_proba_at"):
        ClassificationStream(hybrid)


def test_hybrid_pickles_and_saves(data, hybrid, tmp_path):
    """Check that pickling and the model format give back the same probabilities."""
    X, _ = data
    expected = hybrid.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(hybrid)).predict_proba(X), expected)
    save_model(hybrid, tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    assert loaded[0].features_.feature_names_out_.tolist() == \
        hybrid[0].features_.feature_names_out_.tolist()
    described = json.loads((tmp_path / "m" / "model.json").read_text())["steps"][0]
    assert described["params"]["features"]["class"] == "LightCurveFeatures"
    assert described["state"]["features_"]["state"]["bands_"] == ["ztfg", "ztfr"]


@pytest.mark.parametrize("edit, message", [
    (lambda s: s["state"]["features_"]["state"].pop("feature_names_out_"),
     "no fitted state 'feature_names_out_'"),
    (lambda s: s["state"]["features_"].update({"class": "Pickle"}), "is not one of"),
    (lambda s: s["state"]["features_"]["state"]["feature_names_out_"]["__array__"].pop(),
     "do not end with the fitted features' names"),
])
def test_load_model_refuses_damaged_features(hybrid, tmp_path, edit, message):
    """Check that a model file with damaged features is refused, naming the file and key."""
    save_model(hybrid, tmp_path / "m")
    file = tmp_path / "m" / "model.json"
    description = json.loads(file.read_text())
    edit(description["steps"][0])
    file.write_text(json.dumps(description))
    with pytest.raises(ValueError, match=message):
        load_model(tmp_path / "m")


def test_save_model_refuses_features_it_cannot_describe(data, hybrid, tmp_path):
    """Check that a padder with another features transformer is not saved by the format."""
    from skltransient.features import NetworkEmbedding

    model = copy.deepcopy(hybrid)
    model[0].features = NetworkEmbedding(hybrid)
    with pytest.raises(TypeError, match=r"stores only \['LightCurveFeatures'\] as a LightCurvePadder"):
        save_model(model, tmp_path / "m")


def test_transfer_keeps_the_fused_statistics(data, hybrid):
    """Check that fine-tuning keeps the base's fitted statistics and the metadata width."""
    X, y = data
    target_X, target_y = make_toy_lightcurves(30, 3, random_state=9)
    transfer = TransferClassifier(hybrid, freeze="encoder", max_epochs=1).fit(target_X, target_y)
    padder = transfer.transformers_[0]
    assert padder.features_.feature_names_out_.tolist() == \
        hybrid[0].features_.feature_names_out_.tolist()
    assert transfer.classifier_.n_metadata_ == hybrid[-1].n_metadata_
    padded = transfer.transformers_.transform(target_X)
    assert padded.metadata_names == hybrid[-1].metadata_names_
    assert transfer.predict_proba(X).shape == (len(X), 3)


def test_transfer_to_other_bands_names_the_statistics_that_differ(data, hybrid):
    """Check that refitting the padder on other bands is refused, naming the columns, unless fixed."""
    X, y = data
    target_X, target_y = make_toy_lightcurves(30, 3, random_state=9, bands=("ztfg", "ztfi"))
    with pytest.raises(ValueError, match="ztfi_amplitude"):
        TransferClassifier(hybrid, refit_transformers=True, max_epochs=1).fit(target_X, target_y)
    fixed = hybrid_pipeline(bands=["ztfg", "ztfr", "ztfi"], **SMALL).fit(X, y)
    transfer = TransferClassifier(fixed, refit_transformers=True, max_epochs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        transfer.fit(target_X, target_y)
    assert transfer.classifier_.n_metadata_ == fixed[-1].n_metadata_


def test_hybrid_exports_to_onnx(data, hybrid, tmp_path):
    """Check that the exported hybrid network with its transformers gives predict_proba."""
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (the 'onnx' extra)")
    from skltransient.onnx import OnnxClassifier, to_onnx

    X, _ = data
    onnx_model = OnnxClassifier(to_onnx(hybrid, tmp_path / "m.onnx"), preprocessing=hybrid[:-1])
    np.testing.assert_allclose(onnx_model.predict_proba(X), hybrid.predict_proba(X),
                               atol=1e-5, rtol=0)


def test_hybrid_in_grid_search(data):
    """Check that the hybrid pipeline clones and searches over its padder's features."""
    X, y = data
    search = GridSearchCV(hybrid_pipeline(**{**SMALL, "max_epochs": 1}),
                          {"gruclassifier__metadata_size": [4, 8]}, cv=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        search.fit(X, y)
    assert search.best_estimator_[0].features_ is not search.estimator[0].features
    assert search.best_estimator_[-1].n_metadata_ == 2 * len(search.best_estimator_[0].metadata_names_)


def test_hybrid_averaged_with_the_baseline_in_a_voting_classifier(data):
    """Check that a soft VotingClassifier of the hybrid and the baseline fits light curves as is."""
    from sklearn.ensemble import VotingClassifier

    from skltransient.recipes import features_pipeline

    X, y = data
    vote = VotingClassifier([("network", hybrid_pipeline(**SMALL)),
                             ("features", features_pipeline(max_iter=5))], voting="soft")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        vote.fit(X, y)
    network, features = vote.named_estimators_["network"], vote.named_estimators_["features"]
    expected = (network.predict_proba(X) + features.predict_proba(X)) / 2
    np.testing.assert_allclose(vote.predict_proba(X), expected)
    assert vote.classes_.tolist() == sorted(set(y))
    np.testing.assert_array_equal(vote.predict(X), vote.classes_[expected.argmax(axis=1)])


def test_metadata_scaler_arcsinh_spreads_heavy_tails():
    """Check that compress='arcsinh' standardises arcsinh of each column, keeping NaN flags."""
    data = np.array([[1.0, 0.1], [10.0, np.nan], [1e5, 0.3], [3.0, 0.2]])
    scaled = MetadataScaler(compress="arcsinh").fit_transform(data)
    expected = np.arcsinh(data[:, 0])
    expected = (expected - expected.mean()) / expected.std()
    np.testing.assert_allclose(scaled[:, 0], expected)
    assert scaled[1, 1] == 0 and scaled[1, 3] == 1
    plain = MetadataScaler().fit_transform(data)
    # Standardised alone, the three faint objects are nearly one value; compressed, they are not.
    assert np.ptp(plain[[0, 1, 3], 0]) < 0.001 and np.ptp(scaled[[0, 1, 3], 0]) > 0.4
    with pytest.raises(ValueError, match="'compress' parameter of MetadataScaler"):
        MetadataScaler(compress="log").fit(data)
