import numpy as np
import pytest
from sklearn.base import clone

from skltransient import LightCurves
from skltransient.preprocessing import FluxNormalizer, LightCurvePadder


def padded_from(fluxes, errs=None):
    ids = np.repeat(np.arange(len(fluxes)), [len(f) for f in fluxes])
    flux = np.concatenate(fluxes).astype(float)
    err = np.concatenate(errs).astype(float) if errs else np.ones(flux.size)
    time = np.concatenate([np.arange(len(f)) for f in fluxes]).astype(float)
    lc = LightCurves.from_arrays(ids, time, np.full(flux.size, "ztfr"), flux, err)
    return LightCurvePadder(metadata_columns=()).fit_transform(lc)


@pytest.mark.parametrize("method, expected", [
    ("peak", [0.25, -0.5, 1.0]),
    ("running_peak", [1.0, -1.0, 1.0]),
    ("median", [0.5, -1.0, 2.0]),
    ("none", [1.0, -2.0, 4.0]),
])
def test_flux_normalizer_methods(method, expected):
    """Check each method's scale and that uncertainties scale with the fluxes."""
    padded = padded_from([[1.0, -2.0, 4.0]], [[0.1, 0.2, 0.4]])
    out = FluxNormalizer(method).fit_transform(padded)
    np.testing.assert_allclose(out.values[0, :, 1], expected, rtol=1e-6)
    ratio = out.values[0, :, 2] / np.array([0.1, 0.2, 0.4])
    np.testing.assert_allclose(ratio, np.array(expected) / np.array([1.0, -2.0, 4.0]) , rtol=1e-5)
    np.testing.assert_array_equal(out.values[:, :, 0], padded.values[:, :, 0])  # time untouched


def test_flux_normalizer_arcsinh():
    """Check the arcsinh compression and its propagated uncertainty."""
    padded = padded_from([[0.0, 10.0, 100.0]], [[1.0, 1.0, 1.0]])
    out = FluxNormalizer("arcsinh").fit_transform(padded)
    np.testing.assert_allclose(out.values[0, :, 1], np.arcsinh(np.array([0.0, 5.0, 50.0])), rtol=1e-6)
    np.testing.assert_allclose(out.values[0, :, 2], 1 / np.sqrt(4 + np.array([0.0, 100.0, 1e4])), rtol=1e-5)


@pytest.mark.parametrize("method", ["running_peak", "snr"])
def test_running_peak_is_causal(method):
    """Check that early steps of the causal methods do not change when later steps do."""
    a = FluxNormalizer(method).fit_transform(padded_from([[1.0, 2.0, 3.0]])).values
    b = FluxNormalizer(method).fit_transform(padded_from([[1.0, 2.0, 300.0]])).values
    np.testing.assert_array_equal(a[0, :2], b[0, :2])


@pytest.mark.parametrize("method", ["peak", "running_peak", "median", "arcsinh", "snr"])
@pytest.mark.parametrize("fluxes", [[[0.0, 0.0, 0.0]], [[-1.0, -5.0]], [[7.0]]])
def test_flux_normalizer_degenerate_curves_stay_finite(method, fluxes):
    """Check that all-zero, all-negative and single-point light curves give finite output."""
    errs = [[0.0] * len(f) for f in fluxes] if fluxes == [[0.0, 0.0, 0.0]] else None
    out = FluxNormalizer(method).fit_transform(padded_from(fluxes, errs))
    assert np.isfinite(out.values).all()


def test_flux_normalizer_padding_and_input_untouched():
    """Check that padded steps stay zero and the input is not modified."""
    padded = padded_from([[1.0, 2.0, 4.0], [3.0]])
    before = padded.values.copy()
    out = FluxNormalizer().fit_transform(padded)
    np.testing.assert_array_equal(padded.values, before)
    assert np.all(out.values[1, 1:] == 0)
    assert out.values[1, 0, 1] == 1.0


def test_flux_normalizer_grid_keeps_colours():
    """Check that all bands of the grid share one scale per object."""
    lc = LightCurves.from_arrays(["a"] * 4, [0.0, 0.0, 3.0, 3.0], ["ztfg", "ztfr", "ztfg", "ztfr"],
                                 [2.0, 4.0, 1.0, 8.0], np.ones(4))
    padded = LightCurvePadder("grid", metadata_columns=()).fit_transform(lc)
    out = FluxNormalizer("peak").fit_transform(padded)
    np.testing.assert_allclose(out.values[0, :2, :2], [[0.25, 0.5], [0.125, 1.0]])


def test_flux_normalizer_errors():
    """Check the errors for a bad method and a wrong input type."""
    with pytest.raises(ValueError, match="method"):
        FluxNormalizer("max").fit(padded_from([[1.0]]))
    with pytest.raises(TypeError, match="expects a PaddedLightCurves"):
        FluxNormalizer().fit(np.zeros((2, 3, 4)))
    assert clone(FluxNormalizer("median")).method == "median"


