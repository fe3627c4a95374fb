import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from skltransient import LightCurves
from skltransient.preprocessing import LightCurvePadder, PaddedLightCurves


@pytest.fixture
def small():
    meta = pd.DataFrame({"redshift": [0.1, np.nan], "mwebv": [0.02, 0.03]}, index=["b", "a"])
    return LightCurves.from_arrays(
        ["a", "b", "b", "b", "a"], [10.0, 0.0, 3.0, 6.0, 14.0], ["ztfr", "ztfg", "ztfr", "ztfg", "ztfr"],
        [5.0, 1.0, 2.0, 3.0, 7.0], [0.5, 0.1, 0.2, 0.3, 0.7], metadata=meta)


def test_padder_observations_values(small):
    """Check each channel of the observation representation and the zero padding."""
    padded = LightCurvePadder(time_scale=10.0).fit_transform(small)
    assert isinstance(padded, PaddedLightCurves)
    assert padded.values.dtype == np.float32 and padded.values.shape == (2, 3, 4)
    assert padded.lengths.tolist() == [3, 2]
    np.testing.assert_allclose(padded.values[0, :, 0], [0.0, 0.3, 0.6])
    np.testing.assert_allclose(padded.values[0, :, 1], [1.0, 2.0, 3.0])
    np.testing.assert_allclose(padded.values[0, :, 2], [0.1, 0.2, 0.3], rtol=1e-6)
    np.testing.assert_allclose(padded.values[0, :, 3], [0.47835, 0.64171, 0.47835], rtol=1e-5)
    np.testing.assert_allclose(padded.values[1, :2, 0], [0.0, 0.4])
    assert np.all(padded.values[1, 2] == 0)
    assert padded.times.dtype == np.float64
    assert padded.times[1, :2].tolist() == [10.0, 14.0] and np.isnan(padded.times[1, 2])
    assert padded.t0.tolist() == [0.0, 10.0]


def test_padder_times_are_exact_observation_times():
    """Check that step times are the float64 observation times, not rebuilt from float32 elapsed days."""
    time = np.array([59000.123456789, 59000.123456789 + 1e-5, 60500.987654321])
    lc = LightCurves.from_arrays(["a"] * 3, time, ["ztfg"] * 3, [1.0, 2.0, 3.0], [0.1] * 3)
    padded = LightCurvePadder(metadata_columns=(), window=None).fit_transform(lc)
    assert padded.times[0].tolist() == time.tolist()
    assert padded.t0.tolist() == [time[0]]


def test_padder_metadata_columns(small):
    """Check that metadata follows the object order and missing columns become NaN."""
    padded = LightCurvePadder().fit_transform(small)
    assert padded.metadata_names == ("redshift", "mwebv")
    np.testing.assert_allclose(padded.metadata[0], [0.1, 0.02])
    assert np.isnan(padded.metadata[1, 0])
    with pytest.warns(UserWarning, match="'hostmass' is not in the light curves' metadata"):
        padded = LightCurvePadder(metadata_columns=("hostmass",)).fit_transform(small)
    assert padded.metadata.shape == (2, 1) and np.isnan(padded.metadata).all()


@pytest.mark.parametrize("truncate, first, lengths", [("end", [1.0, 2.0], [2, 2]), ("start", [2.0, 3.0], [2, 2])])
def test_padder_truncation(small, truncate, first, lengths):
    """Check that max_length keeps the first (end) or the last (start) steps."""
    padded = LightCurvePadder(max_length=2, truncate=truncate).fit_transform(small)
    assert padded.values.shape[1] == 2
    assert padded.lengths.tolist() == lengths
    np.testing.assert_allclose(padded.values[0, :, 1], first)
    assert padded.values[0, 0, 0] == 0.0  # time restarts at the first kept step


