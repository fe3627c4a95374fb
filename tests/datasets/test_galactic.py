"""Tests of the simulator's Galactic classes against the numbers they are sourced from."""

import numpy as np
import pytest

from skltransient.datasets import GALACTIC_CLASSES, PLASTICC_CLASSES, _simulate, simulate, survey_classes
from skltransient.datasets._galaxy import MIN_LATITUDE, galactic_dust, sample_positions
from skltransient.datasets._physics import blackbody_absmag, fluxcal_to_mag
from skltransient.datasets._sources import SOURCES, Photometry, _davenport, _paczynski, _sawtooth
from skltransient.datasets._surveys import SURVEYS
from skltransient.datasets._taxonomy import CLASSES

LSST = ["lsstu", "lsstg", "lsstr", "lssti", "lsstz", "lssty"]


# ------------------------------------------------------------------ helpers
def _stars(name, n, bands, seed=0, **overrides):
    """Photometry of ``n`` sampled stars of a class, with chosen parameters overridden."""
    model = SOURCES[name]
    params = model.sample(n, np.random.default_rng(seed))
    params.update({key: np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()
                   for key, value in overrides.items()})
    params["t0"] = np.zeros(n)
    return model, Photometry(model, params, params["z"], np.zeros(n), bands)


def _light_curves(phot, times, rng=None):
    """Noise-free source flux of every star at ``times`` in every band, shape (n, n_times, n_bands)."""
    n, n_bands = phot.z.shape[0], phot.pivots.shape[0]
    obj = np.repeat(np.arange(n), times.size * n_bands)
    band = np.tile(np.arange(n_bands), n * times.size)
    time = np.tile(np.repeat(times, n_bands), n)
    _, source = phot.flux(obj, band, time, rng)
    return source.reshape(n, times.size, n_bands)


def _amplitude(flux):
    """Peak-to-peak amplitude in magnitudes along axis 1."""
    return 2.5 * np.log10(flux.max(axis=1) / flux.min(axis=1))


@pytest.fixture(scope="module")
def galactic_lsst():
    classes = list(GALACTIC_CLASSES) + ["SN Ia"]
    return simulate("lsst", 140, classes=classes, class_fractions=[1 / 7] * 7, random_state=0)


# ------------------------------------------------------------------ taxonomy
def test_plasticc_galactic_codes_map_to_the_galactic_classes():
    """Check that PLAsTiCC's Galactic codes carry the simulator's Galactic class names."""
    codes = {16: "Eclipsing binary", 92: "RR Lyrae", 53: "Mira", 65: "M-dwarf flare", 6: "Microlens"}
    assert {code: PLASTICC_CLASSES[code] for code in codes} == codes
    assert set(codes.values()) < set(GALACTIC_CLASSES) and not set(GALACTIC_CLASSES) & set(CLASSES)


# ------------------------------------------------------------------ the Galaxy
def test_blackbody_absmag_of_the_sun():
    """Check that a 5772 K blackbody of one solar luminosity has the Sun's M_V, and scales with L."""
    assert blackbody_absmag(5772.0, 1.0, "bessellv") == pytest.approx(4.81, abs=0.1)
    assert blackbody_absmag(5772.0, 100.0, "bessellv") == pytest.approx(
        blackbody_absmag(5772.0, 1.0, "bessellv") - 5.0)
    # Cooler stars of the same luminosity are fainter in V, brighter in i.
    assert blackbody_absmag(3000.0, 1.0, "bessellv") > blackbody_absmag(3000.0, 1.0, "lssti") + 1


def test_galactic_positions_and_dust():
    """Check the footprint, halo stars farther than disk stars, and dust a map would report."""
    rng = np.random.default_rng(0)
    disk, disk_sin_b = sample_positions(20000, rng, "thin disk")
    halo, halo_sin_b = sample_positions(20000, rng, "halo")
    floor = np.sin(np.radians(MIN_LATITUDE))
    assert np.all(np.abs(disk_sin_b) >= floor) and np.all(np.abs(halo_sin_b) >= floor)
    assert np.median(halo) > 5 * np.median(disk)
    foreground, column = galactic_dust(disk, disk_sin_b)
    assert np.all(foreground <= column) and np.all(foreground > 0)
    # A star far beyond the dust layer is behind all of it: 0.028 at the pole.
    far, pole = galactic_dust(np.array([1e5]), np.array([1.0]))
    assert far[0] == pytest.approx(pole[0]) and pole[0] == pytest.approx(0.7 / 3.1 * 0.125, rel=1e-6)
    with pytest.raises(ValueError, match="Unknown Galactic population 'bulge'"):
        sample_positions(5, rng, "bulge")


