"""Calibrate a survey model on observed light curves: cadence, depth and noise.

:func:`survey_statistics` measures what a survey does to light curves, from the
light curves alone (no labels): the single-visit depth implied by the
uncertainties of non-detections, the magnitude error of detections against
their magnitude, the gaps between observed nights, visits per night and the
share of each band. :func:`calibrate_survey` fits a survey model's parameters
so that its simulations give the same statistics, by simulation: the
cadence on the survey's schedule alone, then depth, depth scatter and the
error floor on full simulations.
"""

import dataclasses
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

from .._compat import Interval, StrOptions, validate_params
from .._lightcurves import LightCurves
from ._physics import fluxcal_to_mag
from ._surveys import SURVEYS, RubinSurvey, SurveyModel, ZTFSurvey

__all__ = ["calibrate_survey", "survey_statistics"]

_MAG_TO_FLUX_ERR = 2.5 / np.log(10.0)
#: A night runs from this MJD fraction to the next day's: after local noon at Palomar
#: (UTC-8, noon at 0.83) and Cerro Pachon (UTC-4, noon at 0.67), before any observation.
_NIGHT_START = 0.7
_DETECTION_SNR = 5.0
#: Magnitude bins (AB) of the error-versus-magnitude relation.
MAG_BINS = np.arange(14.0, 26.5, 0.5)
#: Night gaps 1, 2, ... MAX_GAP - 1 and MAX_GAP or more.
MAX_GAP = 15
PARAMETERS = ("cadence", "depth", "noise")
#: Gaps between an object's successive observed nights that a cadence fit needs, at the least.
MIN_NIGHT_GAPS = 10


def survey_statistics(X, *, depth_before_detection=5.0):
    """Measure the cadence, depth and noise of a set of light curves.

    Nothing here needs a label or a model: only the times, bands, fluxes,
    uncertainties and detection flags. The same numbers measured on a
    simulation and on real light curves show where the simulator differs
    (:func:`skltransient.plotting.plot_survey_statistics` draws them side by
    side) and are what :func:`calibrate_survey` fits.

    Parameters
    ----------
    X : LightCurves
        FLUXCAL fluxes (AB zero point 27.5) with detection flags; a visit is a
        detection when flagged, or, without flags, at signal-to-noise 5 or more.
    depth_before_detection : float or None, default=5.0
        The depth is measured on the non-detections more than this many days
        before the object's first detection (every non-detection of an object
        never detected), where the source is faint or absent; None: on every
        non-detection. Non-detections while a transient is on are the
        visits too shallow to detect it, which biases the depth shallow: on
        the ELAsTiCC alerts by 0.5 to 1.3 mag in g, r and i.

    Returns
    -------
    statistics : Bunch
        ``depth``: DataFrame indexed by band with the ``median`` and the
        ``scatter`` (half the 16-84 percentile range) of the single-visit
        5-sigma depth ``27.5 - 2.5 log10(5 flux_err)`` of non-detections (see
        ``depth_before_detection``), and their number ``n``; ``errors``: DataFrame indexed by the centre of
        each :data:`MAG_BINS` bin with the median magnitude error
        ``1.0857 flux_err / flux`` of the detections with positive flux
        (``median``) and their number ``n``; ``night_gaps``: Series, the
        fraction of gaps of 1, 2, ..., ``MAX_GAP`` or more nights between an
        object's successive observed nights, and ``n_night_gaps``, how many
        such gaps there are; ``visits_per_night``: mean visits
        an object gets on a night it is observed; ``band_fractions``: Series,
        each band's share of the visits; ``fraction_detected``;
        ``n_objects``; ``n_observations``.

    Examples
    --------
    >>> from skltransient.datasets import simulate, survey_statistics
    >>> stats = survey_statistics(simulate("ztf", 50, random_state=0).lightcurves)
    >>> list(stats.depth.index), list(stats.depth.columns)
    (['ztfg', 'ztfr'], ['median', 'scatter', 'n'])
    >>> round(float(stats.night_gaps.sum()), 6)
    1.0
    """
    if not isinstance(X, LightCurves):
        raise TypeError(f"survey_statistics takes a LightCurves; got {type(X).__name__}.")
    if X.n_observations == 0:
        raise ValueError("survey_statistics needs light curves with observations; these have none.")
    band = pd.Series(X.band_names)
    with np.errstate(divide="ignore", invalid="ignore"):
        snr = X.flux / X.flux_err
    detected = X.detected if X.detected is not None else snr >= _DETECTION_SNR
    night = np.floor(X.time - _NIGHT_START)
    source_free = ~detected & (X.flux_err > 0)
    if depth_before_detection is not None:
        first = np.full(len(X), np.inf)
        np.minimum.at(first, X.object_index[detected], X.time[detected])
        source_free &= X.time < first[X.object_index] - depth_before_detection
    return Bunch(
        depth=_depth(X.flux_err, band, source_free),
        errors=_errors(X.flux, X.flux_err, detected & (X.flux > 0) & (X.flux_err > 0)),
        **_cadence(X.object_index, night, band),
        fraction_detected=float(np.mean(detected)),
        n_objects=len(X), n_observations=X.n_observations,
    )


