"""Survey models: when each object is observed, how deep, and with what noise.

A survey observes each object's field on nights set by its cadence, only
while the field is in season (a window around opposition), the night is
clear and the survey is running. Each visit has a 5-sigma depth that scatters
around the survey's median and is brighter-sky limited near full moon. The
flux uncertainty combines sky noise (from the depth), the source's Poisson
noise and a zero-point error; fluxes are FLUXCAL (AB zero point 27.5).

``"ztf-bts"`` is the ZTF model with the imperfections that make real data
differ from simulations, as a stand-in for the real Bright Transient Survey:
heavier-tailed noise than the quoted errors, outliers, zero-point offsets
between bands and nights, extra gaps, a magnitude limit, and light-curve
parameters drawn from shifted or independently parameterised models (see
:mod:`skltransient.datasets._sources`).
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import uniform_filter1d

from ._physics import mag_to_fluxcal
from ._redshifts import EXACT_REDSHIFTS, HostRedshifts

__all__ = ["SURVEYS", "RubinSurvey", "SurveyModel", "ZTFSurvey"]

_SYNODIC_MONTH = 29.530589  # days
_NEW_MOON_MJD = 51549.76  # 2000-01-06 18:14 UTC
_TROPICAL_YEAR = 365.2422
_MARCH_EQUINOX_MJD = 51623.32  # 2000-03-20 07:35 UTC: the Sun at right ascension 0


@dataclass(frozen=True)
class SurveyModel:
    """Observing conditions and noise of a survey; subclasses set the cadence.

    Parameters
    ----------
    name : str
    bands : tuple of str
        Bands returned by default.
    available_bands : tuple of str
        Bands that may be requested.
    depth : dict
        Median single-visit 5-sigma depth (AB) per band.
    depth_scatter : float
        Gaussian scatter of the per-visit depth (seeing, airmass), mag.
    moon_amplitude : dict
        Depth lost per band between new and full moon, mag. The median depth
        over a lunation stays ``depth``.
    saturation : dict
        Magnitude brighter than which a visit is saturated and dropped.
    electrons_per_flux : dict
        Photo-electrons per FLUXCAL unit in one visit (source Poisson noise).
    calibration_error : float
        Zero-point uncertainty added in quadrature to the errors, mag.
    start_mjd, duration : float
        Survey start (MJD) and length in days.
    season_length : tuple of float
        Range of the length, in days, of the window around opposition during
        which a field is observed.
    clear_fraction : float
        Fraction of nights that are clear; bad weather comes in spells of a
        few nights.
    variant : {"reference", "bts"}
        Which parameterisation of the class models to draw from.
    classes : tuple of str or None
        The classes the survey may contain (None for all).
    class_fractions : dict or None
        Default class fractions; None derives them from rates.
    peak_mag_limit : float or None
        Keep only objects whose light curve peaks brighter than this in one
        of ``selection_bands`` (at an observed epoch, noise-free).
    selection_bands : tuple of str
    noise_dof : float
        Degrees of freedom of the Student-t noise; inf for Gaussian.
    error_scale : float
        True noise scatter over the reported ``flux_err``.
    outlier_fraction : float
        Fraction of visits shifted by 5 to 20 sigma.
    band_offset_scatter, night_offset_scatter : float
        Scatter (mag) of zero-point offsets per object and band, and per night.
    gap_probability : float
        Probability that an object's light curve has an extra gap.
    gap_length : tuple of float
        Range of that gap's length in days.
    mwebv_median, mwebv_log_scatter : float
        Log-normal distribution of the Milky Way E(B-V) of the fields.
    host_redshifts : HostRedshifts
        How the survey reports host redshifts (photometric scatter and
        outliers, spectroscopic share, missing share); exact by default.
    description : str
        One paragraph for ``DESCR``.
    """

    name: str
    bands: tuple
    available_bands: tuple
    depth: dict
    depth_scatter: float
    moon_amplitude: dict
    saturation: dict
    electrons_per_flux: dict
    calibration_error: float
    start_mjd: float
    duration: float
    season_length: tuple
    clear_fraction: float
    variant: str = "reference"
    classes: tuple = None
    class_fractions: dict = None
    peak_mag_limit: float = None
    selection_bands: tuple = ()
    noise_dof: float = np.inf
    error_scale: float = 1.0
    outlier_fraction: float = 0.0
    band_offset_scatter: float = 0.0
    night_offset_scatter: float = 0.0
    gap_probability: float = 0.0
    gap_length: tuple = (0.0, 0.0)
    mwebv_median: float = 0.03
    mwebv_log_scatter: float = 0.7
    host_redshifts: HostRedshifts = EXACT_REDSHIFTS
    description: str = field(default="", repr=False)

    def sample_mwebv(self, n, rng):
        """Milky Way E(B-V) of ``n`` fields: log-normal, median 0.03, capped at 0.5.

        A stand-in for the high-latitude part of the Schlegel et al. (1998)
        map as recalibrated by Schlafly & Finkbeiner (2011) (median and
        scatter assumed).
        """
        return np.minimum(self.mwebv_median * np.exp(self.mwebv_log_scatter * rng.standard_normal(n)), 0.5)

    # ---------------------------------------------------------------- schedule
    def conditions(self, rng):
        """Draw the nightly weather and zero-point offsets of the whole survey."""
        n_nights = int(np.ceil(self.duration)) + 1
        # Weather spells: white noise smoothed over 3 nights, thresholded at
        # the clear fraction.
        cloud = uniform_filter1d(rng.standard_normal(n_nights), size=3, mode="wrap")
        clear = cloud < np.quantile(cloud, self.clear_fraction)
        offset = rng.normal(0.0, self.night_offset_scatter, n_nights) if self.night_offset_scatter else None
        return {"first_night": np.floor(self.start_mjd), "clear": clear, "night_offset": offset}

    def schedule(self, start, stop, ra, bands, conditions, rng):
        """Visits of each object between ``start`` and ``stop`` (MJD).

        Parameters
        ----------
        start, stop : ndarray of shape (n_objects,)
        ra : ndarray of shape (n_objects,)
            Right ascension in degrees, which sets the observing season.
        bands : sequence of str
        conditions : dict
            From :meth:`conditions`.
        rng : numpy.random.Generator

        Returns
        -------
        obj, time, band : ndarray of shape (n_visits,)
            Object index, MJD and index into ``bands``, sorted by object then time.
        """
        obj, night = self._candidate_nights(start, stop, rng)
        night_index = (night - conditions["first_night"]).astype(np.int64)
        keep = (night_index >= 0) & (night_index < conditions["clear"].shape[0])
        obj, night, night_index = obj[keep], night[keep], night_index[keep]
        keep = conditions["clear"][night_index] & self._in_season(night, obj, ra, rng)
        if self.gap_probability:
            has_gap = rng.uniform(size=start.shape) < self.gap_probability
            gap_start = rng.uniform(start, stop)
            gap_stop = np.where(has_gap, gap_start + rng.uniform(*self.gap_length, start.shape), gap_start)
            keep &= ~((night >= gap_start[obj]) & (night < gap_stop[obj]))
        return self._visits(obj[keep], night[keep], stop, bands, rng)

    def _in_season(self, night, obj, ra, rng):
        """Whether each night falls in its field's season around opposition."""
        opposition = _MARCH_EQUINOX_MJD + (ra + 180.0) / 360.0 * _TROPICAL_YEAR
        half_length = rng.uniform(*self.season_length, ra.shape) / 2
        phase = (night - opposition[obj] + _TROPICAL_YEAR / 2) % _TROPICAL_YEAR - _TROPICAL_YEAR / 2
        return np.abs(phase) < half_length[obj]

    # ------------------------------------------------------------------- noise
    def calibration_offsets(self, n_objects, n_bands, rng):
        """Zero-point offsets (mag) of each object's band, or None without them."""
        if not self.band_offset_scatter:
            return None
        return rng.normal(0.0, self.band_offset_scatter, (n_objects, n_bands))

    def observe(self, obj, time, band, flux, source_flux, bands, conditions, offsets, rng):
        """Add the survey's noise to noise-free fluxes.

        Parameters
        ----------
        obj, time, band : ndarray of shape (n_visits,)
            From :meth:`schedule`.
        flux : ndarray of shape (n_visits,)
            Noise-free difference flux, FLUXCAL.
        source_flux : ndarray of shape (n_visits,)
            Noise-free flux of the source in the science image (Poisson noise).
        bands : sequence of str
        conditions : dict
        offsets : ndarray of shape (n_objects, n_bands) or None
            From :meth:`calibration_offsets`.
        rng : numpy.random.Generator

        Returns
        -------
        observed, flux_err : ndarray of shape (n_visits,)
        usable : ndarray of bool
            False for saturated visits.
        """
        def table(values):
            return np.array([values[b] for b in bands])[band]

        illumination = 0.5 * (1.0 - np.cos(2 * np.pi * (time - _NEW_MOON_MJD) / _SYNODIC_MONTH))
        m5 = (table(self.depth) + table(self.moon_amplitude) * (0.5 - illumination)
              + rng.normal(0.0, self.depth_scatter, time.shape))
        k = 0.4 * np.log(10.0)
        variance = ((mag_to_fluxcal(m5) / 5.0) ** 2
                    + np.clip(source_flux, 0.0, None) / table(self.electrons_per_flux)
                    + (k * self.calibration_error * flux) ** 2)
        flux_err = np.sqrt(variance)
        offset = np.zeros(time.shape) if offsets is None else offsets[obj, band]
        if conditions["night_offset"] is not None:
            night = (time - conditions["first_night"]).astype(np.int64)
            night = np.clip(night, 0, conditions["clear"].size - 1)
            offset += conditions["night_offset"][night]
        if np.isinf(self.noise_dof):
            noise = rng.standard_normal(time.shape)
        else:
            unit = np.sqrt((self.noise_dof - 2) / self.noise_dof)  # unit variance
            noise = rng.standard_t(self.noise_dof, time.shape) * unit
        observed = flux * np.exp(-k * offset) + self.error_scale * flux_err * noise
        if self.outlier_fraction:
            outlier = rng.uniform(size=time.shape) < self.outlier_fraction
            kick = rng.choice([-1.0, 1.0], time.shape) * rng.uniform(5.0, 20.0, time.shape) * flux_err
            observed = np.where(outlier, observed + kick, observed)
        usable = source_flux < mag_to_fluxcal(table(self.saturation))
        return observed, flux_err, usable

    def detectable_limit(self, bands, min_detections=1):
        """Faintest noise-free peak magnitude per band that can still be detected.

        The median depth, plus half the lunar range, plus twice the depth
        scatter, plus 1.3 mag when one detection suffices (a 5-sigma
        fluctuation of a source whose expected signal-to-noise is 1.5 on a
        deep night) or 0.5 mag when ``min_detections`` are needed. The
        simulator does not observe objects that peak fainter than this (plus
        a margin): in simulations without the cut, fewer than 1 in 2000 of
        the objects beyond it was detected once, and none twice.
        """
        margin = 1.3 if min_detections <= 1 else 0.5
        return np.array([self.depth[b] + self.moon_amplitude[b] / 2 + 2 * self.depth_scatter + margin
                         for b in bands])