# ------------------------------------------------------------------ the classes
def test_sawtooth_has_fast_rise_and_slow_decline():
    """Check that the RRab sawtooth spans [-1, 1], rises within a fifth of the cycle, RRc nearly sinusoidal."""
    phase = np.linspace(0, 1, 4001)[:-1]
    rrab, rrc = _sawtooth(phase, 0.96), _sawtooth(phase, 0.3)
    assert rrab.max() == pytest.approx(1.0, abs=1e-3) and rrab.min() == pytest.approx(-1.0, abs=1e-3)
    rising = np.mean(np.diff(rrab, append=rrab[0]) > 0)
    assert rising < 0.2
    assert 0.4 < np.mean(np.diff(rrc, append=rrc[0]) > 0) < 0.6
    # Harmonic ratios of the RRab shape: R21 = 0.48, R31 = 0.31.
    spectrum = np.abs(np.fft.rfft(rrab))
    assert spectrum[2] / spectrum[1] == pytest.approx(0.48, abs=0.01)
    assert spectrum[3] / spectrum[1] == pytest.approx(0.31, abs=0.01)


def test_rr_lyrae_periods_amplitudes_and_colours():
    """Check RRab/RRc periods and shares, and that V light curves have the drawn amplitude."""
    params = SOURCES["RR Lyrae"].sample(20000, np.random.default_rng(0))
    overtone = params["skew"] < 0.5
    assert np.mean(overtone) == pytest.approx(91 / 407, abs=0.015)
    assert 0.53 < np.median(params["period"][~overtone]) < 0.59
    assert np.mean((params["period"][~overtone] > 0.45) & (params["period"][~overtone] < 0.7)) > 0.9
    assert 0.29 < np.median(params["period"][overtone]) < 0.35
    assert params["amplitude"][~overtone].min() >= 0.5 and params["amplitude"][~overtone].max() <= 1.2
    assert np.median(params["distmod"]) > 14  # halo stars, tens of kpc away

    model, phot = _stars("RR Lyrae", 1, ["bessellv", "lsstu", "lssti"], skew=0.96)
    flux = _light_curves(phot, np.linspace(0, 1, 400, endpoint=False) * phot.params["period"][0])
    np.testing.assert_allclose(_amplitude(flux)[0, 0], phot.params["amplitude"][0], atol=0.01)
    # Hotter at maximum: the u amplitude exceeds V's, which exceeds i's.
    assert _amplitude(flux)[0, 1] > _amplitude(flux)[0, 0] > _amplitude(flux)[0, 2]


def test_mira_amplitudes_above_two_and_a_half_magnitudes_and_red():
    """Check Mira periods, V amplitudes of at least 2.5 mag in the light curves, and red colours."""
    params = SOURCES["Mira"].sample(20000, np.random.default_rng(1))
    assert params["period"].min() >= 100 and params["period"].max() <= 500
    assert 220 < np.median(params["period"]) < 340
    model, phot = _stars("Mira", 30, ["bessellv", "lsstg", "lssti"], seed=1, host_ebv=0.0)
    cycle = np.linspace(0, 1, 200, endpoint=False)
    # Same period for all so that one time grid covers a cycle of each.
    phot.params["period"][:] = 300.0
    flux = _light_curves(phot, cycle * 300.0)
    amplitude = _amplitude(flux)
    assert np.all(amplitude[:, 0] >= 2.5 - 1e-3)
    np.testing.assert_allclose(amplitude[:, 0], phot.params["amplitude"], atol=0.02)
    assert np.all(amplitude[:, 2] < amplitude[:, 0])  # cool photosphere: smaller in i than in V
    mean = flux.mean(axis=1)
    g_minus_i = -2.5 * np.log10(mean[:, 1] / mean[:, 2])
    assert np.all(g_minus_i > 1.5)
    assert np.all((params["temp_peak"] - params["temp_swing"] / 2 >= 2500)
                  & (params["temp_peak"] + params["temp_swing"] / 2 <= 3500))


