"""NetworkEmbedding: values, order, names, clone and pickle, stacking in pipelines and searches."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline, make_union

from skltransient import (FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler,
                          TransferClassifier, pretrained)
from skltransient.features import NetworkEmbedding
from skltransient.features._features import FillEmptyFeatures
from skltransient.utils._testing import make_toy_lightcurves

HIDDEN = 6


@pytest.fixture(scope="module")
def data():
    return make_toy_lightcurves(40, 3, random_state=0)


@pytest.fixture(scope="module")
def model(data):
    X, y = data
    clf = GRUClassifier(hidden_size=HIDDEN, num_layers=1, head_size=8, max_epochs=2,
                        random_state=0)
    return make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler(), clf).fit(X, y)


def network_state(model):
    return {k: v.clone() for k, v in model[-1].net_.module_.state_dict().items()}


def assert_same_network(model, state):
    now = model[-1].net_.module_.state_dict()
    assert now.keys() == state.keys()
    for key, value in state.items():
        assert np.array_equal(now[key].numpy(), value.numpy()), key


def test_embedding_equals_the_networks_embed(model, data):
    """Check that the embedding is the model's preprocessing then GRUClassifier.embed."""
    X, _ = data
    embedding = NetworkEmbedding(model).fit(X)
    out = embedding.transform(X)
    expected = model[-1].embed(model[:-1].transform(X))
    assert out.shape == (len(X), HIDDEN) and embedding.n_features_out_ == HIDDEN
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, expected)
    assert embedding.estimator_ is model  # shared, not copied
    assert np.ptp(out, axis=0).min() > 0  # a real representation, not a constant


def test_embedding_of_a_pooled_network_holds_the_state_and_the_pool(data):
    """Check that with pooling the embedding is the head's whole input from the light curve: the
    last state, then the pooled states (twice hidden_size columns)."""
    X, y = data
    clf = GRUClassifier(hidden_size=HIDDEN, num_layers=1, head_size=8, max_epochs=1,
                        pooling="mean", random_state=0)
    model = make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler(), clf).fit(X, y)
    embedding = NetworkEmbedding(model).fit(X)
    out = embedding.transform(X)
    assert out.shape == (len(X), 2 * HIDDEN) and embedding.n_features_out_ == 2 * HIDDEN
    assert len(embedding.get_feature_names_out()) == 2 * HIDDEN
    np.testing.assert_allclose(out[:, :HIDDEN], model[-1].embed(model[:-1].transform(X))[:, :HIDDEN])
    assert not np.allclose(out[:, :HIDDEN], out[:, HIDDEN:])


def test_embedding_rows_follow_the_input_order(model, data):
    """Check that each row is its object's embedding, in X's order, whatever the order."""
    X, _ = data
    embedding = NetworkEmbedding(model).fit(X)
    full = embedding.transform(X)
    order = np.array([7, 0, 31, 3, 12])
    np.testing.assert_allclose(embedding.transform(X[order]), full[order], rtol=1e-5, atol=1e-6)
    reversed_ = np.arange(len(X))[::-1]
    np.testing.assert_allclose(embedding.transform(X[reversed_]), full[reversed_], rtol=1e-5,
                               atol=1e-6)


def test_embedding_of_a_bare_classifier_takes_padded_input(model, data):
    """Check that a GRUClassifier without preprocessing embeds the padded light curves given."""
    X, _ = data
    padded = model[:-1].transform(X)
    out = NetworkEmbedding(model[-1]).fit(padded).transform(padded)
    np.testing.assert_array_equal(out, model[-1].embed(padded))


def test_embedding_feature_names_and_pandas_output(model, data):
    """Check the names (scikit-learn's class-name prefix) and the DataFrame of set_output."""
    X, _ = data
    embedding = NetworkEmbedding(model).fit(X)
    names = embedding.get_feature_names_out()
    assert names.tolist() == [f"networkembedding{i}" for i in range(HIDDEN)]
    frame = NetworkEmbedding(model).set_output(transform="pandas").fit(X).transform(X)
    assert isinstance(frame, pd.DataFrame) and frame.columns.tolist() == names.tolist()
    np.testing.assert_array_equal(frame.to_numpy(), embedding.transform(X))


def test_embedding_clone_keeps_the_fitted_network(model, data):
    """Check that a clone shares the fitted model, is unfitted, and embeds alike once fitted."""
    X, _ = data
    embedding = NetworkEmbedding(model).fit(X)
    cloned = clone(embedding)
    assert cloned.estimator is model
    assert not hasattr(cloned, "n_features_out_")
    with pytest.raises(NotFittedError):
        cloned.transform(X)
    np.testing.assert_array_equal(cloned.fit(X).transform(X), embedding.transform(X))
    assert list(cloned.get_params()) == ["estimator"]  # does not descend into the model


def test_embedding_refuses_nested_parameters(model):
    """Check that set_params cannot write into the shared model."""
    embedding = NetworkEmbedding(model)
    with pytest.raises(ValueError, match=r"cannot set the nested parameters \['estimator__"):
        embedding.set_params(estimator__gruclassifier__lr=1.0)
    assert model[-1].lr == GRUClassifier().lr
    other = NetworkEmbedding("ztf-sims")
    assert embedding.set_params(estimator=other.estimator).estimator == "ztf-sims"


def test_embedding_pickle_round_trip(model, data):
    """Check that a pickled and unpickled embedding gives the same values."""
    X, _ = data
    embedding = NetworkEmbedding(model).fit(X)
    again = pickle.loads(pickle.dumps(embedding))
    assert again.estimator_ is again.estimator  # still one model, not two copies
    np.testing.assert_array_equal(again.transform(X), embedding.transform(X))


