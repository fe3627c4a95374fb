import numpy as np
import pytest

from skltransient.bands import get_band, known_bands, register_band, resolve_bands, wavelengths


def names(codes):
    return [known_bands()[c] for c in codes]


def test_resolve_bands_aliases():
    """Check that canonical names, survey-prefixed aliases and letters resolve."""
    assert names(resolve_bands(["ztfg", "ZTF_r", "lsst-y", "LSSTU"])) == ["ztfg", "ztfr", "lssty", "lsstu"]
    assert names(resolve_bands(["g", "Y"], survey="lsst")) == ["lsstg", "lssty"]
    assert names(resolve_bands(["i"], survey="ztf")) == ["ztfi"]


def test_resolve_bands_integers_by_column():
    """Check that integers follow their column: passband is PLAsTiCC, fid is ZTF."""
    assert names(resolve_bands([0, 5, 2], column="passband")) == ["lsstu", "lssty", "lsstr"]
    assert names(resolve_bands([1, 2, 3], column="fid")) == ["ztfg", "ztfr", "ztfi"]


def test_resolve_bands_bare_integer_is_an_error():
    """Check that an integer band without a defining column is refused."""
    with pytest.raises(ValueError, match="Integer band labels are ambiguous"):
        resolve_bands([1, 2])
    with pytest.raises(ValueError, match="Unknown band codes \\[4\\] in column 'fid'"):
        resolve_bands([1, 4], column="fid")


def test_resolve_bands_unknown_and_ambiguous():
    """Check that unknown names list the known bands and bare letters need a survey."""
    with pytest.raises(ValueError, match="known bands are ztfg, ztfr"):
        resolve_bands(["ztfq"])
    with pytest.raises(ValueError, match="ambiguous: it could be ztfg, lsstg"):
        resolve_bands(["g"])


def test_wavelengths_order_and_values():
    """Check pivot wavelengths against the filter-curve values."""
    assert get_band("ztfg").wavelength == pytest.approx(4783.5)
    assert get_band("lssty").wavelength == pytest.approx(9746.2)
    lsst = wavelengths(resolve_bands(list("ugrizy"), survey="lsst"))
    assert np.all(np.diff(lsst) > 0)


def test_register_band_refuses_duplicates_and_bad_wavelength():
    """Check that a band cannot be registered twice or without a wavelength."""
    with pytest.raises(ValueError, match="already registered"):
        register_band("ztfg", "ztf", "g", 4800.0)
    with pytest.raises(ValueError, match="positive wavelength"):
        register_band("mybandx", "mine", "x", -1.0)
