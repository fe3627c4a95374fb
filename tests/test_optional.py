"""The hint of a missing optional dependency."""

import sys

import pytest

from skltransient._optional import import_optional


def test_missing_optional_dependency_says_both_ways_to_install(monkeypatch):
    """Check that the error names the package, the purpose and the extra, for PyPI and a checkout."""
    monkeypatch.setitem(sys.modules, "light_curve", None)  # import fails as if not installed
    with pytest.raises(ImportError) as error:
        import_optional("light_curve", "LightCurveFeatures", "features")
    message = str(error.value)
    assert message.startswith("LightCurveFeatures needs 'light_curve', which is not installed")
    assert "pip install light-curve" in message and "pip install 'skltransient[features]'" in message
    assert "pip install -e '.[features]' in a checkout" in message


def test_parquet_without_pyarrow_names_the_io_extra(monkeypatch, tmp_path):
    """Check that writing Parquet without pyarrow says to install the io extra."""
    from skltransient.utils._testing import make_toy_lightcurves

    X, _ = make_toy_lightcurves(3)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"Reading or writing Parquet needs 'pyarrow'.*'\.\[io\]'"):
        X.to_parquet(tmp_path / "x.parquet")


def test_a_broken_dependency_is_not_called_missing(monkeypatch):
    """Check that an installed package failing on one of its own imports is reported as that
    failure, not as a missing extra."""
    import importlib

    def broken(name, *args):
        raise ModuleNotFoundError("No module named 'deep_dependency'", name="deep_dependency")

    monkeypatch.setattr(importlib, "import_module", broken)
    with pytest.raises(ModuleNotFoundError, match="deep_dependency"):
        import_optional("pyarrow", "Reading or writing Parquet", "io")


def test_subpackages_are_attributes_of_the_lazy_top_level():
    """Check that skltransient.datasets and friends are reachable after a bare import."""
    import skltransient

    assert skltransient.datasets.fetch_bts.__name__ == "fetch_bts"
    assert "preprocessing" in dir(skltransient)
