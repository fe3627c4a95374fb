"""Read light curves from any file format the package knows, by its name."""

from pathlib import Path

from .._lightcurves import LightCurves
from .._parquet import NotLightCurvesParquet
from ._readers_alerts import read_lsst_alerts, read_ztf_alerts, read_ztf_forced_photometry
from ._readers_plasticc import read_plasticc
from ._readers_snana import read_snana

__all__ = ["read_data"]


def read_data(path, metadata=None, *, survey=None):
    """Read light curves (and labels when present) from any format the package reads.

    Parquet files written by ``LightCurves.to_parquet`` (``skltransient
    simulate``), ZTF or Rubin alert Parquet/Avro files, PLAsTiCC CSV pairs
    (``metadata`` names the metadata CSV), SNANA FITS/ASCII files and ZTF
    forced-photometry text files, told apart by the file name: ``.parquet``
    (or a directory), ``.avro``, ``.csv``, ``.fits``/``.dat`` and ``.txt``;
    the last four may be gzipped (``.csv.gz``...).

    Parameters
    ----------
    path : str or path
        The file (or a directory of Parquet files).
    metadata : str, path or None, default=None
        The PLAsTiCC metadata CSV of a ``.csv`` light-curve file.
    survey : {"lsst", "ztf"} or None, default=None
        Survey of an SNANA file's single-letter bands; see :func:`read_snana`.

    Returns
    -------
    lightcurves : LightCurves
    y : ndarray or None
        Class names, for the formats that carry labels.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the name has none of these suffixes, or the file is truncated,
        corrupt or malformed; the message names the file and what its
        format expects.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist.")
    name = path.name.lower()
    if name.endswith(".parquet") or path.is_dir():
        try:
            return LightCurves.read_parquet(path)
        except NotLightCurvesParquet:
            pass  # an alert file, perhaps
        return _first_reader(path, (read_ztf_alerts, read_lsst_alerts))
    if name.endswith(".avro"):
        return _first_reader(path, (read_ztf_alerts, read_lsst_alerts))
    if name.endswith((".csv", ".csv.gz")):
        return _with_labels(read_plasticc(path, metadata))
    if name.endswith((".fits", ".fits.gz", ".dat", ".dat.gz")):
        return _with_labels(read_snana(path, survey=survey))
    if name.endswith((".txt", ".txt.gz")):
        return _with_labels(read_ztf_forced_photometry(path))
    raise ValueError(f"Cannot tell the format of {path}: expected .parquet, .avro, .csv "
                     f"(PLAsTiCC), .fits/.dat (SNANA) or .txt (ZTF forced photometry), all but "
                     f"the first two optionally gzipped (.csv.gz, ...).")


def _with_labels(result):
    if isinstance(result, tuple):
        return result
    return result, None


def _first_reader(path, readers):
    errors = {}
    for reader in readers:
        try:
            return _with_labels(reader(path))
        except (ValueError, KeyError) as error:
            errors[reader.__name__] = error
    first = next(iter(errors.values()))
    if all(str(error) == str(first) for error in errors.values()):
        raise first  # e.g. a corrupt file, which no reader can open: say it once
    raise ValueError(f"{path} is neither a LightCurves Parquet file nor an alert file:\n  "
                     + "\n  ".join(f"{name}: {error}" for name, error in errors.items()))
