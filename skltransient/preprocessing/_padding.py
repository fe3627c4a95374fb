"""Turn ragged light curves into fixed-size padded arrays."""

import numbers
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from .._compat import HasMethods, Interval, StrOptions, fit_context
from .._lightcurves import plain, warn_if_truth
from .._padded import PaddedLightCurves
from ..bands import known_bands, wavelengths
from ..utils._memory import check_memory
from ..utils._validation import check_lightcurves, fitted_state

__all__ = ["LightCurvePadder"]

# Days without an observation that end a night: a night lasts less than half a day at any site.
_NIGHT_GAP = 0.5


class LightCurvePadder(TransformerMixin, BaseEstimator):
    """Pad ragged light curves into a fixed-size array for a recurrent network.

    Three representations are available:

    - ``"observations"``: one step per observation, with four channels: days
      since the first observation divided by ``time_scale``, flux, flux
      uncertainty, and the band's pivot wavelength in micrometres. Because
      the band is encoded by its wavelength, any survey's bands fit the same
      network (a ZTF model reads LSST light curves unchanged).
    - ``"grid"``: RAPID-style (Muthukrishna et al. 2019): each band is
      linearly interpolated onto a regular grid of ``grid_step`` days from
      the first observation, giving one flux and one uncertainty channel per
      band. Grid points outside a band's observed span are zero. The bands
      are those given, or those seen in ``fit``.
    - ``"nights"``: one step per night (observations less than half a day
      apart, whatever the site's longitude), multi-band: one flux and one
      uncertainty channel per band, the mean of the night's fluxes in that
      band and the uncertainty of that mean (zero for a band not observed
      that night), then the time channel, the days from the first night to
      this night's last observation divided by ``time_scale``. A step's
      time is that last observation's: one pass over time gives the
      predictions at the end of each night, and ``predict_proba_at`` cuts
      the light curves at each day (``PaddedLightCurves.lookahead``), so
      that a day within a night sees its observations so far. Observations
      in bands other than the padder's are left out.

    Parameters
    ----------
    representation : {"observations", "grid", "nights"}, default="observations"
        How light curves become steps.
    max_length : int or None, default=None
        Maximum number of steps. Longer light curves are truncated by
        ``truncate``; None pads to the longest light curve of each call.
    truncate : {"end", "start"}, default="end"
        Which end of a too-long light curve is cut: ``"end"`` keeps the first
        ``max_length`` steps (the early part, which early classification
        needs), ``"start"`` keeps the last ones (for ``"grid"``, the last
        points of the grid anchored at the first observation).
    time_scale : float, default=100.0
        Days per unit of the time channel (``"observations"`` and ``"nights"``).
    grid_step : float, default=3.0
        Grid spacing in days (``"grid"`` only).
    bands : list of str or None, default=None
        Bands of the grid's or the nights' channels, in order; None uses the
        bands seen in ``fit``, sorted by wavelength (``"grid"`` and
        ``"nights"``).
    metadata_columns : tuple of str, default=("redshift", "mwebv")
        Metadata columns passed to the model. A column missing from the data
        is filled with NaN, with a warning, for a
        :class:`~skltransient.preprocessing.MetadataScaler` to impute and
        flag; the model's input width never depends on the data.
    window : tuple of (float or None, float or None) or None, default=None
        ``(start, end)`` in days relative to each object's trigger (its
        first detection): only observations in the window are padded, in
        ``fit``, ``transform`` and streaming alike (see
        :meth:`LightCurves.window <skltransient.LightCurves.window>`).
        ``(-30, 100)``, the simulator's ``trigger_window`` and the shipped
        models' window, makes light curves spanning years (forced
        photometry, PLAsTiCC's whole survey) look like the simulations, and
        the time channel starts at most 30 days before the trigger wherever
        the file starts. None (the default) keeps every observation, which a
        model trained from scratch on long light curves of periodic
        variables needs. The user guide ("When the data are not the
        simulations") gives the measurements of both choices.
    features : transformer or None, default=None
        Whole-light-curve statistics fused into the metadata: a transformer
        of ``LightCurves`` into a fixed-width matrix with
        ``get_feature_names_out``, e.g.
        ``LightCurveFeatures(metadata_columns=())``. A clone is fitted in
        :meth:`fit` on the light curves the padder keeps (after
        ``window``), and its output is appended, column by column, to the
        ``metadata_columns``: the network reads it through its metadata
        branch (the hybrid network, :func:`~skltransient.recipes.hybrid_pipeline`).
        The statistics of a light curve are those of all its kept
        observations, so predictions after a step would see later ones:
        ``predict_proba_at`` computes them on the light curve cut at each
        asked day, and a stream refuses such a model (see
        ``PaddedLightCurves.lookahead``). None adds nothing.
    gap_channel : bool, default=False
        Append a channel ``"log_gap"`` (``"observations"`` only):
        ``log10(1 + dt)``, with ``dt`` the days since the previous kept
        observation of any band (0 at the first), so that the network sees
        the cadence of a sparse, multi-season light curve (a same-night
        colour pair, a gap between seasons) without having to difference
        the time channel. Causal: a stream carries each object's previous
        time; observation dropout (``GRUClassifier(observation_dropout=...)``)
        recomputes it for the steps it keeps.

    Attributes
    ----------
    bands_ : list of str
        Bands of the grid channels (``"grid"``) or all bands seen in ``fit``.
    channels_ : tuple of str
        Names of the output channels.
    n_channels_ : int
        Number of output channels.
    features_ : transformer or None
        The fitted clone of ``features``.
    metadata_names_ : tuple of str
        Names of the output's metadata columns: ``metadata_columns``, then
        the features' names.

    See Also
    --------
    FluxNormalizer : Per-object flux scaling of the padded output.
    MetadataScaler : Standardise and impute the metadata.

    Examples
    --------
    >>> import numpy as np
    >>> from skltransient import LightCurves
    >>> from skltransient.preprocessing import LightCurvePadder
    >>> lc = LightCurves.from_arrays(["a", "a", "b"], [0.0, 2.0, 1.0], ["ztfg", "ztfr", "ztfg"],
    ...                              [1.0, 2.0, 3.0], [0.1, 0.1, 0.1])
    >>> padded = LightCurvePadder(metadata_columns=()).fit_transform(lc)
    >>> padded.values.shape, padded.lengths.tolist()
    ((2, 2, 4), [2, 1])
    """

    _parameter_constraints = {
        "representation": [StrOptions({"observations", "grid", "nights"})],
        "max_length": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "truncate": [StrOptions({"end", "start"})],
        "time_scale": [Interval(numbers.Real, 0, None, closed="neither")],
        "grid_step": [Interval(numbers.Real, 0, None, closed="neither")],
        "bands": [list, tuple, None],
        "metadata_columns": [list, tuple],
        "window": [list, tuple, None],
        "features": [HasMethods(["fit", "transform", "get_feature_names_out"]), None],
        "gap_channel": ["boolean"],
    }

    def __init__(self, representation="observations", *, max_length=None, truncate="end",
                 time_scale=100.0, grid_step=3.0, bands=None, metadata_columns=("redshift", "mwebv"),
                 window=None, features=None, gap_channel=False):
        self.representation = representation
        self.max_length = max_length
        self.truncate = truncate
        self.time_scale = time_scale
        self.grid_step = grid_step
        self.bands = bands
        self.metadata_columns = metadata_columns
        self.window = window
        self.features = features
        self.gap_channel = gap_channel

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the bands of the grid representation.

        Parameters
        ----------
        X : LightCurves
            Light curves.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        X = self._windowed(check_lightcurves(X, type(self).__name__))
        warn_if_truth(self.metadata_columns, type(self).__name__)
        if self.bands is not None:
            codes = [known_bands().index(_canonical(b)) for b in self.bands]
        else:
            seen = np.unique(X.band)
            codes = seen[np.argsort(wavelengths(seen), kind="stable")].tolist()
        self.bands_ = [known_bands()[c] for c in codes]
        if self.gap_channel and self.representation != "observations":
            raise ValueError(f"LightCurvePadder(gap_channel=True) needs the 'observations' "
                             f"representation, not {self.representation!r}: a grid's steps are "
                             f"evenly spaced, and a night's step has its own time channel.")
        self.channels_ = channel_names(self.representation, self.bands_, self.gap_channel)
        self.n_channels_ = len(self.channels_)
        if self.max_length is not None:
            self.check_padded_size(1, self.max_length)
        self.features_ = None if self.features is None else clone(self.features).fit(X)
        self.metadata_names_ = tuple(self.metadata_columns) + self._feature_names()
        repeated = sorted({n for n in self.metadata_names_ if self.metadata_names_.count(n) > 1})
        if repeated:
            raise ValueError(
                f"LightCurvePadder: the features' names {repeated} repeat metadata_columns "
                f"{list(self.metadata_columns)} (or each other); give the features transformer no "
                f"metadata of its own, e.g. LightCurveFeatures(metadata_columns=()).")
        return self

    def _feature_names(self):
        features = getattr(self, "features_", None)  # absent from padders saved before it existed
        if features is None:
            return ()
        return tuple(str(name) for name in features.get_feature_names_out())

    @property
    def _metadata_names(self):
        return getattr(self, "metadata_names_", tuple(self.metadata_columns))

    def transform(self, X):
        """Pad light curves.

        Parameters
        ----------
        X : LightCurves
            Light curves.

        Returns
        -------
        padded : PaddedLightCurves
        """
        check_is_fitted(self)
        X = self._windowed(check_lightcurves(X, type(self).__name__))
        self._warn_about(X)
        for name in ("flux", "flux_err"):
            _float32(getattr(X, name), f"Column {name!r}", X.object_ids, X.object_index)
        lengths = self._lengths(X)
        self.check_padded_size(1, self.max_length or int(lengths.max()))
        return PaddedLightCurves.deferred(X, lengths, (self._pad,))

    def check_padded_size(self, n_objects, n_steps):
        """Refuse, before allocating it, a padded batch larger than this machine's memory.

        Checked by :meth:`fit` for ``max_length`` and by every padding; also
        by :func:`~skltransient.persistence.load_model` for a padder read
        from a file.

        Parameters
        ----------
        n_objects, n_steps : int
            The size of the padded batch.

        Raises
        ------
        ValueError
            Naming the size and what to change (a smaller ``max_length``).
        """
        # float32 values in each channel, and each step's time in float64.
        n_bytes = n_objects * n_steps * (4 * len(self.channels_) + 8)
        check_memory(n_bytes, f"Padding {n_objects} light curve{'s' if n_objects > 1 else ''} to "
                     f"{n_steps:,} steps (max_length={self.max_length})",
                     "give the LightCurvePadder a smaller max_length (or None: the longest light "
                     "curve)" if self.max_length is not None else "predict in smaller batches")

    def check_fitted_state(self, channels=None, n_metadata=None):
        """Check that the fitted state agrees with itself, the parameters and this machine.

        For a padder restored from a file (:func:`~skltransient.persistence.load_model`
        calls each step's ``check_fitted_state`` in turn): its channels
        against its representation and bands, its bands against the known
        ones, its ``max_length`` against the memory.

        Parameters
        ----------
        channels, n_metadata : None
            What the steps before it give (a padder comes first: ignored).

        Returns
        -------
        gives : dict
            ``{"channels": tuple of str, "metadata": int}``: what it gives
            the steps after it.

        Raises
        ------
        ValueError
            Naming the attribute that disagrees.
        """
        own = tuple(fitted_state(self, "channels_"))
        bands = fitted_state(self, "bands_")
        expected = channel_names(self.representation, bands, self.gap_channel)
        if own != expected:
            raise ValueError(f"its channels_ {list(own)} are not those of representation "
                             f"{self.representation!r} over bands_ {bands} ({list(expected)}).")
        if fitted_state(self, "n_channels_") != len(own):
            raise ValueError(f"n_channels_ is {self.n_channels_} but channels_ has {len(own)} names.")
        unknown = [band for band in bands if band not in known_bands()]
        if unknown or len(set(bands)) != len(bands):
            raise ValueError(f"bands_ {bands} has unknown or repeated bands "
                             f"({unknown or 'repeated'}); the known bands are listed by "
                             f"skltransient.bands.known_bands().")
        if self.max_length is not None:
            self.check_padded_size(1, self.max_length)
        names = (tuple(fitted_state(self, "metadata_names_")) if self.features is not None
                 else tuple(self._metadata_names))
        if names[:len(self.metadata_columns)] != tuple(self.metadata_columns):
            raise ValueError(f"metadata_names_ {list(names)} do not start with metadata_columns "
                             f"{list(self.metadata_columns)}.")
        if self.features is not None:
            if fitted_state(self, "features_") is None:
                raise ValueError("features is set but features_ is None: the features were "
                                 "never fitted.")
            if names[len(self.metadata_columns):] != self._feature_names():
                raise ValueError("metadata_names_ do not end with the fitted features' names "
                                 "(features_.get_feature_names_out()).")
        return {"channels": own, "metadata": len(names)}

    def window_bounds(self):
        """The window's bounds in days around the trigger, checked.

        What :meth:`transform` keeps of each light curve, and what a stream
        of single observations (:class:`~skltransient.early.ClassificationStream`)
        keeps too.

        Returns
        -------
        bounds : tuple of (float or None, float or None) or None
            ``(start, end)``, None for an open side; None without a window.
        """
        window = self.window
        if window is None:
            return None
        if len(window) != 2:
            raise ValueError(f"{type(self).__name__}: window must be (start, end) in days around "
                             f"the trigger, or None; got {self.window!r}.")
        start, end = (None if v is None else float(v) for v in window)
        if (start is not None and not start <= 0) or (end is not None and not end >= 0):
            raise ValueError(f"{type(self).__name__}: window {tuple(window)!r} must contain "
                             f"the trigger: start <= 0 <= end (days relative to it).")
        return start, end

    def _windowed(self, X):
        window = self.window_bounds()
        return X if window is None else X.window(*window)

    def _pad(self, X):
        """Pad now: the eager PaddedLightCurves of ``X`` (no warnings; see :meth:`transform`)."""
        if self.representation == "grid":
            values, lengths, times, t0 = self._grid(X)
        elif self.representation == "nights":
            values, lengths, times, t0 = self._nights(X)
        else:
            values, lengths, times, t0 = self._observations(X)
        flux_channels, err_channels = self.flux_channels()
        metadata = self.metadata_values(X.metadata)
        if getattr(self, "features_", None) is not None:
            metadata = np.hstack([metadata, self._features(X)])
        return PaddedLightCurves(
            values=values, lengths=lengths, metadata=metadata, times=times,
            t0=t0, trigger=X.trigger_time, channels=self.channels_,
            metadata_names=self._metadata_names, flux_channels=flux_channels,
            flux_err_channels=err_channels, object_ids=X.object_ids,
            representation=self.representation, lookahead=self._lookahead(),
        )

    def _features(self, X):
        """The fitted features of ``X``, float32, NaN where undefined (a MetadataScaler flags it)."""
        with warnings.catch_warnings():
            # The features' own warnings (bands they ignore) repeat once per padded batch.
            warnings.simplefilter("ignore", UserWarning)
            values = np.asarray(self.features_.transform(X), dtype=np.float64)
        n_names = len(self._metadata_names) - len(self.metadata_columns)
        if values.shape != (len(X), n_names):
            raise ValueError(f"LightCurvePadder: features {self.features_!r} gave an array of shape "
                             f"{values.shape} for {len(X)} light curves; {n_names} columns were "
                             f"named in fit (get_feature_names_out).")
        with np.errstate(over="ignore"):
            values = values.astype(np.float32)
        values[~np.isfinite(values)] = np.nan
        return values

    def _lookahead(self):
        """Why a padded step may depend on later observations (see PaddedLightCurves.lookahead)."""
        reasons = {}
        if self.features is not None:
            reasons["features"] = (
                f"LightCurvePadder(features={self.features!r}) adds statistics of each whole light "
                f"curve to its metadata, which every step reads, so a step's prediction sees the "
                f"observations after it; predict_proba_at computes them on the light curve cut at "
                f"each day instead.")
        if self.representation == "grid":
            reasons["grid"] = (
                "The grid representation interpolates between observations, so a grid step can "
                "use the next observation of a band; predictions over time are approximately, "
                "not strictly, causal.")
        if self.representation == "nights":
            reasons["nights"] = (
                "The nights representation gives each night one step, at its last observation: a "
                "prediction after a step is that of the light curve cut at the night's end, not "
                "at a time within the night, where the cut light curve holds part of the night; "
                "predict_proba_at cuts the light curves at each day instead.")
        if self.max_length is not None and self.truncate == "start":
            reasons["truncate"] = (
                f"LightCurvePadder(max_length={self.max_length}, truncate='start') keeps each "
                f"light curve's last {self.max_length} steps, so which steps are kept, and the "
                f"time origin, depend on the whole light curve; predictions over time assume the "
                f"light curve's end is known (use truncate='end' for causal steps).")
        if self.window_bounds() is not None:
            reasons["window"] = (
                f"LightCurvePadder(window={tuple(self.window)!r}) places the window around each "
                f"object's trigger, its first detection: a step before the trigger was kept "
                f"knowing when the trigger would come, which the light curve cut there does not "
                f"know; predictions before the trigger assume it.")
        return reasons

    def _lengths(self, X):
        """Number of steps of each light curve, without padding anything."""
        if self.representation == "grid":
            first = X.time[X.offsets[:-1]]
            full = np.floor((X.time[X.offsets[1:] - 1] - first) / self.grid_step).astype(np.int64) + 1
        elif self.representation == "nights":
            full = self._night_index(X)[1]
        else:
            full = X.lengths
        return full if self.max_length is None else np.minimum(full, self.max_length)

    def _warn_about(self, X):
        """Warn, once per call, about observations and metadata columns the padding drops."""
        if self.representation != "observations":
            unknown = np.setdiff1d(np.unique(X.band), [known_bands().index(b) for b in self.bands_])
            if unknown.size:
                whose = {"grid": "grid's", "nights": "nights'"}[self.representation]
                warnings.warn(f"Observations in bands {[known_bands()[c] for c in unknown]} are "
                              f"not among the {whose} bands {self.bands_} and are ignored.",
                              UserWarning, stacklevel=3)
        self.warn_missing_metadata(X.metadata.columns)

    def warn_missing_metadata(self, columns):
        """Warn about each of ``metadata_columns`` missing from ``columns`` (it becomes NaN).

        Parameters
        ----------
        columns : sequence of str
            The columns of the metadata given to :meth:`transform` or to a stream.
        """
        for name in self.metadata_columns:
            if name not in columns:
                warnings.warn(
                    f"Metadata column {name!r} is not in the light curves' metadata "
                    f"({list(columns)}); it is filled with NaN. A MetadataScaler imputes "
                    f"it and flags it as missing.", UserWarning, stacklevel=4)

    def flux_channels(self):
        """Channels of the flux and of its uncertainty, paired in order.

        Those of the output's ``flux_channels`` and ``flux_err_channels``:
        what a :class:`~skltransient.preprocessing.FluxNormalizer` scales.

        Returns
        -------
        flux_channels, flux_err_channels : tuple of int
        """
        if self.representation in ("grid", "nights"):
            nb = len(self.bands_)
            return tuple(range(nb)), tuple(range(nb, 2 * nb))
        return (1,), (2,)

    def observation_steps(self, elapsed, flux, flux_err, wavelength, gap=None):
        """Values of the ``"observations"`` steps, shape ``(n, n_channels_)``, float32.

        The one definition of these channels (``channels_``), shared by
        :meth:`transform` and :class:`~skltransient.early.ClassificationStream`,
        which encodes one observation at a time.

        Parameters
        ----------
        elapsed : ndarray of shape (n,), float64
            Days since the object's first kept observation.
        flux, flux_err, wavelength : ndarray of shape (n,)
            Flux, its uncertainty and the band's pivot wavelength (Angstrom).
        gap : ndarray of shape (n,), float64, or None, default=None
            Days since the object's previous kept observation (0 at its
            first): the ``"log_gap"`` channel of ``gap_channel=True``, which
            needs it.

        Returns
        -------
        values : ndarray of shape (n, 4), or (n, 5) with ``gap_channel``, float32
        """
        time = elapsed.astype(np.float32) / np.float32(self.time_scale)
        channels = [time, flux, flux_err, wavelength / 1e4]
        if self.gap_channel:
            if gap is None:
                raise ValueError("LightCurvePadder(gap_channel=True).observation_steps needs "
                                 "each step's gap to the previous observation (gap=...).")
            channels.append(np.log10(1.0 + np.maximum(gap, 0.0)))
        return np.stack(channels, axis=1).astype(np.float32)

    def _observations(self, X):
        lengths = X.lengths
        n_steps = int(lengths.max()) if self.max_length is None else self.max_length
        self.check_padded_size(len(X), n_steps)
        kept = np.minimum(lengths, n_steps)
        position = np.arange(X.n_observations) - np.repeat(X.offsets[:-1], lengths)
        if self.truncate == "start":
            position -= np.repeat(lengths - kept, lengths)
        keep = (position >= 0) & (position < n_steps)
        obj, position = X.object_index[keep], position[keep]
        t0 = X.time[X.offsets[1:] - kept if self.truncate == "start" else X.offsets[:-1]]
        values = np.zeros((len(X), n_steps, len(self.channels_)), dtype=np.float32)
        gap = None
        if self.gap_channel:  # 0 at each object's first kept step
            gap = np.diff(X.time[keep], prepend=np.nan)
            gap[position == 0] = 0.0
        values[obj, position] = self.observation_steps(
            X.time[keep] - t0[obj], X.flux[keep], X.flux_err[keep], X.wavelength[keep], gap)
        times = np.full((len(X), n_steps), np.nan)
        times[obj, position] = X.time[keep]
        return values, kept.astype(np.int64), times, t0

    def _grid(self, X):
        first = X.time[X.offsets[:-1]]
        span = X.time[X.offsets[1:] - 1] - first
        full = np.floor(span / self.grid_step).astype(np.int64) + 1
        n_steps = int(full.max()) if self.max_length is None else self.max_length
        self.check_padded_size(len(X), n_steps)
        lengths = np.minimum(full, n_steps)
        # The grid stays anchored at the first observation: truncate="start"
        # drops its first points rather than moving it.
        skipped = full - lengths if self.truncate == "start" else np.zeros_like(full)
        grid = (skipped[:, None] + np.arange(n_steps)[None, :]) * self.grid_step
        obj = X.object_index
        elapsed = X.time - first[obj]
        width = span.max() + 2 * self.grid_step * (n_steps + 1)
        query = (np.arange(len(X))[:, None] * width + grid).ravel()
        nb = len(self.bands_)
        values = np.zeros((len(X), n_steps, 2 * nb), dtype=np.float32)
        for channel, band in enumerate(self.bands_):
            mask = X.band == known_bands().index(band)
            flux, err = _interpolate(obj[mask] * width + elapsed[mask], obj[mask],
                                     X.flux[mask], X.flux_err[mask], query, width)
            values[:, :, channel] = flux.reshape(len(X), n_steps)
            values[:, :, nb + channel] = err.reshape(len(X), n_steps)
        valid = np.arange(n_steps)[None, :] < lengths[:, None]
        values *= valid[:, :, None]
        times = np.where(valid, first[:, None] + grid, np.nan)
        return values, lengths, times, times[:, 0]

    def _night_index(self, X):
        """Which observations are kept, the nights of each light curve, each kept one's night.

        Observations in the padder's bands only; a new night starts after a
        gap of half a day or more. A light curve with no kept observation
        counts one night, an empty step. Nights are counted from 0 in each
        light curve.
        """
        keep = np.isin(X.band, [known_bands().index(b) for b in self.bands_])
        obj, time = X.object_index[keep], X.time[keep]
        new = np.ones(obj.size, dtype=bool)
        new[1:] = (obj[1:] != obj[:-1]) | (np.diff(time) >= _NIGHT_GAP)
        night = np.cumsum(new) - 1
        per_object = np.bincount(obj[new], minlength=len(X))
        first = np.concatenate([[0], np.cumsum(per_object)[:-1]])
        return keep, np.maximum(per_object, 1), night - first[obj]

    def _nights(self, X):
        keep, full, night = self._night_index(X)
        n_steps = int(full.max()) if self.max_length is None else self.max_length
        self.check_padded_size(len(X), n_steps)
        lengths = np.minimum(full, n_steps)
        obj = X.object_index[keep]
        position = night - ((full - lengths)[obj] if self.truncate == "start" else 0)
        inside = (position >= 0) & (position < n_steps)
        obj, position = obj[inside], position[inside]
        time, flux, err, band = (a[keep][inside] for a in (X.time, X.flux, X.flux_err, X.band))
        slot = np.full(len(known_bands()), -1)
        slot[[known_bands().index(b) for b in self.bands_]] = np.arange(len(self.bands_))
        nb = len(self.bands_)
        # Each (light curve, night, band) cell: the mean flux and the uncertainty of that mean.
        cell = (obj * n_steps + position) * nb + slot[band]
        size = len(X) * n_steps * nb
        count = np.bincount(cell, minlength=size)
        seen = count > 0
        mean, spread = np.zeros(size), np.zeros(size)
        mean[seen] = np.bincount(cell, flux, minlength=size)[seen] / count[seen]
        spread[seen] = np.sqrt(np.bincount(cell, err**2, minlength=size)[seen]) / count[seen]
        values = np.zeros((len(X), n_steps, 2 * nb + 1), dtype=np.float32)
        values[:, :, :nb] = mean.reshape(len(X), n_steps, nb)
        values[:, :, nb:2 * nb] = spread.reshape(len(X), n_steps, nb)
        # A night's time is its last observation's.
        times = np.full((len(X), n_steps), -np.inf)
        np.maximum.at(times, (obj, position), time)
        times[np.isneginf(times)] = np.nan
        valid = np.arange(n_steps)[None, :] < lengths[:, None]
        t0 = np.where(np.isnan(times[:, 0]), X.time[X.offsets[:-1]], times[:, 0])
        # The first night's time is its last observation's: the time channel counts from it.
        times = np.where(valid & np.isnan(times), t0[:, None], times)  # an empty light curve's step
        values[:, :, 2 * nb] = np.where(valid, (times - t0[:, None]) / self.time_scale, 0.0)
        return values, lengths.astype(np.int64), times, t0

    def metadata_values(self, frame):
        """Metadata columns of a frame (one row per object), shape (n, n_metadata), float32.

        Shared by :meth:`transform` and :class:`~skltransient.early.ClassificationStream`;
        a missing column is NaN (:meth:`transform` warns about it, see
        :meth:`warn_missing_metadata`).

        Parameters
        ----------
        frame : DataFrame
            One row per object; text that does not parse as a number is refused.

        Returns
        -------
        metadata : ndarray of shape (n_objects, len(metadata_columns)), float32
        """
        # A missing column comes back NaN, which a MetadataScaler flags.
        columns = frame.reindex(columns=list(self.metadata_columns))
        values = [_numbers(columns[name], name) for name in columns.columns]
        return np.stack(values, axis=1) if values else np.empty((len(frame), 0), np.float32)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags


