"""Tests of the survey simulator against the physics it claims to follow."""

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad

from skltransient import LightCurves
from skltransient.datasets import HostRedshifts, _simulate
from skltransient.datasets._physics import (
    distance_modulus,
    fitzpatrick99,
    fluxcal_to_mag,
    get_passband,
    luminosity_distance,
    planck,
    planck_integral,
)
from skltransient.datasets._simulate import simulate
from skltransient.datasets._sources import SOURCES, Photometry, damped_random_walk
from skltransient.datasets._surveys import SURVEYS
from skltransient.datasets._taxonomy import BTS_CLASS_MAP, CLASSES


# ------------------------------------------------------------------ helpers
def _single(name, z, bands, mwebv=0.0, **overrides):
    """Photometry of one object of a class with chosen parameters and no host dust."""
    model = SOURCES[name]
    params = model.sample(1, np.random.default_rng(0))
    params.update({key: np.array([value], dtype=float) for key, value in overrides.items()})
    params.update(host_ebv=np.zeros(1), t0=np.zeros(1))
    return model, Photometry(model, params, np.array([z]), np.array([mwebv]), bands)


def _magnitudes(phot, times, n_bands):
    """Noise-free AB magnitudes at ``times`` in every band, shape (n_times, n_bands)."""
    obj = np.zeros(times.size * n_bands, dtype=int)
    band = np.tile(np.arange(n_bands), times.size)
    flux, _ = phot.flux(obj, band, np.repeat(times, n_bands))
    return fluxcal_to_mag(flux).reshape(times.size, n_bands)


def _hogg_k_correction(model, temperature, z, observed_band, rest_band):
    """K-correction of Hogg et al. (2002, Eq. 8) in frequency, on a fine grid (AB).

    Independent of the simulator's wavelength-space Gauss-Legendre photometry.
    """
    def grid(band):
        low, high = get_passband(band).edges
        return np.linspace(low, high, 4001)

    def l_nu(wave):  # L_nu at the rest wavelength, up to a constant
        return model.rest_sed(wave, temperature) * wave**2

    obs, rest = grid(observed_band), grid(rest_band)
    numerator = (1 + z) * np.trapezoid(l_nu(obs / (1 + z)) / obs, obs) * np.trapezoid(1 / rest, rest)
    denominator = np.trapezoid(1 / obs, obs) * np.trapezoid(l_nu(rest) / rest, rest)
    return -2.5 * np.log10(numerator / denominator)


def _frame(data):
    """Metadata with the class, number of observations and detections of each object."""
    lc = data.lightcurves
    frame = lc.metadata.copy()
    frame["label"] = data.target
    frame["n_obs"] = lc.lengths
    frame["n_det"] = np.add.reduceat(lc.detected.astype(int), lc.offsets[:-1])
    return frame


@pytest.fixture(scope="module")
def ztf():
    return simulate("ztf", 400, random_state=0)


@pytest.fixture(scope="module")
def ztf_snia():
    return simulate("ztf", 400, classes=["SN Ia"], random_state=1)


@pytest.fixture(scope="module")
def lsst_snia():
    return simulate("lsst", 200, classes=["SN Ia"], random_state=2)


@pytest.fixture(scope="module")
def bts():
    return simulate("ztf-bts", 300, random_state=3)


@pytest.fixture(scope="module")
def lsst_mix():
    classes = ["SN Ia", "SN IIP", "SLSN-I", "TDE", "KN", "AGN"]
    return simulate("lsst", 240, classes=classes, class_fractions=[1 / 6] * 6, random_state=4)


# ------------------------------------------------------------------ physics laws
def test_distance_modulus_flat_lcdm():
    """Check that distances are those of flat LCDM with H0 = 70, Omega_M = 0.3."""
    assert distance_modulus(0.1) == pytest.approx(38.315, abs=0.005)
    assert distance_modulus(1.0) == pytest.approx(44.10, abs=0.01)
    for z in (0.01, 0.5, 2.0):
        comoving = 299792.458 / 70 * quad(lambda x: 1 / np.sqrt(0.3 * (1 + x) ** 3 + 0.7), 0, z)[0]
        assert luminosity_distance(z) == pytest.approx((1 + z) * comoving, rel=1e-6)


