"""Early and real-time classification: predictions over time and streaming updates.

RAPID (Muthukrishna et al. 2019) gives class probabilities after every new
observation. The classifiers' own ``predict_proba_over_time`` and
``predict_proba_at`` take padded input; the functions here accept a whole
fitted pipeline (padder, normaliser, scaler, classifier) and light curves,
and :class:`StreamingClassifier` updates one object's probabilities per new
observation at constant cost, for alert brokers.
"""

import warnings

import numpy as np
import pandas as pd
import torch

from .bands import resolve_bands, wavelengths
from .preprocessing import FluxNormalizer, LightCurvePadder, MetadataScaler
from .transfer._transfer import split_model

__all__ = ["StreamingClassifier", "predict_proba_at", "predict_proba_over_time"]

CAUSAL_METHODS = ("running_peak", "none")


def _warn_if_not_causal(steps):
    for _, step in steps:
        if isinstance(step, FluxNormalizer) and step.method not in CAUSAL_METHODS:
            warnings.warn(
                f"FluxNormalizer(method={step.method!r}) looks at the whole light curve, so early "
                f"steps are scaled by information from the future; use method='running_peak' for "
                f"predictions over time that equal predictions on truncated light curves.",
                UserWarning, stacklevel=3)
        if isinstance(step, LightCurvePadder) and step.representation == "grid":
            warnings.warn("The grid representation interpolates between observations, so a grid "
                          "step can use the next observation of a band; predictions over time are "
                          "approximately, not strictly, causal.", UserWarning, stacklevel=3)


def _transform(steps, X):
    for _, step in steps:
        X = step.transform(X)
    return X


def predict_proba_over_time(estimator, X):
    """Class probabilities after each observation of each light curve, in one pass.

    Parameters
    ----------
    estimator : Pipeline, GRUClassifier or TransferClassifier
        Fitted model. Warns when its preprocessing is not causal.
    X : LightCurves or PaddedLightCurves
        Input of ``estimator``.

    Returns
    -------
    proba : ndarray of shape (n_objects, n_steps, n_classes)
        NaN beyond each object's length.
    times : ndarray of shape (n_objects, n_steps)
        Time (MJD) of each step.
    """
    steps, clf = split_model(estimator)
    _warn_if_not_causal(steps)
    Xt = _transform(steps, X)
    proba = clf.predict_proba_over_time(Xt)
    return proba, np.where(np.isnan(proba[:, :, 0]), np.nan, Xt.times[:, :proba.shape[1]])


def predict_proba_at(estimator, X, days_since_trigger):
    """Class probabilities from the observations up to given days after trigger.

    Parameters
    ----------
    estimator : Pipeline, GRUClassifier or TransferClassifier
    X : LightCurves or PaddedLightCurves
    days_since_trigger : array-like of float

    Returns
    -------
    proba : ndarray of shape (n_objects, n_days, n_classes)
        NaN where an object has no observation yet.
    """
    steps, clf = split_model(estimator)
    _warn_if_not_causal(steps)
    return clf.predict_proba_at(_transform(steps, X), days_since_trigger)