@dataclass(frozen=True)
class ZTFSurvey(SurveyModel):
    """ZTF-like cadence: every band on the same nights, every ``revisit`` nights.

    Parameters
    ----------
    revisit : tuple of int
        Possible revisit intervals in nights; each field gets one.
    revisit_probability : tuple of float
    skip_probability : float
        Probability that a scheduled visit is not taken.
    band_night_probability : dict
        Fraction of visit nights on which a band is observed (1 when absent).
    night_start : tuple of float
        Range of the MJD fraction of a night's first visit.
    band_spacing : tuple of float
        Range of the time between a night's visits in successive bands, days.
    """

    revisit: tuple = (2, 3)
    revisit_probability: tuple = (0.5, 0.5)
    skip_probability: float = 0.1
    band_night_probability: dict = None
    night_start: tuple = (0.15, 0.45)
    band_spacing: tuple = (0.02, 0.06)

    def _candidate_nights(self, start, stop, rng):
        """Object index and night of every scheduled visit night, in order."""
        step = rng.choice(self.revisit, size=start.shape, p=self.revisit_probability)
        first = np.floor(start) + rng.integers(0, step)
        counts = np.maximum(np.floor((stop - first) / step).astype(np.int64) + 1, 0)
        obj = np.repeat(np.arange(start.shape[0]), counts)
        k = np.arange(obj.shape[0]) - np.repeat(np.cumsum(counts) - counts, counts)
        return obj, first[obj] + step[obj] * k

    def _visits(self, obj, night, stop, bands, rng):
        night = night + rng.uniform(*self.night_start, obj.shape)
        shape = (obj.shape[0], len(bands))
        taken = rng.uniform(size=shape) >= self.skip_probability
        probability = np.array([(self.band_night_probability or {}).get(b, 1.0) for b in bands])
        if np.any(probability < 1):
            taken &= rng.uniform(size=shape) < probability
        spacing = rng.uniform(*self.band_spacing, shape)
        spacing[:, 0] = 0.0
        times = night[:, None] + np.cumsum(spacing, axis=1)
        taken &= times <= stop[obj, None]
        row, band = np.nonzero(taken)
        return obj[row], times[taken], band