def test_planck_integral_is_stefan_boltzmann():
    """Check that the Planck spectrum integrates to the T^4 law used for bolometric light curves."""
    wave = np.geomspace(100.0, 1e7, 200001)
    for temperature in (2500.0, 11000.0, 40000.0):
        integral = np.trapezoid(planck(wave, temperature), wave)
        assert integral == pytest.approx(planck_integral(temperature), rel=1e-4)


def test_fitzpatrick99_matches_fm_unred():
    """Check the dust law against A(lambda)/A_V tabulated by IDL's fm_unred.pro (R_V = 3.1)."""
    wave = np.array([1000.0, 2195.34, 3006.78, 4455.05, 5530.52, 7001.90, 12141.4])
    expected = np.array([4.95826, 3.05904, 1.79285, 1.29314, 0.970241, 0.687921, 0.269684])
    np.testing.assert_allclose(fitzpatrick99(wave) / 3.1, expected, rtol=1e-4)


def test_milky_way_coefficients_match_real_filter_curves():
    """Check that top-hat bands with F99 give the A/E(B-V) of the real filter curves.

    Reference: PHYSICS.md section 1, computed from the public ZTF and LSST
    throughputs for a 7000 K blackbody.
    """
    expected = {"ztfg": 3.66, "ztfr": 2.46, "ztfi": 1.78, "lsstu": 4.67, "lsstg": 3.65,
                "lsstr": 2.58, "lssti": 1.90, "lsstz": 1.50, "lssty": 1.23}
    for name, value in expected.items():
        band = get_passband(name)
        spectrum = planck(band.wave, 7000.0)
        dimmed = spectrum * 10 ** (-0.4 * 0.01 * fitzpatrick99(band.wave))
        coefficient = -2.5 * np.log10(band.integrate(dimmed) / band.integrate(spectrum)) / 0.01
        assert coefficient == pytest.approx(value, rel=0.01), name


@pytest.mark.parametrize("z", [0.01, 0.05, 0.1, 0.3])
def test_snia_peak_absolute_magnitude_recovered(z):
    """Check that observed peak minus distance modulus and K-correction gives the input M_B."""
    bands = ["ztfg", "ztfr", "lssti"]
    model, phot = _single("SN Ia", z, bands, absmag=-19.3, temp_peak=11000.0, t_rise=19.0)
    peak = _magnitudes(phot, np.array([19.0 * (1 + z)]), len(bands))[0]
    for band, mag in zip(bands, peak):
        recovered = mag - distance_modulus(z) - _hogg_k_correction(model, 11000.0, z, band, "bessellb")
        assert recovered == pytest.approx(-19.3, abs=0.01), band


def test_milky_way_dust_dims_by_its_coefficient():
    """Check that E(B-V) = 0.1 dims an SN Ia's g band by about 0.37 mag."""
    _, clear = _single("SN Ia", 0.05, ["ztfg"], absmag=-19.3, temp_peak=11000.0, t_rise=19.0)
    _, dusty = _single("SN Ia", 0.05, ["ztfg"], mwebv=0.1, absmag=-19.3, temp_peak=11000.0, t_rise=19.0)
    times = np.array([19.0 * 1.05])
    dimming = (_magnitudes(dusty, times, 1) - _magnitudes(clear, times, 1))[0, 0]
    assert dimming == pytest.approx(0.366, abs=0.02)


def test_time_dilation_stretches_light_curves(lsst_mix):
    """Check that observed durations scale with 1 + z, in the model and in the truth columns."""
    widths = {}
    for z in (0.05, 0.5):
        # A TDE keeps its temperature, so its light curve has the same shape in every band.
        _, phot = _single("TDE", z, ["ztfg"], absmag=-20.0, t_rise=30.0, tau_fast=50.0, decline_index=1.67,
                          temp_peak=25000.0)
        times = np.linspace(0.0, 400.0, 40001)
        flux, _ = phot.flux(np.zeros(times.size, dtype=int), np.zeros(times.size, dtype=int), times)
        above = times[flux >= flux.max() / 2]
        widths[z] = above.max() - above.min()
    assert widths[0.5] / widths[0.05] == pytest.approx(1.5 / 1.05, rel=0.005)
    meta = lsst_mix.lightcurves.metadata.dropna(subset=["true_explosion_mjd"])
    np.testing.assert_allclose(meta.true_peak_mjd - meta.true_explosion_mjd,
                               meta.true_rise_time * (1 + meta.true_z), rtol=1e-10)


