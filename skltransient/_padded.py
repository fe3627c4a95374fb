"""PaddedLightCurves: the contract between preprocessing and the models.

:class:`~skltransient.preprocessing.LightCurvePadder` makes it, the
transformers after it (:class:`~skltransient.preprocessing.FluxNormalizer`,
:class:`~skltransient.preprocessing.MetadataScaler`) map it to itself, and the
networks in :mod:`skltransient.neural` consume it.
"""

import dataclasses

import numpy as np

from ._lightcurves import _normalize_key

__all__ = ["PaddedLightCurves"]


@dataclasses.dataclass(frozen=True, eq=False)
class PaddedLightCurves:
    """A batch of light curves padded to a common number of steps.

    The output of :class:`LightCurvePadder` and the input of the models. Like
    :class:`~skltransient.LightCurves` it is a 1-D collection of objects:
    ``len``, ``shape == (n_objects,)`` and indexing by int, slice, boolean
    mask or integer array return a ``PaddedLightCurves``.

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
        point.
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
    representation : {"observations", "grid"}
        How steps were made (see :class:`LightCurvePadder`).
    """

    values: np.ndarray
    lengths: np.ndarray
    metadata: np.ndarray
    times: np.ndarray
    t0: np.ndarray
    trigger: np.ndarray
    channels: tuple
    metadata_names: tuple
    flux_channels: tuple
    flux_err_channels: tuple
    object_ids: np.ndarray
    representation: str

    @property
    def shape(self):
        """Tuple ``(n_objects,)``."""
        return (self.values.shape[0],)

    def __len__(self):
        return self.values.shape[0]

    def __getitem__(self, key):
        if isinstance(key, tuple) and len(key) == 2 and key[1] is Ellipsis:
            key = key[0]
        index = _normalize_key(key, len(self))
        return self.replace(**{name: getattr(self, name)[index] for name in _PER_OBJECT})

    def replace(self, **changes):
        """Return a copy with some fields replaced (no data is copied)."""
        return dataclasses.replace(self, **changes)

    def __repr__(self):
        n, t, c = self.values.shape
        return (f"PaddedLightCurves(n_objects={n}, n_steps={t}, channels={list(self.channels)}, "
                f"metadata={list(self.metadata_names)}, representation={self.representation!r})")


_PER_OBJECT = ("values", "lengths", "metadata", "times", "t0", "trigger", "object_ids")