def test_eclipsing_binary_folds_coherently_at_its_period():
    """Check that an eclipsing binary's flux folded at its period is one curve, and not at another."""
    model, phot = _stars("Eclipsing binary", 12, ["bessellv", "lsstg"], seed=2)
    rng = np.random.default_rng(3)
    times = np.sort(rng.uniform(0.0, 1000.0, 600))
    flux = _light_curves(phot, times)[..., 0]
    for i, period in enumerate(phot.params["period"]):
        for trial, coherent in ((period, True), (period * 1.013, False)):
            phase = (times / trial) % 1
            order = np.argsort(phase)
            # String length of the folded curve in units of its range: about 4 (down and up at
            # each eclipse) when coherent, far more when eclipse points scatter over the phases.
            length = np.abs(np.diff(flux[i][order])).sum() / np.ptp(flux[i])
            assert (length < 6) if coherent else (length > 10), (i, period, coherent, length)


def test_eclipsing_binary_periods_and_eclipse_depths():
    """Check contact and detached periods, and that the hotter star's eclipse is the deeper one."""
    params = SOURCES["Eclipsing binary"].sample(20000, np.random.default_rng(4))
    contact = params["contact"] > 0
    assert 0.33 < np.median(params["period"][contact]) < 0.41 and params["period"][contact].min() >= 0.22
    log_period = np.log10(params["period"][~contact])
    assert np.median(log_period) == pytest.approx(np.log10(np.sqrt(5.0)), abs=0.03)  # log-uniform in 0.5-10 d
    model, phot = _stars("Eclipsing binary", 300, ["bessellv"], seed=5)
    p = phot.params
    n = p["period"].shape[0]
    obj = np.repeat(np.arange(n), 3)
    time = ((np.tile([0.0, 0.5, 0.25], n) - p["phase"][obj]) * p["period"][obj])
    _, source = phot.flux(obj, np.zeros(obj.shape, dtype=int), time)
    primary, secondary, quadrature = source.reshape(n, 3).T
    assert np.all(primary < quadrature) and np.all(secondary <= quadrature)
    hotter = p["temp1"] > p["temp2"] * 1.05
    assert hotter.sum() > 50 and np.all(primary[hotter] < secondary[hotter])


def test_m_dwarf_flares_rate_shape_and_colour():
    """Check the Davenport template, the flare rate, that flares fade in hours and are blue."""
    x = np.linspace(-1.5, 5, 1000)
    template = _davenport(x)
    assert _davenport(np.array([0.0]))[0] == pytest.approx(1.0, abs=1e-3)
    assert template[x < -1].max() == 0 and template.max() <= 1.0 + 1e-3
    assert np.all(np.diff(template[x > 0]) < 0) and np.all(np.diff(template[(x > -1) & (x < 0)]) > 0)

    n, rate = 20, 0.1
    model, phot = _stars("M-dwarf flare", n, ["lsstu", "lsstz"], seed=6, flare_rate=rate)
    times = np.arange(0.0, 100.0, 30 / 86400)  # every 30 seconds
    obj = np.repeat(np.arange(n), times.size)
    time = np.tile(times, n)
    hot = model.components(phot.params, obj, time, np.random.default_rng(7))[1][0].reshape(n, -1)
    # Flares whose V peak exceeds the quiescent flux: one upward crossing of 1 each.
    crossings = np.sum((hot[:, 1:] >= 1) & (hot[:, :-1] < 1))
    assert crossings == pytest.approx(rate * n * 100, rel=0.2)
    # Most of the time the star is quiescent: flares are over within hours.
    assert np.mean(hot < 0.05) > 0.9
    # Blue flares on a red star: the brightening over the quiescent flux is far larger in u than in z.
    flux = _light_curves(phot, times[:20000], np.random.default_rng(8))
    quiet = model.peak_flux(phot, at_peak=True)
    excess = flux / quiet[:, None, :] - 1
    flaring = excess[..., 1] > 0.05
    assert flaring.sum() > 10 and np.all(excess[..., 0][flaring] > 3 * excess[..., 1][flaring])


