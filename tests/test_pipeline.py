"""Composition with scikit-learn: pipelines, searches, cloning and persistence."""

import pickle
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline

from skltransient import FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler
from skltransient.utils._testing import make_toy_lightcurves


def make_model(**params):
    clf = GRUClassifier(hidden_size=12, num_layers=1, head_size=12, max_epochs=3, random_state=0)
    return make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler(), clf.set_params(**params))


@pytest.fixture(scope="module")
def data():
    return make_toy_lightcurves(60, random_state=3)


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return make_model().fit(X, y)


def test_pipeline_fits_and_predicts_on_lightcurves(data, fitted):
    """Check the full pipeline from LightCurves to probabilities."""
    X, y = data
    proba = fitted.predict_proba(X)
    assert proba.shape == (60, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert fitted.predict(X[:5]).tolist() == fitted.classes_[proba[:5].argmax(axis=1)].tolist()


def test_grid_search_over_two_steps(data):
    """Check GridSearchCV over parameters of the padder and the classifier."""
    X, y = data
    search = GridSearchCV(
        make_model(), {"lightcurvepadder__max_length": [10, None], "gruclassifier__hidden_size": [4, 8]},
        cv=StratifiedKFold(2), error_score="raise").fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_estimator_[-1].module_.encoder.hidden_size == search.best_params_["gruclassifier__hidden_size"]


def test_cross_val_score(data):
    """Check that cross_val_score on light curves gives each fold's accuracy, fitted and scored by hand."""
    X, y = data
    cv = StratifiedKFold(3)
    scores = cross_val_score(make_model(), X, y, cv=cv, error_score="raise")
    by_hand = [accuracy_score(y[test], make_model().fit(X[train], y[train]).predict(X[test]))
               for train, test in cv.split(np.zeros(len(y)), y)]
    np.testing.assert_array_equal(scores, by_hand)


def test_clone_and_params(fitted):
    """Check get_params/set_params through the pipeline and clone of a fitted pipeline."""
    params = fitted.get_params()
    assert params["gruclassifier__hidden_size"] == 12 and params["fluxnormalizer__method"] == "running_peak"
    model = make_model().set_params(fluxnormalizer__method="median", gruclassifier__lr=0.01)
    assert model[1].method == "median" and model[-1].lr == 0.01
    cloned = clone(fitted)
    assert not hasattr(cloned[-1], "net_")


def test_clone_refit_gives_identical_predictions(data, fitted):
    """Check that a clone refitted with the same seed predicts identically."""
    X, y = data
    np.testing.assert_array_equal(clone(fitted).fit(X, y).predict_proba(X), fitted.predict_proba(X))


def test_pickle_and_joblib_round_trips(data, fitted, tmp_path):
    """Check that pickle and joblib round trips give identical probabilities."""
    X, _ = data
    expected = fitted.predict_proba(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).predict_proba(X), expected)
    joblib.dump(fitted, tmp_path / "model.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "model.joblib").predict_proba(X), expected)


def test_load_in_fresh_process(data, fitted, tmp_path):
    """Check that a CPU-trained model predicts the same in a new Python process."""
    X, _ = data
    joblib.dump((fitted, X), tmp_path / "model.joblib")
    script = (
        "import joblib, numpy as np, sys, torch\n"
        "torch.set_num_threads(1)\n"
        f"model, X = joblib.load({str(tmp_path / 'model.joblib')!r})\n"
        f"np.save({str(tmp_path / 'proba.npy')!r}, model.predict_proba(X))\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "proba.npy"), fitted.predict_proba(X))


def test_saved_model_checks_metadata_names(data, fitted, tmp_path):
    """Check that a saved and loaded model keeps its metadata names and refuses swapped columns."""
    from skltransient.persistence import load_model, save_model

    X, _ = data
    loaded = load_model(save_model(fitted, tmp_path / "model"))
    assert loaded[-1].metadata_names_ == fitted[-1].metadata_names_ == (
        "redshift", "mwebv", "missing_redshift", "missing_mwebv")
    swapped = fitted[:-1].transform(X[:5])
    swapped = swapped.replace(metadata_names=swapped.metadata_names[::-1])
    with pytest.raises(ValueError, match="fitted on metadata columns"):
        loaded[-1].predict(swapped)


def test_saved_model_without_metadata_names_predicts(data, fitted, tmp_path):
    """Check that a model saved before metadata names were recorded still loads and predicts."""
    import json

    from skltransient.persistence import load_model, save_model

    folder = save_model(fitted, tmp_path / "old")
    description = json.loads((folder / "model.json").read_text())
    del description["steps"][-1]["state"]["metadata_names_"]
    (folder / "model.json").write_text(json.dumps(description))
    model = load_model(folder)
    assert not hasattr(model[-1], "metadata_names_")
    np.testing.assert_array_equal(model.predict_proba(data[0][:5]), fitted.predict_proba(data[0][:5]))


@pytest.mark.parametrize("name, bands", [("ztf-sims", ("ztfg", "ztfr")),
                                         ("lsst-sims", ("lsstu", "lsstg", "lsstr", "lssti", "lsstz", "lssty"))])
def test_shipped_models_are_the_default_recipe_with_cards(name, bands):
    """Check each shipped base model: small, the default pipeline, 11 classes, a card with the
    baseline beside it, and predictions on simulated light curves of its survey."""
    from importlib import resources

    from skltransient import pretrained
    from skltransient.datasets import CLASSES, simulate

    assert name in pretrained.available()
    folder = resources.files("skltransient.pretrained") / name
    assert (folder / "weights.pt").stat().st_size < 5_000_000
    model = pretrained.load(name)
    assert [type(step).__name__ for _, step in model.steps] == [
        "LightCurvePadder", "FluxNormalizer", "MetadataScaler", "GRUClassifier"]
    clf = model[-1]
    assert clf.channels_[-1] == "scale_mag" and clf.sequence_loss == 0.5
    assert sorted(clf.classes_) == sorted(CLASSES) and set(model[0].bands_) == set(bands)
    card = pretrained.card(name)
    assert "features + boosting, same training set" in card
    assert "random_state=1000" in card and "| GRU (this model) |" in card
    X, _ = simulate(name.split("-")[0], 30, random_state=5, return_X_y=True)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_the_shipped_multi_survey_base_reads_both_surveys_and_compares_with_the_single_ones():
    """Check ztf+lsst-sims: the default pipeline fitted on both surveys' bands, a card with a row
    per survey's test set and the single-survey models and baselines beside them, and
    predictions on light curves of either survey."""
    from skltransient import pretrained
    from skltransient.datasets import CLASSES, simulate

    model = pretrained.load("ztf+lsst-sims")
    assert set(model[0].bands_) == {"ztfg", "ztfr", "lsstu", "lsstg", "lsstr", "lssti", "lsstz",
                                    "lssty"}
    assert sorted(model[-1].classes_) == sorted(CLASSES)
    card = pretrained.card("ztf+lsst-sims")
    for row in ("GRU (this model), simulated ZTF test set only",
                "GRU (this model), simulated Rubin LSST test set only",
                "`ztf-sims`, 50,600 simulated ZTF, ZTF test set",
                "features + boosting, 50,600 simulated LSST, LSST test set"):
        assert f"| {row} | 0." in card
    assert "--survey ztf+lsst" in card and "causal\n  `running_peak` scaling" in card
    for survey in ("ztf", "lsst"):
        X, _ = simulate(survey, 20, random_state=5, return_X_y=True)
        np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0)

