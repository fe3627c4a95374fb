"""Streaming classification: class probabilities updated one observation at a time.

:class:`ClassificationStream` keeps, per object, the state that the next
observation continues (the GRU's hidden state, the running peak, the
window's pending observations), so that each observation costs one GRU
step. It is built only on the public seams of the model it streams:
:meth:`LightCurvePadder.observation_steps
<skltransient.preprocessing.LightCurvePadder.observation_steps>` and
:meth:`~skltransient.preprocessing.LightCurvePadder.window_bounds`,
:meth:`FluxNormalizer.scale_batch
<skltransient.preprocessing.FluxNormalizer.scale_batch>`,
:meth:`TransientGRU.step <skltransient.neural.TransientGRU.step>` and
:meth:`~skltransient.neural.TransientGRU.classify`. It is not an estimator:
it is made from a fitted model and holds the state of a stream.
"""

import dataclasses
from numbers import Real

import numpy as np
import pandas as pd
import torch

from ._lightcurves import LightCurves, index_metadata, plain
from .preprocessing import FluxNormalizer, LightCurvePadder, MetadataScaler
from .preprocessing._normalization import CAUSAL_METHODS
from .utils import split_model

__all__ = ["ClassificationStream"]


class ClassificationStream:
    """Update objects' class probabilities as single observations arrive.

    Keeps, per object, the GRU's hidden state, the time of its first
    observation, its number of observations and its running peak flux, so
    that each new observation costs one GRU step, whatever the light
    curve's length. The steps are made by the model's own
    ``LightCurvePadder`` and ``FluxNormalizer`` code, so the result equals
    the fitted model's ``predict_proba`` on the light curve so far
    (including its ``max_length``: with ``truncate="end"`` an object stops
    changing after ``max_length`` observations, and its ``window``: with
    detection flags an object waits for its first detection, see
    :meth:`update`).

    Parameters
    ----------
    model : Pipeline or TransferClassifier
        A fitted model whose preprocessing is streamable: a
        ``LightCurvePadder`` with the ``"observations"`` representation
        (and, with a ``max_length``, ``truncate="end"``: keeping the last
        observations would need the whole light curve at every update), an
        optional ``FluxNormalizer`` with a causal method (``"running_peak"``,
        ``"snr"`` or ``"none"``) and an optional ``MetadataScaler``, then a
        ``GRUClassifier`` (or a ``TransferClassifier`` over such a pipeline).
    max_age : float or None, default=None
        Days after which an object with no new observation is retired
        (forgotten, see :meth:`retire`): its last observation is more than
        ``max_age`` days older than the latest observation of the stream
        (an object observed in an update is not retired by it).
        Checked as the stream's time advances by an eighth of ``max_age``,
        so an object goes at most ``1.125 * max_age`` days after its last
        observation. None: objects stay until :meth:`retire`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_objects_ : int
        Objects in the stream (seen and not retired).
    n_retired_ : int
        Objects retired so far.

    Notes
    -----
    An update is atomic: when it is refused (an observation earlier than one
    an object already has, columns of different lengths, non-finite values,
    values beyond float32, which the model computes in, an unknown band, a
    metadata frame with a duplicate object id), no object is registered and
    no state changes.

    Memory: an object costs a fixed number of bytes, whatever its number of
    observations: the GRU's hidden state (``4 * num_layers * hidden_size``
    bytes, and ``4 * (hidden_size + 1)`` more with pooling), its metadata and probabilities, a few numbers and its id (1.2 kB
    for the shipped models' size, 0.8 kB of it the hidden state, measured by
    ``benchmarks/bench_streaming_memory.py`` on a million objects), plus, before its trigger
    with detection flags, the non-detections the padder's window can still
    use: those less than the window's start before its latest observation
    (every one when the window has no start, as the batch padder keeps
    them). Retire objects (:meth:`retire`, ``max_age``) to keep a stream of
    millions bounded; an observation of a retired object starts it anew.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from skltransient import *
    >>> from skltransient.early import ClassificationStream
    >>> from skltransient.utils._testing import make_toy_lightcurves
    >>> X, y = make_toy_lightcurves(30)
    >>> model = make_pipeline(LightCurvePadder(), FluxNormalizer("running_peak"), MetadataScaler(),
    ...                       GRUClassifier(hidden_size=8, max_epochs=1, random_state=0)).fit(X, y)
    >>> stream = ClassificationStream(model)
    >>> proba = stream.update(["obj1"], [58001.0], ["ztfg"], [12.0], [3.0])
    >>> proba.shape
    (1, 3)
    """

    def __init__(self, model, *, max_age=None):
        if max_age is not None and (not isinstance(max_age, Real) or not max_age > 0):
            raise ValueError(f"max_age must be a positive number of days or None; got "
                             f"{max_age!r}.")
        self.max_age = max_age
        steps, self._classifier = split_model(model)
        self._padder, self._normalizer, self._scaler = None, None, None
        for _, step in steps:
            if isinstance(step, LightCurvePadder) and step.representation == "observations":
                self._padder = step
            elif isinstance(step, FluxNormalizer) and step.method in CAUSAL_METHODS:
                self._normalizer = step if step.method != "none" else None
            elif isinstance(step, MetadataScaler):
                self._scaler = step
            else:
                raise ValueError(
                    f"{step!r} cannot be streamed: use LightCurvePadder('observations'), "
                    f"FluxNormalizer with a causal method {CAUSAL_METHODS}, and MetadataScaler.")
        if self._padder is None:
            raise ValueError("Streaming needs a LightCurvePadder with the 'observations' "
                             "representation in the model.")
        if self._padder.features is not None:
            raise ValueError(
                f"{self._padder!r} adds statistics of each whole light curve to the metadata "
                f"(features), which every new observation would change: such a model cannot be "
                f"streamed at constant cost. Use predict_proba_at on the light curves, which "
                f"computes the statistics on each cut, or stream a model without features.")
        if self._padder.max_length is not None and self._padder.truncate == "start":
            raise ValueError(
                f"{self._padder!r} keeps each light curve's last {self._padder.max_length} "
                f"observations (truncate='start'), so every new observation would change all of "
                f"its steps and cannot be streamed at constant cost; fit the model with "
                f"truncate='end' or max_length=None to stream it.")
        self._module = self._classifier.net_.module_.eval()
        self._device = self._classifier.net_.device
        self.classes_ = self._classifier.classes_
        self._rows = {}
        self._used, self._free, self.n_retired_ = 0, np.zeros(0, np.int64), 0
        self._now = self._age_checked = -np.inf
        encoder = self._module.encoder
        self._state = _State(
            object_id=np.empty(0, dtype=object),
            hidden=np.zeros((0, encoder.num_layers, encoder.hidden_size), np.float32),
            pooled=np.zeros((0, self._module.pool_size), np.float32),
            first=np.zeros(0), last=np.zeros(0), previous=np.zeros(0), trigger=np.zeros(0),
            pending=np.empty(0, dtype=object), count=np.zeros(0, np.int64),
            peak=np.zeros(0, np.float32),
            metadata=np.zeros((0, self._classifier.n_metadata_), np.float32),
            proba=np.zeros((0, len(self.classes_))))

    @property
    def n_objects_(self):
        return len(self._rows)

    def update(self, object_id, time, band, flux, flux_err, *, detected=None, metadata=None,
               survey=None):
        """Add observations and return the updated probabilities.

        Parameters
        ----------
        object_id, time, band, flux, flux_err : array-like of shape (n,)
            New observations, any objects, several per object allowed; each
            object's observations must come after those it already has.
            They are checked as :meth:`LightCurves.from_arrays` checks them.
        metadata : DataFrame or None, default=None
            Metadata rows (indexed by object id, one row each, columns as the
            padder's ``metadata_columns``) of the update's objects. Objects
            seen for the first time without a row get NaN, which the
            MetadataScaler flags as missing. A row for an object already in
            the stream replaces its metadata, and its probabilities are
            recomputed with it (the GRU's state does not depend on the
            metadata, so they equal the batch model's with the new row).
            Rows of objects not in ``object_id`` are ignored.
        detected : array-like of bool of shape (n,) or None, default=None
            Which observations are detections. An object's first detection
            is its trigger: its earlier observations wait (its probabilities
            stay NaN) and, at the trigger, those within the padder's window
            are stepped through in order, exactly as the batch padder keeps
            them. None counts every observation as a detection, so an
            object's first streamed observation is its trigger (as for light
            curves without detection flags). Observations later than the
            window's end after the trigger leave the object unchanged.
        survey : str or None, default=None
            Survey for single-letter band names.

        Returns
        -------
        proba : DataFrame of shape (n_updated_objects, n_classes)
            Latest probabilities of the objects updated, indexed by object
            id, in order of first appearance in ``object_id``; empty for an
            update without observations (a quiet tick).
        """
        new = LightCurves.from_arrays(object_id, time, band, flux, flux_err, detected=detected,
                                      survey=survey)
        if len(new) == 0:
            return pd.DataFrame(np.zeros((0, len(self.classes_))), columns=self.classes_,
                                index=pd.Index([], name="object_id"))
        _check_float32(new)
        rows = np.array([self._rows.get(o, -1) for o in new.object_ids.tolist()], np.int64)
        is_new = rows < 0
        frame = None if metadata is None else self._metadata_frame(metadata)
        state = self._new_state(new, is_new, frame)
        state.put(~is_new, self._state.take(rows[~is_new]))
        replaced = self._replace_metadata(state, new.object_ids, ~is_new, frame)
        too_early = new.time[new.offsets[:-1]] < state.last
        if np.any(too_early):
            raise ValueError(
                f"Object {plain(new.object_ids[np.argmax(too_early)])!r} got an observation earlier "
                f"than one it already has; stream each object's observations in time order.")
        wavelength = new.wavelength
        for rank in range(new.lengths.max()):  # one GRU step per object and round
            index = np.flatnonzero(new.lengths > rank)
            self._step(state, index, new.offsets[index] + rank, new, wavelength)
        stepped = np.flatnonzero(replaced & (state.count > 0))
        if stepped.size:
            state.proba[stepped] = self._probabilities(state.hidden[stepped, -1],
                                                       state.pooled[stepped],
                                                       state.metadata[stepped])
        # Nothing below can fail: the update is committed whole or not at all.
        self._now = max(self._now, float(new.time.max()))
        self._retire_old(keep=rows[~is_new])  # first, so that new objects reuse the rows
        rows[is_new] = self._allocate(np.count_nonzero(is_new))
        self._state.put(rows, state)
        self._rows.update(zip(new.object_ids[is_new].tolist(), rows[is_new].tolist()))
        return pd.DataFrame(state.proba, index=pd.Index(new.object_ids, name="object_id"),
                            columns=self.classes_)

    def retire(self, object_ids):
        """Forget objects: their state is freed and its room reused by new objects.

        An observation of a retired object later starts it anew (a new
        first observation, trigger and normalisation). Ids that are not in
        the stream are ignored, so retiring twice is harmless.

        Parameters
        ----------
        object_ids : array-like of shape (n,) or str

        Returns
        -------
        n_retired : int
            How many of ``object_ids`` were in the stream.
        """
        ids = np.atleast_1d(np.asarray(object_ids, dtype=object)).ravel().tolist()
        rows = np.array([self._rows.pop(o) for o in dict.fromkeys(ids) if o in self._rows],
                        np.int64)
        self._release(rows)
        return int(rows.size)

    def _allocate(self, n):
        """Rows for ``n`` new objects: retired objects' rows first, then new ones."""
        reused = min(n, self._free.size)
        rows = np.r_[self._free[self._free.size - reused:],
                     self._used + np.arange(n - reused, dtype=np.int64)]
        self._free = self._free[:self._free.size - reused].copy()
        self._used += n - reused
        self._state = self._state.reserve(self._used)
        return rows

    def _release(self, rows):
        if rows.size == 0:
            return
        self._state.object_id[rows] = None
        self._state.pending[rows] = _no_pending(rows.size)
        self._state.last[rows] = np.inf  # never old: not retired twice
        self._free = np.r_[self._free, rows]
        self.n_retired_ += int(rows.size)

    def _retire_old(self, keep):
        """Retire the objects older than ``max_age`` but those of rows ``keep`` (observed in
        this update), each time the stream's time advances by an eighth of ``max_age`` (one
        pass over the objects)."""
        if self.max_age is None or self._now < self._age_checked + self.max_age / 8:
            return
        self._age_checked = self._now
        old = np.flatnonzero(self._state.last[:self._used] < self._now - self.max_age)
        old = old[~np.isin(old, keep)]
        for oid in self._state.object_id[old].tolist():
            del self._rows[oid]
        self._release(old)

    def _new_state(self, new, is_new, frame):
        """State of the update's objects before it, with the metadata of the new ones."""
        n, n_new = len(new), np.count_nonzero(is_new)
        state = _State(
            object_id=new.object_ids.astype(object),
            hidden=np.zeros((n,) + self._state.hidden.shape[1:], np.float32),
            pooled=np.zeros((n,) + self._state.pooled.shape[1:], np.float32),
            first=new.time[new.offsets[:-1]], last=np.full(n, -np.inf), previous=np.zeros(n),
            trigger=np.full(n, np.inf),
            pending=_no_pending(n),
            count=np.zeros(n, np.int64), peak=np.zeros(n, np.float32),
            metadata=np.zeros((n, self._state.metadata.shape[1]), np.float32),
            proba=np.full((n, len(self.classes_)), np.nan))
        if n_new:
            state.metadata[is_new] = self._metadata(new.object_ids[is_new], frame)
        return state

    def _metadata_frame(self, metadata):
        """The update's metadata, indexed by object id, one row each."""
        frame = index_metadata(metadata, None)
        duplicated = frame.index[frame.index.duplicated()]
        if len(duplicated):
            raise ValueError(f"Object {plain(duplicated[0])!r} has more than one row in the "
                             f"metadata; give each object one row.")
        self._padder.warn_missing_metadata(frame.columns)
        return frame

    def _replace_metadata(self, state, object_ids, known, frame):
        """Give objects already in the stream their new metadata row; which ones got one."""
        if frame is None:
            return np.zeros(len(object_ids), bool)
        replaced = known & (frame.index.get_indexer(object_ids) >= 0)
        if replaced.any():
            state.metadata[replaced] = self._metadata(object_ids[replaced], frame)
        return replaced

    def _metadata(self, object_ids, frame):
        """Scaled metadata of objects, through the padder's and the scaler's code."""
        columns = list(self._padder.metadata_columns)
        if frame is None:
            frame = pd.DataFrame(np.nan, index=object_ids, columns=columns)
        else:
            frame = frame.reindex(object_ids)
        raw = self._padder.metadata_values(frame)
        if self._scaler is not None and raw.shape[1]:
            return self._scaler.transform(pd.DataFrame(raw, columns=columns)).astype(np.float32)
        unknown = ~np.isfinite(raw)
        if np.any(unknown):
            row, column = np.argwhere(unknown)[0]
            raise ValueError(
                f"Object {plain(object_ids[row])!r} has no value of metadata column "
                f"{columns[column]!r}, and the model has no MetadataScaler to impute it; pass its "
                f"metadata row.")
        return raw

    def _step(self, state, index, obs, new, wavelength):
        """One observation of each object in ``index`` (at most one each), through the window."""
        state.last[index] = new.time[obs]
        start, end = self._padder.window_bounds() or (None, None)
        start = -np.inf if start is None else start
        end = np.inf if end is None else end
        detected = np.ones(len(obs), bool) if new.detected is None else new.detected[obs]
        waiting = ~np.isfinite(state.trigger[index])
        for row, o in zip(index[waiting & ~detected], obs[waiting & ~detected]):
            # Before the trigger: remember the observation (a new tuple: updates stay atomic),
            # and forget those the window can no longer reach (the trigger comes after this one).
            state.pending[row] = (*(p for p in (state.pending[row] or ())
                                    if p[0] >= new.time[o] + start),
                                  (float(new.time[o]), float(new.flux[o]),
                                   float(new.flux_err[o]), float(wavelength[o])))
        for row, o in zip(index[waiting & detected], obs[waiting & detected]):
            state.trigger[row] = new.time[o]
            kept = [p for p in (state.pending[row] or ()) if p[0] >= new.time[o] + start]
            state.pending[row] = ()
            state.first[row] = kept[0][0] if kept else new.time[o]
            for p in kept:  # the window's earlier observations, in order
                self._advance(state, np.array([row]), *(np.array([v]) for v in p))
        stepped = ~(waiting & ~detected)
        index, obs = index[stepped], obs[stepped]
        within = new.time[obs] <= state.trigger[index] + end
        index, obs = index[within], obs[within]
        self._advance(state, index, new.time[obs], new.flux[obs], new.flux_err[obs],
                      wavelength[obs])

    def _advance(self, state, index, time, flux, flux_err, wavelength):
        """One GRU step of each object in ``index``, from one observation each."""
        if self._padder.max_length is not None:  # truncate="end": later observations are cut
            kept = state.count[index] < self._padder.max_length
            index, time, flux, flux_err, wavelength = (
                a[kept] for a in (index, time, flux, flux_err, wavelength))
        if index.size == 0:
            return
        # Days since each object's previous step (0 at its first): the padder's "log_gap".
        gap = np.where(state.count[index] == 0, 0.0, time - state.previous[index])
        state.count[index] += 1
        state.previous[index] = time
        values = self._padder.observation_steps(time - state.first[index], flux, flux_err,
                                                 wavelength, gap)[:, None, :]
        if self._normalizer is not None:
            values, state.peak[index] = self._normalizer.scale_batch(
                values, np.ones(index.size, np.int64), *self._padder.flux_channels(),
                peak=state.peak[index])
        bad = ~np.isfinite(values).all(axis=(1, 2))
        if np.any(bad):  # refused before any state changes: the update stays atomic
            k = int(np.argmax(bad))
            raise ValueError(
                f"Object {plain(state.object_id[index[k]])!r} has an observation at time "
                f"{float(time[k])!r} (flux {float(flux[k])!r}, flux_err {float(flux_err[k])!r}) "
                f"whose model inputs are not finite in float32, which the model computes in; the "
                f"update is refused and no object changed.")
        with torch.inference_mode():
            h0 = torch.from_numpy(np.ascontiguousarray(state.hidden[index].transpose(1, 0, 2)))
            encoded, hidden, pooled = self._module.step(
                torch.from_numpy(values).to(self._device), h0.to(self._device),
                torch.from_numpy(state.pooled[index]).to(self._device))
            state.proba[index] = self._softmax(encoded, state.metadata[index])
        state.hidden[index] = hidden.cpu().numpy().transpose(1, 0, 2)
        state.pooled[index] = pooled.cpu().numpy()

    def _probabilities(self, last, pooled, metadata):
        """Class probabilities from the encoder's last state and running pool."""
        with torch.inference_mode():
            encoded = self._module.represent(torch.from_numpy(np.ascontiguousarray(last)),
                                             torch.from_numpy(pooled))
            return self._softmax(encoded.to(self._device), metadata)

    def _softmax(self, encoded, metadata):
        logits = self._module.classify(encoded, torch.from_numpy(metadata).to(self._device))
        return torch.softmax(logits.double(), dim=1).cpu().numpy()


