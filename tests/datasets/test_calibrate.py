"""Tests of the survey statistics and of calibrating a survey model on light curves."""

import dataclasses

import numpy as np
import pytest

from skltransient import LightCurves
from skltransient.datasets import (
    SURVEYS,
    RubinSurvey,
    calibrate_survey,
    simulate,
    survey_classes,
    survey_statistics,
)


def _lightcurves():
    # Object a: nights 100, 101 (two visits), 104; object b: nights 200 and 210.
    time = np.array([100.8, 101.8, 101.85, 104.8, 200.8, 210.8])
    flux = np.array([0.0, 1000.0, 100.0, 0.0, 0.0, 10 ** (0.4 * 7.5)])  # the last one at mag 20
    flux_err = np.array([10 ** (-0.4 * (20 - 27.5)) / 5, 10.0, 10.0, 10 ** (-0.4 * (21 - 27.5)) / 5,
                         10 ** (-0.4 * (22 - 27.5)) / 5, 0.1 * 10 ** (0.4 * 7.5)])
    return LightCurves.from_arrays(["a", "a", "a", "a", "b", "b"], time,
                                   ["ztfg", "ztfg", "ztfr", "ztfg", "ztfr", "ztfr"], flux, flux_err,
                                   detected=[False, True, True, False, False, True])


def test_survey_statistics_on_a_known_sample():
    """Check the depth, errors, night gaps, visits per night and band shares of a hand-made sample."""
    stats = survey_statistics(_lightcurves(), depth_before_detection=None)
    # Non-detections: g at 20 and 21, r at 22.
    assert stats.depth.loc["ztfg", "median"] == pytest.approx(20.5)
    assert stats.depth.loc["ztfr", "median"] == pytest.approx(22.0)
    assert stats.depth["n"].tolist() == [2, 1]
    # Detections: 1000 FLUXCAL (mag 20) with error 1 %, 100 (mag 22.5) with 10 %; mag 20 with 0.1.
    at_20 = stats.errors.loc[20.25]
    assert at_20["median"] == pytest.approx(np.median([1.0857 * 0.01, 1.0857 * 0.1]), rel=1e-3)
    assert at_20["n"] == 2 and stats.errors.loc[22.75, "n"] == 1
    # Gaps: a has 1 and 3 nights, b has 10.
    assert stats.night_gaps["1"] == pytest.approx(1 / 3)
    assert stats.night_gaps["3"] == pytest.approx(1 / 3)
    assert stats.night_gaps["10"] == pytest.approx(1 / 3)
    assert stats.visits_per_night == pytest.approx(6 / 5)
    assert stats.band_fractions.to_dict() == {"ztfg": 0.5, "ztfr": 0.5}
    assert stats.fraction_detected == pytest.approx(0.5)
    assert (stats.n_objects, stats.n_observations) == (2, 6)


def test_survey_statistics_depth_before_detection():
    """Check that by default the depth comes from non-detections 5 days before the first detection."""
    stats = survey_statistics(_lightcurves())
    # a's non-detections are 1 day before and 3 days after its first detection: left out.
    assert stats.depth.index.tolist() == ["ztfr"] and stats.depth["n"].tolist() == [1]
    assert survey_statistics(_lightcurves(), depth_before_detection=0.5).depth["n"].tolist() == [1, 1]


def test_survey_statistics_bad_input():
    """Check that survey_statistics names what it takes."""
    with pytest.raises(TypeError, match="takes a LightCurves; got ndarray"):
        survey_statistics(np.zeros((2, 3)))


def test_calibrate_survey_recovers_a_known_survey():
    """Check that calibrating 'ztf' on simulations of a changed ZTF gives back the changes."""
    truth = dataclasses.replace(SURVEYS["ztf"], depth={"ztfg": 20.3, "ztfr": 20.0, "ztfi": 20.2},
                                depth_scatter=0.5, calibration_error=0.05, revisit=(1, 3),
                                revisit_probability=(0.5, 0.5))
    X = simulate(truth, 300, random_state=3).lightcurves
    model = calibrate_survey("ztf", X, n_objects=150, random_state=0)
    assert model.name == "ztf (calibrated)" and "Calibrated" in model.description
    assert model.depth["ztfg"] == pytest.approx(20.3, abs=0.1)
    assert model.depth["ztfr"] == pytest.approx(20.0, abs=0.1)
    assert model.depth_scatter == pytest.approx(0.5, abs=0.1)
    assert model.calibration_error == pytest.approx(0.05, abs=0.02)
    probability = dict(zip(model.revisit, model.revisit_probability))
    assert probability.get(1, 0) + probability.get(3, 0) > 0.8
    # Unfitted parameters are kept, and the default survey is not changed.
    assert model.moon_amplitude == SURVEYS["ztf"].moon_amplitude
    assert SURVEYS["ztf"].depth["ztfg"] != model.depth["ztfg"]
    # The calibrated simulations look like the sample.
    calibrated = survey_statistics(simulate(model, 200, random_state=5).lightcurves)
    observed = survey_statistics(X)
    assert np.abs(calibrated.night_gaps - observed.night_gaps).sum() < 0.15


