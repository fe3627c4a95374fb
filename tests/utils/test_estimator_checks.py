import importlib.util

import pytest
from sklearn.base import BaseEstimator, TransformerMixin

from skltransient import (FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler,
                          TransferClassifier)
from skltransient.features import LightCurveFeatures, NetworkEmbedding
from skltransient.preprocessing import PaddedLightCurves
from skltransient.utils._testing import make_toy_lightcurves
from skltransient.utils.estimator_checks import (
    check_fit_does_not_modify_input,
    check_objects_independent,
    parametrize_with_lightcurve_checks,
)


def _base():
    """A small fitted GRUClassifier on the padded input the checks give a classifier."""
    lc, y = make_toy_lightcurves(30, random_state=1)
    X = MetadataScaler().fit_transform(LightCurvePadder(max_length=30).fit_transform(lc))
    assert isinstance(X, PaddedLightCurves)
    return GRUClassifier(hidden_size=4, num_layers=1, head_size=4, max_epochs=1,
                         random_state=0).fit(X, y)

ESTIMATORS = [
    LightCurvePadder(),
    LightCurvePadder("grid", max_length=20),
    FluxNormalizer(),
    FluxNormalizer("arcsinh"),
    MetadataScaler(),
    GRUClassifier(hidden_size=8, num_layers=1, head_size=8, max_epochs=2, random_state=0),
    TransferClassifier(_base(), freeze="encoder", max_epochs=2, random_state=0),
    NetworkEmbedding(_base()),
]
if importlib.util.find_spec("light_curve") is not None:  # the optional 'features' extra
    ESTIMATORS.append(LightCurveFeatures())


@parametrize_with_lightcurve_checks(ESTIMATORS)
def test_lightcurve_estimators(estimator, check):
    """Check every light-curve estimator against the project's and the applicable sklearn checks."""
    check(estimator)


class _Mutating(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        X.values[0, 0, 0] += 1.0
        return self

    def transform(self, X):
        return X.values


class _Coupled(TransformerMixin, BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return X.values - X.values.mean(axis=0)


def test_checks_catch_broken_estimators():
    """Check that the checks fail on estimators that break their promises."""
    with pytest.raises(AssertionError, match="modified X.values"):
        check_fit_does_not_modify_input("_Mutating", _Mutating())
    with pytest.raises(AssertionError, match="depends on the others"):
        check_objects_independent("_Coupled", _Coupled())
