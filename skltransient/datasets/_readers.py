"""Shared pieces of the file readers: flux units, column checks, paths.

Every reader converts its fluxes to SNANA ``FLUXCAL`` (AB magnitudes with
zero point 27.5, ``m = 27.5 - 2.5 log10(FLUXCAL)``), so that light curves
read from any survey and the simulator's share one unit. The readers'
conversions all go through :func:`to_fluxcal`, on the simulator's zero point
``FLUXCAL_ZEROPOINT``.
"""

import contextlib
import gzip
import struct
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from .._lightcurves import LightCurves
from ._physics import FLUXCAL_ZEROPOINT  # 27.5, shared with the simulator

#: AB zero point of fluxes in nanojansky: ``m = 31.4 - 2.5 log10(f / nJy)``.
NJY_ZEROPOINT = 31.4


def to_fluxcal(flux, zeropoint):
    """Convert fluxes given on an AB zero point to ``FLUXCAL`` (zero point 27.5).

    A flux ``f`` on zero point ``zp`` has magnitude ``zp - 2.5 log10(f)``;
    the same source has ``FLUXCAL = f * 10**(-0.4 (zp - 27.5))``. A magnitude
    ``m`` is the flux 1 on zero point ``m``, so ``to_fluxcal(1, m)`` turns
    magnitudes into ``FLUXCAL``. Uncertainties scale by the same factor.

    Parameters
    ----------
    flux : array-like
        Fluxes (or flux uncertainties).
    zeropoint : float or array-like
        AB zero point of ``flux``, e.g. 31.4 for nanojansky.

    Returns
    -------
    fluxcal : ndarray

    Examples
    --------
    >>> from skltransient.datasets._readers import to_fluxcal, NJY_ZEROPOINT
    >>> round(float(to_fluxcal(1.0, 23.8065)), 2)  # a 23.8065 mag source
    30.02
    >>> round(float(to_fluxcal(36.31, NJY_ZEROPOINT)), 3)  # 36.31 nJy
    1.0
    """
    zeropoint = np.asarray(zeropoint, dtype=np.float64)
    return np.asarray(flux, dtype=np.float64) * 10.0 ** (-0.4 * (zeropoint - FLUXCAL_ZEROPOINT))


def describe_source(source, kind="table"):
    """Name an input in error messages: a file path, or what the object is."""
    if isinstance(source, (str, Path)):
        return f"file '{source}'"
    name = getattr(source, "name", None)
    if isinstance(name, str) and name:
        return f"file '{name}'"
    return f"{kind} passed as a {type(source).__name__}"


def scalar(value):
    """A NumPy scalar as the Python value it holds: messages show ``7``, not ``np.int64(7)``."""
    return value.item() if isinstance(value, np.generic) else value


def require_columns(columns, required, source, *, what="column"):
    """Raise naming the source and the first missing column, if any is missing."""
    present = set(columns)
    missing = [name for name in required if name not in present]
    if missing:
        raise ValueError(
            f"The {source} has no {what} {missing[0]!r}"
            f"{' (nor ' + ', '.join(map(repr, missing[1:])) + ')' if len(missing) > 1 else ''}; "
            f"found {sorted(map(str, present))[:40]}. Check that it is in the expected format."
        )