def test_calibrate_survey_rubin_pairs():
    """Check that a Rubin-like survey's night and pair probabilities are recovered."""
    truth = dataclasses.replace(SURVEYS["lsst"], night_probability=0.2, pair_probability=0.3)
    X = simulate(truth, 150, random_state=1).lightcurves
    model = calibrate_survey("lsst", X, parameters=["cadence"], random_state=0)
    assert isinstance(model, RubinSurvey)
    assert model.pair_probability == pytest.approx(0.3, abs=0.1)
    assert model.night_probability == pytest.approx(0.2, abs=0.05)
    assert model.depth == SURVEYS["lsst"].depth  # not fitted
    assert sum(model.band_weights.values()) == pytest.approx(sum(SURVEYS["lsst"].band_weights.values()))


def test_pair_probability_one_keeps_the_simulation():
    """Check that the default pair probability draws nothing, so that 'lsst' simulations are unchanged."""
    same = dataclasses.replace(SURVEYS["lsst"], pair_probability=1.0, name="copy")
    a = simulate("lsst", 30, random_state=0).lightcurves
    b = simulate(same, 30, random_state=0).lightcurves
    assert np.array_equal(a.time, b.time) and np.array_equal(a.flux, b.flux)
    single = dataclasses.replace(SURVEYS["lsst"], pair_probability=0.0)
    assert survey_statistics(simulate(single, 30, random_state=0).lightcurves).visits_per_night < 1.05
    assert survey_statistics(a).visits_per_night > 1.9


def test_simulate_takes_a_survey_model():
    """Check that simulate and survey_classes take a SurveyModel, with its own name in DESCR."""
    model = dataclasses.replace(SURVEYS["ztf-bts"], name="my survey")
    data = simulate(model, 10, random_state=0)
    assert "'my survey'" in data.DESCR
    assert survey_classes(model) == survey_classes("ztf-bts")
    with pytest.raises(ValueError, match="survey"):
        simulate(object(), 10)


def test_calibrate_survey_bad_input():
    """Check the errors for unknown parameters, foreign bands and samples too small to fit."""
    X = simulate("ztf", 20, random_state=0).lightcurves
    with pytest.raises(ValueError, match="parameters must be among cadence, depth, noise"):
        calibrate_survey("ztf", X, parameters=["depth", "moon"])
    lsst = simulate("lsst", 5, random_state=0).lightcurves
    with pytest.raises(ValueError, match=r"None of the light curves' bands \(lsstg.*'ztf' survey"):
        calibrate_survey("ztf", lsst)
    with pytest.raises(ValueError, match="10 or more non-detections"):
        calibrate_survey("ztf", _lightcurves(), parameters=["depth"])
    with pytest.raises(ValueError, match="two magnitude bins"):
        calibrate_survey("ztf", _lightcurves(), parameters=["noise"])


def test_calibrate_survey_on_real_ztf_alerts(shared_data):
    """Check the fit on the real ZTF alerts: shallower than the science-image depth, a large error floor."""
    from skltransient.datasets import read_ztf_alerts

    real = read_ztf_alerts([str(f) for f in sorted(shared_data.glob("ztf_alerts*.parquet"))])
    model = calibrate_survey("ztf", real, random_state=0)
    assert 19.6 < model.depth["ztfg"] < 20.4 and 19.6 < model.depth["ztfr"] < 20.4
    assert 0.4 < model.depth_scatter < 0.9
    assert 0.05 < model.calibration_error < 0.12
    assert 1 in model.revisit  # real ZTF fields are revisited the next night at times
    # The shipped "ztf" constants are this fit (scripts/calibrate_surveys.py).
    shipped = SURVEYS["ztf"]
    for band in ("ztfg", "ztfr"):
        assert model.depth[band] == pytest.approx(shipped.depth[band], abs=0.05)
    assert model.depth_scatter == pytest.approx(shipped.depth_scatter, abs=0.05)
    assert model.calibration_error == pytest.approx(shipped.calibration_error, abs=0.01)
    assert model.skip_probability == pytest.approx(shipped.skip_probability, abs=0.05)


def test_calibrate_survey_refuses_a_cadence_from_one_visit():
    """Check that a cadence is not fitted from one visit of one object: the error states the
    minimum (gaps between observed nights) and what was received."""
    one = LightCurves.from_arrays(["a"], [59000.3], ["ztfg"], [100.0], [10.0], detected=[True])
    with pytest.raises(ValueError, match=r"needs 10 or more gaps between successive observed "
                                         r"nights.*1 light curves \(1 visits\) have 0"):
        calibrate_survey("ztf", one, parameters=["cadence"])
    assert survey_statistics(one).n_night_gaps == 0