def test_snia_colour_at_peak_reddens_with_redshift(ztf_snia):
    """Check that the observed g - r of an SN Ia at peak grows with redshift."""
    colours = []
    for z in (0.02, 0.1, 0.2, 0.3):
        _, phot = _single("SN Ia", z, ["ztfg", "ztfr"], absmag=-19.3, temp_peak=11000.0, t_rise=19.0)
        g, r = _magnitudes(phot, np.array([19.0 * (1 + z)]), 2)[0]
        colours.append(g - r)
    assert np.all(np.diff(colours) > 0)
    assert colours[-1] - colours[0] > 0.3
    # The same in the simulated data: g over r flux of the visits within 5 days of peak. Blue,
    # luminous SNe Ia are favoured far away, which narrows the gap, but it stays.
    lc, meta = ztf_snia.lightcurves, ztf_snia.lightcurves.metadata
    near = np.abs(lc.time - np.repeat(meta.true_peak_mjd.to_numpy(), lc.lengths)) < 5
    mean_flux = {}
    for band in ("ztfg", "ztfr"):
        rows = near & (lc.band_names == band)
        count = np.bincount(lc.object_index[rows], minlength=len(lc))
        mean_flux[band] = np.bincount(lc.object_index[rows], lc.flux[rows], minlength=len(lc)) / np.maximum(count, 1)
        mean_flux[band][count == 0] = np.nan
    usable = np.isfinite(mean_flux["ztfg"]) & np.isfinite(mean_flux["ztfr"]) & (mean_flux["ztfr"] > 0)
    ratio = (mean_flux["ztfg"] / mean_flux["ztfr"])[usable]
    z = meta.true_z.to_numpy()[usable]
    assert (z < 0.12).sum() > 20 and (z > 0.2).sum() > 50
    assert np.median(ratio[z < 0.12]) > 1.05 * np.median(ratio[z > 0.2])


def test_detected_snia_redshifts_follow_survey_depth(ztf_snia, lsst_snia, bts):
    """Check the redshifts of detected SNe Ia: set by depth, with a Malmquist bias.

    BTS-like (peak < 18.5 mag) SNe Ia have a median z of about 0.06, as the
    real BTS; ZTF's 20.6-20.8 mag single-visit depth reaches z ~ 0.2 and
    LSST's about 24.5, z ~ 0.7.
    """
    z_ztf = ztf_snia.lightcurves.metadata.true_z
    assert 0.12 < np.median(z_ztf) < 0.25
    assert 0.04 < np.median(bts.lightcurves.metadata.true_z[bts.target == "SN Ia"]) < 0.08
    assert np.median(lsst_snia.lightcurves.metadata.true_z) > 0.3
    # Malmquist bias: emerges from the trigger, so distant detected SNe Ia are brighter.
    meta = ztf_snia.lightcurves.metadata
    far, near = meta.true_peak_absmag[meta.true_z > 0.25], meta.true_peak_absmag[meta.true_z < 0.12]
    assert far.mean() < near.mean() - 0.1


def test_kilonovae_fade_by_more_than_a_magnitude_within_a_week(lsst_mix):
    """Check that a kilonova fades by more than 1 mag in g, r and i within a week of peak."""
    bands = ["ztfg", "ztfr", "lssti"]
    _, phot = _single("KN", 0.02, bands, absmag=-16.0, t_rise=1.0, temp_peak=6400.0)
    mags = _magnitudes(phot, np.array([1.0, 8.0]) * 1.02, len(bands))
    assert np.all(mags[1] - mags[0] > 1.0)
    # In the simulated light curves, kilonovae are no longer detected weeks later; SNe Ia are.
    lc = lsst_mix.lightcurves
    label = np.repeat(lsst_mix.target, lc.lengths)
    late = lc.time - np.repeat(lc.metadata.true_trigger_mjd.to_numpy(), lc.lengths) > 20
    assert np.sum(lsst_mix.target == "KN") > 10
    assert np.mean(late[lc.detected & (label == "KN")]) < 0.1
    assert np.mean(late[lc.detected & (label == "SN Ia")]) > 0.25