def test_padder_grid_interpolates(small):
    """Check the RAPID-style grid: per-band interpolation, zeros outside each band's span."""
    padder = LightCurvePadder("grid", grid_step=1.5).fit(small)
    assert padder.bands_ == ["ztfg", "ztfr"]
    assert padder.channels_ == ("flux_ztfg", "flux_ztfr", "flux_err_ztfg", "flux_err_ztfr")
    padded = padder.transform(small)
    # object b: g at t=0 (1.0) and t=6 (3.0); r only at t=3 (2.0); 6 days -> 5 grid points
    assert padded.lengths.tolist() == [5, 3]
    np.testing.assert_allclose(padded.values[0, :5, 0], [1.0, 1.5, 2.0, 2.5, 3.0])
    np.testing.assert_allclose(padded.values[0, :5, 1], [0.0, 0.0, 2.0, 0.0, 0.0])
    np.testing.assert_allclose(padded.values[0, :5, 2], [0.1, 0.15, 0.2, 0.25, 0.3], rtol=1e-6)
    # object a: r at t=0 (5.0) and t=4 (7.0)
    np.testing.assert_allclose(padded.values[1, :3, 1], [5.0, 5.75, 6.5])
    assert np.all(padded.values[1, 3:] == 0)


def test_padder_grid_truncate_start_keeps_the_last_steps(small):
    """Check that the grid with truncate='start' keeps the last max_length steps of the full grid."""
    full = LightCurvePadder("grid", grid_step=1.5).fit_transform(small)
    cut = LightCurvePadder("grid", grid_step=1.5, max_length=2, truncate="start").fit_transform(small)
    assert cut.lengths.tolist() == [2, 2]
    np.testing.assert_array_equal(cut.values[0], full.values[0, 3:5])
    np.testing.assert_array_equal(cut.values[1], full.values[1, 1:3])
    assert cut.times.tolist() == [[4.5, 6.0], [11.5, 13.0]]
    assert cut.t0.tolist() == [4.5, 11.5]
    end = LightCurvePadder("grid", grid_step=1.5, max_length=2).fit_transform(small)
    np.testing.assert_array_equal(end.values, full.values[:, :2])
    assert end.t0.tolist() == [0.0, 10.0]


def nights_lightcurves():
    """Two objects: three nights of ``a`` (two bands, repeated epochs), one night of ``b``."""
    return LightCurves.from_arrays(
        ["a"] * 6 + ["b"] * 2,
        [0.1, 0.2, 0.3, 2.05, 2.1, 9.0, 5.0, 5.2],
        ["ztfg", "ztfr", "ztfg", "ztfr", "ztfr", "ztfi", "ztfg", "ztfi"],
        [1.0, 2.0, 3.0, 4.0, 6.0, 9.0, 7.0, 8.0], [0.1, 0.2, 0.3, 0.3, 0.4, 0.5, 0.5, 0.6])


def test_padder_nights_average_each_band_of_a_night():
    """Check one step a night: each band's mean flux, the uncertainty of the mean, the time."""
    lc = nights_lightcurves()
    padder = LightCurvePadder("nights", metadata_columns=()).fit(lc)
    assert padder.channels_ == ("flux_ztfg", "flux_ztfr", "flux_ztfi", "flux_err_ztfg",
                                "flux_err_ztfr", "flux_err_ztfi", "time")
    assert padder.flux_channels() == ((0, 1, 2), (3, 4, 5))
    padded = padder.transform(lc)
    assert padded.lengths.tolist() == [3, 1]
    np.testing.assert_allclose(padded.values[0, 0], [2.0, 2.0, 0.0, np.sqrt(0.1) / 2, 0.2, 0.0, 0.0],
                               rtol=1e-6)
    np.testing.assert_allclose(padded.values[0, 1], [0.0, 5.0, 0.0, 0.0, 0.25, 0.0, 0.018],
                               rtol=1e-6)
    np.testing.assert_allclose(padded.values[0, 2], [0.0, 0.0, 9.0, 0.0, 0.0, 0.5, 0.087],
                               rtol=1e-6)
    np.testing.assert_allclose(padded.values[1, 0], [7.0, 0.0, 8.0, 0.5, 0.0, 0.6, 0.0], rtol=1e-6)
    assert np.all(padded.values[1, 1:] == 0)
    # A night's time is its last observation's; t0 is the first night's.
    np.testing.assert_allclose(padded.times[0], [0.3, 2.1, 9.0])
    assert padded.t0.tolist() == [0.3, 5.2]
    assert "nights" in padded.lookahead


