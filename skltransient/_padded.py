"""PaddedLightCurves: the contract between preprocessing and the models.

:class:`~skltransient.preprocessing.LightCurvePadder` makes it, the
transformers after it (:class:`~skltransient.preprocessing.FluxNormalizer`,
:class:`~skltransient.preprocessing.MetadataScaler`) map it to itself, and the
networks in :mod:`skltransient.neural` consume it.

The padder's output is *deferred* (:meth:`PaddedLightCurves.deferred`): it
keeps the light curves and the steps that will pad and transform them, and
pads only when its arrays are asked for. The transformers after the padder
add their step with :meth:`PaddedLightCurves.apply`. A model predicts from it
batch by batch (:meth:`PaddedLightCurves.batches`), padding and transforming
each batch just before inference, so that the memory of a prediction depends
on the batch, not on the number of light curves; asking for ``values`` (or
any other array) pads everything once.
"""

import numpy as np

from ._lightcurves import normalize_key

__all__ = ["PaddedLightCurves"]

_FIELDS = ("values", "lengths", "metadata", "times", "t0", "trigger", "channels",
           "metadata_names", "flux_channels", "flux_err_channels", "object_ids", "representation",
           "flux_scale", "normalizer", "lookahead")
_PER_OBJECT = ("values", "lengths", "metadata", "times", "t0", "trigger", "object_ids",
               "flux_scale")
# Known without padding anything (per object), or from padding one object (the rest).
_CHEAP = ("lengths", "object_ids", "trigger")
_STATIC = ("channels", "metadata_names", "flux_channels", "flux_err_channels", "representation",
           "normalizer", "lookahead")