def _depth(flux_err, band, keep):
    m5 = pd.Series(fluxcal_to_mag(_DETECTION_SNR * flux_err[keep]))
    groups = m5.groupby(band[keep].to_numpy())
    depth = pd.DataFrame({"median": groups.median(),
                          "scatter": (groups.quantile(0.84) - groups.quantile(0.16)) / 2,
                          "n": groups.size()})
    depth.index.name = "band"
    return depth


def _errors(flux, flux_err, keep):
    mag = fluxcal_to_mag(flux[keep])
    sigma = _MAG_TO_FLUX_ERR * flux_err[keep] / flux[keep]
    which = np.digitize(mag, MAG_BINS) - 1
    inside = (which >= 0) & (which < len(MAG_BINS) - 1)
    groups = pd.Series(sigma[inside]).groupby(which[inside])
    centres = (MAG_BINS[:-1] + MAG_BINS[1:]) / 2
    errors = pd.DataFrame({"median": groups.median(), "n": groups.size()}).reindex(
        range(len(centres)))
    errors.index = pd.Index(centres, name="magnitude")
    errors["n"] = errors["n"].fillna(0).astype(int)
    return errors


def _cadence(obj, night, band):
    """Night gaps, visits per observed night and band shares of flat visit arrays."""
    order = np.lexsort((night, obj))
    obj, night = obj[order], night[order]
    new = np.ones(obj.shape, dtype=bool)
    new[1:] = (obj[1:] != obj[:-1]) | (night[1:] != night[:-1])
    nights_obj, nights = obj[new], night[new]
    same = nights_obj[1:] == nights_obj[:-1]
    gaps = np.minimum(np.diff(nights)[same], MAX_GAP).astype(np.int64)
    counts = np.bincount(gaps, minlength=MAX_GAP + 1)[1:]
    index = pd.Index([*map(str, range(1, MAX_GAP)), f"{MAX_GAP}+"], name="nights")
    fractions = counts / max(counts.sum(), 1)
    shares = band.value_counts(normalize=True)
    shares.index.name = "band"
    return {"night_gaps": pd.Series(fractions, index=index, name="fraction"),
            "n_night_gaps": int(counts.sum()),
            "visits_per_night": float(obj.shape[0] / max(np.count_nonzero(new), 1)),
            "band_fractions": shares.rename("fraction")}