def test_padder_nights_truncate_and_bands_left_out():
    """Check max_length at either end, and observations of other bands left out with a warning."""
    lc = nights_lightcurves()
    full = LightCurvePadder("nights", metadata_columns=()).fit_transform(lc)
    end = LightCurvePadder("nights", max_length=2, metadata_columns=()).fit_transform(lc)
    np.testing.assert_array_equal(end.values[0], full.values[0, :2])
    start = LightCurvePadder("nights", max_length=2, truncate="start",
                             metadata_columns=()).fit_transform(lc)
    assert start.lengths.tolist() == [2, 1] and start.t0.tolist() == [2.1, 5.2]
    np.testing.assert_allclose(start.values[0, :, 1], [5.0, 0.0])
    np.testing.assert_allclose(start.values[0, :, 6], [0.0, (9.0 - 2.1) / 100], rtol=1e-6)
    padder = LightCurvePadder("nights", bands=["ztfg", "ztfr"], metadata_columns=()).fit(lc)
    with pytest.warns(UserWarning, match=r"\['ztfi'\] are not among the nights' bands"):
        padded = padder.transform(lc)
    # "a" loses its third night (ztfi only); "b" keeps its g observation.
    assert padded.lengths.tolist() == [2, 1]
    assert padded.values.shape[2] == 5
    with pytest.raises(ValueError, match="gap_channel=True.*not 'nights'"):
        LightCurvePadder("nights", gap_channel=True).fit(lc)


def test_padder_grid_fixed_bands_warns_about_others(small):
    """Check that bands outside the configured grid are reported, not silently used."""
    padder = LightCurvePadder("grid", bands=["ztfg"]).fit(small)
    with pytest.warns(UserWarning, match="ztfr"):
        padded = padder.transform(small)
    assert padded.values.shape[2] == 2


def test_padded_lightcurves_indexing(small):
    """Check that the padded output slices like LightCurves, all fields together."""
    padded = LightCurvePadder().fit_transform(small)
    sub = padded[np.array([False, True])]
    assert len(sub) == 1 and sub.shape == (1,)
    assert sub.object_ids.tolist() == ["a"]
    np.testing.assert_array_equal(sub.values[0], padded.values[1])
    assert padded[[1, 0, 1]].lengths.tolist() == [2, 3, 2]
    assert padded[0:1].t0.tolist() == [0.0]


def test_padder_clone_pickle_and_errors(small):
    """Check clone, pickling and the error for a wrong input type."""
    padder = LightCurvePadder("grid", max_length=7).fit(small)
    assert clone(padder).get_params() == padder.get_params()
    again = pickle.loads(pickle.dumps(padder))
    np.testing.assert_array_equal(again.transform(small).values, padder.transform(small).values)
    with pytest.raises(TypeError, match="expects a skltransient.LightCurves"):
        LightCurvePadder().fit(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="representation"):
        LightCurvePadder("pixels").fit(small)


def test_padder_large_is_vectorised():
    """Check padding of many objects agrees with a per-object reference."""
    rng = np.random.default_rng(1)
    n = 500
    lengths = rng.integers(1, 40, n)
    obj = np.repeat(np.arange(n), lengths)
    lc = LightCurves.from_arrays(obj, rng.uniform(0, 100, obj.size), rng.choice(["lsstu", "lssty"], obj.size),
                                 rng.normal(size=obj.size), np.ones(obj.size))
    padded = LightCurvePadder(metadata_columns=()).fit_transform(lc)
    for i in (0, 17, 499):
        rows = slice(lc.offsets[i], lc.offsets[i + 1])
        np.testing.assert_allclose(padded.values[i, :lengths[i], 1], lc.flux[rows], rtol=1e-6)
        assert np.all(padded.values[i, lengths[i]:] == 0)