def test_damped_random_walk_statistics():
    """Check the AGN process: unit variance, correlation exp(-lag/tau) at any sampling."""
    rng = np.random.default_rng(0)
    n_obj, n_epochs, tau = 400, 300, 100.0
    time = np.sort(rng.uniform(0, 3000, (n_obj, n_epochs)), axis=1)
    obj = np.repeat(np.arange(n_obj), n_epochs)
    walk = damped_random_walk(time.ravel(), obj, np.full(n_obj, tau), rng).reshape(n_obj, n_epochs)
    assert walk.var() == pytest.approx(1.0, abs=0.05)
    for step in (1, 5, 10, 20):
        lag = time[:, step:] - time[:, :-step]
        product = walk[:, step:] * walk[:, :-step]
        for low, high in ((5, 15), (40, 60), (80, 120), (180, 220)):
            pairs = (lag > low) & (lag < high)
            if pairs.sum() > 5000:
                assert product[pairs].mean() == pytest.approx(np.exp(-lag[pairs] / tau).mean(), abs=0.03)


def test_agn_light_curves_are_stationary(lsst_mix):
    """Check that AGN vary around a steady level instead of rising from zero and fading."""
    lc = lsst_mix.lightcurves
    relative = lc.time - np.repeat(lc.metadata.true_trigger_mjd.to_numpy(), lc.lengths)
    obj, before = lc.object_index, relative < -5
    # Significance of the inverse-variance weighted mean flux before the trigger.
    weight = 1 / lc.flux_err**2
    total = np.bincount(obj[before], weight[before], minlength=len(lc))
    mean = np.bincount(obj[before], (weight * lc.flux)[before], minlength=len(lc))
    significance = np.abs(mean) / np.sqrt(np.maximum(total, 1e-30))
    usable = np.bincount(obj[before], minlength=len(lc)) >= 3
    agn = (lsst_mix.target == "AGN") & usable
    supernovae = np.isin(lsst_mix.target, ["SN Ia", "SN IIP"]) & usable
    assert agn.sum() > 10 and supernovae.sum() > 30
    # An AGN differs from its reference image before its trigger as after it;
    # a supernova is not there before it.
    assert np.mean(significance[agn] > 5) > 0.4
    assert np.mean(significance[supernovae] > 5) < 0.2
    # Difference fluxes of AGN sit above or below the reference, at random.
    mostly_negative = np.bincount(obj, lc.flux < 0, minlength=len(lc)) / lc.lengths > 0.5
    assert 0.15 < np.mean(mostly_negative[lsst_mix.target == "AGN"]) < 0.85
    assert np.mean(mostly_negative[np.isin(lsst_mix.target, ["SN Ia", "SN IIP"])]) < 0.05


# ------------------------------------------------------------------ the sample
def test_metadata_aligned_with_objects(ztf):
    """Check that labels, metadata and light curves describe the same object in each row."""
    frame = _frame(ztf)
    lc = ztf.lightcurves
    assert isinstance(lc, LightCurves) and len(lc) == 400 == ztf.target.shape[0]
    assert {"redshift", "redshift_err", "mwebv"} <= set(lc.metadata.columns)
    # Reported redshifts are photometric: within 0.15 (1 + z) of the truth but for the outliers.
    known = frame.dropna(subset=["redshift"])
    assert np.mean(np.abs(known.redshift - known.true_z) / (1 + known.true_z) < 0.15) > 0.85
    # The first brightening 5-sigma detection of each light curve is its trigger.
    snr = lc.flux / lc.flux_err
    obj = lc.object_index
    alerts = np.where(snr >= 5, lc.time, np.inf)
    first = np.minimum.reduceat(alerts, lc.offsets[:-1])
    transient = (frame.label != "AGN").to_numpy()
    np.testing.assert_array_equal(first[transient], frame.true_trigger_mjd[transient])
    assert np.all(frame.n_det >= 2)
    relative = lc.time - np.repeat(frame.true_trigger_mjd.to_numpy(), lc.lengths)
    assert relative.min() >= -30 and relative.max() <= 100
    # Class-specific truth sits in the row of its class.
    rows = {name: frame[frame.label == name] for name in np.unique(ztf.target)}
    assert rows["SN Ia"].true_peak_absmag.between(-21.0, -18.5).all()
    assert rows["SN Ia"].true_rise_time.between(10, 25).all()
    assert rows["AGN"].true_explosion_mjd.isna().all() and rows["AGN"].true_peak_absmag.max() < -19.9
    assert frame[frame.label != "AGN"].true_explosion_mjd.notna().all()
    if "SLSN-I" in rows:
        assert rows["SLSN-I"].true_peak_absmag.max() <= -19.8
    if "TDE" in rows:
        assert rows["TDE"].true_peak_temperature.min() >= 1.4e4
    # Slicing keeps metadata with its light curve.
    i = int(np.flatnonzero(transient)[3])
    one = lc[[i]]
    assert one.metadata.index[0] == lc.metadata.index[i]
    np.testing.assert_array_equal(one.time, lc.time[obj == i])


