"""Input validation shared by the estimators: the one module of such helpers.

Each helper is used by more than one estimator; what only one estimator
checks stays beside it. The messages name what was received, what was
expected and what to do, as the rest of the package's errors do.
"""

import numbers

import numpy as np
import pandas as pd

from .._lightcurves import LightCurves, plain
from .._padded import PaddedLightCurves

__all__ = ["as_padded", "check_labels", "check_lightcurves", "check_no_nested_params",
           "check_padded", "fitted_state", "has_channel_names", "name_mismatch"]


def check_lightcurves(X, name):
    """Refuse anything but a non-empty :class:`~skltransient.LightCurves`.

    Parameters
    ----------
    X : object
        The input of ``fit`` or ``transform``.
    name : str
        The estimator's name, for the message.

    Returns
    -------
    X : LightCurves
    """
    if not isinstance(X, LightCurves):
        raise TypeError(
            f"{name} expects a skltransient.LightCurves, got {type(X).__name__}. Build one with "
            f"LightCurves.from_pandas or LightCurves.from_arrays.")
    if len(X) == 0:
        raise ValueError(f"{name} got an empty LightCurves (0 objects).")
    return X


def check_padded(X, name):
    """Return ``X``, a :class:`~skltransient.PaddedLightCurves`; refuse anything else by ``name``.

    What the transformers after a padder take: unlike a classifier
    (:func:`as_padded`), they have no use for a plain 3-D array.
    """
    if not isinstance(X, PaddedLightCurves):
        raise TypeError(f"{name} expects a PaddedLightCurves (the output of LightCurvePadder), got "
                        f"{type(X).__name__}.")
    return X


def as_padded(X, name="The model"):
    """Accept a PaddedLightCurves or a 3-D array of shape (n, n_steps, n_channels).

    A finite 3-D array becomes a PaddedLightCurves whose light curves all
    have ``n_steps`` steps, with channels named ``x0, x1, ...`` (see
    :func:`has_channel_names`) and no metadata.

    Parameters
    ----------
    X : PaddedLightCurves or ndarray of shape (n_objects, n_steps, n_channels)
    name : str, default="The model"
        The estimator's name, for the message.

    Returns
    -------
    X : PaddedLightCurves
    """
    if isinstance(X, PaddedLightCurves):
        return X
    if isinstance(X, np.ndarray) and X.ndim == 3:
        n, steps, _ = X.shape
        if not np.all(np.isfinite(X)):
            raise ValueError(f"{name} got an input array with NaN or infinite values.")
        return PaddedLightCurves(
            values=np.ascontiguousarray(X, dtype=np.float32), lengths=np.full(n, steps, np.int64),
            metadata=np.zeros((n, 0), np.float32), times=np.zeros((n, steps)), t0=np.zeros(n),
            trigger=np.zeros(n), channels=tuple(f"x{i}" for i in range(X.shape[2])),
            metadata_names=(),
            flux_channels=(), flux_err_channels=(), object_ids=np.arange(n), representation="array")
    raise TypeError(
        f"{name} expects a PaddedLightCurves (put a LightCurvePadder before it in a pipeline) or "
        f"a 3-D array of shape (n_objects, n_steps, n_channels); got {type(X).__name__}.")


def check_no_nested_params(owner, params, advice, shared="fitted estimator"):
    """Refuse ``estimator__...`` parameters of an estimator that shares a fitted model.

    As :meth:`sklearn.frozen.FrozenEstimator.set_params`: the fitted model
    is shared between clones, so setting a parameter inside it would change
    that model for every clone. ``owner`` names the estimator in the error,
    ``shared`` what it shares, and ``advice`` says what to do instead.
    """
    nested = sorted(key for key in params if "__" in key)
    if nested:
        raise ValueError(
            f"{owner} cannot set the nested parameters {nested}: its {shared} is shared, not "
            f"copied, so setting parameters inside it would change that model. {advice}")


def fitted_state(estimator, attr):
    """The fitted attribute ``attr`` of ``estimator``, or a ValueError naming it.

    For the state checks of an estimator restored from a file, where a
    missing attribute means a damaged file rather than an unfitted model.
    """
    if not hasattr(estimator, attr):
        raise ValueError(f"no fitted state {attr!r}")
    return getattr(estimator, attr)


def has_channel_names(channels):
    """Whether channels have names: a plain 3-D array's are ``x0, x1, ...`` (:func:`as_padded`)."""
    return tuple(channels) != tuple(f"x{i}" for i in range(len(channels)))


def name_mismatch(given, expected):
    """Say how the names ``given`` differ from ``expected`` (None when they are equal).

    Shared by the estimators that check, as scikit-learn does with
    ``feature_names_in_``, the names of the columns or channels they get.

    Parameters
    ----------
    given, expected : sequence of str

    Returns
    -------
    message : str or None
        E.g. ``"missing ['mwebv']"``, ``"the same names in another order"``.
    """
    given, expected = list(given), list(expected)
    if given == expected:
        return None
    missing = [name for name in expected if name not in given]
    unexpected = [name for name in given if name not in expected]
    if missing or unexpected:
        return " and ".join(f"{what} {names}" for what, names in
                            (("missing", missing), ("unexpected", unexpected)) if names)
    if sorted(given) == sorted(expected):
        return "the same names in another order"
    return f"repeated names {sorted({name for name in given if given.count(name) > 1})}"


def check_labels(labels, object_ids):
    """Refuse missing (NaN, None) and mixed-type labels, naming the position and the object.

    Parameters
    ----------
    labels : ndarray of shape (n_objects,), dtype object
        The labels as given (``np.asarray`` would turn ``["SN Ia", nan, 3]``
        into the strings ``"nan"``, ``"3"``).
    object_ids : ndarray of shape (n_objects,)
        The light curves' identifiers, for the message.
    """
    missing = pd.isna(labels)
    if np.any(missing):
        i = int(np.argmax(missing))
        raise ValueError(
            f"y has a missing label (NaN or None) at position {i} (light curve "
            f"{plain(object_ids[i])!r}; {np.count_nonzero(missing)} in all); give every training "
            f"light curve a label, or leave the unlabelled ones out.")
    if pd.api.types.infer_dtype(labels, skipna=False) in ("mixed", "mixed-integer"):
        kinds = [_label_kind(label) for label in labels]
        i = next((i for i, kind in enumerate(kinds) if kind != kinds[0]), None)
        if i is None:  # types that pandas tells apart but labels need not (left to sklearn)
            return
        raise ValueError(
            f"y mixes label types: {plain(labels[0])!r} ({kinds[0]}) at position 0 and "
            f"{plain(labels[i])!r} ({kinds[i]}) at position {i} (light curve "
            f"{plain(object_ids[i])!r}); give all labels as strings or all as integers.")


def _label_kind(label):
    for kind, types in (("str", str), ("bytes", bytes), ("bool", (bool, np.bool_)),
                        ("int", numbers.Integral), ("float", numbers.Real)):
        if isinstance(label, types):
            return kind
    return type(label).__name__