@dataclass(frozen=True)
class RubinSurvey(SurveyModel):
    """Rubin-like cadence: pairs of visits on randomly spaced nights, bands at random.

    Parameters
    ----------
    night_probability : float
        Probability that a clear in-season night has a visit pair.
    band_weights : dict
        Relative number of visits per band.
    night_start : tuple of float
        Range of the MJD fraction of the pair's first visit.
    pair_spacing : tuple of float
        Range of the time between the two visits of a pair, days.
    pair_probability : float
        Probability that a visit night has its second visit (1: always a pair,
        as the current Rubin baseline cadence; PLAsTiCC's light curves have a
        second visit on few nights).
    """

    night_probability: float = 0.3
    band_weights: dict = None
    night_start: tuple = (0.0, 0.35)
    pair_spacing: tuple = (15 / 1440, 60 / 1440)
    pair_probability: float = 1.0

    def _candidate_nights(self, start, stop, rng):
        """Object index and night of every visit-pair night, in order."""
        span = np.max(stop - np.floor(start), initial=0.0) * self.night_probability
        n_steps = int(np.ceil(span + 6 * np.sqrt(span) + 10))
        gaps = rng.geometric(self.night_probability, (start.shape[0], n_steps))
        nights = np.floor(start)[:, None] - 1 + np.cumsum(gaps, axis=1)
        obj, step = np.nonzero(nights <= stop[:, None])
        return obj, nights[obj, step]

    def _visits(self, obj, night, stop, bands, rng):
        night = night + rng.uniform(*self.night_start, obj.shape)
        # Bands of both visits are drawn over all survey bands, so that
        # requesting fewer bands drops visits rather than adding them.
        names = list(self.band_weights)
        weights = np.array([self.band_weights[b] for b in names], dtype=np.float64)
        drawn = rng.choice(len(names), size=(obj.shape[0], 2), p=weights / weights.sum())
        lookup = np.array([bands.index(b) if b in bands else -1 for b in names])[drawn]
        spacing = np.stack([np.zeros(obj.shape), rng.uniform(*self.pair_spacing, obj.shape)], axis=1)
        times = night[:, None] + spacing
        taken = (lookup >= 0) & (times <= stop[obj, None])
        if self.pair_probability < 1:  # drawn only then, so that pairs keep their random stream
            taken[:, 1] &= rng.uniform(size=obj.shape) < self.pair_probability
        row = np.nonzero(taken)[0]
        return obj[row], times[taken], lookup[taken]