def test_light_curve_lengths_and_bands(ztf, lsst_mix):
    """Check typical light-curve lengths and that ZTF i is only observed on request."""
    assert 20 <= np.median(ztf.lightcurves.lengths) <= 80
    assert 20 <= np.median(lsst_mix.lightcurves.lengths) <= 80
    assert set(ztf.lightcurves.band_names) == {"ztfg", "ztfr"}
    assert set(lsst_mix.lightcurves.band_names) == {f"lsst{b}" for b in "ugrizy"}
    with_i = simulate("ztf", 20, bands=["ztfg", "ztfr", "ztfi"], random_state=0).lightcurves
    assert set(with_i.band_names) == {"ztfg", "ztfr", "ztfi"}
    only_r = simulate("lsst", 20, bands=["lsstr"], random_state=0).lightcurves
    assert set(only_r.band_names) == {"lsstr"}


def test_same_random_state_gives_identical_output():
    """Check bit-for-bit reproducibility with a seed, and that seeds matter."""
    first = simulate("ztf-bts", 30, random_state=7)
    second = simulate("ztf-bts", 30, random_state=7)
    for name in ("time", "band", "flux", "flux_err", "detected", "offsets"):
        np.testing.assert_array_equal(getattr(first.lightcurves, name), getattr(second.lightcurves, name))
    pd.testing.assert_frame_equal(first.lightcurves.metadata, second.lightcurves.metadata)
    np.testing.assert_array_equal(first.target, second.target)
    other = simulate("ztf-bts", 30, random_state=8)
    assert not np.array_equal(first.lightcurves.metadata.true_z, other.lightcurves.metadata.true_z)
    rng = np.random.RandomState(7)
    assert np.array_equal(simulate("ztf", 5, random_state=rng).target.shape, (5,))


def test_default_class_fractions():
    """Check the default mixes: rate-derived and Ia-dominated, BTS-like for ztf-bts."""
    for survey in ("ztf", "lsst"):
        fractions = dict(zip(CLASSES, _simulate._default_fractions(SURVEYS[survey], CLASSES)))
        assert sum(fractions.values()) == pytest.approx(1.0)
        assert fractions["AGN"] == pytest.approx(0.05)
        assert max(fractions, key=fractions.get) == "SN Ia"
        assert fractions["SN IIP"] > fractions["SLSN-I"] > 0 and fractions["KN"] > 0
    data = simulate("ztf-bts", 10, random_state=0)
    assert set(data.target_names) == set(BTS_CLASS_MAP) and "KN" not in data.target_names


def test_bts_stand_in_differs_from_ztf(ztf, bts):
    """Check the BTS-like sample: magnitude limited, BTS classes, heavier-tailed noise."""
    frame = _frame(bts)
    assert set(frame.label) <= set(BTS_CLASS_MAP)
    assert 0.55 < np.mean(frame.label == "SN Ia") < 0.85
    lc = bts.lightcurves
    gr = np.isin(lc.band_names, ["ztfg", "ztfr"])
    peak = np.maximum.reduceat(np.where(gr & lc.detected, lc.flux, 0), lc.offsets[:-1])
    assert np.median(fluxcal_to_mag(peak)) < 18.5
    assert frame.true_peak_mag.max() < 18.5 + 0.3

    def pulls(data):
        """Signal-to-noise of forced photometry before explosion (pure noise)."""
        lc, meta = data.lightcurves, data.lightcurves.metadata
        before = lc.time < np.repeat(meta.true_explosion_mjd.to_numpy(), lc.lengths)
        return (lc.flux / lc.flux_err)[before]

    gaussian, heavy = pulls(ztf), pulls(bts)
    assert np.std(gaussian) == pytest.approx(1.0, abs=0.1)
    assert np.std(heavy) > 1.1
    assert np.mean(np.abs(heavy) > 4) > 5 * max(np.mean(np.abs(gaussian) > 4), 1e-3)