def _check_float32(new):
    """Refuse fluxes and uncertainties beyond float32 (finite in float64, infinite as steps)."""
    largest = float(np.finfo(np.float32).max)
    bad = ~((np.abs(new.flux) <= largest) & (np.abs(new.flux_err) <= largest))
    if np.any(bad):
        k = int(np.argmax(bad))
        raise ValueError(
            f"Object {plain(new.object_ids[new.object_index[k]])!r} has a flux of "
            f"{float(new.flux[k]):g} (flux_err {float(new.flux_err[k]):g}) beyond float32's "
            f"range ({largest:.3g}), which the model computes in; the update is refused and no "
            f"object changed. Check the flux's unit.")


def _no_pending(n):
    """``n`` empty tuples of waiting observations, as an object array."""
    pending = np.empty(n, dtype=object)
    for k in range(n):
        pending[k] = ()
    return pending


@dataclasses.dataclass
class _State:
    """Streaming state, one row per object; stored arrays keep spare rows to grow in place."""

    object_id: np.ndarray
    hidden: np.ndarray
    pooled: np.ndarray
    first: np.ndarray
    last: np.ndarray
    previous: np.ndarray
    trigger: np.ndarray
    pending: np.ndarray
    count: np.ndarray
    peak: np.ndarray
    metadata: np.ndarray
    proba: np.ndarray

    def take(self, index):
        return _State(**{f.name: getattr(self, f.name)[index] for f in dataclasses.fields(self)})

    def put(self, index, other):
        for f in dataclasses.fields(self):
            getattr(self, f.name)[index] = getattr(other, f.name)

    def reserve(self, n):
        """A state with room for ``n`` rows, growing by a quarter when it must (a doubling
        would leave up to half the rows of a stream of millions unused)."""
        capacity = len(self.first)
        if n <= capacity:
            return self
        extra = max(n, capacity + capacity // 4) - capacity
        return _State(**{f.name: np.concatenate([getattr(self, f.name), np.zeros(
            (extra,) + getattr(self, f.name).shape[1:], getattr(self, f.name).dtype)])
            for f in dataclasses.fields(self)})