def test_microlensing_is_symmetric_and_achromatic():
    """Check that a microlensing light curve is symmetric about its peak, achromatic and Paczynski's."""
    params = SOURCES["Microlens"].sample(20000, np.random.default_rng(9))
    assert np.median(params["einstein_time"]) == pytest.approx(25.0, rel=0.05)
    assert params["impact"].max() <= 1 and abs(np.mean(params["impact"]) - 0.5) < 0.01
    model, phot = _stars("Microlens", 10, LSST, seed=10, host_ebv=0.3)
    peak = phot.params["peak_offset"]
    offsets = np.array([-40.0, -10.0, -2.0, 0.0, 2.0, 10.0, 40.0])
    n = peak.shape[0]
    flux = np.stack([_light_curves(phot.subset([i]), peak[i] + offsets)[0] for i in range(n)])
    np.testing.assert_allclose(flux, flux[:, ::-1], rtol=1e-10)
    base = model.peak_flux(phot, at_peak=True)
    magnification = flux / base[:, None, :]
    np.testing.assert_allclose(magnification, magnification[..., :1].repeat(len(LSST), axis=2), rtol=1e-10)
    np.testing.assert_allclose(magnification[:, 3, 0], _paczynski(phot.params["impact"]), rtol=1e-10)


def test_cv_outburst_amplitude_and_recurrence():
    """Check that dwarf novae brighten by their V amplitude and recur at their recurrence time."""
    n = 10
    model, phot = _stars("CV", n, ["bessellv", "lsstu"], seed=11, recurrence=50.0, host_ebv=0.0)
    times = np.arange(0.0, 2000.0, 0.05)
    flux = _light_curves(phot, times, np.random.default_rng(12))
    quiet = model.peak_flux(phot, at_peak=True)
    np.testing.assert_allclose(2.5 * np.log10(flux[..., 0].max(axis=1) / quiet[:, 0]),
                               phot.params["amplitude"], atol=0.01)
    rising = np.diff((flux[..., 0] > 2 * quiet[:, :1]).astype(int), axis=1) == 1
    assert rising.sum() / n == pytest.approx(2000 / 50, rel=0.1)
    assert np.all(phot.params["amplitude"] >= 2) and np.all(phot.params["amplitude"] <= 5)


# ------------------------------------------------------------------ the simulator
def test_simulate_galactic_labels_redshift_and_metadata(galactic_lsst):
    """Check labels, zero redshifts, dust, truth columns and triggers of simulated Galactic objects."""
    data = galactic_lsst
    lc, meta = data.lightcurves, data.lightcurves.metadata
    assert set(data.target) == set(GALACTIC_CLASSES) | {"SN Ia"} and len(lc) == 140
    galactic = np.isin(data.target, GALACTIC_CLASSES)
    for column in ("true_z", "redshift", "redshift_err"):
        assert np.all(meta[column][galactic] == 0)
    assert np.all(meta.true_z[~galactic] > 0)
    assert meta.true_explosion_mjd[galactic].isna().all()
    assert np.all(meta.mwebv[galactic] >= meta.true_host_ebv[galactic] - 1e-12)
    assert meta.mwebv[galactic].median() > 1.5 * meta.mwebv[~galactic].median()
    periodic = np.isin(data.target, ["Eclipsing binary", "RR Lyrae", "Mira"])
    np.testing.assert_array_equal(meta.true_period.notna(), periodic)
    np.testing.assert_array_equal(meta.true_einstein_time.notna(), data.target == "Microlens")
    micro = data.target == "Microlens"
    assert np.all(np.abs(meta.true_peak_mjd[micro] - meta.true_trigger_mjd[micro]) < 300)
    # The trigger is the first detection of either sign; every object has two detections.
    snr = np.abs(lc.flux / lc.flux_err)
    first = np.minimum.reduceat(np.where(snr >= 5, lc.time, np.inf), lc.offsets[:-1])
    assert np.all(first[galactic] >= meta.true_trigger_mjd[galactic] - 30)
    assert np.all(np.add.reduceat(lc.detected.astype(int), lc.offsets[:-1]) >= 2)
    # Periodic variables sit above and below their reference image; microlensing only above.
    obj = lc.object_index
    negative = np.bincount(obj, (lc.flux / lc.flux_err < -5), minlength=len(lc))
    assert np.mean(negative[np.isin(data.target, ["RR Lyrae", "Eclipsing binary"])] > 0) > 0.8
    assert np.all(negative[micro] == 0)


