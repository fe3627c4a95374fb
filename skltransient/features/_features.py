"""LightCurveFeatures: light curves to a feature matrix for any scikit-learn classifier."""

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._compat import Interval, fit_context
from .._lightcurves import warn_if_truth
from .._optional import import_optional
from ..bands import get_band, known_bands, wavelengths
from ..utils._validation import check_lightcurves

__all__ = ["LightCurveFeatures"]

# The per-band features of the light-curve package (Malanchev et al. 2021)
# that the field's feature-plus-boosting classifiers use; built lazily so that
# importing skltransient does not need the optional package.
_BAND_FEATURES = (
    ("Amplitude", {}), ("Cusum", {}), ("Eta", {}), ("InterPercentileRange", {"quantile": 0.1}),
    ("Kurtosis", {}), ("LinearFit", {}), ("MaximumSlope", {}), ("Mean", {}), ("Median", {}),
    ("Skew", {}), ("StandardDeviation", {}), ("StetsonK", {}), ("WeightedMean", {}),
    ("ReducedChi2", {}), ("Duration", {}),
)
_OBJECT_FEATURES = ("log_peak_flux", "peak_time_since_trigger", "rise_time", "decline_time",
                    "detected_span", "n_observations")
# The periodogram's angular frequencies (rad/day): periods from 0.1 day (the shortest RR Lyrae
# and contact binaries are about 0.2 day) up, on the power-of-two grid the fast algorithm takes.
_PERIODOGRAM_FREQS = np.linspace(0.0, 2 * np.pi / 0.1, 2**14 + 1)
_PERIODOGRAM_PEAKS = 2


