"""Domain adaptation with unlabelled target light curves: TransferClassifier(adaptation=...)."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline

from skltransient import (
    FluxNormalizer,
    GRUClassifier,
    LightCurvePadder,
    LightCurves,
    MetadataScaler,
    TransferClassifier,
)
from skltransient.utils._testing import make_toy_lightcurves


def _domain(n, target, seed):
    """Two classes told apart by channel 0's level; the target's channel 0 is miscalibrated
    (gain 2, offset 2), as a survey's fluxes would be against a simulation's."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 8, 2)).astype(np.float32)
    X[:, :, 0] += 0.7 * np.where(y == 1, 1.0, -1.0)[:, None]
    if target:
        X[:, :, 0] = 2.0 * X[:, :, 0] + 2.0
    return X, np.array(["down", "up"])[y]


@pytest.fixture(scope="module")
def domains():
    source, target, fresh = _domain(400, False, 0), _domain(400, True, 1), _domain(400, True, 2)
    base = GRUClassifier(hidden_size=8, num_layers=1, head_size=8, max_epochs=15, lr=1e-2,
                         random_state=0).fit(*source)
    return base, source, target, fresh


def _adapted(base, source, target, method, **params):
    return TransferClassifier(base, adaptation=method, unlabelled=target[0], max_epochs=30,
                              lr=1e-2, random_state=0, **params).fit(*source)


def test_adaptation_helps_on_a_shifted_domain(domains):
    """Check that, trained on labelled source and unlabelled target data, both methods classify
    a fresh draw of the target far better than the labels alone."""
    base, source, target, fresh = domains
    X_new, y_new = fresh
    plain = (TransferClassifier(base, max_epochs=30, lr=1e-2, random_state=0).fit(*source)
             .predict(X_new) == y_new).mean()
    assert plain < 0.7
    for method in ("coral", "entropy"):
        adapted = (_adapted(base, source, target, method).predict(X_new) == y_new).mean()
        assert adapted > plain + 0.1, (method, plain, adapted)


def test_adaptation_is_reproducible_and_pickles(domains):
    """Check that one seed gives the same model, which pickles and predicts the same."""
    base, source, target, fresh = domains
    one = _adapted(base, source, target, "entropy")
    two = _adapted(base, source, target, "entropy")
    np.testing.assert_array_equal(one.predict_proba(fresh[0]), two.predict_proba(fresh[0]))
    again = pickle.loads(pickle.dumps(one))
    np.testing.assert_array_equal(again.predict_proba(fresh[0]), one.predict_proba(fresh[0]))


def test_unlabelled_light_curves_are_never_split_or_scored(domains):
    """Check that cross-validation splits and scores only the labelled light curves, and that
    clones share (do not copy) the unlabelled set."""
    base, source, target, _ = domains
    model = TransferClassifier(base, adaptation="entropy", unlabelled=target[0], max_epochs=2,
                               random_state=0)
    assert clone(model).unlabelled is target[0]
    scored = []

    def scorer(estimator, X, y):
        scored.append(len(X))
        return float((estimator.predict(X) == y).mean())

    scores = cross_val_score(model, *source, cv=3, scoring=scorer)
    assert len(scores) == 3 and sum(scored) == len(source[1])
    search = GridSearchCV(model, {"adaptation": [None, "coral", "entropy"]}, cv=2).fit(*source)
    assert len(search.cv_results_["mean_test_score"]) == 3


def test_adaptation_through_a_pipeline_base():
    """Check that unlabelled light curves pass through the base pipeline's transformers."""
    X, y = make_toy_lightcurves(60, 3, random_state=0)
    base = make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler(),
                         GRUClassifier(hidden_size=8, num_layers=1, head_size=8, max_epochs=2,
                                       random_state=0)).fit(X, y)
    unlabelled, _ = make_toy_lightcurves(30, 3, random_state=5)
    assert isinstance(unlabelled, LightCurves)
    tuned = TransferClassifier(base, adaptation="coral", unlabelled=unlabelled, max_epochs=2,
                               random_state=0).fit(X, y)
    assert tuned.predict_proba(unlabelled).shape == (30, 3)


def test_adaptation_errors_name_what_is_missing(domains):
    """Check the errors: adaptation without unlabelled data, unlabelled of other channels, an
    unknown method."""
    base, source, _, _ = domains
    with pytest.raises(ValueError, match="adaptation='coral' needs unlabelled light curves"):
        TransferClassifier(base, adaptation="coral", max_epochs=1).fit(*source)
    wrong = np.zeros((10, 8, 3), np.float32)
    with pytest.raises(ValueError, match="channels"):
        TransferClassifier(base, adaptation="entropy", unlabelled=wrong, max_epochs=1).fit(*source)
    with pytest.raises(ValueError, match="adaptation"):
        TransferClassifier(base, adaptation="dann", unlabelled=source[0]).fit(*source)


def test_coral_with_a_frozen_encoder_is_refused_and_the_net_forgets_the_unlabelled(domains):
    """Check that CORAL, which moves only the encoder, is refused when the encoder is frozen, and
    that a fitted model's net does not keep the unlabelled light curves."""
    base, source, target, _ = domains
    with pytest.raises(ValueError, match="keeps the encoder fixed"):
        TransferClassifier(base, adaptation="coral", unlabelled=target[0], freeze="encoder",
                           max_epochs=1).fit(*source)
    tuned = _adapted(base, source, target, "entropy")
    net = tuned.classifier_.net_
    adaptation = dict(net.callbacks_)["domain_adaptation"]
    assert net.auxiliary_loss is None and adaptation.unlabelled is None