@validate_params(
    {
        "survey": [StrOptions(set(SURVEYS)), SurveyModel],
        "X": [LightCurves],
        "parameters": ["array-like"],
        "n_objects": [Interval(Integral, 50, None, closed="left")],
        "name": [str, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=True,
)
def calibrate_survey(survey, X, *, parameters=PARAMETERS, n_objects=400, name=None,
                     random_state=0, verbose=False):
    """Fit a survey model's cadence, depth and noise to observed light curves.

    The fit needs no label: it matches :func:`survey_statistics` of the
    survey's simulations to those of ``X``, e.g. a broker's real alert
    histories or another simulation's light curves, by simulation.

    * ``"cadence"``: on the survey's schedule alone (no photometry), over
      windows as long as the light curves of ``X``: for a ZTF-like survey the
      probabilities of revisits after 1, 2, 3 and 4 nights and the probability
      that a band's visit is skipped; for a Rubin-like survey the probability
      of a visit night, of its second visit and the bands' weights. It
      minimises the squared differences of the night-gap fractions and of the
      visits per night.
    * ``"depth"``: each band's median single-visit depth and the depth
      scatter, from the non-detections' uncertainties; the simulated medians
      are brought onto the observed ones in three steps (the lunar modulation
      and the selection of non-detections shift them a little).
    * ``"noise"``: the error floor (``calibration_error``, a zero-point error
      added in quadrature, in magnitudes) that best matches the median
      magnitude error of detections in each half-magnitude bin (in log).

    Parameters
    ----------
    survey : {"ztf", "lsst", "ztf-bts"} or SurveyModel
        The survey model to start from; its classes, bands, physics and
        everything not fitted are kept.
    X : LightCurves
        Observed light curves in the survey's bands (others are ignored).
    parameters : array-like of {"cadence", "depth", "noise"}, default=all
        What to fit.
    n_objects : int, default=400
        Light curves simulated for each evaluation of the depth and noise fits.
    name : str, default=None
        The calibrated model's name; ``"<survey> (calibrated)"`` when None.
    random_state : int, RandomState instance or None, default=0
    verbose : bool, default=False
        Print each step's result.

    Returns
    -------
    survey : SurveyModel
        A copy of the survey model with the fitted parameters, for
        :func:`simulate`; its ``description`` says what was fitted on what.

    See Also
    --------
    survey_statistics : The statistics that are matched.
    skltransient.metrics.domain_gap : How far two sets of light curves remain.

    Notes
    -----
    The fit matches what the light curves show, not what a survey intends:
    alert histories that carry non-detections only as upper limits, or a
    sample whose objects were selected, give the depth and cadence of those
    light curves. Selected non-detections of a transient that is on (a
    faint source, not detected on a shallow night) bias the depth shallow; a
    sample with many forced-photometry points before the explosion measures
    it best.

    Examples
    --------
    >>> from skltransient.datasets import calibrate_survey, simulate
    >>> other = simulate("ztf-bts", 100, random_state=1).lightcurves
    >>> model = calibrate_survey("ztf", other, parameters=["depth"], n_objects=100)
    >>> model.name, round(model.depth["ztfg"], 1)
    ('ztf (calibrated)', 20.0)
    >>> data = simulate(model, 20, random_state=0)
    """
    model = SURVEYS[survey] if isinstance(survey, str) else survey
    parameters = [str(p) for p in np.atleast_1d(np.asarray(parameters, dtype=object))]
    unknown = sorted(set(parameters) - set(PARAMETERS))
    if unknown or not parameters:
        raise ValueError(f"parameters must be among {', '.join(PARAMETERS)}; got {parameters}.")
    bands = [b for b in model.available_bands if b in set(X.band_names)]
    if not bands:
        raise ValueError(
            f"None of the light curves' bands ({', '.join(sorted(set(X.band_names)))}) is a band of "
            f"the {model.name!r} survey ({', '.join(model.available_bands)}); calibrate a survey on "
            "its own bands.")
    X = X.select_observations(np.isin(X.band_names, bands))
    observed = survey_statistics(X)
    seed = check_random_state(random_state).randint(0, 2**31 - 1)
    log = print if verbose else (lambda *args: None)
    fitted = {}
    if "cadence" in parameters:
        fitted.update(_fit_cadence(model, X, observed, bands, seed))
        log(f"cadence: {_format(fitted)}")
    model = dataclasses.replace(model, **fitted)
    if "depth" in parameters:
        depth = _fit_depth(model, observed, bands, n_objects, seed)
        fitted.update(depth)
        model = dataclasses.replace(model, **depth)
        log(f"depth: {_format(depth)}")
    if "noise" in parameters:
        noise = _fit_noise(model, observed, bands, n_objects, seed)
        fitted.update(noise)
        model = dataclasses.replace(model, **noise)
        log(f"noise: {_format(noise)}")
    note = (f"Calibrated (skltransient.datasets.calibrate_survey) on {observed.n_objects} light "
            f"curves ({observed.n_observations} visits in {', '.join(bands)}): "
            f"{_format(fitted)}.")
    return dataclasses.replace(model, name=name or f"{model.name} (calibrated)",
                               description=f"{model.description} {note}".strip())


def _format(values):
    def one(value):
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k} {v:.3g}" for k, v in value.items()) + "}"
        if isinstance(value, tuple):
            return "(" + ", ".join(f"{v:.3g}" for v in value) + ")"
        return f"{value:.3g}"
    return "; ".join(f"{key} {one(value)}" for key, value in values.items())