def test_redshift_uncertainty_and_missing_redshifts():
    """Check the reported redshift's scatter and the fraction of missing redshifts."""
    meta = simulate("ztf", 300, redshift_uncertainty=0.01, missing_redshift_fraction=0.3,
                    random_state=0).lightcurves.metadata
    assert 0.2 < meta.redshift.isna().mean() < 0.4
    known = meta.dropna(subset=["redshift"])
    known = known[known.true_z > 0.05]  # reported redshifts are clipped at 0
    pull = (known.redshift - known.true_z) / known.redshift_err
    assert pull.std() == pytest.approx(1.0, abs=0.25) and abs(pull.mean()) < 0.25
    np.testing.assert_allclose(known.redshift_err, 0.01 * (1 + known.redshift))


@pytest.mark.parametrize("survey, missing, scatter, outliers", [
    ("ztf", 0.30, 0.017, 0.051), ("lsst", 0.20, 0.027, 0.117 * 0.9)])
def test_simulate_reports_survey_photometric_redshifts(survey, missing, scatter, outliers):
    """Check that by default redshifts are the survey's photo-z: scatter, outliers, a share missing."""
    meta = simulate(survey, 1500, random_state=1).lightcurves.metadata
    assert np.mean(meta.redshift != meta.true_z) > 0.95
    assert meta.redshift.isna().mean() == pytest.approx(missing, abs=0.04)
    np.testing.assert_array_equal(meta.redshift.isna(), meta.redshift_err.isna())
    known = meta.dropna(subset=["redshift"])
    pull = (known.redshift - known.true_z) / (1 + known.true_z)
    nmad = 1.4826 * np.median(np.abs(pull))
    assert nmad == pytest.approx(scatter, rel=0.2)
    assert np.mean(np.abs(pull) > 0.15) == pytest.approx(outliers, abs=0.035)


def test_simulate_bts_redshifts_are_spectroscopic():
    """Check that the BTS-like sample reports spectroscopic redshifts for every object."""
    meta = simulate("ztf-bts", 200, random_state=0).lightcurves.metadata
    assert not meta.redshift.isna().any()
    np.testing.assert_allclose(meta.redshift, meta.true_z, atol=0.005)


def test_simulate_exact_redshifts_and_same_lightcurves():
    """Check that redshifts="exact" reports the truth and leaves the light curves unchanged."""
    photo = simulate("ztf", 50, random_state=3).lightcurves
    exact = simulate("ztf", 50, redshifts="exact", random_state=3).lightcurves
    np.testing.assert_array_equal(exact.metadata.redshift, exact.metadata.true_z)
    np.testing.assert_array_equal(exact.flux, photo.flux)
    np.testing.assert_array_equal(exact.metadata.true_z, photo.metadata.true_z)


def test_host_redshifts_outliers_are_catastrophic():
    """Check that every drawn outlier lies beyond 0.15 (1 + z) of the truth, inside its range."""
    hosts = HostRedshifts(scatter=0.02, outlier_fraction=1.0, outlier_range=(0.0, 1.5))
    z = np.random.default_rng(0).uniform(0.0, 1.2, 5000)
    reported, err = hosts.draw(z, np.random.default_rng(1))
    assert np.all(np.abs(reported - z) / (1 + z) > 0.15)
    assert reported.min() >= 0.0 and reported.max() <= 1.5
    np.testing.assert_allclose(err, 0.02 * (1 + reported))


@pytest.mark.parametrize("params, match", [
    (dict(missing_fraction=1.5), "missing_fraction"), (dict(scatter=-0.1), "scatter"),
    (dict(outlier_range=(1.0, 0.5)), "outlier_range")])
def test_host_redshifts_bad_parameters(params, match):
    """Check that a bad redshift model is refused, naming the parameter."""
    with pytest.raises(ValueError, match=match):
        HostRedshifts(**params)