def channel_names(representation, bands, gap_channel=False):
    """Names of the channels of a representation over the given bands.

    What a fitted :class:`LightCurvePadder` records as ``channels_``.

    Parameters
    ----------
    representation : {"observations", "grid", "nights"}
    bands : list of str
    gap_channel : bool, default=False
        ``LightCurvePadder(gap_channel=...)``: ``"log_gap"`` last.

    Returns
    -------
    channels : tuple of str
    """
    if representation in ("grid", "nights"):
        per_band = tuple(f"flux_{b}" for b in bands) + tuple(f"flux_err_{b}" for b in bands)
        return per_band + (("time",) if representation == "nights" else ())
    return ("time", "flux", "flux_err", "wavelength") + (("log_gap",) if gap_channel else ())


def _numbers(column, name):
    """A metadata column as float32: numbers (categorical too), or text that parses as numbers."""
    raw = column.astype(object) if isinstance(column.dtype, pd.CategoricalDtype) else column
    if raw.dtype.kind in "biuf":
        values = raw.to_numpy(np.float64, na_value=np.nan)
    else:
        values = pd.to_numeric(raw, errors="coerce").to_numpy(np.float64, na_value=np.nan)
        bad = np.isnan(values) & raw.notna().to_numpy()
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(
                f"Metadata column {name!r} has a value {raw.iloc[row]!r} that is not a number for "
                f"light curve {plain(column.index[row])!r} ({np.count_nonzero(bad)} in all); "
                f"metadata columns read by a LightCurvePadder hold numbers (NaN where unknown).")
    return _float32(values, f"Metadata column {name!r}", column.index)