def test_window_keeps_the_days_around_the_trigger():
    """Check that window= pads only observations from start to end days around the first detection,
    with the time channel counted from the first kept one."""
    from skltransient import LightCurves

    time = np.array([0.0, 300.0, 320.0, 330.0, 350.0, 800.0])
    X = LightCurves.from_arrays(["a"] * 6, time, ["ztfg"] * 6, np.arange(6.0) + 1, np.ones(6),
                                detected=[False, False, True, True, False, False])
    padded = LightCurvePadder(window=(-30, 30), metadata_columns=()).fit_transform(X)
    assert padded.lengths.tolist() == [4]
    np.testing.assert_allclose(padded.times[0], [300.0, 320.0, 330.0, 350.0])
    np.testing.assert_allclose(padded.values[0, :, 0], [0.0, 0.2, 0.3, 0.5])  # days / 100
    np.testing.assert_allclose(padded.values[0, :, 1], [2.0, 3.0, 4.0, 5.0])
    open_start = LightCurvePadder(window=(None, 10), metadata_columns=()).fit_transform(X)
    assert open_start.lengths.tolist() == [4] and open_start.times[0, 0] == 0.0
    assert LightCurvePadder(metadata_columns=(), window=None).fit_transform(X).lengths.tolist() == [6]
    default = LightCurvePadder(metadata_columns=()).fit_transform(X)  # no window: every one
    assert default.lengths.tolist() == [6]


@pytest.mark.parametrize("window", [(5, 30), (-30, -1), (-30,), (np.nan, 10)])
def test_window_must_contain_the_trigger(window):
    """Check that a window that would drop the trigger, or is malformed, is refused by name."""
    from skltransient.utils._testing import make_toy_lightcurves

    X, _ = make_toy_lightcurves(3)
    with pytest.raises(ValueError, match="LightCurvePadder: window"):
        LightCurvePadder(window=window).fit(X)


@pytest.mark.parametrize("representation", ["observations", "grid"])
def test_padder_refuses_a_max_length_no_memory_holds(small, representation):
    """Check that fit and transform refuse, before allocating, a max_length beyond the machine's memory."""
    with pytest.raises(ValueError, match=r"Padding 1 light curve to 1,000,000,000,000 steps "
                                         r"\(max_length=1000000000000\) would need about [\d.]+ TB"):
        LightCurvePadder(representation, max_length=10**12).fit(small)
    padder = LightCurvePadder(representation).fit(small).set_params(max_length=10**12)
    with pytest.raises(ValueError, match=r"would need about [\d.]+ TB of memory.*smaller max_length"):
        padder.transform(small)


def test_padder_names_metadata_that_is_not_a_number(small):
    """Check that a metadata value that is not a number is refused, naming the column and object."""
    X = small[:]
    X.metadata = X.metadata.assign(redshift=["0.1", "n/a"])
    padded = LightCurvePadder(metadata_columns=("redshift",)).fit(X).transform(X)
    with pytest.raises(ValueError, match=rf"Metadata column 'redshift' has a value 'n/a' that is not "
                                         rf"a number for light curve {X.object_ids[1]!r}"):
        padded.metadata


def test_padder_reads_categorical_metadata_as_numbers(small):
    """Check that categorical numeric metadata is padded as its values."""
    X = small[:]
    values = np.array([0.25, 0.1])
    X.metadata = X.metadata.assign(redshift=pd.Categorical(values))
    padded = LightCurvePadder(metadata_columns=("redshift",)).fit(X).transform(X)
    np.testing.assert_array_equal(padded.metadata[:, 0], values.astype(np.float32))


@pytest.mark.parametrize("column", ["flux", "flux_err"])
def test_padder_names_a_light_curve_beyond_float32(small, column):
    """Check that a flux that fits float64 but not the float32 padded input is refused, naming it."""
    X = small[:]
    values = getattr(X, column).copy()
    values[X.offsets[1]] = 1e300  # the second object's first observation
    setattr(X, column, values)
    padder = LightCurvePadder().fit(small)
    with pytest.raises(ValueError, match=rf"Column '{column}' has 1e\+300 for light curve "
                                         rf"{X.object_ids[1]!r} \(1 values in all\), beyond the range"):
        padder.transform(X)