class LightCurveFeatures(TransformerMixin, BaseEstimator):
    """Summarise each light curve by a fixed-length vector of features.

    The classic alternative to a recurrent network, and the yardstick it must
    beat: per-band statistics computed by the `light-curve
    <https://github.com/light-curve/light-curve-python>`_ package (amplitude,
    Cusum, von Neumann's eta, the 10-90 % percentile range, kurtosis, a linear
    fit, maximum slope, mean, median, skew, standard deviation, Stetson K,
    weighted mean, reduced chi-squared, duration), the colours between
    neighbouring bands at their peaks, the peak's brightness and timing
    relative to the trigger, the span of the detections, and the metadata.
    Put a tabular classifier after it, e.g.
    ``make_pipeline(LightCurveFeatures(), HistGradientBoostingClassifier())``.

    Parameters
    ----------
    bands : list of str or None, default=None
        Bands whose features are computed, in order; None uses the bands seen
        in ``fit``, sorted by wavelength. Observations in other bands are
        ignored with a warning.
    metadata_columns : tuple of str, default=("redshift", "mwebv")
        Metadata columns passed through as features. A column missing from
        the data is NaN, with a warning: the output width never depends on
        the data.
    periodogram : bool, default=False
        Add the periods and significances of the two highest peaks of a
        Lomb-Scargle periodogram (the light-curve package's fast
        ``Periodogram``, periods from 0.1 day) of all bands together,
        each band centred on its mean flux and scaled by its standard
        deviation (see Notes): what tells eclipsing binaries, RR Lyrae
        and Miras apart by their periods.
    n_jobs : int, default=1
        Threads of the light-curve package's extractor.

    Attributes
    ----------
    bands_ : list of str
        Bands of the per-band features.
    feature_names_out_ : ndarray of shape (n_features_out,) of str
        Name of each output column (see :meth:`get_feature_names_out`).

    See Also
    --------
    skltransient.preprocessing.LightCurvePadder : The input of the recurrent network.

    Notes
    -----
    Features are computed on fluxes (FLUXCAL), not magnitudes, so that
    non-detections and negative fluxes keep their information. A feature
    that is undefined for a light curve (a band with too few points for
    kurtosis, a colour with a non-positive peak, a band never observed) is
    NaN; :class:`~sklearn.ensemble.HistGradientBoostingClassifier` accepts
    NaN as is. Infinite values (e.g. a slope between two observations at the
    same time) are NaN too. Colours are ``-2.5 log10`` of the ratio of the
    two bands' peak fluxes. Without detection flags the trigger is the first
    observation and the detected span is the whole light curve's.

    The periodogram pools the bands, as a single survey's cadence leaves
    each band too sparse for periods of a day or less (a shared-phase
    multi-band periodogram, VanderPlas & Ivezic 2015, does the same with a
    model per band); standardising each band removes its colour. A band
    with one observation, or a constant one, is centred only. The
    periodogram's ``s_to_n`` is the peak's power above the mean, in
    standard deviations of the power; a light curve with fewer than three
    observations has NaN periodogram features. The angular frequencies are
    a grid of 16,385 from 0 to ``2 pi / 0.1`` rad/day, a step of 0.0038:
    periods within 0.1 % at half a day, 1 % at 30 days, 3 % at 100 days,
    enough to tell RR Lyrae (0.2 to 1 day) from eclipsing binaries and
    Miras (100 to 500 days), at 1.8 ms a PLAsTiCC light curve.

    Examples
    --------
    >>> from skltransient.features import LightCurveFeatures
    >>> from skltransient.utils._testing import make_toy_lightcurves
    >>> X, y = make_toy_lightcurves(10)
    >>> features = LightCurveFeatures().fit(X)
    >>> features.transform(X).shape
    (10, 43)
    >>> features.get_feature_names_out()[:2].tolist()
    ['ztfg_amplitude', 'ztfg_cusum']
    """

    _parameter_constraints = {
        "bands": [list, tuple, None],
        "metadata_columns": [list, tuple],
        "periodogram": ["boolean"],
        "n_jobs": [Interval(numbers.Integral, 1, None, closed="left")],
    }

    def __init__(self, *, bands=None, metadata_columns=("redshift", "mwebv"), periodogram=False,
                 n_jobs=1):
        self.bands = bands
        self.metadata_columns = metadata_columns
        self.periodogram = periodogram
        self.n_jobs = n_jobs

    @fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the bands and the names of the features.

        Parameters
        ----------
        X : LightCurves
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        X = check_lightcurves(X, "LightCurveFeatures")
        warn_if_truth(self.metadata_columns, type(self).__name__)
        if self.bands is not None:
            self.bands_ = [get_band(band).name for band in self.bands]
        else:
            seen = np.unique(X.band)
            self.bands_ = [known_bands()[c] for c in seen[np.argsort(wavelengths(seen), kind="stable")]]
        per_band = _extractor(1).names
        colours = [f"colour_{a}_{b}" for a, b in zip(self.bands_[:-1], self.bands_[1:])]
        self.feature_names_out_ = np.asarray(
            [f"{band}_{name}" for band in self.bands_ for name in per_band] + colours
            + list(_OBJECT_FEATURES) + (_periodogram().names if self.periodogram else [])
            + [str(name) for name in self.metadata_columns], dtype=object)
        return self

    def transform(self, X):
        """Compute the features.

        Parameters
        ----------
        X : LightCurves

        Returns
        -------
        features : ndarray of shape (n_objects, n_features_out), float64
            NaN where a feature is undefined (see Notes).
        """
        check_is_fitted(self)
        X = check_lightcurves(X, "LightCurveFeatures")
        codes = np.array([known_bands().index(band) for band in self.bands_])
        ignored = np.setdiff1d(np.unique(X.band), codes)
        if ignored.size:
            warnings.warn(f"Observations in bands {[known_bands()[c] for c in ignored]} are not "
                          f"among the feature bands {self.bands_} and are ignored.", UserWarning)
        band_features, peaks = self._band_features(X, codes)
        with np.errstate(divide="ignore", invalid="ignore"):
            colours = -2.5 * np.log10(peaks[:, :-1] / peaks[:, 1:])
        periodic = [self._periodogram(X, codes)] if self.periodogram else []
        out = np.hstack([band_features, colours, _object_features(X), *periodic,
                         self._metadata(X)])
        out[~np.isfinite(out)] = np.nan
        return out

    def _band_features(self, X, codes):
        """Per-band features, shape (n_objects, n_bands * n_per_band), and peak fluxes per band."""
        extractor = _extractor(self.n_jobs)
        n_per_band = len(extractor.names)
        out = np.full((len(X), len(codes), n_per_band), np.nan)
        peaks = np.full((len(X), len(codes)), np.nan)
        slot = np.full(len(known_bands()), -1)
        slot[codes] = np.arange(len(codes))
        keep = slot[X.band] >= 0
        obj, band = X.object_index[keep], slot[X.band[keep]]
        # Observations are sorted by object then time, so a stable sort by
        # (object, band) keeps each group in time order.
        order = np.lexsort((band, obj))
        obj, band = obj[order], band[order]
        time, flux, err = (a[keep][order] for a in (X.time, X.flux, X.flux_err))
        starts = np.flatnonzero(np.r_[True, (obj[1:] != obj[:-1]) | (band[1:] != band[:-1])])
        if starts.size and obj.size:
            peaks[obj[starts], band[starts]] = np.maximum.reduceat(flux, starts)
            bounds = np.r_[starts, obj.size]
            groups = [(time[a:b], flux[a:b], err[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
            values = extractor.many(groups, sorted=True, check=False, n_jobs=self.n_jobs,
                                    fill_value=np.nan)
            out[obj[starts], band[starts]] = values
        return out.reshape(len(X), -1), peaks

    def _periodogram(self, X, codes):
        """The periodogram's peaks of each object's feature bands, pooled and standardised."""
        keep = np.isin(X.band, codes)
        obj, band, time, flux, err = (a[keep] for a in (X.object_index, X.band, X.time, X.flux,
                                                         X.flux_err))
        order = np.lexsort((band, obj))
        groups = np.r_[True, (obj[order][1:] != obj[order][:-1])
                       | (band[order][1:] != band[order][:-1])]
        group = np.empty(obj.size, dtype=np.int64)
        group[order] = np.cumsum(groups) - 1
        counts = np.bincount(group)
        mean = np.bincount(group, flux) / counts
        spread = np.sqrt(np.maximum(np.bincount(group, flux**2) / counts - mean**2, 0.0))
        scale = np.where((counts > 1) & (spread > 0), spread, 1.0)[group]
        values, errors = (flux - mean[group]) / scale, err / scale
        out = np.full((len(X), _PERIODOGRAM_PEAKS * 2), np.nan)
        n_kept = np.bincount(obj, minlength=len(X))
        usable = n_kept >= 3
        # Observations stay in time order within an object (X is sorted by object, then time).
        bounds = np.r_[0, np.cumsum(n_kept)]
        series = [(time[a:b], values[a:b], errors[a:b])
                  for a, b in zip(bounds[:-1][usable], bounds[1:][usable])]
        if series:
            out[usable] = _periodogram().many(series, sorted=True, check=False,
                                              n_jobs=self.n_jobs, fill_value=np.nan)
        return out

    def _metadata(self, X):
        for name in self.metadata_columns:
            if name not in X.metadata.columns:
                warnings.warn(f"Metadata column {name!r} is not in the light curves' metadata "
                              f"({list(X.metadata.columns)}); its feature is NaN.", UserWarning)
        return X.metadata.reindex(columns=list(self.metadata_columns)).to_numpy(
            np.float64, na_value=np.nan, copy=True)

    def get_feature_names_out(self, input_features=None):
        """Names of the output features: ``<band>_<feature>``, colours, timing, metadata."""
        check_is_fitted(self)
        return self.feature_names_out_.copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = True
        return tags


def _object_features(X):
    """Brightness and timing of each object's peak over all bands, and its detections."""
    starts = X.offsets[:-1]
    peak = np.maximum.reduceat(X.flux, starts)
    obj = X.object_index
    # The first observation reaching the object's peak flux.
    at_peak = np.flatnonzero(X.flux == peak[obj])
    first_at_peak = np.full(len(X), X.n_observations)
    np.minimum.at(first_at_peak, obj[at_peak], at_peak)
    t_peak = X.time[first_at_peak]
    t_first, t_last = X.time[starts], X.time[X.offsets[1:] - 1]
    detected = np.ones(X.n_observations, bool) if X.detected is None else X.detected
    span = np.full(len(X), np.nan)
    first_det, last_det = np.full(len(X), np.inf), np.full(len(X), -np.inf)
    np.minimum.at(first_det, obj[detected], X.time[detected])
    np.maximum.at(last_det, obj[detected], X.time[detected])
    has = np.isfinite(first_det)
    span[has] = last_det[has] - first_det[has]
    with np.errstate(divide="ignore", invalid="ignore"):
        log_peak = np.where(peak > 0, np.log10(peak), np.nan)
    return np.stack([log_peak, t_peak - X.trigger_time, t_peak - t_first, t_last - t_peak, span,
                     X.lengths.astype(np.float64)], axis=1)


def _periodogram():
    light_curve = import_optional("light_curve", "LightCurveFeatures", "features")
    return light_curve.Periodogram(peaks=_PERIODOGRAM_PEAKS, freqs=_PERIODOGRAM_FREQS, fast=True)


def _extractor(n_jobs):
    light_curve = import_optional("light_curve", "LightCurveFeatures", "features")
    return light_curve.Extractor(*(getattr(light_curve, name)(**kwargs)
                                   for name, kwargs in _BAND_FEATURES))


class FillEmptyFeatures(TransformerMixin, BaseEstimator):
    """Fill with 0 the feature columns that were all NaN in ``fit``, and only those.

    scikit-learn 1.9's ``HistGradientBoostingClassifier`` fails to fit on a
    column that is entirely NaN ("window shape cannot be larger than input
    array shape"), which a small or very young training set gives (a band
    never observed before the cut). A column learned empty in ``fit`` is
    constant 0 in ``transform`` too, so that the trees never split on it;
    every other NaN stays NaN, the trees' missing value.
    """

    def fit(self, X, y=None):
        X = np.asarray(X, dtype=float)
        self.empty_ = np.all(np.isnan(X), axis=0)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        check_is_fitted(self)
        X = np.array(X, dtype=float)
        X[:, self.empty_] = 0.0
        return X


# Its name before it was shared with skltransient.recipes: features models saved by
# ``skltransient train --model features`` (joblib pickles) refer to it.
_FillEmptyFeatures = FillEmptyFeatures
