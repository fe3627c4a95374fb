"""The zero-shot arm: the base model read through a class map, no training."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone

from skltransient.transfer import ZeroShotClassifier


class _Fixed(ClassifierMixin, BaseEstimator):
    """A 'fitted' base model with fixed probabilities per object."""

    classes_ = np.array(["Ia", "Ibc", "II", "AGN"])

    def __init__(self, proba=None):
        self.proba = proba

    def predict_proba(self, X):
        return np.asarray(self.proba)[: len(X)]


PROBA = [[0.5, 0.2, 0.2, 0.1], [0.1, 0.1, 0.2, 0.6], [0.0, 0.0, 0.0, 1.0]]


def test_zero_shot_sums_mapped_classes_and_renormalises():
    """Check that target probabilities sum the base classes mapped onto them, renormalised over
    the target classes, and that an object with all mass on dropped classes gets a uniform row."""
    model = ZeroShotClassifier(_Fixed(PROBA), class_map={"Ibc": "CC", "II": "CC"})
    model.fit(np.zeros(3), ["Ia", "CC", "CC"])
    proba = model.predict_proba(np.zeros(3))
    assert model.classes_.tolist() == ["CC", "Ia"]
    np.testing.assert_allclose(proba[0], [0.4 / 0.9, 0.5 / 0.9])
    np.testing.assert_allclose(proba[1], [0.3 / 0.4, 0.1 / 0.4])
    np.testing.assert_allclose(proba[2], [0.5, 0.5])  # AGN is not a target class
    assert model.predict(np.zeros(3)).tolist()[:2] == ["Ia", "CC"]


def test_zero_shot_never_predicts_an_uncovered_class():
    """Check that a target class no base class maps onto has probability 0 and is flagged."""
    model = ZeroShotClassifier(_Fixed(PROBA)).fit(np.zeros(3), ["Ia", "KN", "AGN"])
    assert model.covered_.tolist() == [True, True, False]  # AGN, Ia, KN
    assert np.all(model.predict_proba(np.zeros(3))[:, 2] == 0)


def test_zero_shot_clone_shares_the_fitted_base():
    """Check that clone keeps the fitted base (nothing to refit) and drops the fitted state."""
    base = _Fixed(PROBA)
    model = ZeroShotClassifier(base, class_map={"II": "CC"})
    copy = clone(model)
    assert copy.estimator is base and copy.class_map == {"II": "CC"}
    assert not hasattr(copy, "classes_")


def test_zero_shot_bad_inputs():
    """Check clear errors: no overlap, unknown base classes in the map, a model without classes_."""
    with pytest.raises(ValueError, match="No base class maps onto a target class"):
        ZeroShotClassifier(_Fixed(PROBA)).fit(np.zeros(2), ["KN", "TDE"])
    with pytest.raises(ValueError, match=r"class_map names base classes \['SLSN'\]"):
        ZeroShotClassifier(_Fixed(PROBA), class_map={"SLSN": "x"}).fit(np.zeros(2), ["Ia", "II"])
    with pytest.raises(TypeError, match="needs a fitted classifier with classes_"):
        ZeroShotClassifier(object()).fit(np.zeros(2), ["Ia", "II"])
    with pytest.raises(ValueError, match="3 light curves and y 2 labels"):
        ZeroShotClassifier(_Fixed(PROBA)).fit(np.zeros(3), ["Ia", "II"])


def test_zero_shot_of_a_pretrained_model_over_time():
    """Check the shipped model zero-shot on BTS-like light curves: shapes, and NaN before data."""
    from skltransient import pretrained
    from skltransient.datasets import BTS_CLASS_MAP, simulate

    X, y = simulate("ztf-bts", 12, random_state=0, return_X_y=True)
    y = np.array([BTS_CLASS_MAP[c] for c in y])
    model = ZeroShotClassifier(pretrained.load("ztf-sims"), class_map=BTS_CLASS_MAP).fit(X, y)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    at = model.predict_proba_at(X, [-100.0, 10.0])
    assert at.shape == (12, 2, len(model.classes_))
    assert np.isnan(at[:, 0]).all() and np.isfinite(at[:, 1]).all()