# Depth, depth scatter, zero-point error (the error floor) and cadence are fitted
# (calibrate_survey, scripts/calibrate_surveys.py -> scripts/survey-calibration.json) to the
# 112 real ZTF alert histories of the project's shared Fink sample; the rest is from the
# literature or assumed.
_ZTF_COMMON = dict(
    available_bands=("ztfg", "ztfr", "ztfi"),
    # Fitted: difference-image depths of alert non-detections more than 5 days before the
    # first detection, shallower than the science images' 20.8 and 20.6 of Masci et al.
    # (2019); i, absent from the sample, 0.4 mag shallower than r as in the science images.
    depth={"ztfg": 20.01, "ztfr": 19.81, "ztfi": 19.41},
    depth_scatter=0.57,  # fitted (plus the moon: 16-84 % range +-0.6 mag)
    moon_amplitude={"ztfg": 0.8, "ztfr": 0.5, "ztfi": 0.3},  # assumed
    saturation={"ztfg": 12.5, "ztfr": 12.5, "ztfi": 12.5},  # lightcurvelynx, naive
    # Gain 6.2 e-/ADU (ZTF technical page) and typical science zero points
    # 26.3/26.2/25.8 mag (assumed): 6.2 * 10**(0.4 (ZP - 27.5)).
    electrons_per_flux={"ztfg": 2.06, "ztfr": 1.87, "ztfi": 1.33},
    # Fitted error floor: the alerts' sigmapsf is 0.05-0.08 mag even at 14-17 mag, far above
    # the 8-25 mmag zero-point error of Masci et al. (2019) (PSF-fit and template errors).
    calibration_error=0.075,
    start_mjd=58194.0,  # 2018-03-17, start of the public survey (Bellm et al. 2019)
    duration=3 * 365.25,
    season_length=(180.0, 240.0),  # 6-8 months (assumed)
    clear_fraction=0.72,  # Palomar weather losses 25-30% (assumed)
    # Fitted: 3-night Phase I (Bellm et al. 2019) and 2-night Phase II (IRSA DR10) cadences,
    # with next-night and 4-night revisits from the other programmes.
    revisit=(1, 2, 3, 4),
    revisit_probability=(0.05, 0.4, 0.5, 0.05),
    skip_probability=0.175,  # fitted
    band_night_probability={"ztfi": 0.5},  # partnership i band, assumed
)

