import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import KFold, train_test_split
from sklearn.utils import _safe_indexing

from skltransient import LightCurves


def table(**changes):
    data = {"object_id": ["obj2", "obj10", "obj2", "obj10", "obj2"],
            "mjd": [3.0, 1.0, 1.0, 2.0, 2.0], "passband": [0, 1, 2, 3, 4],
            "flux": [1.0, 2.0, 3.0, 4.0, 5.0], "flux_err": [0.1, 0.2, 0.3, 0.4, 0.5]}
    data.update(changes)
    return pd.DataFrame(data)


def test_from_pandas_keeps_first_appearance_order_and_sorts_time():
    """Check that objects keep their first-appearance order and times are sorted."""
    lc = LightCurves.from_pandas(table())
    assert lc.object_ids.tolist() == ["obj2", "obj10"]
    assert lc.lengths.tolist() == [3, 2]
    assert lc.time.tolist() == [1.0, 2.0, 3.0, 1.0, 2.0]
    assert lc.flux.tolist() == [3.0, 5.0, 1.0, 2.0, 4.0]
    assert lc.band_names.tolist() == ["lsstr", "lsstz", "lsstu", "lsstg", "lssti"]


def test_from_pandas_metadata_sets_order():
    """Check that the metadata index order sets the object order, never a sort."""
    meta = pd.DataFrame({"redshift": [0.5, 0.1]}, index=["obj10", "obj2"])
    lc = LightCurves.from_pandas(table(), meta)
    assert lc.object_ids.tolist() == ["obj10", "obj2"]
    assert lc.metadata["redshift"].tolist() == [0.5, 0.1]
    assert lc.flux[lc.offsets[1]:].tolist() == [3.0, 5.0, 1.0]


def test_from_pandas_metadata_object_id_column():
    """Check that metadata with an object_id column is indexed by it."""
    meta = pd.DataFrame({"object_id": ["obj2", "obj10"], "mwebv": [0.01, 0.02]})
    lc = LightCurves.from_pandas(table(), meta)
    assert lc.metadata.loc["obj10", "mwebv"] == 0.02


def test_from_pandas_aliases_and_explicit_columns():
    """Check SNANA-style names and explicit column arguments."""
    snana = table().rename(columns={"mjd": "MJD", "flux": "FLUXCAL", "flux_err": "FLUXCALERR"})
    assert LightCurves.from_pandas(snana).n_observations == 5
    odd = table().rename(columns={"flux": "brightness"})
    lc = LightCurves.from_pandas(odd, flux="brightness")
    assert lc.flux.sum() == 15.0


def test_to_pandas_round_trip():
    """Check that to_pandas and from_pandas give back the same light curves."""
    lc = LightCurves.from_pandas(table())
    back = LightCurves.from_pandas(lc.to_pandas())
    np.testing.assert_array_equal(back.flux, lc.flux)
    np.testing.assert_array_equal(back.band, lc.band)
    assert back.object_ids.tolist() == lc.object_ids.tolist()


@pytest.mark.parametrize("key, expected", [
    (1, ["obj10"]), (-1, ["obj10"]), (slice(0, 1), ["obj2"]),
    (np.array([False, True]), ["obj10"]), (np.array([1, 0, 1]), ["obj10", "obj2", "obj10"]),
    ([0], ["obj2"]),
])
def test_indexing_returns_lightcurves(key, expected):
    """Check that int, slice, mask and integer arrays select whole light curves."""
    lc = LightCurves.from_pandas(table(), pd.DataFrame({"z": [1.0, 2.0]}, index=["obj2", "obj10"]))
    sub = lc[key]
    assert isinstance(sub, LightCurves)
    assert sub.object_ids.tolist() == expected
    assert sub.metadata.index.tolist() == expected
    first = {"obj2": [3.0, 5.0, 1.0], "obj10": [2.0, 4.0]}
    assert sub.flux.tolist() == sum((first[o] for o in expected), [])


def test_indexing_errors():
    """Check that bad keys raise IndexError."""
    lc = LightCurves.from_pandas(table())
    with pytest.raises(IndexError):
        lc[2]
    with pytest.raises(IndexError, match="boolean index"):
        lc[np.array([True])]
    with pytest.raises(IndexError, match="cannot be indexed"):
        lc[np.array([0.5])]