def test_padder_public_seams_give_what_transform_pads(small):
    """Check that the padder's seams (observation encoding, flux channels, metadata, channel
    names) give exactly the steps, channels and metadata of transform."""
    from skltransient.preprocessing._padding import channel_names

    padder = LightCurvePadder(time_scale=10.0).fit(small)
    padded = padder.transform(small)
    a = small[[1]]  # object "a": observations at 10 and 14 days
    steps = padder.observation_steps(a.time - a.time[0], a.flux, a.flux_err, a.wavelength)
    np.testing.assert_array_equal(steps, padded.values[1, :2])
    assert padder.flux_channels() == (padded.flux_channels, padded.flux_err_channels) == ((1,), (2,))
    np.testing.assert_array_equal(padder.metadata_values(small.metadata), padded.metadata)
    assert channel_names("observations", padder.bands_) == padder.channels_ == padded.channels
    assert channel_names("grid", ["ztfg", "ztfr"]) == (
        "flux_ztfg", "flux_ztfr", "flux_err_ztfg", "flux_err_ztfr")
    assert channel_names("nights", ["ztfg", "ztfr"]) == (
        "flux_ztfg", "flux_ztfr", "flux_err_ztfg", "flux_err_ztfr", "time")


@pytest.mark.parametrize("window, expected", [
    (None, None), ((-30, 100), (-30.0, 100.0)), ((None, 50), (None, 50.0)), ((-5, None), (-5.0, None)),
])
def test_padder_window_bounds(window, expected):
    """Check that window_bounds gives the window's checked bounds as floats, None for an open side."""
    assert LightCurvePadder(window=window).window_bounds() == expected


def test_padder_window_bounds_refuses_a_window_without_the_trigger():
    """Check that a window that does not contain the trigger is refused, naming it."""
    with pytest.raises(ValueError, match="must contain the trigger"):
        LightCurvePadder(window=(5, 10)).window_bounds()
    with pytest.raises(ValueError, match=r"must be \(start, end\)"):
        LightCurvePadder(window=(1, 2, 3)).window_bounds()


def test_padder_warns_about_each_missing_metadata_column():
    """Check that warn_missing_metadata names the missing column, and is quiet when none is."""
    padder = LightCurvePadder(metadata_columns=("redshift", "mwebv"))
    with pytest.warns(UserWarning, match="'mwebv' is not in"):
        padder.warn_missing_metadata(["redshift"])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        padder.warn_missing_metadata(["redshift", "mwebv"])


def test_padder_check_padded_size_refuses_a_batch_beyond_memory(small):
    """Check that check_padded_size refuses a padded batch no memory holds, before allocating it."""
    padder = LightCurvePadder().fit(small)
    padder.check_padded_size(2, 10)
    with pytest.raises(ValueError, match="max_length"):
        padder.check_padded_size(10**9, 10**9)


def test_padder_gap_channel_is_the_log_days_since_the_previous_kept_observation():
    """Check log_gap: log10(1 + days since the previous kept step), 0 at the first, after a window and a truncation."""
    lc = LightCurves.from_arrays(["a"] * 4 + ["b"] * 3, [0.0, 1.0, 1.2, 30.0, 5.0, 5.0, 105.0],
                                 ["ztfg", "ztfr"] * 3 + ["ztfg"], np.ones(7), np.ones(7))
    padder = LightCurvePadder(metadata_columns=(), gap_channel=True).fit(lc)
    assert padder.channels_ == ("time", "flux", "flux_err", "wavelength", "log_gap")
    out = padder.transform(lc)
    np.testing.assert_allclose(out.values[0, :, 4], np.log10(1 + np.array([0.0, 1.0, 0.2, 28.8])),
                               rtol=1e-5)
    np.testing.assert_allclose(out.values[1, :3, 4], np.log10(1 + np.array([0.0, 0.0, 100.0])),
                               rtol=1e-6)
    assert out.values[1, 3, 4] == 0.0  # padding
    np.testing.assert_array_equal(out.values[:, :, :4],
                                  LightCurvePadder(metadata_columns=()).fit_transform(lc).values)
    last = LightCurvePadder(metadata_columns=(), gap_channel=True, max_length=2,
                            truncate="start").fit_transform(lc)
    np.testing.assert_allclose(last.values[0, :, 4], np.log10(1 + np.array([0.0, 28.8])), rtol=1e-5)


def test_padder_gap_channel_refuses_a_grid(small):
    """Check that a grid, whose steps are evenly spaced, refuses the gap channel, naming the representation."""
    with pytest.raises(ValueError, match="gap_channel=True.*'observations' representation"):
        LightCurvePadder("grid", gap_channel=True).fit(small)