# ------------------------------------------------------------------- cadence
def _schedule_statistics(model, spans, bands, seed):
    """Cadence statistics of the survey's schedule over windows of the given lengths."""
    rng = np.random.default_rng(seed)
    n = spans.shape[0]
    start = rng.uniform(model.start_mjd, model.start_mjd + model.duration - spans.max(), n)
    ra = rng.uniform(0.0, 360.0, n)
    obj, time, band = model.schedule(start, start + spans, ra, list(bands), model.conditions(rng), rng)
    return _cadence(obj, np.floor(time - _NIGHT_START), pd.Series(np.asarray(bands)[band]))


def _cadence_loss(simulated, observed):
    gaps = np.sum((simulated["night_gaps"].to_numpy() - observed.night_gaps.to_numpy()) ** 2)
    return gaps + 0.1 * (simulated["visits_per_night"] - observed.visits_per_night) ** 2


def _fit_cadence(model, X, observed, bands, seed):
    if observed.n_night_gaps < MIN_NIGHT_GAPS:
        raise ValueError(
            f"calibrate_survey needs {MIN_NIGHT_GAPS} or more gaps between successive observed "
            f"nights of an object to fit the cadence; the {observed.n_objects} light curves "
            f"({observed.n_observations} visits) have {observed.n_night_gaps}. Give light curves "
            f"observed on several nights, or leave 'cadence' out of parameters.")
    spans = X.time[X.offsets[1:] - 1] - X.time[X.offsets[:-1]]
    spans = np.random.default_rng(seed).choice(np.clip(spans, 1.0, None), 1500)
    if isinstance(model, ZTFSurvey):
        return _fit_ztf_cadence(model, spans, observed, bands, seed)
    if isinstance(model, RubinSurvey):
        return _fit_rubin_cadence(model, spans, observed, bands, seed)
    raise TypeError(f"calibrate_survey fits the cadence of ZTFSurvey and RubinSurvey models, "
                    f"not {type(model).__name__}; leave 'cadence' out of parameters.")


def _simplex(n, step):
    """Every probability vector of length n on a grid of the given step."""
    ticks = round(1 / step)
    grid = np.stack(np.meshgrid(*[np.arange(ticks + 1)] * (n - 1), indexing="ij"), -1).reshape(-1, n - 1)
    grid = grid[grid.sum(1) <= ticks]
    return np.column_stack([grid, ticks - grid.sum(1)]) / ticks


def _best(candidates, evaluate):
    losses = [evaluate(candidate) for candidate in candidates]
    return candidates[int(np.argmin(losses))]


def _fit_ztf_cadence(model, spans, observed, bands, seed):
    revisit = (1, 2, 3, 4)

    def evaluate(candidate):
        probabilities, skip = candidate
        probabilities = np.clip(probabilities, 0, None)
        keep = probabilities > 1e-9
        trial = dataclasses.replace(model, revisit=tuple(np.array(revisit)[keep]),
                                    revisit_probability=tuple(probabilities[keep]),
                                    skip_probability=skip)
        return _cadence_loss(_schedule_statistics(trial, spans, bands, seed), observed)

    probabilities = _best(list(_simplex(len(revisit), 0.1)), lambda p: evaluate((p, model.skip_probability)))
    skip = _best([0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4], lambda skip: evaluate((probabilities, skip)))
    # Then a local search: 0.05 of probability moved between two intervals, or the skip by 0.025.
    best, loss = (probabilities, skip), evaluate((probabilities, skip))
    for _ in range(20):
        moves = [(best[0] + 0.05 * (np.eye(len(revisit))[i] - np.eye(len(revisit))[j]), best[1])
                 for i in range(len(revisit)) for j in range(len(revisit)) if i != j]
        moves += [(best[0], best[1] + delta) for delta in (-0.025, 0.025)]
        moves = [(p, s) for p, s in moves if p.min() >= -1e-9 and 0 <= s < 1]
        losses = [evaluate(move) for move in moves]
        if min(losses) >= loss:
            break
        best, loss = moves[int(np.argmin(losses))], min(losses)
    probabilities, skip = np.clip(best[0], 0, None), best[1]
    keep = probabilities > 0.005
    return {"revisit": tuple(int(r) for r in np.array(revisit)[keep]),
            "revisit_probability": tuple(float(p) for p in probabilities[keep] / probabilities[keep].sum()),
            "skip_probability": float(skip)}