class PaddedLightCurves:
    """A batch of light curves padded to a common number of steps.

    The output of :class:`LightCurvePadder` and the input of the models. Like
    :class:`~skltransient.LightCurves` it is a 1-D collection of objects:
    ``len``, ``shape == (n_objects,)`` and indexing by int, slice, boolean
    mask or integer array return a ``PaddedLightCurves``.

    What a :class:`LightCurvePadder` returns is deferred: the padding (and
    the transformers applied after it) run when an array is first read,
    once for all objects, or batch by batch through :meth:`batches`, which
    is how the models predict with memory bounded by the batch.

    A deferred collection is made by :meth:`deferred` (the padder's
    ``transform``) and grows by :meth:`apply` (the transformers after it);
    :attr:`is_deferred` tells it apart. The fields known without padding
    (``lengths``, ``object_ids``, ``trigger``) come from the light curves;
    those that do not depend on the objects (``channels``, ...) from padding
    the first object once, a probe kept with the collection.

    Attributes
    ----------
    values : ndarray of shape (n_objects, n_steps, n_channels), float32
        Per-step inputs; steps at or beyond an object's length are zero.
    lengths : ndarray of shape (n_objects,), int64
        Number of valid steps of each object (at least 1).
    metadata : ndarray of shape (n_objects, n_metadata), float32
        Per-object metadata (NaN where unknown until a
        :class:`~skltransient.preprocessing.MetadataScaler` imputes it).
    times : ndarray of shape (n_objects, n_steps), float64
        Time (MJD) of each step, NaN beyond each object's length: with
        ``"observations"`` the observation's own time, unrounded, so that
        counting the steps up to a cutoff (``times <= cutoff``) agrees
        exactly with :meth:`LightCurves.truncate`; with ``"grid"`` the grid
        point; with ``"nights"`` the night's last observation.
    t0 : ndarray of shape (n_objects,), float64
        Time (MJD) of each object's first kept step (equal to
        ``times[:, 0]``); the ``"time"`` channel counts days from it.
    trigger : ndarray of shape (n_objects,), float64
        Time (MJD) of each object's first detection (see
        :attr:`LightCurves.trigger_time`), for predictions at given days
        since trigger.
    channels : tuple of str
        Name of each channel of ``values``.
    metadata_names : tuple of str
        Name of each column of ``metadata``.
    flux_channels, flux_err_channels : tuple of int
        Channels holding flux and its uncertainty, paired in order; what
        :class:`~skltransient.preprocessing.FluxNormalizer` scales.
    object_ids : ndarray of shape (n_objects,)
        Object identifiers.
    representation : {"observations", "grid", "nights"}
        How steps were made (see :class:`LightCurvePadder`).
    flux_scale : ndarray of shape (n_objects, n_steps), float32, or None
        What a :class:`~skltransient.preprocessing.FluxNormalizer` divided
        each step's fluxes and uncertainties by (for ``"arcsinh"``, the
        width of the arcsinh); None when the fluxes are as measured.
    normalizer : FluxNormalizer or None
        The normaliser that scaled the fluxes, or None. With ``flux_scale``
        it gives back the measured fluxes and scales perturbed ones the same
        way (:meth:`FluxNormalizer.unscale`, :meth:`FluxNormalizer.rescale`):
        how training batches add noise in flux units.
    lookahead : dict of str to str
        Why a step may depend on later observations, one sentence per
        preprocessing step that lets it (keys ``"grid"``, ``"nights"``,
        ``"truncate"``, ``"window"``, ``"normalization"``); empty when every step depends
        only on the observations up to it, so that predictions after each
        step equal predictions on the light curve cut there. See
        :meth:`lookahead_reasons`.
    """

    def __init__(self, values, lengths, metadata, times, t0, trigger, channels, metadata_names,
                 flux_channels, flux_err_channels, object_ids, representation, flux_scale=None,
                 normalizer=None, lookahead=None):
        self._data = dict(values=values, lengths=lengths, metadata=metadata, times=times, t0=t0,
                          trigger=trigger, channels=channels, metadata_names=metadata_names,
                          flux_channels=flux_channels, flux_err_channels=flux_err_channels,
                          object_ids=object_ids, representation=representation,
                          flux_scale=flux_scale, normalizer=normalizer,
                          lookahead=dict(lookahead or {}))
        self._source = None

    @classmethod
    def deferred(cls, lightcurves, lengths, steps):
        """A collection padded only when its arrays are read, or batch by batch.

        Parameters
        ----------
        lightcurves : LightCurves
            The light curves to pad.
        lengths : ndarray of shape (n_objects,) of int
            The number of steps the padding will give each light curve,
            known without padding (it orders and sizes the batches).
        steps : sequence of callable
            ``steps[0]`` maps a ``LightCurves`` to an eager
            ``PaddedLightCurves`` (e.g. a fitted padder's eager padding),
            each later step an eager ``PaddedLightCurves`` to another.

        Returns
        -------
        padded : PaddedLightCurves
            Deferred (:attr:`is_deferred`).
        """
        self = cls.__new__(cls)
        self._data = None
        self._source = (lightcurves, np.asarray(lengths, dtype=np.int64), tuple(steps))
        self._probe = None
        return self

    @property
    def is_deferred(self):
        """Whether the padding still waits: no array of every object has been made."""
        return self._data is None

    # ------------------------------------------------------------- fields
    def _get(self, name):
        if self._data is not None:
            return self._data[name]
        lightcurves, lengths, _ = self._source
        if name == "lengths":
            return lengths
        if name == "object_ids":
            return lightcurves.object_ids
        if name == "trigger":
            return lightcurves.trigger_time
        if name in _STATIC:
            return self._first()._get(name)
        self._data = self._pad(None)._data  # everything, once
        return self._data[name]

    def _first(self):
        """Eager: this collection, or (deferred) its first object, padded once (the probe)."""
        if self._data is not None:
            return self
        if self._probe is None:
            self._probe = self._pad(np.arange(min(1, len(self))))
        return self._probe

    values = property(lambda self: self._get("values"))
    lengths = property(lambda self: self._get("lengths"))
    metadata = property(lambda self: self._get("metadata"))
    times = property(lambda self: self._get("times"))
    t0 = property(lambda self: self._get("t0"))
    trigger = property(lambda self: self._get("trigger"))
    channels = property(lambda self: self._get("channels"))
    metadata_names = property(lambda self: self._get("metadata_names"))
    flux_channels = property(lambda self: self._get("flux_channels"))
    flux_err_channels = property(lambda self: self._get("flux_err_channels"))
    object_ids = property(lambda self: self._get("object_ids"))
    representation = property(lambda self: self._get("representation"))
    flux_scale = property(lambda self: self._get("flux_scale"))
    normalizer = property(lambda self: self._get("normalizer"))
    lookahead = property(lambda self: self._get("lookahead"))

    def lookahead_reasons(self, *, before_trigger=True):
        """Sentences saying why predictions after a step may use later observations.

        Parameters
        ----------
        before_trigger : bool, default=True
            Whether the predictions asked for include steps before an
            object's trigger: a window placed around the trigger (the first
            detection) looks ahead only there.

        Returns
        -------
        reasons : list of str
            Empty when predictions after each step (or at each day) equal
            predictions on the light curve cut there.
        """
        return [sentence for key, sentence in self.lookahead.items()
                if before_trigger or key != "window"]

    @property
    def n_channels(self):
        """Number of channels per step (known without padding everything)."""
        return self._first().values.shape[2]

    @property
    def n_metadata(self):
        """Number of metadata columns (known without padding everything)."""
        return self._first().metadata.shape[1]

    @property
    def shape(self):
        """Tuple ``(n_objects,)``."""
        return (len(self),)

    def __len__(self):
        return len(self.lengths)

    # ---------------------------------------------------------- deferral
    def _pad(self, index):
        """Pad the objects at ``index`` (all when None) and apply the steps: an eager batch."""
        lightcurves, _, steps = self._source
        X = steps[0](lightcurves if index is None else lightcurves[index])
        for step in steps[1:]:
            X = step(X)
        return X

    def apply(self, step):
        """This collection with ``step`` applied to every object, now or batch by batch.

        How a transformer after the padder (a
        :class:`~skltransient.preprocessing.FluxNormalizer`, a
        :class:`~skltransient.preprocessing.MetadataScaler`) transforms: on an
        eager collection ``step`` runs now; on a deferred one it is added to
        the steps that every batch runs when it is padded, and it runs at
        once on the first object, so that a bad input fails here and not
        deep inside a prediction.

        Parameters
        ----------
        step : callable
            Eager ``PaddedLightCurves`` -> ``PaddedLightCurves``; it must treat
            each object on its own, so that batches give what the whole would.

        Returns
        -------
        padded : PaddedLightCurves
            Deferred when this one is.
        """
        if self._data is not None:
            return step(self)
        lightcurves, lengths, steps = self._source
        deferred = type(self).deferred(lightcurves, lengths, steps + (step,))
        deferred._probe = step(self._first())  # the first object, padded once per collection
        return deferred

    def batches(self, batch_size, *, steps_per_batch=None, order=None):
        """Yield ``(index, batch)``: eager batches of objects, padded just before use.

        Parameters
        ----------
        batch_size : int
            Most objects in a batch.
        steps_per_batch : int or None, default=None
            Most ``objects x longest length`` in a batch: a batch of long light
            curves holds fewer of them, so that one very long light curve
            pads only a small batch. None puts no limit.
        order : ndarray of int or None, default=None
            Order in which the objects are taken (e.g. by length); None
            takes them as they are.

        Yields
        ------
        index : ndarray of int
            Positions of the batch's objects in this collection.
        batch : PaddedLightCurves
            Those objects, padded (and transformed) now.
        """
        order = np.arange(len(self)) if order is None else np.asarray(order)
        lengths = self.lengths[order]
        start = 0
        while start < len(order):
            stop = min(start + batch_size, len(order))
            if steps_per_batch is not None:
                # The longest prefix whose size x longest length fits (a prefix: both grow).
                window = lengths[start:stop]
                steps = np.arange(1, window.size + 1) * np.maximum.accumulate(window)
                stop = start + max(1, int(np.count_nonzero(steps <= steps_per_batch)))
            index = order[start:stop]
            yield index, (self._pad(index) if self._data is None else self[index])
            start = stop

    # ------------------------------------------------------------ access
    def __getitem__(self, key):
        if isinstance(key, tuple) and len(key) == 2 and key[1] is Ellipsis:
            key = key[0]
        index = normalize_key(key, len(self))
        # Pads a deferred collection first, so that a slice keeps the number of steps.
        return self.replace(**{name: None if self._get(name) is None else self._get(name)[index]
                               for name in _PER_OBJECT})

    def replace(self, **changes):
        """Return a copy with some fields replaced (no data is copied); pads a deferred one."""
        unknown = set(changes) - set(_FIELDS)
        if unknown:
            raise TypeError(f"PaddedLightCurves has no fields {sorted(unknown)}; its fields are "
                            f"{list(_FIELDS)}.")
        return type(self)(**{**{name: self._get(name) for name in _FIELDS}, **changes})

    def __repr__(self):
        steps = "deferred" if self._data is None else self._data["values"].shape[1]
        return (f"PaddedLightCurves(n_objects={len(self)}, n_steps={steps}, "
                f"channels={list(self.channels)}, metadata={list(self.metadata_names)}, "
                f"representation={self.representation!r})")