@pytest.mark.parametrize("method", ["running_peak", "snr"])
def test_flux_normalizer_running_peak_continues_from_a_given_peak(method):
    """Check that scaling a light curve step by step, carrying the running peak, equals transform of the whole."""
    padded = padded_from([[1.0, -3.0, 2.0, 5.0], [2.0, 1.0]])
    normalizer = FluxNormalizer(method).fit(padded)
    whole = normalizer.transform(padded).values
    peak = np.zeros(2, np.float32)
    for step in range(2):
        values, peak = normalizer.scale_batch(padded.values[:, step:step + 1], np.ones(2, np.int64),
                                             padded.flux_channels, padded.flux_err_channels, peak=peak)
        np.testing.assert_array_equal(values[:, 0], whole[:, step])
    assert peak.tolist() == [3.0, 2.0]


def test_flux_normalizer_keeps_brightness_as_a_magnitude_channel():
    """Check the scale_mag channel: the scale's AB magnitude, causal with running_peak."""
    padded = padded_from([[100.0, 1000.0, 10.0], [10000.0]])
    out = FluxNormalizer("running_peak").fit_transform(padded)
    assert out.channels == tuple(padded.channels) + ("scale_mag",)
    assert out.values.shape[2] == padded.values.shape[2] + 1
    # Running peaks 100, 1000, 1000 -> m = 22.5, 20, 20 -> (m - 20) / 5.
    np.testing.assert_allclose(out.values[0, :, -1], [0.5, 0.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(out.values[1, :, -1], [-0.5, 0.0, 0.0], atol=1e-6)  # zero padding
    peak = FluxNormalizer("peak").fit_transform(padded)
    np.testing.assert_allclose(peak.values[0, :, -1], [0.0, 0.0, 0.0], atol=1e-6)
    for method in ("arcsinh", "none"):
        assert FluxNormalizer(method).fit_transform(padded).channels == tuple(padded.channels)
    off = FluxNormalizer(keep_brightness=False).fit_transform(padded)
    np.testing.assert_array_equal(off.values, out.values[:, :, :-1])


def test_flux_normalizer_snr_scales_each_step_by_its_own_uncertainty():
    """Check snr: arcsinh(flux / flux_err) per step, the propagated uncertainty, the running peak's magnitude."""
    padded = padded_from([[10.0, -2.0, 100.0]], [[2.0, 1.0, 50.0]])
    out = FluxNormalizer("snr").fit_transform(padded)
    np.testing.assert_allclose(out.values[0, :, 1], np.arcsinh([5.0, -2.0, 2.0]), rtol=1e-6)
    np.testing.assert_allclose(out.values[0, :, 2], 1 / np.sqrt(1 + np.array([25.0, 4.0, 4.0])),
                               rtol=1e-5)
    # The brightness channel is the running peak's (10, 10, 100): m = 25, 25, 22.5.
    assert out.channels[-1] == "scale_mag"
    np.testing.assert_allclose(out.values[0, :, -1], [1.0, 1.0, 0.5], atol=1e-6)
    np.testing.assert_allclose(out.flux_scale[0], [2.0, 1.0, 50.0])




def test_flux_normalizer_snr_unscale_recovers_the_measurements():
    """Check that unscale inverts snr (the path of flux-noise augmentation), and rescale redoes it."""
    padded = padded_from([[10.0, -2.0, 100.0], [0.5]], [[2.0, 1.0, 50.0], [0.25]])
    normalizer = FluxNormalizer("snr").fit(padded)
    out = normalizer.transform(padded)
    flux, err = normalizer.unscale(out.values, out.flux_scale, out.flux_channels, out.flux_err_channels)
    np.testing.assert_allclose(flux[0, :, 0], [10.0, -2.0, 100.0], rtol=1e-5)
    np.testing.assert_allclose(err[0, :, 0], [2.0, 1.0, 50.0], rtol=1e-5)
    again, _ = normalizer.rescale(out.values, out.lengths, flux, err, out.flux_channels,
                                  out.flux_err_channels)
    np.testing.assert_allclose(again, out.values, rtol=1e-5, atol=1e-6)


def test_flux_normalizer_snr_refuses_a_grid():
    """Check that snr names the grid's flux channels rather than scaling them by one uncertainty."""
    lc = LightCurves.from_arrays(["a"] * 4, [0.0, 0.0, 3.0, 3.0], ["ztfg", "ztfr", "ztfg", "ztfr"],
                                 [2.0, 4.0, 1.0, 8.0], np.ones(4))
    padded = LightCurvePadder("grid", metadata_columns=()).fit_transform(lc)
    with pytest.raises(ValueError, match=r"snr.*one flux channel per step.*\(0, 1\)"):
        FluxNormalizer("snr").fit_transform(padded)