def test_simulate_all_classes_and_default_fractions():
    """Check classes="all", and Galactic default shares taken from the PLAsTiCC training set."""
    data = simulate("ztf", 60, classes="all", random_state=1)
    assert list(data.target_names) == list(CLASSES) + list(GALACTIC_CLASSES)
    names = tuple(CLASSES + GALACTIC_CLASSES)
    fractions = dict(zip(names, _simulate._default_fractions(SURVEYS["ztf"], names)))
    assert sum(fractions.values()) == pytest.approx(1.0)
    assert fractions["M-dwarf flare"] == pytest.approx(981 / 7848)
    assert fractions["Eclipsing binary"] == pytest.approx(924 / 7848)
    assert fractions["AGN"] == pytest.approx(0.05 * (1 - sum(fractions[c] for c in GALACTIC_CLASSES)))
    only = _simulate._default_fractions(SURVEYS["lsst"], ("RR Lyrae", "Mira"))
    np.testing.assert_allclose(only, [239 / 269, 30 / 269])
    assert simulate("ztf-bts", 5, classes="all", random_state=0).target_names.tolist() == survey_classes("ztf-bts")


def test_default_simulation_unchanged():
    """Check that the default output is the one from before the Galactic classes existed.

    The numbers were recorded with the code of commit 935a12e; the Galactic
    classes must not move the random stream of a default run.
    """
    expected = {"ztf": (1911452.4338629388, 101391033.01117404, 254),
                "lsst": (35662.23107062079, 89642757.86860755, 260)}
    for survey, (flux, time, detections) in expected.items():
        data = simulate(survey, 30, random_state=0)
        lc = data.lightcurves
        assert lc.flux.sum() == pytest.approx(flux, rel=1e-9)
        assert lc.time.sum() == pytest.approx(time, rel=1e-12)
        assert lc.detected.sum() == detections
        assert list(data.target_names) == list(CLASSES)
        assert "true_period" not in lc.metadata.columns and not set(data.target) & set(GALACTIC_CLASSES)


@pytest.mark.parametrize("kwargs, message", [
    (dict(classes=["RR Lyr"]), "Unknown class 'RR Lyr'; the classes are .* and the Galactic"),
    (dict(survey="ztf-bts", classes=["Mira"]), "does not contain class 'Mira'"),
    (dict(classes="galactic"), "'classes' parameter"),
])
def test_bad_galactic_class_names_raise(kwargs, message):
    """Check that a misspelt or unavailable class is refused with its name."""
    arguments = dict(survey="lsst", n_objects=5, random_state=0)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        simulate(**arguments)


def test_galactic_population_bounds_hold():
    """Check the bounds the detectability cut relies on, for every Galactic class."""
    rng = np.random.default_rng(13)
    bands = ("ztfg", "ztfr")
    for name in GALACTIC_CLASSES:
        model = SOURCES[name]
        params = model.sample(5000, rng)
        params["t0"] = np.zeros(5000)
        phot = Photometry(model, params, params["z"], np.zeros(5000), list(bands))
        assert params["detection_absmag"].min() >= model.detection_bound(), name
        # Both bounds of the cut are brighter than the difference flux anywhere on the light curve.
        bound = model.peak_flux(phot)[:200]
        times = np.linspace(0.0, 400.0, 2001)
        flux = _light_curves(phot.subset(slice(0, 200)), times, np.random.default_rng(14))
        reference = model.peak_flux(phot.subset(slice(0, 200)), at_peak=True)
        largest = np.abs(flux - reference[:, None, :]).max(axis=1)
        assert np.all(largest <= bound * (1 + 1e-9)), name
        first_cut = params["detection_absmag"] + params["distmod"] + _simulate._colour_floor(model, bands)
        assert np.all(fluxcal_to_mag(largest) >= first_cut[:200, None]), name
