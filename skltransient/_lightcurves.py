"""A ragged collection of multi-band light curves with per-object metadata."""

import numbers
import warnings

import numpy as np
import pandas as pd

from ._parquet import load_parquet, save_parquet
from .bands import known_bands, resolve_bands, wavelengths

__all__ = ["LightCurves"]

# Canonical column name -> accepted aliases (matched case-insensitively).
COLUMN_ALIASES = {
    "object_id": ("object_id", "objectid", "snid", "id", "diaobjectid", "oid"),
    "time": ("time", "mjd", "mjd_obs", "jd", "midpointtai", "midpointmjdtai"),
    "band": ("band", "passband", "flt", "filter", "filtername", "band_name", "fid"),
    "flux": ("flux", "fluxcal", "psflux", "forcediffimflux"),
    "flux_err": ("flux_err", "fluxerr", "fluxcalerr", "flux_error", "psfluxerr", "forcediffimfluxunc"),
    "detected": ("detected", "detected_bool", "detection", "photflag_detected"),
}


class LightCurves:
    """A ragged collection of multi-band light curves with per-object metadata.

    Observations are stored as flat NumPy columns sorted by object, then by
    time, with ``offsets`` marking where each object starts; metadata is a
    :class:`pandas.DataFrame` with one row per object, indexed by object id
    and in the same order as the light curves. A ``LightCurves`` behaves like
    a 1-D array of objects: ``len``, ``shape`` and indexing by int, slice,
    boolean mask or integer array (which return a ``LightCurves``), so that
    scikit-learn's splitters, :func:`~sklearn.model_selection.train_test_split`,
    :func:`~sklearn.model_selection.cross_val_score` and
    :class:`~sklearn.model_selection.GridSearchCV` slice it directly.

    Build one with :meth:`from_pandas` or :meth:`from_arrays`; the
    constructor itself trusts its input and is meant for internal use.

    Parameters
    ----------
    object_ids : ndarray of shape (n_objects,)
        Object identifiers, unique.
    offsets : ndarray of shape (n_objects + 1,)
        Start of each object's observations in the flat columns.
    time, band, flux, flux_err : ndarray of shape (n_observations,)
        Time (MJD, days), band code (see :mod:`skltransient.bands`), flux
        and its 1-sigma uncertainty, in the same (arbitrary but consistent)
        units, e.g. SNANA ``FLUXCAL`` (zero point 27.5).
    detected : ndarray of shape (n_observations,) of bool, default=None
        Detection flag of each observation, when known.
    metadata : DataFrame of shape (n_objects, n_columns), default=None
        Per-object metadata (e.g. ``redshift``, ``mwebv``) indexed by object id.

    Attributes
    ----------
    lengths : ndarray of shape (n_objects,)
        Number of observations of each object.
    band_names : ndarray of shape (n_observations,)
        Canonical band name of each observation.

    Examples
    --------
    >>> import pandas as pd
    >>> from skltransient import LightCurves
    >>> obs = pd.DataFrame({"object_id": ["a", "a", "b"], "mjd": [1.0, 0.0, 5.0],
    ...                     "band": ["ztfg", "ztfr", "ztfg"], "flux": [10., 12., 3.],
    ...                     "flux_err": [1., 1., 0.5]})
    >>> lc = LightCurves.from_pandas(obs, pd.DataFrame({"redshift": [0.1, 0.05]}, index=["a", "b"]))
    >>> len(lc), lc.lengths.tolist(), lc.time[:2].tolist()
    (2, [2, 1], [0.0, 1.0])
    >>> lc[[1]].object_ids.tolist()
    ['b']
    """

    def __init__(self, object_ids, offsets, time, band, flux, flux_err, detected=None, metadata=None):
        self.object_ids = np.asarray(object_ids)
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.time = np.asarray(time, dtype=np.float64)
        self.band = np.asarray(band, dtype=np.int16)
        self.flux = np.asarray(flux, dtype=np.float64)
        self.flux_err = np.asarray(flux_err, dtype=np.float64)
        self.detected = None if detected is None else np.asarray(detected, dtype=bool)
        if metadata is None:
            metadata = pd.DataFrame(index=pd.Index(self.object_ids, name="object_id"))
        self.metadata = metadata
        if self.offsets.shape != (self.object_ids.shape[0] + 1,) or self.offsets[-1] != self.time.shape[0]:
            raise ValueError("offsets must have n_objects + 1 entries and end at n_observations.")
        if len(self.metadata) != len(self.object_ids):
            raise ValueError("metadata must have one row per object.")

    # ------------------------------------------------------------------ build
    @classmethod
    def from_arrays(
        cls,
        object_id,
        time,
        band,
        flux,
        flux_err,
        *,
        detected=None,
        metadata=None,
        band_column=None,
        survey=None,
        on_invalid="raise",
    ):
        """Build light curves from flat per-observation arrays.

        Every column is parsed, not cast: a value that does not parse is an
        error naming the column, the row (counted from 0) and the object (see
        Notes).

        Parameters
        ----------
        object_id : array-like of shape (n_observations,)
            Object of each observation; NaN or None is an error.
        time : array-like of shape (n_observations,)
            Time of each observation: days (MJD, or days relative to any
            origin), or datetimes (``datetime64``, :class:`pandas.Timestamp`,
            time-zone aware or naive, taken as UTC) which are converted to
            MJD. Must be finite; values of 2,400,000 or more are refused as
            Julian Dates (see Notes).
        band : array-like of shape (n_observations,)
            Band of each observation: names or aliases (see
            :func:`skltransient.bands.resolve_bands`), or integers with
            ``band_column`` saying what they mean.
        flux, flux_err : array-like of shape (n_observations,)
            Flux and its non-negative, finite uncertainty: numbers, or
            strings that parse as numbers.
        detected : array-like of shape (n_observations,), default=None
            Detection flag of each observation: booleans, the numbers 0 and
            1, or the strings ``"0"``, ``"1"``, ``"true"``, ``"false"``,
            ``"t"``, ``"f"`` (any case). Anything else, NaN and None
            included, is an error: a missing flag would move
            :attr:`trigger_time`.
        metadata : DataFrame, default=None
            One row per object, indexed by object id (or with an
            ``object_id`` column). When given, its row order is the order of
            the light curves; otherwise objects keep their order of first
            appearance in ``object_id``.
        band_column : {"passband", "fid"} or None, default=None
            Column the integer band codes come from.
        survey : {"ztf", "lsst"} or None, default=None
            Survey used to resolve single-letter band names.
        on_invalid : {"raise", "drop"}, default="raise"
            What to do with observations whose flux is not finite (NaN,
            None or infinite): raise a ``ValueError`` naming the object, or
            drop them with a warning that counts them.

        Returns
        -------
        lightcurves : LightCurves

        Notes
        -----
        Times are in days and are not checked against a calendar, so that
        simulated and relative times (0, 1, 2 ... or negative days before a
        peak) are kept as they are. Only values that no MJD can have are
        refused: 2,400,000 or more is a Julian Date (MJD 2,400,000 is the
        year 8430); subtract 2400000.5 first. An object whose times mix such
        values with smaller ones is refused as mixing Julian Dates and MJD.
        :meth:`from_pandas` converts a time column named ``jd`` itself.
        """
        return _build(cls, dict(object_id=object_id, time=time, band=band, flux=flux,
                                flux_err=flux_err, detected=detected),
                      metadata=metadata, band_column=band_column, survey=survey,
                      on_invalid=on_invalid)

    @classmethod
    def from_pandas(cls, observations, metadata=None, *, object_id=None, time=None, band=None,
                    flux=None, flux_err=None, detected=None, survey=None, on_invalid="raise"):
        """Build light curves from a long table with one row per observation.

        Column names are found through an alias map (e.g. ``mjd``/``MJD``/
        ``time``; ``passband``/``FLT``/``filter``/``band``; ``flux``/
        ``FLUXCAL``; ``flux_err``/``fluxerr``/``FLUXCALERR``) unless given
        explicitly by the keyword arguments. Values are parsed as described
        in :meth:`from_arrays`, and errors name the table's columns. A time
        column named ``jd`` (any case) holds Julian Dates: they are
        converted to MJD by subtracting 2400000.5, and a value below
        2,400,000 in it is an error.

        Parameters
        ----------
        observations : DataFrame
            One row per observation.
        metadata : DataFrame, default=None
            One row per object, indexed by object id (or with an object id
            column). Its row order sets the order of the light curves.
        object_id, time, band, flux, flux_err, detected : str, default=None
            Names of the columns in ``observations``; found by alias when None.
        survey : {"ztf", "lsst"} or None, default=None
            Survey used to resolve single-letter band names.
        on_invalid : {"raise", "drop"}, default="raise"
            See :meth:`from_arrays`.

        Returns
        -------
        lightcurves : LightCurves
        """
        if not isinstance(observations, pd.DataFrame):
            raise TypeError(f"observations must be a pandas DataFrame, got {type(observations).__name__}.")
        given = {"object_id": object_id, "time": time, "band": band, "flux": flux,
                 "flux_err": flux_err, "detected": detected}
        names = {key: given[key] or find_column(observations, key, required=key != "detected")
                 for key in given}
        for key, name in names.items():
            if name is not None and name not in observations.columns:
                raise ValueError(f"Column {name!r} given for {key} is not in the observations table.")
        if metadata is not None:
            metadata = index_metadata(metadata, names["object_id"])
        columns = {key: None if name is None else observations[name].to_numpy()
                   for key, name in names.items()}
        return _build(cls, columns, names=names, metadata=metadata, band_column=names["band"],
                      survey=survey, on_invalid=on_invalid,
                      julian_dates=str(names["time"]).lower() == "jd")

    @classmethod
    def concatenate(cls, collections):
        """Join several collections into one.

        Object ids must stay unique, the metadata columns must be the same,
        and either every collection has detection flags or none has (a mix
        would lose the flags and move the trigger times).
        """
        collections = list(collections)
        if not collections:
            raise ValueError("Need at least one LightCurves to concatenate.")
        ids = np.concatenate([lc.object_ids for lc in collections])
        index = pd.Index(ids)
        if index.has_duplicates:
            dups = index[index.duplicated()].unique()[:5].tolist()
            raise ValueError(f"Object ids are not unique across the collections being "
                             f"concatenated: {dups} appear more than once.")
        _check_same(collections, lambda lc: list(lc.metadata.columns), "metadata columns")
        flagged = [lc.detected is not None for lc in collections]
        if any(flagged) and not all(flagged):
            raise ValueError(
                f"Collection {flagged.index(True)} has detection flags and collection "
                f"{flagged.index(False)} has none; concatenating would drop every flag and move "
                f"the trigger times. Give all collections detection flags (or none).")
        starts = np.cumsum([0] + [lc.n_observations for lc in collections])
        offsets = np.concatenate([[0]] + [lc.offsets[1:] + s for lc, s in zip(collections, starts)])
        return cls(
            ids, offsets,
            *(np.concatenate([getattr(lc, name) for lc in collections])
              for name in ("time", "band", "flux", "flux_err")),
            np.concatenate([lc.detected for lc in collections]) if all(flagged) else None,
            pd.concat([lc.metadata for lc in collections]),
        )

    # ---------------------------------------------------------------- access
    @property
    def shape(self):
        """Tuple ``(n_objects,)``: a ``LightCurves`` is a 1-D array of objects."""
        return (self.object_ids.shape[0],)

    def __len__(self):
        return self.object_ids.shape[0]

    @property
    def n_observations(self):
        """Total number of observations."""
        return self.time.shape[0]

    @property
    def lengths(self):
        return np.diff(self.offsets)

    @property
    def band_names(self):
        return np.asarray(known_bands(), dtype=object)[self.band]

    @property
    def wavelength(self):
        """Pivot wavelength in Angstrom of each observation's band."""
        return wavelengths(self.band)

    @property
    def object_index(self):
        """Position of each observation's object, shape (n_observations,)."""
        return np.repeat(np.arange(len(self)), self.lengths)

    def __getitem__(self, key):
        index = normalize_key(key, len(self))
        lengths = self.lengths[index]
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        rows = np.repeat(self.offsets[:-1][index] - offsets[:-1], lengths) + np.arange(offsets[-1])
        return type(self)(
            self.object_ids[index], offsets, self.time[rows], self.band[rows], self.flux[rows],
            self.flux_err[rows], None if self.detected is None else self.detected[rows],
            self.metadata.iloc[index],
        )

    @property
    def trigger_time(self):
        """Time of each object's first detection (its first observation when no
        detection flags are known, or when none is flagged), shape (n_objects,)."""
        first = self.time[self.offsets[:-1]]
        if self.detected is None:
            return first
        obj = self.object_index[self.detected]
        trigger = np.full(len(self), np.inf)
        np.minimum.at(trigger, obj, self.time[self.detected])
        return np.where(np.isfinite(trigger), trigger, first)

    def truncate(self, *, max_time=None, n_observations=None, days_since_trigger=None):
        """Keep only each object's observations up to a time and/or a count.

        Parameters
        ----------
        max_time : float or array-like of shape (n_objects,), default=None
            Keep observations with ``time <= max_time`` (per object when an array).
        n_observations : int or array-like of shape (n_objects,), default=None
            Keep at most this many first observations of each object.
        days_since_trigger : float or array-like of shape (n_objects,), default=None
            Keep observations up to this many days after each object's
            trigger (:attr:`trigger_time`; negative: before it): the light
            curves as known then, what early classification predicts from
            (``max_time=trigger_time + days_since_trigger``, compared in
            float64 MJD). Not with ``max_time``.

        Returns
        -------
        lightcurves : LightCurves
            A new collection; an object left with no observations is an error.
        """
        if days_since_trigger is not None:
            if max_time is not None:
                raise ValueError("Give max_time or days_since_trigger, not both: both set the "
                                 "time up to which observations are kept.")
            days = self._per_object(days_since_trigger, "days_since_trigger", float)
            max_time = self.trigger_time + days
        keep = np.ones(self.n_observations, dtype=bool)
        obj = self.object_index
        if max_time is not None:
            limit = self._per_object(max_time, "max_time", float)
            if not np.all(np.isfinite(limit)):
                raise ValueError("max_time must be finite (a time in MJD per object, or one for all).")
            keep &= self.time <= limit[obj]
        if n_observations is not None:
            limit = self._per_object(n_observations, "n_observations", None)
            if limit.dtype.kind not in "iu":
                raise ValueError(f"n_observations must be an integer or integers; got {limit.dtype} "
                                 f"values.")
            if np.any(limit < 1):
                raise ValueError("n_observations must be at least 1 for every object.")
            keep &= (np.arange(self.n_observations) - self.offsets[:-1][obj]) < limit[obj]
        counts = np.bincount(obj[keep], minlength=len(self))
        if np.any(counts == 0):
            raise ValueError(f"Light curve {plain(self.object_ids[np.argmax(counts == 0)])!r} has no "
                             f"observations left after truncation ({np.count_nonzero(counts == 0)} "
                             f"objects in all); select objects first or truncate less.")
        return self.select_observations(keep, counts)

    def select_observations(self, keep, counts=None):
        """The same objects and metadata with only the observations where ``keep`` is True.

        What :meth:`truncate` and :meth:`window` return, for any mask over
        the observations (e.g. some bands only). An object may be left with
        no observation; select objects (``X[index]``) to drop it.

        Parameters
        ----------
        keep : ndarray of bool of shape (n_observations,)
        counts : ndarray of int of shape (n_objects,) or None, default=None
            Observations kept per object, when the caller has them already.

        Returns
        -------
        lightcurves : LightCurves
        """
        if counts is None:
            counts = np.bincount(self.object_index[keep], minlength=len(self))
        return type(self)(
            self.object_ids, np.concatenate([[0], np.cumsum(counts)]), self.time[keep],
            self.band[keep], self.flux[keep], self.flux_err[keep],
            None if self.detected is None else self.detected[keep], self.metadata)

    def window(self, start=None, end=None):
        """Keep only each object's observations within a window around its trigger.

        A window relative to the trigger (:attr:`trigger_time`, the first
        detection) makes light curves of different origins alike: alert
        histories of 30 days, forced photometry of years and PLAsTiCC's whole
        survey all become the days around the transient, as the simulator
        writes them (its ``trigger_window``).

        Parameters
        ----------
        start : float or None, default=None
            Days before the trigger (zero or negative) from which
            observations are kept; None keeps all earlier ones.
        end : float or None, default=None
            Days after the trigger (zero or positive) up to which
            observations are kept; None keeps all later ones.

        Returns
        -------
        lightcurves : LightCurves
            A new collection with the same objects and metadata; every object
            keeps at least its trigger observation.

        Examples
        --------
        >>> lc = LightCurves.from_arrays(["a"] * 4, [0.0, 50.0, 60.0, 400.0], ["ztfg"] * 4,
        ...                              [1.0, 9.0, 7.0, 1.0], [1.0] * 4,
        ...                              detected=[False, True, True, False])
        >>> lc.window(-30, 100).time.tolist()
        [50.0, 60.0]
        """
        for value, name, sign in ((start, "start", -1), (end, "end", 1)):
            if value is not None and not (np.isfinite(value) and sign * value >= 0):
                raise ValueError(
                    f"window {name} must be a finite number of days {'<=' if sign < 0 else '>='} 0 "
                    f"(relative to the trigger, which every object keeps), or None; got {value!r}.")
        elapsed = self.time - self.trigger_time[self.object_index]
        keep = np.ones(self.n_observations, dtype=bool)
        if start is not None:
            keep &= elapsed >= start
        if end is not None:
            keep &= elapsed <= end
        return self.select_observations(keep)

    def _per_object(self, value, name, dtype):
        """A scalar or one value per object, as an array of shape (n_objects,)."""
        value = np.asarray(value, dtype=dtype)
        if value.ndim and value.shape != (len(self),):
            raise ValueError(f"{name} has shape {value.shape}; expected a number or "
                             f"({len(self)},), one value per object.")
        return np.broadcast_to(value, (len(self),))

    def __array__(self, dtype=None, copy=None):
        raise TypeError(
            "A LightCurves is a ragged collection and cannot be converted to a NumPy array; put a "
            "skltransient.preprocessing.LightCurvePadder first to get a fixed-size array."
        )

    def __repr__(self):
        bands = ", ".join(known_bands()[c] for c in np.unique(self.band))
        meta = ", ".join(map(str, self.metadata.columns)) or "none"
        return (f"LightCurves(n_objects={len(self)}, n_observations={self.n_observations}, "
                f"bands=[{bands}], metadata=[{meta}])")

    def to_parquet(self, path, y=None, *, overwrite=False):
        """Write the light curves (and optionally their labels) to one Parquet file.

        The file's table has one row per observation (the columns of
        :meth:`to_pandas`), then each metadata column and the labels (as
        ``target``), typed, with each object's value on each of its rows;
        row groups hold whole objects. :meth:`read_parquet` gives back the
        same ids, observations, metadata and labels with the same values,
        dtypes and object order. The layout is described in
        ``skltransient/_parquet.py``.

        The file is written under a temporary name beside ``path`` and
        renamed to ``path`` once complete (see
        :func:`skltransient.utils.atomic_write`): an interrupted write, by
        an error or by Ctrl-C, leaves no file that reads back as a shorter
        collection.

        Parameters
        ----------
        path : str or Path
        y : array-like of shape (n_objects,) or None, default=None
            Labels of one type (all str or all numbers).
        overwrite : bool, default=False
            Replace ``path`` if it exists; otherwise an existing ``path``
            raises ``FileExistsError``.

        Raises
        ------
        ValueError
            If ``y`` does not have one label per object, or a metadata column
            is named like a column of the layout (``object_id``, ``time``,
            ``band``, ``flux``, ``flux_err``, ``detected``, ``target``).
        FileExistsError
            If ``path`` exists and ``overwrite`` is False.
        """
        save_parquet(self, path, y, overwrite)

    @classmethod
    def read_parquet(cls, path):
        """Read a file written by :meth:`to_parquet`, or a folder of them.

        The ``.parquet`` files of a folder (searched recursively) must have
        the same columns and hold distinct objects; they are joined in the
        order of their paths.

        Parameters
        ----------
        path : str or Path
            A file or a folder.

        Returns
        -------
        lightcurves : LightCurves
        y : ndarray of shape (n_objects,) or None
            The labels, when the file has them.

        Raises
        ------
        ValueError
            If a file is not Parquet or was not written by :meth:`to_parquet`,
            or two files of a folder differ in their columns or share an
            object id (the message names both files).
        """
        return load_parquet(cls, path)

    def to_pandas(self):
        """Return the observations as a long DataFrame (one row per observation).

        The per-object metadata stays in :attr:`metadata`.
        """
        frame = pd.DataFrame({
            "object_id": np.repeat(self.object_ids, self.lengths),
            "time": self.time,
            "band": self.band_names,
            "flux": self.flux,
            "flux_err": self.flux_err,
        })
        if self.detected is not None:
            frame["detected"] = self.detected
        return frame


