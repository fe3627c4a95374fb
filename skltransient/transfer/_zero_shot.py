"""The base model applied to a target as it is: no target label used for training."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

__all__ = ["ZeroShotClassifier"]


class ZeroShotClassifier(ClassifierMixin, BaseEstimator):
    """A fitted base model read through a map of its classes onto the target's.

    What a model trained elsewhere (on simulations, on another survey) scores
    on a target before any fine-tuning: the yardstick that tells how much of
    a transfer result was already in the base model. ``fit`` trains nothing:
    it only records the target's classes. Each target class gets the summed
    probability of the base classes that ``class_map`` sends to it; base
    classes with no target counterpart are dropped and the rest renormalised;
    a target class that no base class maps onto gets probability 0, so it is
    never predicted.

    Parameters
    ----------
    estimator : classifier
        A fitted model with ``predict_proba`` and ``classes_`` (a
        ``Pipeline``, ``GRUClassifier``, ``TransferClassifier``, ...). Shared
        by clones, never refitted.
    class_map : dict or None, default=None
        Base class -> target class; a base class not in the map keeps its
        name (the identity when None), as in :class:`TransferClassifier`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The target classes seen in ``fit``.
    covered_ : ndarray of shape (n_classes,) of bool
        Whether a base class maps onto each target class.

    See Also
    --------
    TransferClassifier : Fine-tunes the base model on the target's labels.

    Examples
    --------
    >>> from skltransient import pretrained
    >>> from skltransient.datasets import BTS_CLASS_MAP, simulate
    >>> from skltransient.transfer import ZeroShotClassifier
    >>> X, y = simulate("ztf-bts", 20, random_state=0, return_X_y=True)
    >>> y = [BTS_CLASS_MAP[c] for c in y]
    >>> model = ZeroShotClassifier(pretrained.load("ztf-sims"), class_map=BTS_CLASS_MAP).fit(X, y)
    >>> model.predict_proba(X).shape[0]
    20
    """

    _parameter_constraints = {"estimator": [object], "class_map": [dict, None]}

    def __init__(self, estimator, *, class_map=None):
        self.estimator = estimator
        self.class_map = class_map

    def get_params(self, deep=True):
        """Parameters of this estimator; never those inside the shared ``estimator``."""
        return super().get_params(deep=False)

    def __sklearn_clone__(self):
        return type(self)(self.estimator, class_map=self.class_map)

    def fit(self, X, y):
        """Record the target classes; nothing is trained.

        Parameters
        ----------
        X : LightCurves
            Ignored, beside its length matching ``y``.
        y : array-like of shape (n_objects,)
            Target labels.

        Returns
        -------
        self : ZeroShotClassifier
        """
        self._validate_params()
        base_classes = getattr(self.estimator, "classes_", None)
        if base_classes is None or not hasattr(self.estimator, "predict_proba"):
            raise TypeError(f"ZeroShotClassifier needs a fitted classifier with classes_ and "
                            f"predict_proba; got {type(self.estimator).__name__}.")
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"ZeroShotClassifier: X has {len(X)} light curves and y {len(y)} labels.")
        class_map = self.class_map or {}
        unknown = sorted(set(map(str, class_map)) - set(map(str, base_classes)))
        if unknown:
            raise ValueError(f"class_map names base classes {unknown} that the base model does not "
                             f"have; its classes are {list(base_classes)}.")
        self.classes_ = np.unique(y)
        mapped = np.array([class_map.get(c, c) for c in np.asarray(base_classes).tolist()], dtype=object)
        # (n_base, n_target) matrix summing base probabilities into target classes.
        self._mapping = (mapped[:, None] == self.classes_[None, :].astype(object)).astype(np.float64)
        self.covered_ = self._mapping.any(axis=0)
        if not self.covered_.any():
            raise ValueError(f"No base class maps onto a target class: base classes "
                             f"{list(base_classes)}, target classes {self.classes_.tolist()}; pass "
                             f"class_map.")
        return self

    def _map(self, proba):
        """Base probabilities (..., n_base) summed into target classes and renormalised."""
        target = proba @ self._mapping
        total = target.sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, target / total, 1.0 / self.covered_.sum() * self.covered_)

    def predict_proba(self, X):
        """Class probabilities, shape (n_objects, n_classes), columns in ``classes_`` order."""
        check_is_fitted(self, "classes_")
        return self._map(self.estimator.predict_proba(X))

    def predict(self, X):
        """Most probable target class of each object."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_proba_at(self, X, days_since_trigger):
        """Probabilities at days since trigger, the base model's mapped (NaN before any observation)."""
        from ..early import predict_proba_at

        check_is_fitted(self, "classes_")
        proba = predict_proba_at(self.estimator, X, days_since_trigger)
        mapped = self._map(np.nan_to_num(proba))
        return np.where(np.isnan(proba[..., :1]), np.nan, mapped)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return tags
