"""Simulate survey light curves of the eleven transient classes, and of Galactic variables on request."""

import dataclasses
import functools
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

from .._compat import Interval, StrOptions, validate_params
from .._lightcurves import LightCurves
from ..bands import get_band, known_bands, resolve_bands
from ._physics import (
    distance_modulus,
    fitzpatrick99,
    fluxcal_to_mag,
    get_passband,
    mag_to_fluxcal,
    planck_integral,
    redshift_at_distance_modulus,
)
from ._redshifts import EXACT_REDSHIFTS, HostRedshifts
from ._sources import SOURCES, Photometry
from ._surveys import SURVEYS, SurveyModel
from ._taxonomy import CLASSES, GALACTIC_CLASSES

__all__ = ["TRIGGER_WINDOW", "simulate", "survey_classes"]

#: Days around the trigger that :func:`simulate` keeps by default; the shipped models' padders
#: read light curves through the same window (``LightCurvePadder(window=TRIGGER_WINDOW)``).
TRIGGER_WINDOW = (-30.0, 100.0)

_Z_MIN, _Z_MAX = 1e-3, 4.0
_DETECTION_SNR = 5.0
# Margin (mag) on the limits of the cut on noise-free peak magnitudes, which
# are estimated at three epochs around the reference-band peak.
_SELECTION_MARGIN = 0.3
_MAX_CANDIDATES = 3000  # objects observed at once; bounds memory
_MAX_DRAWS = 200_000
_AGN_DEFAULT_FRACTION = 0.05  # PLAsTiCC training set: 370 AGN of 7848 objects
# Default shares of the Galactic classes: their counts in the PLAsTiCC training set (of 7848
# objects); it has no cataclysmic variables, whose 1% is assumed.
_GALACTIC_DEFAULT_FRACTIONS = {"Eclipsing binary": 924 / 7848, "RR Lyrae": 239 / 7848, "Mira": 30 / 7848,
                               "M-dwarf flare": 981 / 7848, "Microlens": 151 / 7848, "CV": 0.01}