def test_detectability_cut_keeps_detectable_objects(monkeypatch):
    """Check that the cut before observing does not remove objects that could be detected.

    With the cut loosened by 1.5 mag, no detected object lies beyond where the
    default cut would have dropped it, and almost none comes within 0.5 mag.
    """
    survey, bands = SURVEYS["ztf"], ["ztfg", "ztfr"]
    default = survey.detectable_limit(bands, 2) + _simulate._SELECTION_MARGIN
    monkeypatch.setattr(_simulate, "_SELECTION_MARGIN", _simulate._SELECTION_MARGIN + 1.5)
    data = simulate("ztf", 300, classes=["SN Ia", "SN IIP"], class_fractions=[0.5, 0.5], random_state=0)
    peak = data.lightcurves.metadata.true_peak_mag
    assert peak.max() < default.max()
    assert np.mean(peak > default.max() - 0.5) < 0.01


def test_population_bounds_hold():
    """Check that no sampled object is brighter than its class's bound used by the cut."""
    rng = np.random.default_rng(0)
    for name, model in SOURCES.items():
        for variant in ("reference", "bts"):
            params = model.sample(20000, rng, variant)
            assert params["detection_absmag"].min() >= model.detection_bound(variant), (name, variant)
            assert params["absmag"].min() >= model.brightest_absmag, (name, variant)
            assert np.all(params["host_ebv"] >= 0), name


def test_return_X_y():
    """Check that return_X_y gives the light curves and the aligned labels."""
    X, y = simulate("lsst", 8, classes=["SN Ia", "AGN"], class_fractions={"SN Ia": 0.5, "AGN": 0.5},
                    random_state=0, return_X_y=True)
    assert isinstance(X, LightCurves) and len(X) == 8 and set(y) <= {"SN Ia", "AGN"}


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(survey="hst"), "'survey' parameter"),
        (dict(n_objects=0), "'n_objects' parameter"),
        (dict(classes=["SN Ib"]), "Unknown class 'SN Ib'"),
        (dict(survey="ztf-bts", classes=["KN"]), "does not contain class 'KN'"),
        (dict(classes=["SN Ia", "SN Ia"]), "distinct"),
        (dict(classes=["SN Ia", "TDE"], class_fractions=[1.0]), "1 values but there are 2 classes"),
        (dict(classes=["SN Ia", "TDE"], class_fractions=[0.6, 0.6]), "must sum to 1"),
        (dict(classes=["SN Ia", "TDE"], class_fractions=[1.2, -0.2]), "non-negative"),
        (dict(classes=["SN Ia"], class_fractions={"TDE": 1.0}), "give one fraction per class"),
        (dict(bands=["lsstg"]), "bands must be distinct bands among ztfg, ztfr, ztfi"),
        (dict(bands=["xyz"]), "Unknown band"),
        (dict(trigger_window=(10, 100)), "days_before <= 0 < days_after"),
        (dict(missing_redshift_fraction=1.5), "'missing_redshift_fraction' parameter"),
        (dict(min_detections=0), "'min_detections' parameter"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    """Check that each invalid argument raises a ValueError that names the problem."""
    arguments = dict(survey="ztf", n_objects=5, random_state=0)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        simulate(**arguments)


def test_simulate_whole_survey_window():
    """Check that trigger_window="survey" keeps every visit of the survey, around any trigger."""
    survey = SURVEYS["lsst"]
    data = simulate("lsst", 40, classes=["SN Ia"], trigger_window="survey", random_state=0)
    X = data.lightcurves
    start, end = survey.start_mjd, survey.start_mjd + survey.duration
    assert X.time.min() >= start and X.time.max() <= end
    spans = X.time[X.offsets[1:] - 1] - X.time[X.offsets[:-1]]
    assert np.median(spans) > 800  # three seasons, not a window around the trigger
    assert "every visit of the whole survey" in data.DESCR
    # A window keeps fewer visits of the same kind of object.
    windowed = simulate("lsst", 40, classes=["SN Ia"], random_state=0).lightcurves
    assert np.median(X.lengths) > 1.5 * np.median(windowed.lengths)
    with pytest.raises(ValueError, match="trigger_window"):
        simulate("lsst", 5, trigger_window="all")
