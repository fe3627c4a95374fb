"""Read light curves from any file format the package knows, by its name."""

from pathlib import Path

from .._lightcurves import LightCurves
from ._readers_alerts import read_lsst_alerts, read_ztf_alerts, read_ztf_forced_photometry
from ._readers_plasticc import read_plasticc
from ._readers_snana import read_snana

__all__ = ["read_data"]


def read_data(path, metadata=None, *, survey=None):
    """Read light curves (and labels when present) from any format the package reads.

    Parquet files written by ``LightCurves.to_parquet`` (``skltransient
    simulate``), ZTF or Rubin alert Parquet/Avro files, PLAsTiCC CSV pairs
    (``metadata`` names the metadata CSV), SNANA FITS/ASCII files and ZTF
    forced-photometry text files.

    Returns
    -------
    lightcurves : LightCurves
    y : ndarray or None
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist.")
    name = path.name.lower()
    if name.endswith(".parquet") or path.is_dir():
        try:
            return LightCurves.read_parquet(path)
        except ValueError as error:
            if "was not written by LightCurves.to_parquet" not in str(error):
                raise
        return _first_reader(path, (read_ztf_alerts, read_lsst_alerts))
    if name.endswith(".avro"):
        return _first_reader(path, (read_ztf_alerts, read_lsst_alerts))
    if name.endswith((".csv", ".csv.gz")):
        return _with_labels(read_plasticc(path, metadata))
    if name.endswith((".fits", ".fits.gz", ".dat", ".dat.gz")):
        return _with_labels(read_snana(path, survey=survey))
    if name.endswith(".txt"):
        return _with_labels(read_ztf_forced_photometry(path))
    raise ValueError(f"Cannot tell the format of {path}: expected .parquet, .avro, .csv (PLAsTiCC), "
                     f".fits/.dat (SNANA) or .txt (ZTF forced photometry).")


def _with_labels(result):
    if isinstance(result, tuple):
        return result
    return result, None


def _first_reader(path, readers):
    errors = []
    for reader in readers:
        try:
            return _with_labels(reader(path))
        except (ValueError, KeyError) as error:
            errors.append(f"{reader.__name__}: {error}")
    raise ValueError(f"{path} is neither a LightCurves Parquet file nor an alert file:\n  "
                     + "\n  ".join(errors))