def numeric_column(values, column, source, *, row_label="row", first_row=0, finite=False):
    """Return ``values`` as float64, raising on unparsable (or non-finite) entries.

    Parameters
    ----------
    values : array-like or Series
        The raw column.
    column : str
        Its name, for the error message.
    source : str
        Description of the file, from :func:`describe_source`.
    row_label : str, default="row"
        How rows are called in the message ("line" for text files).
    first_row : int, default=0
        Number given to the first entry (e.g. 2 for a CSV file's first data line).
    finite : bool, default=False
        Also reject NaN and infinite values.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    if series.dtype.kind in "iufb":
        out = series.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        out = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isnan(out) & series.notna().to_numpy() & (series.astype(str).str.strip() != "")
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"The {source} has an unparsable value {series.iloc[i]!r} in column {column!r} at "
                f"{row_label} {i + first_row} ({np.count_nonzero(bad)} such values in all); "
                f"expected a number."
            )
    if finite and not np.all(np.isfinite(out)):
        i = int(np.argmax(~np.isfinite(out)))
        raise ValueError(
            f"The {source} has a missing or non-finite value in column {column!r} at {row_label} "
            f"{i + first_row} ({np.count_nonzero(~np.isfinite(out))} such values in all); every "
            f"observation needs a finite {column}."
        )
    return out


def expand_paths(path, patterns, what):
    """Turn a path, a directory or a list of them into a list of sources.

    Directories are searched (not recursively) for files matching any of
    ``patterns``; file-like objects pass through unchanged.
    """
    items = list(path) if isinstance(path, (list, tuple)) else [path]
    if not items:
        raise ValueError(f"No {what} given: the list of paths is empty.")
    sources = []
    for item in items:
        if not isinstance(item, (str, Path)):
            sources.append(item)
            continue
        item = Path(item)
        if item.is_dir():
            found = sorted({p for pattern in patterns for p in item.glob(pattern) if p.is_file()})
            if not found:
                raise FileNotFoundError(
                    f"Directory '{item}' holds no {what} (looked for {', '.join(patterns)})."
                )
            sources.extend(found)
        elif item.is_file():
            sources.append(item)
        else:
            raise FileNotFoundError(f"No such {what}: '{item}'.")
    return sources


#: What parsers raise on a truncated or corrupt file: the standard library's
#: decoders and gzip, pyarrow (whose errors subclass these), fastavro, astropy.
CORRUPT_FILE_ERRORS = (OSError, EOFError, ValueError, LookupError, TypeError, OverflowError,
                       zlib.error, struct.error)


@contextlib.contextmanager
def refuse_corrupt(source, expected, errors=()):
    """Turn a parser's failure on a truncated or corrupt file into a ValueError naming the file.

    Wrap only the parser calls: a ValueError raised inside is re-raised as unreadable input.
    """
    try:
        yield
    except CORRUPT_FILE_ERRORS + tuple(errors) as exc:
        raise ValueError(f"The {source} is not a readable {expected}; it may be truncated or "
                         f"corrupt ({type(exc).__name__}: {exc}).") from exc


def read_bytes(path, source, expected, *, lines=False):
    """The content of a file or file-like object, decompressed when it is gzipped.

    Parameters
    ----------
    path : str, path or file-like
        The file; a file-like object's ``read()`` may return bytes or text.
    source : str
        Description of the file, from :func:`describe_source`.
    expected : str
        What the file should hold, for the messages ("CSV table").
    lines : bool, default=False
        Refuse content that does not end with a newline: a text file whose
        last line is cut short has most likely been truncated, and its last
        value may have lost digits.

    Returns
    -------
    content : bytes or str
    """
    raw = path.read() if hasattr(path, "read") else Path(path).read_bytes()
    if isinstance(raw, bytes) and raw[:2] == b"\x1f\x8b":
        with refuse_corrupt(source, f"gzip-compressed {expected}"):
            raw = gzip.decompress(raw)
    if lines and raw and raw[-1:] not in (b"\n", b"\r", "\n", "\r"):
        raise ValueError(
            f"The {source} does not end with a newline: it looks truncated, its last line perhaps "
            f"cut short, where a complete {expected} ends with a newline. If the file is "
            f"complete, add a newline at its end."
        )
    return raw


def read_text(path, source, expected):
    """The text of a file (gzipped or not) ending with a complete line; see :func:`read_bytes`."""
    raw = read_bytes(path, source, expected, lines=True)
    return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw


def standard_metadata(object_ids, redshift=None, redshift_err=None, mwebv=None, **extra):
    """One metadata row per object, with the package's standard column names.

    ``redshift`` is always present (NaN where unknown); negative values, the
    -9 that SNANA and ELAsTiCC write for "no redshift", become NaN, and so
    does the uncertainty of a missing redshift. ``redshift_err``, ``mwebv``
    and the ``extra`` columns are added only when given.
    """
    n = len(object_ids)
    columns = {"redshift": _float_or_nan(redshift, n)}
    missing = ~(columns["redshift"] >= 0)
    columns["redshift"][missing] = np.nan
    if redshift_err is not None:
        err = _float_or_nan(redshift_err, n)
        err[missing | ~(err >= 0)] = np.nan
        columns["redshift_err"] = err
    if mwebv is not None:
        columns["mwebv"] = _float_or_nan(mwebv, n)
    for name, values in extra.items():
        if values is not None:
            columns[name] = np.asarray(values)
    return pd.DataFrame(columns, index=pd.Index(np.asarray(object_ids), name="object_id"))


def _float_or_nan(values, n):
    if values is None:
        return np.full(n, np.nan)
    return np.array(values, dtype=np.float64)


def build_lightcurves(source, object_id, time, band, flux, flux_err, **kwargs):
    """Call :meth:`LightCurves.from_arrays`, naming ``source`` in any error it raises."""
    try:
        return LightCurves.from_arrays(object_id, time, band, flux, flux_err, **kwargs)
    except ValueError as exc:
        raise ValueError(f"While reading the {source}: {exc}") from exc