#: Host photometric redshifts of ZTF transients: the DESI Legacy Imaging Surveys catalogue of
#: Zou et al. (2019, ApJS 242, 8): sigma(dz/(1+z)) = 0.017 and 5.1 % outliers against 2.2 million
#: spectroscopic redshifts, z < 1. Missing for 30 %: its footprint (about 14,000-19,400 deg2) covers
#: about two thirds of ZTF's sky, and about 2 % of transients are hostless (Qin et al. 2022; Pessi
#: et al. 2024) (an estimate, see docs/simulator.rst).
ZTF_PHOTO_Z = HostRedshifts(
    scatter=0.017, outlier_fraction=0.051, outlier_range=(0.0, 1.0), missing_fraction=0.30,
    source="DESI Legacy Imaging Surveys photo-z (Zou et al. 2019); 30% missing (footprint, hostless).")

#: Host redshifts of Rubin transients as PLAsTiCC and ELAsTiCC simulate them: the photometric
#: redshifts of PLAsTiCC's 5,523 extragalactic training objects against their true redshifts
#: (measured here: NMAD 0.027 (1 + z), 11.7 % with |dz| / (1 + z) > 0.15, spread over z 0.3-2.8);
#: a spectroscopic redshift for 10 % and none for 20 %, as in the ELAsTiCC alert sample (9 and 18
#: of 89 alerts; the missing share includes any Galactic object there, so it is an upper bound).
LSST_PHOTO_Z = HostRedshifts(
    scatter=0.027, outlier_fraction=0.117, outlier_range=(0.0, 3.0), spectroscopic_fraction=0.10,
    spectroscopic_scatter=0.001, missing_fraction=0.20,
    source="PLAsTiCC hostgal_photoz against true_z; spec-z and missing shares of ELAsTiCC alerts.")