def find_column(frame, key, required=True):
    lookup = {str(column).lower(): column for column in frame.columns}
    for alias in COLUMN_ALIASES[key]:
        if alias in lookup:
            return lookup[alias]
    if required:
        raise ValueError(
            f"The observations table has no {key} column: looked for any of "
            f"{', '.join(COLUMN_ALIASES[key])} (case-insensitive) among {list(frame.columns)}. "
            f"Pass {key}='<column name>' to name it."
        )
    return None


def index_metadata(metadata, object_id_column):
    if not isinstance(metadata, pd.DataFrame):
        raise TypeError(f"metadata must be a pandas DataFrame, got {type(metadata).__name__}.")
    if isinstance(metadata.index, pd.RangeIndex):
        column = object_id_column if object_id_column in metadata.columns else find_column(
            metadata, "object_id", required=False)
        if column is not None:
            metadata = metadata.set_index(column)
    return metadata


def _object_codes(object_id, metadata):
    """Map each observation to its object's position, in the documented order."""
    if metadata is None:
        codes, ids = pd.factorize(object_id, sort=False)
        ids = np.asarray(ids)
        return ids, codes, pd.DataFrame(index=pd.Index(ids, name="object_id"))
    metadata = index_metadata(metadata, None)
    if metadata.index.has_duplicates:
        dups = metadata.index[metadata.index.duplicated()].unique()[:5].tolist()
        raise ValueError(f"Duplicate object ids in the metadata: {dups}; each object needs one row.")
    codes = metadata.index.get_indexer(object_id)
    if np.any(codes < 0):
        missing = pd.unique(object_id[codes < 0])
        raise ValueError(
            f"Light curve {plain(missing[0])!r} has observations but no metadata row ({len(missing)} "
            f"objects in all); add their metadata rows or drop their observations."
        )
    metadata = metadata.copy()
    metadata.index = metadata.index.rename("object_id")
    return np.asarray(metadata.index), codes, metadata