def test_len_shape_and_array_conversion():
    """Check len and shape, and that conversion to an array explains itself."""
    lc = LightCurves.from_pandas(table())
    assert len(lc) == 2 and lc.shape == (2,)
    with pytest.raises(TypeError, match="LightCurvePadder"):
        np.asarray(lc)


def test_sklearn_utilities_slice_lightcurves(lightcurves):
    """Check train_test_split, _safe_indexing and KFold work on LightCurves directly."""
    lc, y = lightcurves
    X_train, X_test, y_train, y_test = train_test_split(lc, y, test_size=0.25, random_state=0)
    assert isinstance(X_train, LightCurves) and len(X_train) == len(y_train) == 45
    # Labels travel with their objects: the label is a function of the flare width.
    mapping = dict(zip(lc.object_ids, y))
    assert [mapping[o] for o in X_test.object_ids] == y_test.tolist()
    assert _safe_indexing(lc, np.array([3, 1])).object_ids.tolist() == ["obj3", "obj1"]
    for train, test in KFold(3).split(lc):
        assert len(lc[train]) + len(lc[test]) == len(lc)


def test_concatenate():
    """Check that concatenation joins objects and refuses duplicate ids."""
    lc = LightCurves.from_pandas(table())
    both = LightCurves.concatenate([lc[[0]], lc[[1]]])
    np.testing.assert_array_equal(both.flux, lc.flux)
    assert both.offsets.tolist() == lc.offsets.tolist()
    with pytest.raises(ValueError, match="not unique.*obj2"):
        LightCurves.concatenate([lc, lc])


def test_concatenate_keeps_detection_flags_or_refuses():
    """Check that detection flags survive concatenation, and that a mix with and without is refused."""
    flagged = LightCurves.from_arrays(["a", "a"], [0.0, 1.0], ["ztfg", "ztfg"], [1.0, 5.0],
                                      [0.1, 0.1], detected=[False, True])
    other = LightCurves.from_arrays(["b"], [0.0], ["ztfg"], [1.0], [0.1], detected=[True])
    both = LightCurves.concatenate([flagged, other])
    assert both.detected.tolist() == [False, True, True]
    assert both.trigger_time.tolist() == [1.0, 0.0]
    unflagged = LightCurves.from_arrays(["b"], [0.0], ["ztfg"], [1.0], [0.1])
    with pytest.raises(ValueError, match=r"collection 1 has none"):
        LightCurves.concatenate([flagged, unflagged])


def test_concatenate_refuses_different_metadata_columns():
    """Check that collections whose metadata columns differ are refused, naming the columns."""
    a = LightCurves.from_arrays(["a"], [0.0], ["ztfg"], [1.0], [0.1],
                                metadata=pd.DataFrame({"redshift": [0.1]}, index=["a"]))
    b = LightCurves.from_arrays(["b"], [0.0], ["ztfg"], [1.0], [0.1])
    with pytest.raises(ValueError, match=r"metadata columns.*redshift"):
        LightCurves.concatenate([a, b])


@pytest.mark.parametrize("kwargs, match", [
    ({"max_time": [1.0, 2.0, 3.0]}, r"max_time has shape \(3,\); expected a number or \(2,\)"),
    ({"max_time": np.nan}, "max_time must be finite"),
    ({"n_observations": -1}, "n_observations must be at least 1"),
    ({"n_observations": 1.5}, "n_observations must be an integer"),
    ({"max_time": 1.0, "days_since_trigger": 0.0}, "max_time or days_since_trigger, not both"),
    ({"days_since_trigger": [1.0, 2.0, 3.0]}, r"days_since_trigger has shape \(3,\)"),
])
def test_truncate_refuses_bad_limits(kwargs, match):
    """Check that truncate names a bad limit instead of failing deep inside NumPy."""
    lc = LightCurves.from_pandas(table())
    with pytest.raises(ValueError, match=match):
        lc.truncate(**kwargs)


