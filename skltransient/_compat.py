"""The one place that imports scikit-learn's private helpers.

``_fit_context`` and the parameter-validation classes are not public API;
importing them here alone means a scikit-learn release that moves them is
mended in one file (imbalanced-learn keeps the same kind of module).
"""

from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

__all__ = ["Interval", "StrOptions", "_fit_context", "validate_params"]