#: The Bright Transient Survey classifies every object spectroscopically and reports its
#: redshift (Fremling et al. 2020; Perley et al. 2020): spectroscopic, none missing; the scatter
#: of 0.001 (1 + z) is assumed (host lines; SN template fits are coarser).
BTS_SPEC_Z = HostRedshifts(spectroscopic_fraction=1.0, spectroscopic_scatter=0.001,
                           source="BTS spectroscopic redshifts (Fremling et al. 2020).")

#: The survey models, keyed by the names :func:`simulate` accepts.
SURVEYS = {
    "ztf": ZTFSurvey(
        name="ztf", bands=("ztfg", "ztfr"), **_ZTF_COMMON, host_redshifts=ZTF_PHOTO_Z,
        description=(
            "ZTF public-survey-like observations, calibrated on real ZTF alerts: g and r on "
            "the same nights, revisited after 1, 2, 3 or 4 nights (5%, 40%, 50%, 5%) with 17.5% "
            "of visits skipped (i on request, on half of the nights), fields in season for 6-8 "
            "months around opposition, 28% of nights lost to weather, median single-visit "
            "5-sigma difference-image depths g 20.01, r 19.81, i 19.41 with 0.57 mag scatter and "
            "lunar modulation; Gaussian noise from the depth, source Poisson noise and a "
            "0.075 mag error floor."),
    ),
    "lsst": RubinSurvey(
        name="lsst", bands=("lsstu", "lsstg", "lsstr", "lssti", "lsstz", "lssty"),
        available_bands=("lsstu", "lsstg", "lsstr", "lssti", "lsstz", "lssty"),
        # Fitted (calibrate_survey, scripts/survey-calibration.json) to the non-detections of
        # PLAsTiCC's 5,732 wide-fast-deep training light curves, 0.1-0.6 mag shallower than the
        # design depths at zenith of Ivezic et al. (2019, Table 1: 23.9, 25.0, 24.7, 24.0, 23.3,
        # 22.1); the ELAsTiCC alerts' give the same within 0.3 mag except u (23.8).
        depth={"lsstu": 23.31, "lsstg": 24.78, "lsstr": 24.38, "lssti": 23.74, "lsstz": 22.97,
               "lssty": 22.11},
        depth_scatter=0.40,  # fitted (PLAsTiCC WFD; ELAsTiCC 0.25)
        moon_amplitude={"lsstu": 1.0, "lsstg": 0.8, "lsstr": 0.5, "lssti": 0.3, "lsstz": 0.2,
                        "lssty": 0.1},  # assumed
        saturation={"lsstu": 14.7, "lsstg": 15.7, "lsstr": 15.8, "lssti": 15.8, "lsstz": 15.3,
                    "lssty": 13.9},  # lightcurvelynx (LSST Science Book)
        # 30 s visit times 10**(0.4 (Z1 - 27.5)) with Z1, the magnitude giving
        # 1 e-/s, of 26.5/28.3/28.1/27.8/27.4/26.6 in ugrizy (assumed).
        electrons_per_flux={"lsstu": 11.9, "lsstg": 62.7, "lsstr": 52.1, "lssti": 39.5, "lsstz": 27.6,
                            "lssty": 13.1},
        calibration_error=0.035,  # fitted error floor (PLAsTiCC WFD; ELAsTiCC 0.02)
        start_mjd=60980.0,  # late 2025 (assumed); three years as PLAsTiCC
        duration=3 * 365.25,
        season_length=(150.0, 210.0),  # about six months (assumed)
        clear_fraction=0.75,  # assumed
        # 824 visits in 10 yr summed over bands (Ivezic et al. 2019, Table 1)
        # are 41 pair-nights per ~180-night season; at 75% clear nights that
        # is a pair on 30% of the clear in-season nights.
        night_probability=0.305,
        host_redshifts=LSST_PHOTO_Z,
        band_weights={"lsstu": 56, "lsstg": 80, "lsstr": 184, "lssti": 184, "lsstz": 160, "lssty": 160},
        description=(
            "Rubin LSST WFD-like observations: pairs of visits 15-60 minutes apart on 30% of "
            "clear in-season nights, bands drawn in proportion to the SRD's 10-year visit "
            "counts (u 56, g 80, r 184, i 184, z 160, y 160), fields in season for about six "
            "months, median single-visit 5-sigma depths u 23.31, g 24.78, r 24.38, i 23.74, "
            "z 22.97, y 22.11 with 0.40 mag scatter and lunar modulation (calibrated on "
            "PLAsTiCC's wide-fast-deep light curves); Gaussian noise with a 0.035 mag error "
            "floor."),
    ),
    "ztf-bts": ZTFSurvey(
        name="ztf-bts", bands=("ztfg", "ztfr"),
        # The depths, noise floor and cadence of "ztf", calibrated on real ZTF alerts.
        **{**_ZTF_COMMON, "available_bands": ("ztfg", "ztfr")},
        variant="bts",
        host_redshifts=BTS_SPEC_Z,
        classes=("SN Ia", "SN Ia-91bg", "SN Iax", "SN IIP", "SN IIL", "SN IIn", "SN Ib/c", "SLSN-I", "TDE"),
        # BTS-like mix: SNe Ia about 70% (Fremling et al. 2020: 512 of 761
        # classified SNe in SN Ia hosts; Perley et al. 2020, not retrieved:
        # Ia ~70%, II ~20%, Ibc ~6%, IIn ~3%, SLSN + TDE ~1-2%).
        class_fractions={"SN Ia": 0.695, "SN Ia-91bg": 0.01, "SN Iax": 0.005, "SN IIP": 0.16,
                         "SN IIL": 0.02, "SN IIn": 0.03, "SN Ib/c": 0.06, "SLSN-I": 0.01, "TDE": 0.01},
        peak_mag_limit=18.5, selection_bands=("ztfg", "ztfr"),
        noise_dof=4.0, error_scale=1.15, outlier_fraction=0.01, band_offset_scatter=0.02,
        night_offset_scatter=0.015, gap_probability=0.5, gap_length=(10.0, 30.0),
        description=(
            "A stand-in for the ZTF Bright Transient Survey, NOT real data: the cadence, depths "
            "and error floor of 'ztf' (calibrated on real ZTF alerts), keeping only objects that "
            "peak brighter than 18.5 mag in g or r, "
            "with a BTS-like class mix (SNe Ia ~70%) and only the classes BTS targets. It "
            "differs from 'ztf' the way real data differ from simulations: Student-t noise "
            "(4 degrees of freedom) 15% larger than the reported errors, 1% outliers of 5-20 "
            "sigma, zero-point offsets between bands (0.02 mag per object) and nights "
            "(0.015 mag), an extra 10-30 day gap in half of the light curves, and light-curve "
            "parameters from shifted or independently parameterised distributions (SN Ia "
            "stretch and colour of Nicolas et al. 2021, core-collapse peak magnitudes in r "
            "from BTS, rise times x1.15, decline times x0.85, temperatures x0.95)."),
    ),
}