@validate_params(
    {
        "survey": [StrOptions(set(SURVEYS)), SurveyModel],
        "n_objects": [Interval(Integral, 1, None, closed="left")],
        "classes": ["array-like", StrOptions({"all"}), None],
        "class_fractions": [dict, "array-like", None],
        "bands": ["array-like", None],
        "trigger_window": [tuple, list, StrOptions({"survey"})],
        "min_detections": [Interval(Integral, 1, None, closed="left")],
        "redshifts": [StrOptions({"survey", "exact"}), HostRedshifts],
        "redshift_uncertainty": [Interval(Real, 0, None, closed="left"), None],
        "missing_redshift_fraction": [Interval(Real, 0, 1, closed="both"), None],
        "random_state": ["random_state"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def simulate(
    survey,
    n_objects,
    *,
    classes=None,
    class_fractions=None,
    bands=None,
    trigger_window=TRIGGER_WINDOW,
    min_detections=2,
    redshifts="survey",
    redshift_uncertainty=None,
    missing_redshift_fraction=None,
    random_state=None,
    return_X_y=False,
):
    """Simulate light curves of transients as a survey would detect them.

    Each object's class is drawn from ``class_fractions``; its redshift from
    the class's volumetric rate times the comoving volume, over ``(1 + z)``
    for time dilation (AGN: a comoving density); its parameters from literature distributions (see
    :mod:`skltransient.datasets._sources`). Its rest-frame spectrum is
    redshifted, dimmed by the luminosity distance, reddened by Milky Way dust
    and integrated over each band, then observed with the survey's cadence,
    depths and noise (see :mod:`skltransient.datasets._surveys`). Only
    objects that trigger an alert, a first detection at signal-to-noise
    5 or more, and have ``min_detections`` detections are kept, until
    ``n_objects`` are collected: the Malmquist bias of the sample comes from
    that trigger. Each light curve holds the
    visits from ``trigger_window[0]`` to ``trigger_window[1]`` days around
    the trigger, including forced-photometry non-detections before it.

    Read more in the :ref:`User Guide <simulator>`.

    Parameters
    ----------
    survey : {"ztf", "lsst", "ztf-bts"} or SurveyModel
        ``"ztf"``: ZTF public-survey-like g and r (i on request through
        ``bands``). ``"lsst"``: Rubin LSST WFD-like ugrizy. ``"ztf-bts"``: a
        magnitude-limited (peak brighter than 18.5 in g or r) ZTF sample with
        a Bright-Transient-Survey-like class mix and realistic
        imperfections: a stand-in for the real BTS, not real data. A
        :class:`SurveyModel`, e.g. one from :func:`calibrate_survey` fitted
        to real light curves, is simulated as given.
    n_objects : int
        Number of detected objects to return.
    classes : array-like of str or "all", default=None
        Classes to simulate, among ``CLASSES`` and ``GALACTIC_CLASSES``; the
        survey's extragalactic classes (``survey_classes(survey)``) when
        None, and those with the Galactic classes too when ``"all"``.
        Galactic stars (eclipsing binaries, RR Lyrae, Miras, flaring M
        dwarfs, microlensing events and dwarf novae) are only simulated when
        asked for, so the default output does not depend on them.
    class_fractions : dict or array-like of float, default=None
        Fraction of each class, as a ``{class: fraction}`` dict or in the
        order of ``classes``; non-negative and summing to 1. By default, the
        survey's own mix: for ``"ztf"`` and ``"lsst"`` the expected detected
        mix from each class's volumetric rate and luminosity (AGN, which are
        not volumetric, get 5%, and Galactic classes their share of the
        PLAsTiCC training set); for ``"ztf-bts"`` a BTS-like mix.
    bands : array-like of str, default=None
        Bands to observe, among the survey's (``"ztfi"`` adds ZTF i);
        the survey's default bands when None.
    trigger_window : tuple of float or "survey", default=(-30.0, 100.0)
        Days before (negative) and after the trigger to keep: the default is
        the window through which the shipped models' padders read. A
        long window gives a long baseline of forced photometry around the
        trigger (cut by the survey's start and end); ``"survey"`` gives every
        visit of the whole survey (three years), as PLAsTiCC's light curves
        have (the visits follow the survey's seasons and weather).
    min_detections : int, default=2
        Detections (signal-to-noise 5 or more) that an object needs within
        its window to be kept, as in PLAsTiCC's two-detection trigger.
    redshifts : {"survey", "exact"} or HostRedshifts, default="survey"
        How the reported ``redshift`` relates to the truth (``true_z``).
        ``"survey"``: as the survey knows its hosts (``survey.host_redshifts``):
        photometric redshifts with scatter, catastrophic outliers and a
        share missing for ``"ztf"`` and ``"lsst"``, spectroscopic for
        ``"ztf-bts"`` (sources in :ref:`the simulator's documentation
        <simulator>`). ``"exact"``: the true redshift for every object, an
        optimistic upper bound. A :class:`HostRedshifts` is used as given.
    redshift_uncertainty : float or None, default=None
        If given, replaces the redshift model by Gaussian scatter of this
        size in units of ``1 + z`` (no outliers, no spectroscopic share),
        also reported as ``redshift_err``.
    missing_redshift_fraction : float or None, default=None
        If given, the fraction of objects whose reported ``redshift`` is NaN,
        in place of the redshift model's.
    random_state : int, RandomState instance or None, default=None
        Seed of all randomness; the same value gives the same output bit for
        bit.
    return_X_y : bool, default=False
        Return ``(lightcurves, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``lightcurves`` (a :class:`~skltransient.LightCurves` of FLUXCAL
        fluxes, MJD times and detection flags, whose metadata holds
        ``redshift``, ``redshift_err``, ``mwebv`` and the truth in ``true_*``
        columns), ``target`` (ndarray of class names aligned with the light
        curves), ``target_names`` and ``DESCR``.
    (lightcurves, target) : tuple
        If ``return_X_y`` is True.

    See Also
    --------
    skltransient.datasets._taxonomy.BTS_CLASS_MAP : Maps the classes to BTS's five.

    Notes
    -----
    Truth columns: ``true_z``, ``true_distmod``, ``true_peak_absmag`` (peak
    absolute AB magnitude in the class's rest-frame reference band, before
    host dust; the mean M_i for AGN), ``true_peak_mag`` (noise-free apparent
    magnitude at the reference-band peak in the brightest observed band; the
    mean for AGN), ``true_explosion_mjd``, ``true_peak_mjd``,
    ``true_trigger_mjd``, ``true_rise_time`` (rest-frame days),
    ``true_peak_temperature`` (K) and ``true_host_ebv`` (for SNe Ia, the
    SALT colour c). Fields that do not apply to AGN are NaN.

    Galactic objects have ``true_z``, ``redshift`` and ``redshift_err`` 0 (as
    PLAsTiCC's Galactic objects have ``hostgal_photoz`` 0), ``mwebv`` the
    dust map's E(B-V) of the whole line of sight, ``true_host_ebv`` the
    E(B-V) in front of the star, ``true_distmod`` the star's distance
    modulus, ``true_peak_absmag`` its mean (or quiescent) V magnitude and
    ``true_peak_mag`` its mean apparent magnitude in the brightest band.
    When Galactic classes are simulated, ``true_period`` (eclipsing
    binaries, RR Lyrae, Miras) and ``true_einstein_time`` (microlensing)
    are added, NaN for the other classes.

    Examples
    --------
    >>> from skltransient.datasets._simulate import simulate
    >>> data = simulate("ztf", 20, random_state=0)
    >>> len(data.lightcurves), data.target.shape
    (20, (20,))
    >>> {"redshift", "mwebv", "true_z"} <= set(data.lightcurves.metadata.columns)
    True
    >>> X, y = simulate("lsst", 5, classes=["SN Ia"], random_state=0, return_X_y=True)
    >>> y.tolist()
    ['SN Ia', 'SN Ia', 'SN Ia', 'SN Ia', 'SN Ia']
    >>> data = simulate("lsst", 6, classes=["RR Lyrae", "SN Ia"], class_fractions=[0.5, 0.5],
    ...                 random_state=0)
    >>> set(data.lightcurves.metadata.redshift[data.target == "RR Lyrae"])  # Galactic: redshift 0
    {0.0}
    """
    model_survey = SURVEYS[survey] if isinstance(survey, str) else survey
    names, fractions = _resolve_classes(model_survey, classes, class_fractions)
    band_names = _resolve_bands(model_survey, bands)
    window = _resolve_window(trigger_window)
    rng = np.random.default_rng(check_random_state(random_state).randint(0, 2**32, size=4, dtype=np.uint64))

    counts = rng.multinomial(n_objects, fractions)
    conditions = model_survey.conditions(rng)
    batches = [
        _simulate_class(SOURCES[name], count, model_survey, band_names, window, min_detections, conditions,
                        rng)
        for name, count in zip(names, counts) if count
    ]
    labels = np.repeat(np.array(names)[counts > 0], counts[counts > 0])
    order = rng.permutation(n_objects)
    hosts = _host_redshifts(model_survey, redshifts, redshift_uncertainty, missing_redshift_fraction)
    lightcurves = _assemble(batches, order, band_names, hosts, np.isin(labels, GALACTIC_CLASSES)[order], rng)
    target = labels[order]
    if return_X_y:
        return lightcurves, target
    return Bunch(
        lightcurves=lightcurves, target=target, target_names=np.array(names),
        DESCR=_describe(model_survey, names, fractions, band_names, window, min_detections, hosts),
    )


def survey_classes(survey):
    """Classes :func:`simulate` makes for a survey, in :data:`CLASSES` order.

    Parameters
    ----------
    survey : {"ztf", "lsst", "ztf-bts"} or SurveyModel

    Returns
    -------
    classes : list of str

    Examples
    --------
    >>> from skltransient.datasets import survey_classes
    >>> len(survey_classes("ztf"))
    11
    """
    if isinstance(survey, SurveyModel):
        return list(survey.classes or CLASSES)
    if survey not in SURVEYS:
        raise ValueError(f"Unknown survey {survey!r}; the simulator's surveys are "
                         f"{', '.join(map(repr, SURVEYS))}.")
    return list(SURVEYS[survey].classes or CLASSES)


# ------------------------------------------------------------------ arguments
def _resolve_classes(survey, classes, class_fractions):
    known = CLASSES + GALACTIC_CLASSES
    allowed = survey.classes or known
    if classes is None and isinstance(class_fractions, dict):
        classes = list(class_fractions)
    if classes is None:
        names = list(survey.classes or CLASSES)
    elif isinstance(classes, str):  # "all"
        names = list(allowed)
    else:
        names = [str(name) for name in np.atleast_1d(np.asarray(classes, dtype=object))]
        for name in names:
            if name not in known:
                raise ValueError(
                    f"Unknown class {name!r}; the classes are {', '.join(CLASSES)} and the Galactic "
                    f"{', '.join(GALACTIC_CLASSES)}.")
            if name not in allowed:
                raise ValueError(
                    f"The {survey.name!r} survey does not contain class {name!r}; it contains "
                    f"{', '.join(allowed)}.")
        if len(set(names)) != len(names) or not names:
            raise ValueError(f"classes must be distinct and non-empty, got {names}.")
    if class_fractions is None:
        return names, _default_fractions(survey, tuple(names))
    if isinstance(class_fractions, dict):
        if set(class_fractions) != set(names):
            raise ValueError(
                f"class_fractions has keys {sorted(class_fractions)} but the classes are "
                f"{sorted(names)}; give one fraction per class.")
        fractions = np.array([class_fractions[name] for name in names], dtype=np.float64)
    else:
        fractions = np.asarray(class_fractions, dtype=np.float64).ravel()
        if fractions.shape != (len(names),):
            raise ValueError(
                f"class_fractions has {fractions.size} values but there are {len(names)} classes "
                f"({', '.join(names)}); give one fraction per class.")
    if not np.all(np.isfinite(fractions) & (fractions >= 0)):
        raise ValueError(f"class_fractions must be finite and non-negative, got {fractions.tolist()}.")
    if not np.isclose(fractions.sum(), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"class_fractions sum to {fractions.sum():.6g}; they must sum to 1.")
    return names, fractions / fractions.sum()


def _resolve_bands(survey, bands):
    if bands is None:
        return list(survey.bands)
    values = np.atleast_1d(np.asarray(bands))
    try:
        codes = resolve_bands(values, survey=get_band(survey.available_bands[0]).survey)
    except ValueError as error:
        raise ValueError(
            f"{error} The {survey.name!r} survey observes {', '.join(survey.available_bands)}.") from None
    names = [known_bands()[code] for code in codes]
    unknown = [name for name in names if name not in survey.available_bands]
    if unknown or not names or len(set(names)) != len(names):
        raise ValueError(
            f"bands must be distinct bands among {', '.join(survey.available_bands)} for the "
            f"{survey.name!r} survey, got {list(values)}.")
    return [name for name in survey.available_bands if name in names]


def _resolve_window(trigger_window):
    if isinstance(trigger_window, str):
        return None  # the whole survey
    if len(trigger_window) != 2:
        raise ValueError(f"trigger_window must be (days_before, days_after), got {trigger_window!r}.")
    before, after = (float(value) for value in trigger_window)
    if not (np.isfinite(before) and np.isfinite(after) and before <= 0 < after):
        raise ValueError(
            f"trigger_window must be (days_before, days_after) with days_before <= 0 < "
            f"days_after, got {trigger_window!r}.")
    return before, after


@functools.cache
def _redshift_cdf(model):
    """Cumulative number of events below z per year (unnormalised), on a grid."""
    grid = np.geomspace(_Z_MIN, _Z_MAX, 3000)
    density = model.redshift_density(grid)
    steps = 0.5 * (density[1:] + density[:-1]) * np.diff(grid)
    return grid, np.concatenate([[0.0], np.cumsum(steps)])


@functools.cache
def _magnitude_floor(model, bands, reference_band):
    """Smallest possible ``m - M`` at each redshift, for absolute magnitude M.

    The distance modulus plus the most negative K-correction from the
    reference band to any of ``bands`` over the class's photospheric
    temperatures (for AGN, of the power law), made non-decreasing in z by
    taking the minimum over all higher redshifts, less 0.05 mag for the
    grid. As dust only dims and light curves peak at 1, no object of
    ``detection_absmag`` M at redshift z is ever brighter than M + floor(z)
    in any band. For a bolometric light-curve law the K-correction is taken
    from the bolometric flux, to which ``detection_absmag`` refers.
    """
    grid = np.geomspace(_Z_MIN, _Z_MAX, 400)
    temps = np.geomspace(*model.temperature_bounds(), 40)
    if model.bolometric:  # against the Planck spectrum's bolometric flux, as detection_absmag
        reference = planck_integral(temps)
    else:
        reference = np.broadcast_to(model.reference_flux(temps, reference_band), temps.shape)
    brightest = np.zeros(grid.shape)
    for band in map(get_passband, bands):
        rest = band.wave / (1.0 + grid[:, None, None])
        flux = band.integrate(model.rest_sed(rest, temps[None, :, None])) / (1.0 + grid[:, None])
        brightest = np.maximum(brightest, np.max(flux / reference, axis=1))
    floor = distance_modulus(grid) - 2.5 * np.log10(brightest) - 0.05
    floor = np.minimum.accumulate(floor[::-1])[::-1]
    return grid, floor + 1e-9 * np.arange(grid.size)  # strictly increasing for np.interp


def _default_fractions(survey, names):
    """The survey's class mix, else the detected mix at its deepest median depth."""
    if survey.class_fractions is not None:
        fractions = np.array([survey.class_fractions[name] for name in names])
        return fractions / fractions.sum()
    return _detected_mix(max(survey.depth[band] for band in survey.bands), names)


@functools.cache
def _detected_mix(limit, names):
    """Expected detected mix: rate times the volume in which a class's peak is detectable.

    Each class's number of events per year brighter at peak than the
    survey's deepest median depth, ``int R(z) dV/dz / (1+z) P(M + mu(z) <
    m_lim) dz``, with ``M`` the reference-band peak magnitude plus host
    dust. A fixed seed makes the mix a property of the survey, independent
    of ``random_state``. AGN are not volumetric and get a fixed share, and
    so do Galactic classes (their PLAsTiCC training-set shares), the
    extragalactic classes sharing the rest.
    """
    galactic = np.array([SOURCES[name].is_galactic for name in names])
    if galactic.any():
        fixed = np.array([_GALACTIC_DEFAULT_FRACTIONS.get(name, 0.0) for name in names])
        if galactic.all():
            return fixed / fixed.sum()
        fractions = fixed.copy()
        fractions[~galactic] = (1.0 - fixed.sum()) * _detected_mix(limit, tuple(np.array(names)[~galactic]))
        return fractions
    rng = np.random.default_rng(0)
    expected = np.zeros(len(names))
    for i, name in enumerate(names):
        model = SOURCES[name]
        if model.is_agn:
            continue
        params = model.sample(4000, rng)
        pivot = get_passband(params["reference_band"]).pivot
        peak = params["absmag"] + params["host_ebv"] * fitzpatrick99(pivot, params["host_rv"])
        grid, cdf = _redshift_cdf(model)
        expected[i] = np.interp(redshift_at_distance_modulus(limit - peak), grid, cdf).mean()
    is_agn = np.array([SOURCES[name].is_agn for name in names])
    if is_agn.all():
        return np.full(len(names), 1.0 / len(names))
    agn_share = _AGN_DEFAULT_FRACTION if is_agn.any() else 0.0
    return np.where(is_agn, agn_share / max(is_agn.sum(), 1), (1.0 - agn_share) * expected / expected.sum())


# ----------------------------------------------------------------- simulation
def _subset(params, keep):
    return {key: value[keep] if isinstance(value, np.ndarray) else value for key, value in params.items()}


def _stage_limits(survey, bands, min_detections):
    """Per-band faintest noise-free peak magnitude worth observing, and the selection's."""
    limits = survey.detectable_limit(bands, min_detections) + _SELECTION_MARGIN
    selection = None
    if survey.peak_mag_limit is not None:
        selected = np.isin(bands, survey.selection_bands)
        selection = np.where(selected, survey.peak_mag_limit + _SELECTION_MARGIN, -np.inf)
        limits = np.minimum(limits, np.max(selection))
    return limits, selection


def _draw_candidates(model, size, survey, bands, min_detections, rng):
    """Draw ``size`` objects and keep those that the survey could detect.

    Objects that would always be fainter than the survey can detect are
    dropped before they are observed, in two steps, neither of which drops
    an object that could trigger: the selection of the sample comes from the
    trigger alone. First, a parameter set is kept with probability
    proportional to the number of events in the redshift range where even
    its brightest K-correction (:func:`_magnitude_floor`) keeps it above the
    limit, and its redshift is drawn within that range; this samples the
    joint distribution of parameters and redshift restricted to that range
    exactly. Second, the noise-free flux in every band at three epochs
    around the peak must be brighter than the survey's detectable limit.

    Returns
    -------
    phot : Photometry
        The candidates' photometry in ``bands``, their parameters (with
        ``z`` and ``mwebv``) in ``phot.params``.
    """
    limits, selection = _stage_limits(survey, bands, min_detections)
    params = model.sample(size, rng, survey.variant)
    if model.is_galactic:
        phot = _place_stars(model, params, bands, limits)
    else:
        phot = _place_at_redshifts(model, params, survey, bands, limits, rng)
    peak = fluxcal_to_mag(model.peak_flux(phot))
    bright = np.any(peak < limits, axis=1)
    if selection is not None:
        bright &= np.any(peak < selection, axis=1)
    return phot.subset(bright)


def _place_at_redshifts(model, params, survey, bands, limits, rng):
    """Redshifts, Milky Way dust and photometry of extragalactic candidates (first cut)."""
    size = params["absmag"].shape[0]
    grid, cdf = _redshift_cdf(model)
    floor_grid, floor = _magnitude_floor(model, tuple(bands), params["reference_band"])
    reach = np.interp(np.interp(limits.max() - params["detection_absmag"], floor, floor_grid), grid, cdf)
    bound = model.detection_bound(survey.variant)
    ceiling = np.interp(np.interp(limits.max() - bound, floor, floor_grid), grid, cdf)
    keep = rng.uniform(size=size) * ceiling < reach
    params = _subset(params, keep)
    params["z"] = np.interp(rng.uniform(size=keep.sum()) * reach[keep], cdf, grid)
    params["mwebv"] = survey.sample_mwebv(params["z"].shape[0], rng)
    params["t0"] = np.zeros(params["z"].shape)
    return Photometry(model, params, params["z"], params["mwebv"], bands)


def _place_stars(model, params, bands, limits):
    """Photometry of the Galactic stars that could be bright enough (first cut).

    A star's distance and dust come with its parameters. As dust only dims,
    none is brighter in any band than ``detection_absmag + distmod`` plus the
    bluest colour its components can have against the reference band. The
    dust in front of a star dims it through ``host_ebv``; ``mwebv``, the
    dust map's whole column, is only reported.
    """
    colour = _colour_floor(model, tuple(bands))
    params = _subset(params, params["detection_absmag"] + params["distmod"] + colour < limits.max())
    params["t0"] = np.zeros(params["z"].shape)
    return Photometry(model, params, params["z"], np.zeros(params["z"].shape), bands)


@functools.cache
def _colour_floor(model, bands):
    """Bluest colour, band minus reference band, of a blackbody at the class's temperatures, less 0.05 mag."""
    temps = np.geomspace(*model.temperature_bounds(), 200)
    reference = model.reference_flux(temps, model.reference_band)
    colours = [-2.5 * np.log10(band.integrate(model.rest_sed(band.wave, temps[:, None])) / reference)
               for band in map(get_passband, bands)]
    return np.min(colours) - 0.05


def _observe(model, phot, survey, bands, window, min_detections, conditions, rng):
    """Observe candidates; return those that trigger, with their light curves.

    Sets each candidate's explosion (or start) time ``t0`` in ``phot.params``.
    Visits while a transient could trigger are measured first; the others
    only for the transients that did trigger. The visits of a persistent
    source (an AGN, a Galactic star) are measured together, as one random
    walk or one sequence of flares.
    """
    params = phot.params
    z, n = params["z"], params["z"].shape[0]
    persistent = model.persistent
    horizon = model.trigger_horizon * (1.0 if persistent else 1.0 + z)
    start, end = survey.start_mjd, survey.start_mjd + survey.duration
    params["t0"] = rng.uniform(start - (0.0 if persistent else horizon), end, n)
    ra = rng.uniform(0.0, 360.0, n)
    if window is None:  # the whole survey
        first, last = np.full(n, start), np.full(n, end)
    else:
        first, last = params["t0"] + window[0], params["t0"] + horizon + window[1]
    obj, time, band = survey.schedule(first, last, ra, bands, conditions, rng)
    live = (time >= params["t0"][obj]) & (time <= (params["t0"] + horizon)[obj])
    offsets = survey.calibration_offsets(n, len(bands), rng)
    flux, observed, flux_err = np.zeros(time.shape), np.zeros(time.shape), np.zeros(time.shape)
    measured = np.zeros(time.shape, dtype=bool)

    def measure(mask):
        rows = np.flatnonzero(mask)
        flux[rows], source = phot.flux(obj[rows], band[rows], time[rows], rng)
        observed[rows], flux_err[rows], usable = survey.observe(
            obj[rows], time[rows], band[rows], flux[rows], source, bands, conditions, offsets, rng)
        measured[rows] = usable

    measure(np.ones(time.shape, dtype=bool) if persistent else live)
    snr = np.divide(observed, flux_err, out=np.zeros(time.shape), where=measured)
    detected = measured & (np.abs(snr) >= _DETECTION_SNR)
    # An alert: a detection, brightening for a transient, while it is live.
    alerts = (detected if persistent else snr >= _DETECTION_SNR) & measured & live
    first_obj, first = np.unique(obj[alerts], return_index=True)
    trigger = np.full(n, np.nan)
    trigger[first_obj] = time[alerts][first]
    if not persistent:
        measure(~live & np.isfinite(trigger)[obj])
        snr = np.divide(observed, flux_err, out=np.zeros(time.shape), where=measured)
        detected = measured & (np.abs(snr) >= _DETECTION_SNR)
    relative = time - trigger[obj]
    in_window = measured.copy() if window is None else (
        measured & (relative >= window[0]) & (relative <= window[1]))
    keep = np.bincount(obj[in_window & detected], minlength=n) >= min_detections
    if survey.peak_mag_limit is not None:
        selected = in_window & np.isin(np.asarray(bands)[band], survey.selection_bands)
        peak = np.zeros(n)
        np.maximum.at(peak, obj[selected], flux[selected])
        keep &= peak >= mag_to_fluxcal(survey.peak_mag_limit)
    rows = in_window & keep[obj]
    truth = _truth(model, phot, trigger)
    return {
        "n": int(keep.sum()),
        "truth": {key: value[keep] for key, value in truth.items()},
        "obj": (np.cumsum(keep) - 1)[obj[rows]], "time": time[rows], "band": band[rows],
        "flux": observed[rows], "flux_err": flux_err[rows], "detected": detected[rows],
    }


def _truth(model, phot, trigger):
    params, z = phot.params, phot.z
    nan = np.full(z.shape, np.nan)
    truth = {
        "true_z": z, "true_distmod": phot.distmod, "mwebv": params["mwebv"],
        "true_peak_absmag": params["absmag"],
        "true_peak_mag": np.min(fluxcal_to_mag(model.peak_flux(phot, at_peak=True)), axis=1),
        "true_explosion_mjd": nan if model.persistent else params["t0"],
        "true_peak_mjd": model.peak_time(params, z), "true_trigger_mjd": trigger,
        "true_rise_time": params.get("t_rise", nan), "true_peak_temperature": params.get("temp_peak", nan),
        "true_host_ebv": params["host_ebv"],
    }
    if model.is_galactic:
        truth.update(model.truth(params))
    return truth


def _simulate_class(model, n, survey, bands, window, min_detections, conditions, rng):
    """Simulate one class in chunks until ``n`` objects are detected.

    Each chunk draws from the class population as many objects as the
    detection rate so far says are needed, observes at most
    ``_MAX_CANDIDATES`` of those that pass :func:`_draw_candidates`, and
    keeps the ones that trigger; the first ``n`` are returned.
    """
    batches, n_have, size = [], 0, int(np.clip(100 * n, 500, 20_000))
    n_drawn = n_candidates = n_observed = 0
    while n_have < n:
        phot = _draw_candidates(model, size, survey, bands, min_detections, rng)
        n_drawn += size
        n_candidates += phot.z.shape[0]
        # Observe only as many as should give the objects still needed.
        detected_rate = n_have / n_observed if n_have else 0.3
        wanted = int(min((n - n_have) / detected_rate * 1.2 + 16, _MAX_CANDIDATES))
        if phot.z.shape[0] > wanted:
            phot = phot.subset(slice(0, wanted))
        batch = _observe(model, phot, survey, bands, window, min_detections, conditions, rng)
        batches.append(batch)
        n_have += batch["n"]
        n_observed += phot.z.shape[0]
        if n_drawn > 500 * _MAX_DRAWS and n_have == 0:
            raise RuntimeError(
                f"None of {n_drawn} simulated {model.name} was detected by the {survey.name!r} "
                f"survey with min_detections={min_detections}; lower min_detections.")
        wanted = min((n - n_have) * n_observed / max(n_have, 0.5) * 1.2 + 16, _MAX_CANDIDATES)
        size = int(np.clip(wanted * n_drawn / max(n_candidates, 1), 256, _MAX_DRAWS))
    return _concatenate(batches, n)


def _concatenate(batches, n):
    """Join chunks, keeping the first ``n`` objects in the order they were drawn."""
    starts = np.cumsum([0] + [batch["n"] for batch in batches])
    obj = np.concatenate([batch["obj"] + start for batch, start in zip(batches, starts)])
    keep = obj < n
    merged = {key: np.concatenate([batch[key] for batch in batches])[keep]
              for key in ("time", "band", "flux", "flux_err", "detected")}
    merged["obj"] = obj[keep]
    merged["truth"] = {key: np.concatenate([batch["truth"][key] for batch in batches])[:n]
                       for key in batches[0]["truth"]}
    return merged


def _host_redshifts(survey, redshifts, uncertainty, missing_fraction):
    """The redshift model of a run: the survey's, exact or given, with the explicit overrides."""
    hosts = {"survey": survey.host_redshifts, "exact": EXACT_REDSHIFTS}.get(redshifts, redshifts)
    if uncertainty is not None:
        hosts = HostRedshifts(scatter=uncertainty, missing_fraction=hosts.missing_fraction)
    if missing_fraction is not None:
        hosts = dataclasses.replace(hosts, missing_fraction=missing_fraction)
    return hosts


def _assemble(batches, order, bands, hosts, galactic, rng):
    """Build the LightCurves: objects in ``order``, metadata aligned with them.

    Truth columns that only some classes have are NaN for the others.
    Galactic objects (``galactic``, in ``order``) report redshift 0 with no
    uncertainty, as PLAsTiCC's do.
    """
    n_objects = order.shape[0]
    position = np.empty(n_objects, dtype=np.int64)
    position[order] = np.arange(n_objects)
    offsets = np.cumsum([0] + [batch["truth"]["true_z"].shape[0] for batch in batches])
    obj = position[np.concatenate([batch["obj"] + start for batch, start in zip(batches, offsets)])]
    columns = {key: np.concatenate([batch[key] for batch in batches])
               for key in ("time", "band", "flux", "flux_err", "detected")}
    keys = list(dict.fromkeys(key for batch in batches for key in batch["truth"]))
    truth = {key: np.concatenate([batch["truth"].get(key, np.full(batch["truth"]["true_z"].shape, np.nan))
                                  for batch in batches])[order]
             for key in keys}
    redshift, redshift_err = hosts.draw(truth["true_z"], rng)
    redshift[galactic], redshift_err[galactic] = 0.0, 0.0
    metadata = pd.DataFrame(
        {"redshift": redshift, "redshift_err": redshift_err, "mwebv": truth.pop("mwebv"), **truth},
        index=pd.Index(np.arange(n_objects), name="object_id"))
    sort = np.argsort(obj, kind="stable")  # keeps each object's visits in time order
    return LightCurves.from_arrays(
        obj[sort], columns["time"][sort], np.asarray(bands)[columns["band"][sort]], columns["flux"][sort],
        columns["flux_err"][sort], detected=columns["detected"][sort], metadata=metadata)


def _describe(survey, names, fractions, bands, window, min_detections, hosts):
    galactic = ""
    if set(names) & set(GALACTIC_CLASSES):
        galactic = (
            "Galactic stars are blackbody components (pulsating, eclipsing, flaring, lensed or in "
            "outburst) at redshift 0 (reported as 0), placed in a thin disk, thick disk or halo and "
            "behind the dust in front of them; their 'mwebv' is the whole line of sight's and the "
            "difference flux is against the mean (periodic) or quiescent star, so it takes both "
            "signs. ")
    mix = ", ".join(f"{name} {fraction:.3f}" for name, fraction in zip(names, fractions))
    span = ("Each light curve holds every visit of the whole survey to its object" if window is None
            else f"Each light curve spans {window[0]:g} to +{window[1]:g} days around its trigger")
    return (
        f"Simulated {survey.name!r} light curves (skltransient.datasets.simulate).\n\n"
        f"{survey.description}\n\n"
        f"Bands: {', '.join(bands)}. Class fractions: {mix}.\n{hosts.describe()}\n"
        f"{span}; the trigger is the first "
        f"detection at signal-to-noise 5 or more (absolute value for AGN), has at least "
        f"{min_detections} detections and includes forced-photometry non-detections. Fluxes are "
        f"FLUXCAL (AB zero point 27.5), times MJD.\n\n"
        f"Transients are blackbody photospheres whose temperature and luminosity follow "
        f"class-specific laws with literature parameter distributions, redshifts follow each "
        f"class's volumetric rate times comoving volume over (1 + z) in flat LCDM (H0 = 70, "
        f"Om = 0.3), with time dilation, K-corrections from band integration, host dust and "
        f"Milky Way dust (Fitzpatrick 1999, R_V = 3.1; E(B-V) in 'mwebv'). AGN vary as a damped "
        f"random walk (MacLeod et al. 2010). {galactic}Truth is in the 'true_*' metadata columns. "
        f"See docs/simulator.rst for every assumption and its source.")