#: Largest magnitude the padded (float32) input holds.
_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _float32(values, what, object_ids, object_index=None):
    """``values`` as float32, refused with the first object named if one is beyond float32's range."""
    bad = np.isfinite(values) & (np.abs(values) > _FLOAT32_MAX)
    if bad.any():
        row = int(np.argmax(bad))
        obj = row if object_index is None else object_index[row]
        raise ValueError(
            f"{what} has {values[row]:.3g} for light curve {plain(object_ids[obj])!r} "
            f"({np.count_nonzero(bad)} values in all), beyond the range of the float32 padded "
            f"input ({_FLOAT32_MAX:.3g}); rescale it (e.g. fluxes to a zero point of 27.5).")
    return values.astype(np.float32)


def _interpolate(key, obj, flux, err, query, width):
    """Linear interpolation of many objects at once: keys are offset by object."""
    out_flux = np.zeros(query.shape, dtype=np.float32)
    out_err = np.zeros(query.shape, dtype=np.float32)
    if key.size == 0:
        return out_flux, out_err
    query_obj = (query // width).astype(np.int64)
    right = np.searchsorted(key, query, side="left")
    left = right - 1
    right_c, left_c = np.minimum(right, key.size - 1), np.maximum(left, 0)
    exact = (right < key.size) & (key[right_c] == query)
    inside = (left >= 0) & (right < key.size) & (obj[left_c] == query_obj) & (obj[right_c] == query_obj)
    gap = np.where(inside, key[right_c] - key[left_c], 1.0)
    w = np.where(inside & (gap > 0), (query - key[left_c]) / np.where(gap > 0, gap, 1.0), 0.0)
    f = np.where(exact, flux[right_c], (1 - w) * flux[left_c] + w * flux[right_c])
    e = np.where(exact, err[right_c], (1 - w) * err[left_c] + w * err[right_c])
    use = exact | inside
    out_flux[use], out_err[use] = f[use], e[use]
    return out_flux, out_err


def _canonical(band):
    from ..bands import get_band

    return get_band(band).name