@pytest.mark.parametrize("changes, match", [
    ({"mjd": [np.nan, 1.0, 1.0, 2.0, 2.0]}, "Light curve 'obj2' has non-finite times"),
    ({"flux_err": [0.1, -0.2, 0.3, 0.4, 0.5]}, "Light curve 'obj10' has negative or non-finite flux_err"),
    ({"flux_err": [0.1, 0.2, np.inf, 0.4, 0.5]}, "'obj2' has negative or non-finite flux_err"),
    ({"flux": [1.0, 2.0, 3.0, np.nan, 5.0]}, "Light curve 'obj10' has non-finite flux values"),
    ({"passband": [0, 1, 2, 3, 9]}, r"Unknown band codes \[9\]"),
])
def test_bad_observations_raise(changes, match):
    """Check that each kind of bad observation names the object and the problem."""
    with pytest.raises(ValueError, match=match):
        LightCurves.from_pandas(table(**changes))


def test_unknown_band_name_lists_known_bands():
    """Check that an unknown band name lists the known bands."""
    bad = table(passband=["ztfg"] * 4 + ["ztfx"]).rename(columns={"passband": "band"})
    with pytest.raises(ValueError, match="Unknown band 'ztfx'; known bands are ztfg"):
        LightCurves.from_pandas(bad)


def test_missing_column_raises():
    """Check that a missing required column is named with its aliases."""
    with pytest.raises(ValueError, match="no flux_err column"):
        LightCurves.from_pandas(table().drop(columns="flux_err"))


def test_on_invalid_drop_warns_with_count():
    """Check that non-finite fluxes are dropped with a counted warning."""
    with pytest.warns(UserWarning, match="Dropped 2 observations"):
        lc = LightCurves.from_pandas(table(flux=[np.nan, 2.0, 3.0, np.inf, 5.0]), on_invalid="drop")
    assert lc.lengths.tolist() == [2, 1]
    assert np.isfinite(lc.flux).all()


@pytest.mark.parametrize("meta, match", [
    (pd.DataFrame({"z": [1.0, 2.0, 3.0]}, index=["obj2", "obj10", "obj2"]), "Duplicate object ids"),
    (pd.DataFrame({"z": [1.0, 2.0, 3.0]}, index=["obj2", "obj10", "obj7"]),
     "Light curve 'obj7' has no observations"),
    (pd.DataFrame({"z": [1.0]}, index=["obj2"]), "Light curve 'obj10' has observations but no metadata"),
])
def test_metadata_mismatch_raises(meta, match):
    """Check duplicate ids and objects missing on either side."""
    with pytest.raises(ValueError, match=match):
        LightCurves.from_pandas(table(), meta)


def test_object_emptied_by_drop_raises():
    """Check that an object whose only observations are dropped is reported."""
    with pytest.raises(ValueError, match="Light curve 'obj10' has no observations"), \
            pytest.warns(UserWarning, match="Dropped 2"):
        LightCurves.from_pandas(table(flux=[1.0, np.nan, 3.0, np.nan, 5.0]), on_invalid="drop")


def test_parquet_round_trip(tmp_path, lightcurves):
    """Check that light curves, metadata and labels survive a Parquet round trip."""
    pytest.importorskip("pyarrow")
    lc, y = lightcurves
    lc.to_parquet(tmp_path / "lc.parquet", y=y)
    back, y_back = LightCurves.read_parquet(tmp_path / "lc.parquet")
    assert back.object_ids.tolist() == lc.object_ids.tolist()
    np.testing.assert_array_equal(back.flux, lc.flux)
    np.testing.assert_array_equal(back.band, lc.band)
    np.testing.assert_allclose(back.metadata["redshift"], lc.metadata["redshift"], rtol=1e-12)
    assert y_back.tolist() == y.tolist()
    lc.to_parquet(tmp_path / "nolabels.parquet")
    assert LightCurves.read_parquet(tmp_path / "nolabels.parquet")[1] is None
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "other.parquet")
    with pytest.raises(ValueError, match="was not written by LightCurves.to_parquet"):
        LightCurves.read_parquet(tmp_path / "other.parquet")
    with pytest.raises(ValueError, match="one label per object"):
        lc.to_parquet(tmp_path / "bad.parquet", y=y[:-1])