def _check_same(collections, get, what):
    """Refuse collections that differ in some property, naming the first that differs."""
    first = get(collections[0])
    for i, lc in enumerate(collections[1:], start=1):
        if get(lc) != first:
            raise ValueError(f"Collections 0 and {i} have different {what} ({first} and "
                             f"{get(lc)}); make them the same before concatenating.")


def plain(value):
    """A NumPy scalar as the Python value it holds, for readable messages."""
    return value.item() if isinstance(value, np.generic) else value


def _raise_for(bad, object_id, column, problem, advice, values=None):
    """Raise naming the first bad row's object, the column and the row, if any row is bad.

    ``problem`` may show the row's entry of ``values`` as ``{value}``.
    """
    if np.any(bad):
        row = int(np.argmax(bad))
        value = None if values is None else plain(values[row])
        raise ValueError(
            f"Light curve {plain(object_id[row])!r} has {problem.format(value=value)} in column "
            f"{str(column)!r} at row {row} ({np.count_nonzero(bad)} in all); {advice}."
        )


def _build(cls, columns, *, names=None, metadata, band_column, survey, on_invalid,
           julian_dates=False):
    """Parse raw per-observation columns into a LightCurves (see ``from_arrays``).

    ``names`` maps each column to the name errors give it (the table's
    column names for ``from_pandas``); ``julian_dates`` says the time column
    holds Julian Dates.
    """
    if on_invalid not in ("raise", "drop"):
        raise ValueError(f"on_invalid must be 'raise' or 'drop', got {on_invalid!r}.")
    names = names or {key: key for key in columns}
    object_id = np.asarray(columns["object_id"])
    if object_id.ndim != 1:
        raise ValueError(f"object_id has shape {object_id.shape}; expected one id per observation.")
    n_obs = object_id.shape[0]
    for key, values in columns.items():
        if values is not None and np.shape(values) != (n_obs,):
            raise ValueError(f"{key} has shape {np.shape(values)}; expected ({n_obs},) like object_id.")
    missing = pd.isna(object_id)
    if np.any(missing):
        raise ValueError(
            f"Column {str(names['object_id'])!r} has a missing object id (NaN or None) at row "
            f"{int(np.argmax(missing))} ({np.count_nonzero(missing)} in all); every observation "
            f"needs the id of its object."
        )
    ids, codes, metadata = _object_codes(object_id, metadata)
    band_codes = resolve_bands(columns["band"], column=band_column, survey=survey)
    time = _parse_time(columns["time"], names["time"], object_id, codes, julian_dates)
    flux, flux_err = (_parse_numbers(columns[key], names[key], object_id, "a number")
                      for key in ("flux", "flux_err"))
    detected = columns["detected"]
    if detected is not None:
        detected = _parse_flags(detected, names["detected"], object_id)

    keep = np.isfinite(flux)
    if not keep.all():
        if on_invalid == "raise":
            _raise_for(~keep, object_id, names["flux"], "non-finite flux values",
                       "pass on_invalid='drop' to drop them")
        warnings.warn(f"Dropped {np.count_nonzero(~keep)} observations with non-finite flux.",
                      UserWarning, stacklevel=3)
    _raise_for(~np.isfinite(time), object_id, names["time"], "non-finite times", "remove them")
    _raise_for(~(np.isfinite(flux_err) & (flux_err >= 0)), object_id, names["flux_err"],
               "negative or non-finite flux_err",
               "flux uncertainties must be finite and non-negative")

    if not keep.all():
        codes, band_codes, time, flux, flux_err = (
            values[keep] for values in (codes, band_codes, time, flux, flux_err))
        detected = None if detected is None else detected[keep]
    counts = np.bincount(codes, minlength=len(ids))
    if np.any(counts == 0):
        empty = ids[counts == 0]
        raise ValueError(
            f"Light curve {plain(empty[0])!r} has no observations ({len(empty)} objects in all"
            f"{', e.g. ' + repr(empty[:5].tolist()) if len(empty) > 1 else ''}); drop their "
            f"metadata rows or add their observations."
        )
    order = np.lexsort((time, codes))
    offsets = np.concatenate([[0], np.cumsum(counts)])
    return cls(ids, offsets, time[order], band_codes[order], flux[order], flux_err[order],
               None if detected is None else detected[order], metadata)