class StreamingClassifier:
    """Update objects' class probabilities as single observations arrive.

    Keeps, per object, the GRU's hidden state, the time of its first
    observation and its running peak flux, so that each new observation
    costs one GRU step, whatever the light curve's length. The result equals
    recomputing the whole light curve with the fitted model.

    Parameters
    ----------
    model : Pipeline or TransferClassifier
        A fitted model whose preprocessing is streamable: a
        ``LightCurvePadder`` with the ``"observations"`` representation, an
        optional ``FluxNormalizer`` with a causal method (``"running_peak"``
        or ``"none"``) and an optional ``MetadataScaler``, then a
        ``GRUClassifier`` (or a ``TransferClassifier`` over such a pipeline).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_objects_ : int
        Objects seen so far.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from skltransient import *
    >>> from skltransient.early import StreamingClassifier
    >>> from skltransient.utils._testing import make_toy_lightcurves
    >>> X, y = make_toy_lightcurves(30)
    >>> model = make_pipeline(LightCurvePadder(), FluxNormalizer("running_peak"), MetadataScaler(),
    ...                       GRUClassifier(hidden_size=8, max_epochs=1, random_state=0)).fit(X, y)
    >>> stream = StreamingClassifier(model)
    >>> proba = stream.update(["obj1"], [58001.0], ["ztfg"], [12.0], [3.0])
    >>> proba.shape
    (1, 3)
    """

    def __init__(self, model):
        steps, self._classifier = split_model(model)
        self._padder, self._normalizer, self._scaler = None, None, None
        for _, step in steps:
            if isinstance(step, LightCurvePadder) and step.representation == "observations":
                self._padder = step
            elif isinstance(step, FluxNormalizer) and step.method in CAUSAL_METHODS:
                self._normalizer = step
            elif isinstance(step, MetadataScaler):
                self._scaler = step
            else:
                raise ValueError(
                    f"{step!r} cannot be streamed: use LightCurvePadder('observations'), "
                    f"FluxNormalizer with a causal method {CAUSAL_METHODS}, and MetadataScaler.")
        if self._padder is None:
            raise ValueError("Streaming needs a LightCurvePadder with the 'observations' "
                             "representation in the model.")
        self._module = self._classifier.net_.module_.eval()
        self._device = self._classifier.net_.device
        self.classes_ = self._classifier.classes_
        self._rows = {}
        layers, hidden = self._module.encoder.num_layers, self._module.encoder.hidden_size
        self._hidden = np.zeros((0, layers, hidden), np.float32)
        self._first = np.zeros(0)
        self._last = np.zeros(0)
        self._peak = np.zeros(0, np.float32)
        self._metadata = np.zeros((0, self._classifier.n_metadata_), np.float32)
        self._proba = np.zeros((0, len(self.classes_)))

    @property
    def n_objects_(self):
        return len(self._rows)

    def update(self, object_id, time, band, flux, flux_err, *, metadata=None, survey=None):
        """Add observations and return the updated probabilities.

        Parameters
        ----------
        object_id, time, band, flux, flux_err : array-like of shape (n,)
            New observations, any objects, several per object allowed; each
            object's observations must come in time order, after those it
            already has.
        metadata : DataFrame or None, default=None
            Metadata rows of objects seen for the first time (indexed by
            object id, columns as the padder's ``metadata_columns``); objects
            without a row get NaN, which the MetadataScaler flags as missing.
        survey : str or None, default=None
            Survey for single-letter band names.

        Returns
        -------
        proba : DataFrame of shape (n_updated_objects, n_classes)
            Latest probabilities of the objects updated, indexed by object id.
        """
        object_id = np.asarray(object_id)
        time = np.asarray(time, dtype=np.float64)
        order = np.argsort(time, kind="stable")
        object_id, time = object_id[order], time[order]
        flux = np.asarray(flux, dtype=np.float64)[order]
        flux_err = np.asarray(flux_err, dtype=np.float64)[order]
        wavelength = wavelengths(resolve_bands(np.asarray(band)[order], survey=survey))
        if not (np.isfinite(time).all() and np.isfinite(flux).all() and np.isfinite(flux_err).all()):
            raise ValueError("Streamed observations need finite time, flux and flux_err.")
        rows = self._register(object_id, time, metadata)
        rank = pd.Series(rows).groupby(rows).cumcount().to_numpy()
        for r in range(rank.max() + 1 if rank.size else 0):
            pick = rank == r
            self._step(rows[pick], time[pick], flux[pick], flux_err[pick], wavelength[pick])
        updated = pd.unique(rows)
        ids = np.array(list(self._rows))[updated]
        return pd.DataFrame(self._proba[updated], index=pd.Index(ids, name="object_id"),
                            columns=self.classes_)

    def _register(self, object_id, time, metadata):
        new = [o for o in pd.unique(object_id) if o not in self._rows]
        start = len(self._rows)
        for i, o in enumerate(new):
            self._rows[o] = start + i
        if new:
            self._grow(new, metadata)
            first = pd.Series(time).groupby(object_id).min()
            self._first[start:] = first.loc[new].to_numpy()
        rows = np.fromiter(map(self._rows.__getitem__, object_id), np.int64, len(object_id))
        too_early = time < self._last[rows]
        if np.any(too_early):
            raise ValueError(f"Object {object_id[np.argmax(too_early)]!r} got an observation earlier "
                             f"than one it already has; stream each object's observations in time "
                             f"order.")
        return rows

    def _grow(self, new, metadata):
        n = len(new)
        self._hidden = np.concatenate([self._hidden, np.zeros((n,) + self._hidden.shape[1:], np.float32)])
        self._first = np.concatenate([self._first, np.zeros(n)])
        self._last = np.concatenate([self._last, np.full(n, -np.inf)])
        self._peak = np.concatenate([self._peak, np.zeros(n, np.float32)])
        self._proba = np.concatenate([self._proba, np.full((n, len(self.classes_)), np.nan)])
        columns = list(self._padder.metadata_columns)
        raw = np.full((n, len(columns)), np.nan, np.float32)
        if metadata is not None:
            known = metadata.reindex(new)
            for j, name in enumerate(columns):
                if name in known.columns:
                    raw[:, j] = known[name].to_numpy(dtype=np.float32, na_value=np.nan)
        # The scaler's own arithmetic, without its column-name check (it was fitted on names).
        scaled = self._scaler._scale(raw.astype(np.float64)).astype(np.float32) if self._scaler else raw
        self._metadata = np.concatenate([self._metadata, scaled])

    def _step(self, rows, time, flux, flux_err, wavelength):
        flux32, err32 = flux.astype(np.float32), flux_err.astype(np.float32)
        self._peak[rows] = np.maximum(self._peak[rows], np.abs(flux32))
        scale = np.ones(len(rows), np.float32)
        if self._normalizer is not None and self._normalizer.method == "running_peak":
            peak = self._peak[rows]
            scale = np.where(np.isfinite(peak) & (peak > 0), peak, np.float32(1.0))
        elapsed = (time - self._first[rows]).astype(np.float32) / np.float32(self._padder.time_scale)
        x = np.stack([elapsed, flux32 / scale, err32 / scale, (wavelength / 1e4).astype(np.float32)],
                     axis=1)
        with torch.inference_mode():
            values = torch.from_numpy(x[:, None, :]).to(self._device)
            h0 = torch.from_numpy(np.ascontiguousarray(self._hidden[rows].transpose(1, 0, 2)))
            output, hidden = self._module.encoder(values, h0.to(self._device))
            meta = self._module.metadata(torch.from_numpy(self._metadata[rows]).to(self._device))
            logits = self._module.head(torch.cat([output[:, 0], meta], dim=1))
            self._proba[rows] = torch.softmax(logits.double(), dim=1).cpu().numpy()
        self._hidden[rows] = hidden.cpu().numpy().transpose(1, 0, 2)
        self._last[rows] = time