@pytest.mark.parametrize("changes, match", [
    ({"object_id": ["obj2", np.nan, "obj2", "obj10", "obj2"]},
     r"Column 'object_id' has a missing object id \(NaN or None\) at row 1 \(1 in all\)"),
    ({"object_id": ["obj2", "obj10", None, "obj10", "obj2"]}, "Column 'object_id' has a missing object id"),
    ({"flux": [1.0, "x", 3.0, 4.0, 5.0]},
     "Light curve 'obj10' has a value 'x' that is not a number in column 'flux' at row 1 "),
    ({"mjd": [3.0, 1.0, "soon", 2.0, 2.0]},
     "Light curve 'obj2' has a value 'soon' that is not a number in column 'mjd' at row 2"),
    ({"flux_err": [0.1, 0.2, 0.3, 0.4, "big"]}, "'big' that is not a number in column 'flux_err' at row 4"),
])
def test_from_pandas_unparsable_values_name_column_row_and_object(changes, match):
    """Check that missing ids and non-numbers name the column, the row and the object."""
    with pytest.raises(ValueError, match=match):
        LightCurves.from_pandas(table(**changes))


def test_from_pandas_numeric_strings_and_nullable_columns_are_numbers():
    """Check that numbers written as strings and nullable numeric columns are read as numbers."""
    lc = LightCurves.from_pandas(table(flux=["1", "2.0", " 3 ", "4", "5e0"],
                                       mjd=pd.array([3, 1, 1, 2, 2], dtype="Int64")))
    assert lc.flux.tolist() == [3.0, 5.0, 1.0, 2.0, 4.0]
    assert lc.time.tolist() == [1.0, 2.0, 3.0, 1.0, 2.0]


@pytest.mark.parametrize("flags", [
    [True, False, False, True, False],
    [1, 0, 0, 1, 0],
    [1.0, 0.0, 0.0, 1.0, 0.0],
    ["1", "0", "0", "1", "0"],
    ["True", "false", "F", " t ", "FALSE"],
    np.array([True, 0, "0", "1", "f"], dtype=object),
])
def test_from_pandas_parses_detection_flags(flags):
    """Check that booleans, 0/1 and 'true'/'false'/'t'/'f' strings are parsed as detection flags."""
    lc = LightCurves.from_pandas(table(detected=flags))
    # obj2's rows 0, 2, 4 (times 3, 1, 2) and obj10's rows 1, 3 (times 1, 2).
    assert lc.detected.tolist() == [False, False, True, False, True]
    assert lc.trigger_time.tolist() == [3.0, 2.0]


@pytest.mark.parametrize("flags, shown, row, name", [
    (["1", "0", "0", "1", "0"][:4] + ["yes"], "'yes'", 4, "obj2"),
    ([1.0, np.nan, 0.0, 1.0, 0.0], "nan", 1, "obj10"),
    ([True, False, None, True, False], "None", 2, "obj2"),
    ([1, 0, 0, 2, 0], "2", 3, "obj10"),
])
def test_from_pandas_refuses_unparsable_detection_flags(flags, shown, row, name):
    """Check that NaN, None, 2 or 'yes' as a detection flag is refused, naming column, row and object."""
    with pytest.raises(ValueError, match=(
            f"Light curve '{name}' has a value {shown} that is not a detection flag in column "
            f"'detected' at row {row} ")):
        LightCurves.from_pandas(table(detected=flags))


def test_from_arrays_refuses_unparsable_detection_flags():
    """Check that from_arrays names its detected argument when a flag does not parse."""
    with pytest.raises(ValueError, match="'0.5' that is not a detection flag in column 'detected'"):
        LightCurves.from_arrays(["a", "a"], [0.0, 1.0], ["ztfg", "ztfg"], [1.0, 2.0], [0.1, 0.1],
                                detected=["1", "0.5"])