def _parse_numbers(values, column, object_id, expected):
    """Float64 values of a column; NaN and None become NaN, anything else that is no number is refused."""
    values = np.asarray(values)
    if values.dtype.kind in "iuf":
        return values.astype(np.float64)
    raw = pd.Series(values, dtype=object)
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    _raise_for(np.isnan(numbers) & raw.notna().to_numpy(), object_id, column,
               "a value {value!r} that is not a number", f"expected {expected}", values)
    return numbers


# Julian Dates are 2400000.5 days ahead of MJD; no MJD reaches 2,400,000 (the year 8430).
JD_TO_MJD = 2400000.5
_JD_MIN = 2_400_000.0
_MJD_EPOCH = pd.Timestamp("1858-11-17", tz="UTC")


def _parse_time(values, column, object_id, codes, julian_dates):
    """Times in days: datetimes become MJD; Julian Dates are refused, or converted when declared."""
    values = np.asarray(values)
    if values.dtype.kind == "M" or (
            values.dtype.kind == "O" and
            pd.api.types.infer_dtype(values, skipna=True) in ("datetime", "datetime64", "date")):
        stamps = pd.DatetimeIndex(pd.to_datetime(values, utc=True))
        return ((stamps - _MJD_EPOCH) / pd.Timedelta(days=1)).to_numpy(np.float64, na_value=np.nan)
    time = _parse_numbers(values, column, object_id, "a number of days (MJD) or a datetime")
    high, low = time >= _JD_MIN, time < _JD_MIN
    mixed = (np.bincount(codes, weights=high) > 0) & (np.bincount(codes, weights=low) > 0)
    if np.any(mixed):
        rows = codes == codes[np.argmax(mixed[codes])]
        example = [plain(time[rows & high][0]), plain(time[rows & low][0])]
        raise ValueError(
            f"Light curve {plain(object_id[np.argmax(rows)])!r} mixes Julian Dates and MJD in column "
            f"{str(column)!r}: it has times of 2400000 or more and times below (e.g. {example}; "
            f"{np.count_nonzero(mixed)} objects in all). Give each object's times in one unit: "
            f"subtract 2400000.5 from the Julian Dates."
        )
    if julian_dates:
        _raise_for(low, object_id, column, "a time {value!r} below 2400000",
                   f"that is not a Julian Date, which a column named {str(column)!r} must hold: "
                   f"rename the column (e.g. 'mjd') if it holds MJD or relative days", time)
        return time - JD_TO_MJD
    _raise_for(high, object_id, column, "a time {value!r} of 2400000 or more",
               "times are days (MJD or relative days) and no MJD is that large: subtract 2400000.5 "
               "from Julian Dates (from_pandas does it for a column named 'jd')", time)
    return time


