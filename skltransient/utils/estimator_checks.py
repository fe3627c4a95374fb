"""The project's own estimator checks, for estimators of light curves.

scikit-learn's suite feeds 2-D arrays, so it cannot exercise estimators whose
input is a :class:`~skltransient.LightCurves` or a
:class:`~skltransient.preprocessing.PaddedLightCurves`. Each ``check_*``
function here takes ``(name, estimator_orig)``, in the style of
imbalanced-learn's ``estimator_checks``, and raises ``AssertionError`` when
the estimator breaks a promise. :func:`parametrize_with_lightcurve_checks`
turns them into pytest cases. Which of scikit-learn's own checks apply to
these estimators, and why the others are skipped, is in
:data:`SKLEARN_API_CHECKS` and :data:`SKIPPED_SKLEARN_CHECKS`.
"""

import pickle

import numpy as np
from sklearn.base import ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_checks as sk_checks

from .._lightcurves import LightCurves
from .._padded import PaddedLightCurves
from ..features import LightCurveFeatures
from ..preprocessing import LightCurvePadder, MetadataScaler
from ._testing import make_toy_lightcurves

__all__ = [
    "SKIPPED_SKLEARN_CHECKS",
    "SKLEARN_API_CHECKS",
    "check_classifier_classes_and_probabilities",
    "check_clone_and_params",
    "check_fit_does_not_modify_input",
    "check_fit_reproducible",
    "check_not_fitted",
    "check_objects_independent",
    "check_pickle_round_trip",
    "check_rejects_wrong_input_type",
    "parametrize_with_lightcurve_checks",
]

#: scikit-learn checks that apply to estimators of light curves: they test
#: the API without fitting on 2-D data.
SKLEARN_API_CHECKS = (
    sk_checks.check_no_attributes_set_in_init,
    sk_checks.check_parameters_default_constructible,
    sk_checks.check_get_params_invariance,
    sk_checks.check_set_params,
    sk_checks.check_estimator_cloneable,
    sk_checks.check_estimator_repr,
    sk_checks.check_valid_tag_types,
    sk_checks.check_estimator_tags_renamed,
    sk_checks.check_do_not_raise_errors_in_init_or_set_params,
)

#: Every other scikit-learn check fits on 2-D arrays; the promise each one
#: tests is covered here by a light-curve check instead.
SKIPPED_SKLEARN_CHECKS = {
    "check_estimators_dtypes, check_fit2d_*, check_fit1d, check_transformer_*, "
    "check_classifiers_*, check_methods_*, check_dict_unchanged":
        "feed 2-D arrays; covered by check_objects_independent, "
        "check_classifier_classes_and_probabilities and check_fit_does_not_modify_input",
    "check_estimators_pickle": "fits on 2-D data; covered by check_pickle_round_trip",
    "check_estimators_unfitted": "covered by check_not_fitted on light curves",
    "check_fit_idempotent, check_n_features_in":
        "2-D data; covered by check_fit_reproducible (with a random_state)",
    "check_estimators_nan_inf": "NaN handling is per field: LightCurves refuses non-finite times "
                                "and errors; MetadataScaler imputes metadata (tested directly)",
    "check_sample_weights_*": "no sample_weight: class_weight is the documented weighting",
}


def _data(estimator, n_objects=30, random_state=0):
    """Input suited to the estimator: light curves, or padded light curves."""
    lc, y = make_toy_lightcurves(n_objects, random_state=random_state)
    if isinstance(estimator, (LightCurvePadder, LightCurveFeatures)):
        return lc, y
    padded = LightCurvePadder(max_length=30).fit_transform(lc)
    if isinstance(estimator, MetadataScaler):
        return padded, y
    return MetadataScaler().fit_transform(padded), y


def _output(estimator, X):
    if isinstance(estimator, ClassifierMixin):
        return estimator.predict_proba(X)
    out = estimator.transform(X)
    return out.values if isinstance(out, PaddedLightCurves) else out


def _fields(X):
    if isinstance(X, LightCurves):
        return {name: getattr(X, name) for name in ("time", "band", "flux", "flux_err", "offsets")}
    return {name: getattr(X, name) for name in ("values", "lengths", "metadata", "times")}


def check_clone_and_params(name, estimator_orig):
    """A fitted estimator clones to an unfitted one with the same parameters."""
    estimator = clone(estimator_orig)
    X, y = _data(estimator)
    estimator.fit(X, y)
    cloned = clone(estimator)
    assert cloned.get_params() == estimator.get_params(), f"{name}: clone changed parameters"
    assert not [k for k in vars(cloned) if k.endswith("_") and not k.startswith("_")], (
        f"{name}: clone kept fitted attributes")