@pytest.mark.parametrize("times", [
    pd.to_datetime(["2022-01-01T12:00", "2022-01-01T00:00", "2022-01-02T00:00", "2022-01-03T00:00",
                    "2022-01-04T00:00"]),
    np.array(["2022-01-01T12:00", "2022-01-01", "2022-01-02", "2022-01-03", "2022-01-04"],
             dtype="datetime64[us]"),
    pd.to_datetime(["2022-01-01T13:00", "2022-01-01T01:00", "2022-01-02T01:00", "2022-01-03T01:00",
                    "2022-01-04T01:00"]).tz_localize("Europe/Paris"),
    np.array([pd.Timestamp("2022-01-01T12:00"), pd.Timestamp("2022-01-01"),
              pd.Timestamp("2022-01-02T01:00", tz="Europe/Paris"), pd.Timestamp("2022-01-03"),
              pd.Timestamp("2022-01-04")], dtype=object),
])
def test_from_pandas_converts_datetimes_to_mjd(times):
    """Check that datetime64, tz-aware and Timestamp time columns become MJD (UTC)."""
    lc = LightCurves.from_pandas(table(mjd=times))
    # 2022-01-01T00:00 UTC is MJD 59580; obj2 has rows 0, 2, 4, obj10 rows 1, 3.
    np.testing.assert_allclose(lc.time, [59580.5, 59581.0, 59583.0, 59580.0, 59582.0], rtol=0, atol=1e-9)


def test_from_pandas_converts_a_jd_column():
    """Check that a time column named 'jd' holds Julian Dates and is converted to MJD."""
    lc = LightCurves.from_pandas(table(mjd=[2459583.5, 2459581.5, 2459581.5, 2459582.5, 2459582.5])
                                 .rename(columns={"mjd": "JD"}))
    assert lc.time.tolist() == [59581.0, 59582.0, 59583.0, 59581.0, 59582.0]
    with pytest.raises(ValueError, match="Light curve 'obj2' has a time 3.0 below 2400000 in column "
                                         "'jd' at row 0 .*not a Julian Date"):
        LightCurves.from_pandas(table().rename(columns={"mjd": "jd"}))


@pytest.mark.parametrize("times, match", [
    ([2459583.5, 2459581.5, 2459581.5, 2459582.5, 2459582.5],
     "Light curve 'obj2' has a time 2459583.5 of 2400000 or more in column 'mjd'.*subtract 2400000.5"),
    ([2459583.5, 59581.0, 59581.0, 59582.0, 59582.0],
     "Light curve 'obj2' mixes Julian Dates and MJD in column 'mjd'"),
])
def test_from_pandas_refuses_julian_dates_as_mjd(times, match):
    """Check that Julian Dates in an MJD column, alone or mixed with MJD in an object, are refused."""
    with pytest.raises(ValueError, match=match):
        LightCurves.from_pandas(table(mjd=times))


def test_from_arrays_accepts_relative_and_negative_days():
    """Check that small and negative relative times (days since peak) are accepted as they are."""
    lc = LightCurves.from_arrays(["a", "a", "a"], [-20.0, 0.0, 35.5], ["ztfg"] * 3, [1.0, 5.0, 2.0],
                                 [0.1] * 3)
    assert lc.time.tolist() == [-20.0, 0.0, 35.5]
    with pytest.raises(ValueError, match="Light curve 'a' has a time 2459583.5 of 2400000 or more in "
                                         "column 'time'"):
        LightCurves.from_arrays(["a"], [2459583.5], ["ztfg"], [1.0], [0.1])


def test_truncate_at_days_since_trigger_is_the_cut_at_trigger_plus_day():
    """Check that days_since_trigger keeps each object's observations up to its trigger plus the
    days (per object too), as max_time at that time does."""
    lc = LightCurves.from_arrays(["a"] * 4 + ["b"] * 3, [0.0, 5.0, 9.0, 20.0, 100.0, 101.0, 130.0],
                                 ["ztfg"] * 7, [1.0] * 7, [0.1] * 7,
                                 detected=[False, True, True, True, True, True, True])
    cut = lc.truncate(days_since_trigger=4.0)  # triggers at 5 and 100
    assert cut.time.tolist() == [0.0, 5.0, 9.0, 100.0, 101.0]
    assert cut.time.tolist() == lc.truncate(max_time=lc.trigger_time + 4.0).time.tolist()
    assert lc.truncate(days_since_trigger=[0.0, 30.0]).lengths.tolist() == [2, 3]
    with pytest.raises(ValueError, match="no observations left"):
        lc.truncate(days_since_trigger=-10.0)