def _fit_rubin_cadence(model, spans, observed, bands, seed):
    shares = observed.band_fractions.reindex(list(model.band_weights)).fillna(0.0)
    # Bands absent from X keep their weight relative to the bands present.
    present = shares > 0
    weights = dict(model.band_weights)
    scale = sum(weights[b] for b in shares.index[present]) / shares[present].sum()
    weights.update({b: float(shares[b] * scale) for b in shares.index[present]})

    def evaluate(candidate):
        night, pair = candidate
        trial = dataclasses.replace(model, night_probability=night, pair_probability=pair,
                                    band_weights=weights)
        return _cadence_loss(_schedule_statistics(trial, spans, bands, seed), observed)

    candidates = [(night, pair) for night in np.arange(0.05, 0.95, 0.05) for pair in np.arange(0, 1.01, 0.1)]
    night, pair = _best(candidates, evaluate)
    finer = [(n, p) for n in night + np.arange(-0.04, 0.041, 0.01)
             for p in pair + np.arange(-0.08, 0.081, 0.02)
             if 0 < n < 1 and 0 <= p <= 1]
    night, pair = _best(finer, evaluate)
    return {"night_probability": float(night), "pair_probability": float(min(pair, 1.0)),
            "band_weights": weights}


# ------------------------------------------------------------ depth and noise
def _simulated_statistics(model, bands, n_objects, seed):
    from ._simulate import simulate

    X = simulate(model, n_objects, bands=bands, random_state=seed).lightcurves
    return survey_statistics(X)


def _fit_depth(model, observed, bands, n_objects, seed):
    fitted_bands = [b for b in bands if observed.depth["n"].get(b, 0) >= 10]
    if not fitted_bands:
        raise ValueError("calibrate_survey needs 10 or more non-detections in a band to fit its depth; "
                         "the light curves have fewer in every band. Leave 'depth' out of parameters.")
    depth, scatter = dict(model.depth), model.depth_scatter
    for _ in range(3):
        trial = dataclasses.replace(model, depth=depth, depth_scatter=scatter)
        simulated = _simulated_statistics(trial, bands, n_objects, seed)
        for b in fitted_bands:
            if b in simulated.depth.index:
                shift = observed.depth.loc[b, "median"] - simulated.depth.loc[b, "median"]
                depth[b] = float(depth[b] + shift)
        common = [b for b in fitted_bands if b in simulated.depth.index]
        ratio = (observed.depth.loc[common, "scatter"].mean() / simulated.depth.loc[common, "scatter"].mean())
        scatter = float(np.clip(scatter * ratio, 0.05, 1.5))
    return {"depth": {b: round(v, 3) for b, v in depth.items()}, "depth_scatter": round(scatter, 3)}


def _noise_loss(simulated, observed):
    both = (simulated.errors["n"] >= 10) & (observed.errors["n"] >= 10)
    if not both.any():
        return np.inf
    ratio = np.log(simulated.errors["median"][both] / observed.errors["median"][both])
    weight = np.sqrt(observed.errors["n"][both])
    return float(np.sum(weight * ratio ** 2) / np.sum(weight))


def _fit_noise(model, observed, bands, n_objects, seed):
    if (observed.errors["n"] >= 10).sum() < 2:
        raise ValueError("calibrate_survey needs 10 or more detections in two magnitude bins to fit the "
                         "noise; leave 'noise' out of parameters.")

    def evaluate(floor):
        trial = dataclasses.replace(model, calibration_error=floor)
        return _noise_loss(_simulated_statistics(trial, bands, n_objects, seed), observed)

    floors = np.array([0.0, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.13, 0.16, 0.2])
    best = _best(floors, evaluate)
    finer = np.clip(best + np.array([-0.01, -0.005, 0.005, 0.01]), 0, None)
    return {"calibration_error": round(float(_best(np.append(finer, best), evaluate)), 4)}
