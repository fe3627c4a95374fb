import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skltransient import LightCurves
from skltransient.preprocessing import LightCurvePadder, MetadataScaler


@parametrize_with_checks([MetadataScaler(), MetadataScaler(add_indicator=False)])
def test_metadata_scaler_sklearn_checks(estimator, check):
    """Check that MetadataScaler passes scikit-learn's full estimator suite on arrays."""
    check(estimator)


def test_metadata_scaler_standardises_and_flags():
    """Check standardisation with statistics of the finite values and the indicators."""
    X = np.array([[1.0, 10.0], [3.0, np.nan], [np.nan, 30.0]])
    scaler = MetadataScaler().fit(X)
    np.testing.assert_allclose(scaler.mean_, [2.0, 20.0])
    np.testing.assert_allclose(scaler.scale_, [1.0, 10.0])
    np.testing.assert_allclose(scaler.transform(X), [[-1, -1, 0, 0], [1, 0, 0, 1], [0, 1, 1, 0]])


def test_metadata_scaler_width_does_not_depend_on_data():
    """Check one indicator per column even when fit saw no missing value."""
    complete = np.array([[0.1, 0.01], [0.2, 0.02]])
    assert MetadataScaler().fit_transform(complete).shape == (2, 4)
    gappy = np.array([[np.nan, np.nan], [np.nan, np.nan]])
    out = MetadataScaler().fit_transform(gappy)
    assert out.shape == (2, 4)
    np.testing.assert_array_equal(out, [[0, 0, 1, 1], [0, 0, 1, 1]])


def test_metadata_scaler_on_padded_lightcurves():
    """Check that padded metadata is scaled and renamed, and values are untouched."""
    meta = pd.DataFrame({"redshift": [0.1, np.nan, 0.3], "mwebv": [0.0, 0.0, 0.0]}, index=[1, 2, 3])
    lc = LightCurves.from_arrays([1, 2, 3], [0.0, 0.0, 0.0], ["ztfg"] * 3, [1.0, 2.0, 3.0],
                                 [0.1] * 3, metadata=meta)
    padded = LightCurvePadder().fit_transform(lc)
    scaler = MetadataScaler().fit(padded)
    out = scaler.transform(padded)
    assert out.metadata_names == ("redshift", "mwebv", "missing_redshift", "missing_mwebv")
    np.testing.assert_allclose(out.metadata, [[-1, 0, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]])
    assert out.metadata.dtype == np.float32
    assert out.values is padded.values
    with pytest.raises(ValueError, match="fitted with 2"):
        scaler.transform(padded.replace(metadata=padded.metadata[:, :1]))


def _padded_with_metadata(columns):
    meta = pd.DataFrame(columns, index=[1, 2, 3])
    lc = LightCurves.from_arrays([1, 2, 3], [0.0, 0.0, 0.0], ["ztfg"] * 3, [1.0, 2.0, 3.0],
                                 [0.1] * 3, metadata=meta)
    return LightCurvePadder(metadata_columns=tuple(meta.columns)).fit_transform(lc)


def test_metadata_scaler_reorders_columns_by_name():
    """Check that columns given in another order are scaled with their own statistics."""
    fitted_on = _padded_with_metadata({"redshift": [0.1, 0.2, 0.3], "mwebv": [10.0, 20.0, 30.0]})
    swapped = _padded_with_metadata({"mwebv": [10.0, 20.0, 30.0], "redshift": [0.1, 0.2, 0.3]})
    scaler = MetadataScaler().fit(fitted_on)
    out = scaler.transform(swapped)
    assert out.metadata_names == ("redshift", "mwebv", "missing_redshift", "missing_mwebv")
    np.testing.assert_allclose(out.metadata, scaler.transform(fitted_on).metadata)


@pytest.mark.parametrize("columns, match", [
    ({"redshift": [0.1, 0.2, 0.3], "hostmass": [1.0, 2.0, 3.0]},
     r"missing \['mwebv'\] and unexpected \['hostmass'\]"),
    ({"redshift": [0.1, 0.2, 0.3]}, r"missing \['mwebv'\]"),
    ({"redshift": [0.1, 0.2, 0.3], "mwebv": [1.0, 2.0, 3.0], "ra": [1.0, 2.0, 3.0]},
     r"unexpected \['ra'\]"),
])
def test_metadata_scaler_refuses_other_columns(columns, match):
    """Check that metadata columns other than the fitted ones are refused, naming them."""
    scaler = MetadataScaler().fit(_padded_with_metadata({"redshift": [0.1, 0.2, 0.3],
                                                         "mwebv": [1.0, 2.0, 3.0]}))
    with pytest.raises(ValueError, match="MetadataScaler was fitted on metadata columns "
                                         r"\['redshift', 'mwebv'\].*" + match):
        scaler.transform(_padded_with_metadata(columns))
    twice = _padded_with_metadata({"redshift": [0.1, 0.2, 0.3], "mwebv": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"repeated names \['redshift'\]"):
        scaler.transform(twice.replace(metadata=twice.metadata[:, [0, 1, 0]],
                                       metadata_names=("redshift", "mwebv", "redshift")))
