"""Standardise per-object metadata, imputing and flagging missing values."""

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._compat import StrOptions, fit_context
from .._padded import PaddedLightCurves
from ..utils._validation import fitted_state, name_mismatch

__all__ = ["MetadataScaler"]


class MetadataScaler(TransformerMixin, BaseEstimator):
    """Standardise metadata columns, imputing and flagging missing values.

    Each column is centred and scaled with the mean and standard deviation
    of its known (finite) values in ``fit``. A missing value (NaN, e.g. an
    unknown redshift) becomes 0 after scaling (the mean) and is flagged by a
    missing-value indicator column. There is one indicator per column
    whether or not ``fit`` saw a missing value, so the output width never
    depends on the data: a network transferred to a new survey keeps its
    input width when this scaler is refitted on the target data.

    Works on :class:`PaddedLightCurves` (scaling its ``metadata``) and on a
    plain 2-D array.

    Parameters
    ----------
    add_indicator : bool, default=True
        Append one missing-value indicator column per input column.
    compress : {"none", "arcsinh"}, default="none"
        A transformation of every column before it is standardised.
        ``"arcsinh"`` (linear within about 1 of zero, logarithmic beyond,
        sign kept) gives heavy-tailed columns, such as light-curve
        statistics in flux units (a ``LightCurvePadder``'s ``features``),
        a spread the network can read, where standardising alone squeezes
        all but the brightest objects into one value. Redshift and E(B-V)
        are barely changed by it.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Mean of each column's finite values (0 when it has none).
    scale_ : ndarray of shape (n_features,)
        Standard deviation of each column's finite values (1 when zero or
        undefined).
    n_features_in_ : int
        Number of metadata columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the columns seen in ``fit``, for a DataFrame or a
        ``PaddedLightCurves``.

    Examples
    --------
    >>> import numpy as np
    >>> from skltransient.preprocessing import MetadataScaler
    >>> MetadataScaler().fit_transform(np.array([[0.1], [0.3], [np.nan]]))
    array([[-1.,  0.],
           [ 1.,  0.],
           [ 0.,  1.]])
    """

    _parameter_constraints = {"add_indicator": ["boolean"],
                              "compress": [StrOptions({"none", "arcsinh"})]}

    def __init__(self, *, add_indicator=True, compress="none"):
        self.add_indicator = add_indicator
        self.compress = compress

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn each column's mean and standard deviation.

        Parameters
        ----------
        X : PaddedLightCurves or array-like of shape (n_objects, n_features)
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        if isinstance(X, PaddedLightCurves):
            data = X.metadata.astype(np.float64)
            self.n_features_in_ = data.shape[1]
            self.feature_names_in_ = np.asarray(X.metadata_names, dtype=object)
        else:
            data = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64)
        data = self._compressed(data)
        finite = np.isfinite(data)
        count = finite.sum(axis=0)
        filled = np.where(finite, data, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, filled.sum(axis=0) / np.maximum(count, 1), 0.0)
            var = np.where(finite, (data - mean) ** 2, 0.0).sum(axis=0) / np.maximum(count, 1)
        scale = np.sqrt(var)
        self.mean_ = mean
        self.scale_ = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)
        return self

    def transform(self, X):
        """Standardise, impute and flag.

        The metadata columns of a ``PaddedLightCurves`` are matched by name
        to those seen in ``fit`` (``feature_names_in_``): the same columns in
        another order are put back in the fitted order, and other columns
        (some missing, some unexpected, or repeated) are an error that names
        them. Without names (fitted on a plain array), only their number is
        checked.

        Parameters
        ----------
        X : PaddedLightCurves or array-like of shape (n_objects, n_features)

        Returns
        -------
        X_out : PaddedLightCurves or ndarray of shape (n_objects, n_features_out)
            ``n_features_out`` is twice ``n_features_in_`` with indicators;
            columns in the order of ``feature_names_in_``.
        """
        check_is_fitted(self)
        if isinstance(X, PaddedLightCurves):
            return X.apply(self._transform_padded)  # batch by batch when X is deferred
        data = validate_data(self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False)
        return self._scale(data)

    def _transform_padded(self, X):
        columns = self._column_order(X)
        metadata = self._scale(X.metadata[:, columns].astype(np.float64)).astype(np.float32)
        names = tuple(self.get_feature_names_out(np.asarray(X.metadata_names)[columns]))
        return X.replace(metadata=metadata, metadata_names=names)

    def _column_order(self, X):
        """Positions in ``X.metadata`` of the fitted columns, matched by name when known."""
        if X.metadata.shape[1] != len(X.metadata_names) or not hasattr(self, "feature_names_in_"):
            if X.metadata.shape[1] != self.n_features_in_:
                raise ValueError(f"X has {X.metadata.shape[1]} metadata columns, but MetadataScaler "
                                 f"was fitted with {self.n_features_in_}.")
            return np.arange(self.n_features_in_)
        fitted = [str(name) for name in self.feature_names_in_]
        given = [str(name) for name in X.metadata_names]
        if sorted(given) != sorted(fitted) or len(set(given)) < len(given):
            raise ValueError(
                f"MetadataScaler was fitted on metadata columns {fitted} but X has {given}: "
                f"{name_mismatch(given, fitted)}. Give the light curves the same metadata "
                f"columns (the LightCurvePadder's metadata_columns), or refit the scaler.")
        # The same columns, perhaps in another order: scale each with its own statistics.
        return np.array([given.index(name) for name in fitted], dtype=np.intp)

    def _compressed(self, data):
        if self.compress == "arcsinh":
            with np.errstate(invalid="ignore"):
                return np.arcsinh(data)
        return data

    def _scale(self, data):
        data = self._compressed(data)
        missing = ~np.isfinite(data)
        scaled = np.where(missing, 0.0, (data - self.mean_) / self.scale_)
        if self.add_indicator:
            return np.hstack([scaled, missing.astype(np.float64)])
        return scaled

    def check_fitted_state(self, channels=None, n_metadata=None):
        """Check the fitted state: finite means, positive scales, widths that agree.

        For a scaler restored from a file (:func:`~skltransient.persistence.load_model`
        calls each step's ``check_fitted_state`` in turn).

        Parameters
        ----------
        channels : sequence of str or None, default=None
            Not its concern.
        n_metadata : int or None, default=None
            The metadata columns the steps before it give, if known.

        Returns
        -------
        gives : dict
            ``{"metadata": int}``: its output width.

        Raises
        ------
        ValueError
            Naming the attribute, the value and its position.
        """
        n_features = fitted_state(self, "n_features_in_")
        for attr in ("mean_", "scale_"):
            values = fitted_state(self, attr)
            if values.shape != (n_features,) or values.dtype.kind != "f":
                raise ValueError(f"n_features_in_ is {n_features} but {attr} has {values.size} "
                                 f"values of dtype {values.dtype}.")
            bad = ~np.isfinite(values) | ((values <= 0) if attr == "scale_" else False)
            if bad.any():
                raise ValueError(
                    f"{attr} holds {values[bad][0].item()!r} at position {int(np.argmax(bad))} "
                    f"({np.count_nonzero(bad)} in all); a fitted MetadataScaler's {attr} is "
                    f"finite{' and positive' if attr == 'scale_' else ''}.")
        if n_metadata is not None and n_metadata != n_features:
            raise ValueError(f"n_features_in_ is {n_features} but the steps before it give "
                             f"{n_metadata} metadata columns.")
        return {"metadata": len(self.get_feature_names_out())}

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: the inputs, then ``missing_<name>``."""
        check_is_fitted(self)
        if input_features is None:
            input_features = getattr(self, "feature_names_in_",
                                     [f"x{i}" for i in range(self.n_features_in_)])
        input_features = [str(name) for name in input_features]
        extra = [f"missing_{name}" for name in input_features] if self.add_indicator else []
        return np.asarray(input_features + extra, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