# Detection flags as written in tables; str() of booleans and numbers gives these too.
_FLAGS = {"1": True, "0": False, "1.0": True, "0.0": False, "true": True, "false": False,
          "t": True, "f": False}


def _parse_flags(values, column, object_id):
    """Boolean detection flags: booleans, 0/1 or 'true'/'false'/'t'/'f'; anything else is refused."""
    values = np.asarray(values)
    if values.dtype.kind == "b":
        return values
    if values.dtype.kind in "iuf":
        flags, bad = values == 1, ~((values == 0) | (values == 1))
    else:
        parsed = pd.Series(values, dtype=object).astype(str).str.strip().str.lower().map(_FLAGS)
        flags, bad = (parsed == True).to_numpy(), parsed.isna().to_numpy()  # noqa: E712
    _raise_for(bad, object_id, column, "a value {value!r} that is not a detection flag",
               "expected True/False, 1/0 or 'true'/'false'/'t'/'f'", values)
    return flags


def normalize_key(key, n):
    if isinstance(key, tuple):
        # scikit-learn's _safe_indexing asks for ``X[key, ...]``.
        if len(key) == 2 and key[1] is Ellipsis:
            key = key[0]
        else:
            raise IndexError("LightCurves is one-dimensional; index it with a single key.")
    if isinstance(key, numbers.Integral) and not isinstance(key, (bool, np.bool_)):
        if not -n <= key < n:
            raise IndexError(f"index {key} is out of range for {n} light curves")
        return np.array([key % n])
    if isinstance(key, slice):
        return np.arange(n)[key]
    key = np.asarray(key)
    if key.dtype == bool:
        if key.shape != (n,):
            raise IndexError(f"boolean index has shape {key.shape}; expected ({n},)")
        return np.flatnonzero(key)
    if key.dtype.kind in "iu" or key.size == 0:
        key = key.astype(np.int64).ravel()
        if key.size and (key.min() < -n or key.max() >= n):
            raise IndexError(f"index out of range for {n} light curves")
        return key % n if key.size else key
    raise IndexError(f"LightCurves cannot be indexed by {key.dtype} values; use ints, slices or masks.")


#: Prefix of the simulator's truth columns (``true_z``, ``true_peak_absmag``, ...).
TRUTH_PREFIX = "true_"


def warn_if_truth(metadata_columns, owner):
    """Warn when a model is given the simulator's truth as metadata: it would learn the answer."""
    truth = [str(c) for c in metadata_columns if str(c).startswith(TRUTH_PREFIX)]
    if truth:
        warnings.warn(
            f"{owner} reads metadata columns {truth}, which are simulation truth (the simulator's "
            f"'{TRUTH_PREFIX}*' columns): a model given them learns the answer, scores far better on "
            f"simulations than it can on real data, and cannot be applied to real light curves, "
            f"which have no such columns. Use observable metadata (redshift, mwebv).",
            UserWarning, stacklevel=3)