def test_embedding_stacked_with_light_curve_features(model, data):
    """Check a union with LightCurveFeatures before gradient boosting, fitted on LightCurves."""
    pytest.importorskip("light_curve")
    from skltransient.features import LightCurveFeatures

    X, y = data
    stacked = make_pipeline(make_union(NetworkEmbedding(model), LightCurveFeatures()),
                            FillEmptyFeatures(),
                            HistGradientBoostingClassifier(max_iter=5, random_state=0))
    stacked.fit(X, y)
    assert stacked.predict(X).shape == (len(X),)
    assert set(stacked.predict(X)) <= set(y)
    union = stacked[0]
    features = union.transform(X)
    n_lc = len(union.transformer_list[1][1].get_feature_names_out())
    assert features.shape == (len(X), HIDDEN + n_lc)
    np.testing.assert_array_equal(features[:, :HIDDEN], model[-1].embed(model[:-1].transform(X)))
    names = union.get_feature_names_out()
    assert names[0] == "networkembedding__networkembedding0"
    assert names[HIDDEN] == "lightcurvefeatures__ztfg_amplitude"


def test_embedding_in_grid_search_leaves_the_network_unchanged(model, data):
    """Check a search over the boosting's parameter: every candidate embeds with the same network."""
    X, y = data
    before = network_state(model)
    expected = model[-1].embed(model[:-1].transform(X))
    pipe = make_pipeline(NetworkEmbedding(model),
                         HistGradientBoostingClassifier(max_iter=5, random_state=0))
    search = GridSearchCV(pipe, {"histgradientboostingclassifier__max_depth": [2, 3]}, cv=2,
                          error_score="raise").fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    assert search.best_estimator_[0].estimator_ is model
    assert_same_network(model, before)
    np.testing.assert_array_equal(search.best_estimator_[0].transform(X), expected)
    scores = cross_val_score(pipe, X, y, cv=2, error_score="raise")
    assert scores.shape == (2,) and np.all(np.isfinite(scores))
    assert_same_network(model, before)


def test_embedding_of_a_transfer_classifier_uses_the_fine_tuned_network(model, data):
    """Check that a TransferClassifier embeds through its transformers and fine-tuned network."""
    X, y = data
    X_target, y_target = make_toy_lightcurves(20, 3, random_state=5)
    tuned = TransferClassifier(model, lr=0.05, max_epochs=2, random_state=0).fit(X_target, y_target)
    out = NetworkEmbedding(tuned).fit(X).transform(X)
    expected = tuned.classifier_.embed(tuned.transformers_.transform(X))
    np.testing.assert_array_equal(out, expected)
    base = model[-1].embed(model[:-1].transform(X))
    assert not np.allclose(out, base)  # not the base model's network


def test_embedding_of_a_pretrained_name(data):
    """Check that a shipped model's name is loaded in fit and embeds like the loaded model."""
    X, _ = data
    embedding = NetworkEmbedding("ztf-sims").fit(X)
    loaded = pretrained.load("ztf-sims")
    expected = loaded[-1].embed(loaded[:-1].transform(X))
    assert embedding.n_features_out_ == loaded[-1].hidden_size == expected.shape[1]
    np.testing.assert_array_equal(embedding.transform(X), expected)
    assert clone(embedding).estimator == "ztf-sims"


def test_embedding_refuses_an_unknown_pretrained_name(data):
    """Check that an unknown name is refused, listing the shipped models."""
    X, _ = data
    with pytest.raises(ValueError, match=r"NetworkEmbedding: no pretrained model 'ztf-nope'.*"
                                         r"ztf-sims"):
        NetworkEmbedding("ztf-nope").fit(X)


def test_embedding_refuses_an_unfitted_estimator(data):
    """Check that an unfitted model is refused by name, in fit."""
    X, _ = data
    unfitted = make_pipeline(LightCurvePadder(), GRUClassifier(hidden_size=4))
    with pytest.raises(NotFittedError, match="NetworkEmbedding needs a fitted model, but its "
                                             "estimator .a Pipeline ending in GRUClassifier. is "
                                             "not fitted"):
        NetworkEmbedding(unfitted).fit(X)
    with pytest.raises(NotFittedError, match=r"estimator \(a TransferClassifier\) is not fitted"):
        NetworkEmbedding(TransferClassifier(unfitted)).fit(X)


def test_embedding_refuses_an_estimator_without_network(data):
    """Check that a model without a recurrent network (a features pipeline) is refused."""
    X, y = data
    boosting = make_pipeline(FillEmptyFeatures(), HistGradientBoostingClassifier())
    with pytest.raises(TypeError, match="estimator is a Pipeline ending in "
                                        "HistGradientBoostingClassifier, which has none"):
        NetworkEmbedding(boosting).fit(X)
    with pytest.raises(TypeError, match="estimator is an int, which has none"):
        NetworkEmbedding(3).fit(X)


def test_embedding_refuses_the_wrong_input(model, data):
    """Check the input's type against the model's: LightCurves for a pipeline, padded for a bare one."""
    X, _ = data
    with pytest.raises(TypeError, match="NetworkEmbedding expects a skltransient.LightCurves, "
                                        "got list"):
        NetworkEmbedding(model).fit([[1.0, 2.0]] * len(X))
    embedding = NetworkEmbedding(model).fit(X)
    with pytest.raises(TypeError, match="NetworkEmbedding expects a skltransient.LightCurves, "
                                        "got PaddedLightCurves"):
        embedding.transform(model[:-1].transform(X))
    with pytest.raises(TypeError, match="without preprocessing, which takes padded light curves.*"
                                        "got LightCurves"):
        NetworkEmbedding(model[-1]).fit(X)
