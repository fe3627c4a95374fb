"""The one place that imports scikit-learn's private helpers.

``_fit_context`` and the parameter-validation classes are not public API;
importing them here alone means a scikit-learn release that moves them is
mended in one file (imbalanced-learn keeps the same kind of module). The
rest of the package uses them through the names below.
"""

from sklearn.base import _fit_context as fit_context
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions, validate_params

__all__ = ["HasMethods", "Interval", "StrOptions", "fit_context", "validate_estimator_params",
           "validate_params"]


def validate_estimator_params(estimator):
    """Check an estimator's parameters against its ``_parameter_constraints``.

    What ``fit`` does first (scikit-learn's ``BaseEstimator._validate_params``),
    for code that builds an estimator to use without calling its ``fit``
    (a model read from a file, the classifier a TransferClassifier trains).

    Parameters
    ----------
    estimator : BaseEstimator

    Raises
    ------
    sklearn.utils._param_validation.InvalidParameterError
        A ``ValueError`` naming the parameter and what it accepts.
    """
    estimator._validate_params()