def check_fit_does_not_modify_input(name, estimator_orig):
    """fit and the output methods leave their input untouched."""
    estimator = clone(estimator_orig)
    X, y = _data(estimator)
    before = {k: v.copy() for k, v in _fields(X).items()}
    estimator.fit(X, y)
    _output(estimator, X)
    for key, value in _fields(X).items():
        np.testing.assert_array_equal(value, before[key], err_msg=f"{name} modified X.{key}")


def check_objects_independent(name, estimator_orig):
    """Each object's output depends on that object alone: slicing commutes with the output."""
    estimator = clone(estimator_orig)
    X, y = _data(estimator)
    estimator.fit(X, y)
    full = _output(estimator, X)
    index = np.array([4, 0, 7])
    part = _output(estimator, X[index])
    if isinstance(estimator, LightCurvePadder):
        steps = part.shape[1]
        np.testing.assert_allclose(part, full[index][:, :steps], rtol=1e-6,
                                   err_msg=f"{name}: output of an object depends on the others")
        assert np.all(full[index][:, steps:] == 0)
    else:
        np.testing.assert_allclose(part, full[index], rtol=1e-5, atol=1e-6,
                                   err_msg=f"{name}: output of an object depends on the others")


def check_pickle_round_trip(name, estimator_orig):
    """A fitted estimator gives identical output after pickling."""
    estimator = clone(estimator_orig)
    X, y = _data(estimator)
    estimator.fit(X, y)
    again = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(_output(again, X), _output(estimator, X),
                                  err_msg=f"{name}: output changed after pickling")


def check_not_fitted(name, estimator_orig):
    """Using an unfitted estimator raises NotFittedError (unless it needs no fit)."""
    estimator = clone(estimator_orig)
    if not estimator.__sklearn_tags__().requires_fit:
        return
    X, _ = _data(estimator)
    try:
        _output(estimator, X)
    except NotFittedError:
        return
    raise AssertionError(f"{name} did not raise NotFittedError before fit")


def check_rejects_wrong_input_type(name, estimator_orig):
    """A plain list is refused with a TypeError or ValueError that says what is expected."""
    estimator = clone(estimator_orig)
    X, y = _data(estimator)
    try:
        estimator.fit([[1.0, 2.0]] * len(y), y)
    except (TypeError, ValueError) as error:
        message = str(error)
        assert any(word in message for word in ("LightCurves", "PaddedLightCurves", "array")), (
            f"{name}: unhelpful message {message!r}")
        return
    if isinstance(estimator, MetadataScaler):  # a 2-D list is valid input for it
        return
    raise AssertionError(f"{name} accepted a plain list")


def check_fit_reproducible(name, estimator_orig):
    """Two fits with the same random_state give bitwise identical output."""
    estimator = clone(estimator_orig)
    if "random_state" in estimator.get_params():
        estimator.set_params(random_state=0)
    X, y = _data(estimator)
    first = _output(clone(estimator).fit(X, y), X)
    second = _output(clone(estimator).fit(X, y), X)
    np.testing.assert_array_equal(first, second, err_msg=f"{name}: fit is not reproducible")


def check_classifier_classes_and_probabilities(name, estimator_orig):
    """``classes_`` are sorted labels; probabilities sum to 1 and ``predict`` is their argmax."""
    estimator = clone(estimator_orig)
    if not isinstance(estimator, ClassifierMixin):
        return
    X, y = _data(estimator)
    estimator.fit(X, y)
    np.testing.assert_array_equal(estimator.classes_, np.unique(y))
    proba = estimator.predict_proba(X)
    assert proba.shape == (len(y), len(np.unique(y)))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(estimator.predict(X), estimator.classes_[proba.argmax(axis=1)])
    accuracy = np.mean(estimator.predict(X) == np.asarray(y))
    assert estimator.score(X, y) == accuracy, f"{name}: score is not the accuracy of predict"


LIGHTCURVE_CHECKS = (
    check_clone_and_params,
    check_fit_does_not_modify_input,
    check_objects_independent,
    check_pickle_round_trip,
    check_not_fitted,
    check_rejects_wrong_input_type,
    check_fit_reproducible,
    check_classifier_classes_and_probabilities,
)


def parametrize_with_lightcurve_checks(estimators):
    """A pytest ``parametrize`` decorator over estimators and every applicable check.

    Parameters
    ----------
    estimators : list of estimator
        Unfitted estimators of light curves.

    Returns
    -------
    decorator
        Parametrises ``(estimator, check)``; call ``check(estimator)``.
    """
    import functools

    import pytest

    cases, ids = [], []
    for estimator in estimators:
        name = type(estimator).__name__
        for check in SKLEARN_API_CHECKS + LIGHTCURVE_CHECKS:
            cases.append((estimator, functools.partial(check, name)))
            ids.append(f"{name}-{check.__name__}")
    return pytest.mark.parametrize("estimator, check", cases, ids=ids)
