"""Reader for SNANA simulations and data: HEAD/PHOT FITS pairs and ASCII ``.DAT`` files.

SNANA (Kessler et al. 2009, PASP 121, 1028) wrote the PLAsTiCC, ELAsTiCC
and many ZTF and DES simulations. Its FITS output is a pair of binary
tables: ``*_HEAD.FITS`` with one row per object and ``*_PHOT.FITS`` with all
observations one after the other, each light curve followed by a row with
``MJD = -777``; ``PTROBS_MIN``/``PTROBS_MAX`` in the HEAD table point (1-based,
inclusive) at each object's rows. Its text output is one ``.DAT`` file per
object: ``KEY: value`` header lines, a ``VARLIST:`` line, then ``OBS:`` rows.
Fluxes are ``FLUXCAL`` (zero point 27.5) in both.

FITS files are opened with ``astropy.io.fits`` (the optional ``astropy``),
which handles what SNANA and cfitsio write (gzip, ``TNULL`` nulls, scaled and
variable-length columns, long ``CONTINUE`` keywords) and memory-maps
uncompressed files; only the columns the reader needs are copied out, and
the pairing of HEAD and PHOT rows is done here on flat NumPy arrays.
"""

import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._lightcurves import LightCurves
from .._optional import import_optional
from ..bands import known_bands, resolve_bands
from ._readers import (
    build_lightcurves,
    describe_source,
    expand_paths,
    read_bytes,
    read_text,
    refuse_corrupt,
    require_columns,
    standard_metadata,
)
from ._taxonomy import ELASTICC_CLASSES

__all__ = ["read_snana"]

#: PHOTFLAG bit that SNANA sets on detections.
PHOTFLAG_DETECT = 4096
_SEPARATOR_MJD = -777.0
_LABEL_COLUMNS = ("SIM_GENTYPE", "SIM_TYPE_INDEX")
#: Metadata column: the HEAD columns (or .DAT keys) it is read from, in order of preference.
_METADATA_KEYS = {"redshift": ("REDSHIFT_FINAL", "REDSHIFT_HELIO"),
                  "redshift_err": ("REDSHIFT_FINAL_ERR", "REDSHIFT_HELIO_ERR"),
                  "mwebv": ("MWEBV",), "ra": ("RA",), "dec": ("DEC", "DECL")}
_HEAD_COLUMNS = ("SNID", "PTROBS_MIN", "PTROBS_MAX") + sum(_METADATA_KEYS.values(), ())
_PHOT_COLUMNS = ("MJD", "BAND", "FLT", "FLUXCAL", "FLUXCALERR", "PHOTFLAG")
_FITS_SUFFIXES = (".fits", ".fits.gz", ".fit", ".fit.gz", ".fts", ".fts.gz")
# What astropy only warns about on reading a damaged file (a header cut short
# is dropped with the first, a data section cut short with the second).
_BROKEN_FITS_WARNINGS = r"(Error validating header|File may have been truncated)"


def read_snana(path, *, phot=None, survey=None, label_column=None, class_map=None):
    """Read SNANA light curves from HEAD/PHOT FITS pairs or ASCII ``.DAT`` files.

    Parameters
    ----------
    path : str, path, file-like, or list of them
        A ``*_HEAD.FITS`` file (optionally gzipped; its PHOT file is found by
        replacing ``HEAD`` with ``PHOT`` in the name; needs ``astropy``), a
        ``.DAT`` file (optionally gzipped), an open text file holding one
        ``.DAT`` object, a directory (all its ``*HEAD.FITS*`` files, or else
        all its ``*.DAT`` files), or a list of these.
    phot : str or path, default=None
        The PHOT file, when ``path`` is a single HEAD file whose PHOT file
        is not named after it.
    survey : {"lsst", "ztf"} or None, default=None
        Survey used to resolve single-letter band names such as ``"g"``.
        None takes it from the file's ``SURVEY`` keyword.
    label_column : str or None, default=None
        HEAD column (or ``.DAT`` key) holding the class code. None uses
        ``SIM_GENTYPE`` or ``SIM_TYPE_INDEX``, the true type of simulated
        objects, when present; data files usually have neither.
    class_map : dict or None, default=None
        Class code to class name. None uses the ELAsTiCC ``GENTYPE`` codes
        (:data:`~skltransient.datasets._taxonomy.ELASTICC_CLASSES`); other
        simulations number their models differently and need their own map.

    Returns
    -------
    lightcurves : LightCurves
        Fluxes in ``FLUXCAL``, times in MJD; ``detected`` from ``PHOTFLAG``
        bit 4096 when every file has a ``PHOTFLAG`` column. Object ids are
        the ``SNID`` strings. Metadata columns: ``redshift`` and
        ``redshift_err`` (``REDSHIFT_FINAL[_ERR]``, else ``REDSHIFT_HELIO``;
        NaN where SNANA wrote -9), ``mwebv``, ``ra``, ``dec``.
    y : ndarray of shape (n_objects,) of str, or None
        Class names in the order of the light curves, or None when the files
        carry no class codes.

    Raises
    ------
    ValueError
        On a malformed file, naming the file and the offending column, key
        or object: a file that is truncated or corrupt (not readable FITS, a
        gzip stream cut short, a ``.DAT`` file without its final newline or
        with fewer ``OBS:`` rows than its ``NOBS:``), a missing column, an
        unparsable value, a null (``TNULL``) ``SNID``, pointer or
        ``PHOTFLAG``, a pointer outside the PHOT table, or a class code
        missing from ``class_map``. A null class code counts as missing.
    ImportError
        If a FITS file is given and ``astropy`` is not installed.

    Examples
    --------
    >>> import io
    >>> from skltransient.datasets._readers_snana import read_snana
    >>> text = '''SURVEY: LSST
    ... SNID: 1234
    ... MWEBV: 0.05 +- 0.01
    ... REDSHIFT_FINAL: 0.31 +- 0.02 (CMB)
    ... SIM_GENTYPE: 10
    ... VARLIST: MJD BAND FLUXCAL FLUXCALERR PHOTFLAG
    ... OBS: 60001.1 r 120.5 5.0 4096
    ... OBS: 60000.2 g 80.0 4.0 0
    ... '''
    >>> lc, y = read_snana(io.StringIO(text))
    >>> lc.object_ids.tolist(), lc.band_names.tolist(), lc.detected.tolist(), y.tolist()
    (['1234'], ['lsstg', 'lsstr'], [False, True], ['SN Ia'])
    >>> lc.metadata[["redshift", "redshift_err", "mwebv"]].to_numpy().tolist()
    [[0.31, 0.02, 0.05]]
    """
    sources = _snana_sources(path)
    fits = [source for source in sources if _is_fits(source)]
    if phot is not None and len(fits) != 1:
        raise ValueError(f"phot= names one PHOT file, but path gives {len(fits)} HEAD files; "
                         f"pass a single HEAD file, or name each PHOT file after its HEAD file.")
    labels = _LABEL_COLUMNS + ("SNTYPE",) + ((label_column,) if label_column else ())
    parts = [_read_fits_pair(source, phot, labels) for source in fits]
    text = [source for source in sources if not _is_fits(source)]
    if text:
        parts.append(_read_dat_files(text, labels))
    heads, observations, files = _concatenate(parts)
    _check_unique_ids(heads)
    return _assemble(heads, observations, files, survey, label_column, class_map)


def _snana_sources(path):
    """Files to read: directories give their HEAD FITS files, or else their .DAT files."""
    sources = []
    for item in path if isinstance(path, (list, tuple)) else [path]:
        if isinstance(item, (str, Path)) and Path(item).is_dir():
            try:
                sources += expand_paths(item, ("*HEAD.FITS*", "*HEAD.fits*"), "SNANA HEAD file")
            except FileNotFoundError:
                sources += expand_paths(item, ("*.DAT", "*.dat", "*.DAT.gz", "*.dat.gz"),
                                        "SNANA HEAD FITS or .DAT file")
        else:
            sources += expand_paths(item, (), "SNANA file")
    return sources


# --------------------------------------------------------------------- assembly
# Each reader part returns (heads, observations, files): a DataFrame with one
# row per object; a dict of flat arrays with one entry per observation, where
# "object" indexes the part's heads and "file" its files; and a list of
# (description, SURVEY keyword) per file. Flat arrays keep the million-row
# PHOT tables out of pandas' (slow) string columns.
def _concatenate(parts):
    heads = pd.concat([head for head, _, _ in parts], ignore_index=True)
    object_start = np.cumsum([0] + [len(head) for head, _, _ in parts])
    file_start = np.cumsum([0] + [len(files) for _, _, files in parts])
    observations = {}
    for key in ("object", "file", "mjd", "band", "flux", "flux_err", "photflag"):
        values = [obs[key] for _, obs, _ in parts]
        if key == "photflag" and any(v is None for v in values):
            observations[key] = None
            continue
        if key in ("object", "file"):
            start = object_start if key == "object" else file_start
            values = [v + start[i] for i, v in enumerate(values)]
        observations[key] = np.concatenate(values)
    return heads, observations, [file for _, _, files in parts for file in files]


def _assemble(heads, observations, files, survey, label_column, class_map):
    """Build the LightCurves and labels from the per-object and per-observation parts."""
    positions = np.arange(len(heads))
    meta = standard_metadata(positions, heads["redshift"], heads["redshift_err"], heads["mwebv"],
                             ra=heads["ra"].to_numpy(), dec=heads["dec"].to_numpy())
    has_obs = np.bincount(observations["object"], minlength=len(heads)) > 0
    if not has_obs.all():
        warnings.warn(f"Dropped {np.count_nonzero(~has_obs)} SNANA objects without observations, "
                      f"e.g. SNID {heads['snid'].iat[int(np.argmax(~has_obs))]!r}.", UserWarning,
                      stacklevel=3)
        meta, heads = meta[has_obs], heads[has_obs]
    band = _band_names(observations["band"], observations["file"], files, survey)
    detected = None
    if observations["photflag"] is not None:
        detected = (observations["photflag"].astype(np.int64) & PHOTFLAG_DETECT) != 0
    # Objects go in by position (fast integer factorisation); their SNIDs replace them after.
    built = build_lightcurves(
        "SNANA files", observations["object"], observations["mjd"], band, observations["flux"],
        observations["flux_err"], detected=detected, metadata=meta,
    )
    snid = heads["snid"].to_numpy()
    meta = built.metadata.set_axis(pd.Index(snid, name="object_id"), axis=0)
    lightcurves = LightCurves(snid, built.offsets, built.time, built.band, built.flux,
                              built.flux_err, built.detected, meta)
    return lightcurves, _labels(heads, label_column, class_map)


def _band_names(labels, file_index, files, survey):
    """Canonical band names, resolving each file's labels with its survey."""
    # "" stands for "no known survey" so that the files can be grouped by it.
    surveys = np.array([survey or _known_survey(file_survey) or "" for _, file_survey in files])
    codes = np.empty(labels.shape[0], dtype=np.int16)
    for chosen in np.unique(surveys):
        rows = np.isin(file_index, np.flatnonzero(surveys == chosen))
        codes[rows] = _resolve(labels[rows], file_index[rows], files, chosen or None)
    return np.asarray(known_bands())[codes]


def _resolve(labels, file_index, files, survey):
    """Resolve band labels of files sharing a survey; on failure, name the first bad file."""
    try:
        return resolve_bands(labels, survey=survey)
    except ValueError:
        pass
    for index in pd.unique(file_index):
        try:
            resolve_bands(labels[file_index == index], survey=survey)
        except ValueError as exc:
            source, file_survey = files[index]
            hint = (f" The file's SURVEY is {file_survey!r}; pass survey='lsst' or survey='ztf', "
                    f"or register the survey's bands with skltransient.bands.register_band."
                    if survey is None else "")
            raise ValueError(f"While reading the {source}: {exc}{hint}") from exc
    raise AssertionError("unreachable: the bands failed to resolve together but not one by one")


def _known_survey(name):
    name = "" if not isinstance(name, str) else name.strip().lower()
    return name if name in ("lsst", "ztf") else None


def _labels(heads, label_column, class_map):
    if label_column is None:
        label_column = next((c for c in _LABEL_COLUMNS if heads[c].notna().any()), None)
        if label_column is None:
            return None
    elif heads[label_column].isna().all():
        raise ValueError(f"The SNANA files have no label column {label_column!r}; pass "
                         f"label_column=None to read them without labels.")
    class_map = ELASTICC_CLASSES if class_map is None else class_map
    codes = heads[label_column]
    missing = codes.isna().to_numpy()
    if missing.any():
        i = int(np.argmax(missing))
        raise ValueError(f"The {heads['source'].iat[i]} has no {label_column!r} for SNID "
                         f"{heads['snid'].iat[i]!r}; every object needs a class code.")
    codes = codes.to_numpy(dtype=np.int64)
    known = np.isin(codes, list(class_map))
    if not known.all():
        i, unknown = int(np.argmax(~known)), np.unique(codes[~known])
        raise ValueError(
            f"The {heads['source'].iat[i]} has class code {codes[i]} in {label_column!r} (SNID "
            f"{heads['snid'].iat[i]!r}) that class_map does not know ({len(unknown)} unknown "
            f"codes: {unknown[:5].tolist()}); pass class_map= a dict from this simulation's codes "
            f"to class names."
        )
    return np.array([class_map[code] for code in codes.tolist()], dtype=object)


def _check_unique_ids(heads):
    duplicated = heads["snid"].duplicated(keep=False)
    if duplicated.any():
        snid = heads.loc[duplicated, "snid"].iat[0]
        files = heads.loc[heads["snid"] == snid, "source"].unique().tolist()
        raise ValueError(f"SNID {snid!r} appears more than once, in {' and '.join(files)}; object "
                         f"ids must be unique across the files read together.")


def _is_fits(source):
    """A FITS file by its name, or else by its first bytes (a DAT file is text)."""
    if not isinstance(source, Path):
        return False
    if source.name.lower().endswith(_FITS_SUFFIXES):
        return True
    with open(source, "rb") as handle:
        return handle.read(9) == b"SIMPLE  ="


# -------------------------------------------------------------------- FITS pair
def _read_fits_pair(head_path, phot_path, label_keys):
    head_source = describe_source(head_path)
    survey, head = _read_fits_table(head_path, head_source, _HEAD_COLUMNS + label_keys)
    phot_path = Path(phot_path) if phot_path is not None else _phot_path(head_path)
    phot_source = describe_source(phot_path)
    _, phot = _read_fits_table(phot_path, phot_source, _PHOT_COLUMNS)
    require_columns(head, ["SNID"], head_source)
    band_column = "BAND" if "BAND" in phot else "FLT"
    require_columns(phot, ["MJD", band_column, "FLUXCAL", "FLUXCALERR"], phot_source)

    snid = _as_ids(_without_nulls(head, "SNID", head_source))
    rows, owner = _object_rows(head, phot, snid, head_source, phot_source)
    observations = {"object": owner, "file": np.zeros(owner.size, dtype=np.int64),
                    "band": np.ma.getdata(phot[band_column])[rows], "photflag": None}
    for key, name in (("mjd", "MJD"), ("flux", "FLUXCAL"), ("flux_err", "FLUXCALERR"),
                      ("photflag", "PHOTFLAG")):
        if name not in phot:
            continue
        values = phot[name][rows]
        observations[key] = np.ma.getdata(values).astype(np.float64)
        bad = np.ma.getmaskarray(values) | ~np.isfinite(observations[key])
        if bad.any():
            raise ValueError(f"The {phot_source} has a null or non-finite {name} in row "
                             f"{rows[np.argmax(bad)] + 1}, an observation of SNID "
                             f"{snid[owner[np.argmax(bad)]]!r}.")
    heads = _head_frame(snid, head.get, head_source, label_keys)
    return heads, observations, [(phot_source, survey)]


def _read_fits_table(path, source, names):
    """The ``SURVEY`` keyword and the ``names`` columns present in a file's first binary table.

    Columns come out as NumPy arrays (scaled, in native types), integer
    columns with a ``TNULL`` as masked arrays that mask the nulls. A file
    astropy cannot read, or only warns about (a header or data cut short),
    raises a ValueError naming it.
    """
    fits = import_optional("astropy.io.fits", "Reading SNANA FITS files", "io")
    from astropy.utils.exceptions import AstropyUserWarning

    with open(path, "rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    # astropy reads a gzip stream cut short as a file with fewer HDUs, so gzip
    # is undone here, where a truncated stream raises; plain files are mapped.
    content = io.BytesIO(read_bytes(path, source, "FITS file")) if gzipped else path
    table = None
    with refuse_corrupt(source, "gzip-compressed FITS file" if gzipped else "FITS file",
                        (AstropyUserWarning,)), warnings.catch_warnings():
        warnings.filterwarnings("error", _BROKEN_FITS_WARNINGS, AstropyUserWarning)
        with fits.open(content, memmap=not gzipped, character_as_bytes=True) as hdus:
            # Before astropy 7, compressed images were binary tables underneath.
            table = next((hdu for hdu in hdus if isinstance(hdu, fits.BinTableHDU)
                          and not isinstance(hdu, fits.CompImageHDU)), None)
            if table is not None:
                survey = table.header.get("SURVEY", hdus[0].header.get("SURVEY"))
                columns = {column.name: _fits_column(table.data, column)
                           for column in table.columns if column.name in names}
    if table is None:
        raise ValueError(f"The {source} has no binary table (XTENSION = 'BINTABLE') extension; "
                         f"SNANA HEAD and PHOT files each hold one.")
    return survey, columns


def _fits_column(data, column):
    # A copy, so that nothing refers to the memory-mapped file once it is closed.
    values = np.array(data[column.name])
    if values.dtype.kind == "S":
        return _decode(values)
    if column.null is not None and values.dtype.kind in "iu":
        return np.ma.MaskedArray(values, mask=values == column.null)
    return values


def _decode(values):
    # Decode each distinct string once (astropy decodes every row): PHOT
    # tables repeat a handful of band names over millions of rows.
    uniques, inverse = np.unique(values, return_inverse=True)
    decoded = [u.decode("ascii", errors="replace").rstrip(" \x00") for u in uniques.tolist()]
    return np.array(decoded, dtype=str)[inverse.reshape(values.shape)]


def _without_nulls(columns, name, source):
    """A column with every value present; a ``TNULL`` null raises naming its row."""
    null = np.ma.getmaskarray(columns[name])
    if null.any():
        raise ValueError(f"The {source} has a null {name} (TNULL) in row {np.argmax(null) + 1} "
                         f"({np.count_nonzero(null)} such rows); every object needs one.")
    return np.ma.getdata(columns[name])


def _phot_path(head_path):
    name = head_path.name
    index = name.upper().rfind("HEAD")
    if index < 0:
        raise ValueError(f"Cannot tell the PHOT file of '{head_path}': its name has no 'HEAD'; "
                         f"pass phot= explicitly.")
    phot_word = "PHOT" if name[index:index + 4] == "HEAD" else "phot"
    phot = head_path.with_name(name[:index] + phot_word + name[index + 4:])
    if not phot.is_file():
        raise FileNotFoundError(f"The PHOT file '{phot}' of '{head_path}' does not exist; pass "
                                f"phot= explicitly.")
    return phot


def _object_rows(head, phot, snid, head_source, phot_source):
    """Row indices into PHOT and, for each, the index of its object in HEAD."""
    mjd = np.ma.getdata(phot["MJD"]).astype(np.float64)
    if "PTROBS_MIN" in head and "PTROBS_MAX" in head:
        start = _without_nulls(head, "PTROBS_MIN", head_source).astype(np.int64) - 1
        stop = _without_nulls(head, "PTROBS_MAX", head_source).astype(np.int64)
        bad = (start < 0) | (stop > mjd.size) | (stop < start)
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"The {head_source} points SNID {snid[i]!r} at rows {start[i] + 1}-{stop[i]} "
                f"(PTROBS_MIN-PTROBS_MAX) of the {phot_source}, which has {mjd.size} rows."
            )
        lengths = stop - start
        owner = np.repeat(np.arange(snid.size), lengths)
        rows = np.repeat(start - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        separator = mjd[rows] == _SEPARATOR_MJD
        if separator.any():
            raise ValueError(
                f"The {head_source} points SNID {snid[owner[np.argmax(separator)]]!r} at an "
                f"end-of-light-curve row (MJD = -777) of the {phot_source}; its PTROBS_MIN/"
                f"PTROBS_MAX do not match the PHOT file."
            )
        return rows, owner
    # Without pointers, the MJD = -777 rows that end each light curve delimit the objects.
    separator = mjd == _SEPARATOR_MJD
    if np.count_nonzero(separator) != snid.size:
        raise ValueError(
            f"The {head_source} lists {snid.size} objects and has no PTROBS_MIN/PTROBS_MAX "
            f"columns, but the {phot_source} has {np.count_nonzero(separator)} "
            f"end-of-light-curve rows (MJD = -777); they must match."
        )
    owner = np.cumsum(separator) - separator
    rows = np.flatnonzero(~separator)
    return rows, owner[rows]


def _as_ids(values):
    values = np.asarray(values)
    if values.dtype.kind in "iu":
        return values.astype(str).astype(object)
    return np.array([str(v).strip() for v in values.tolist()], dtype=object)


def _head_frame(snid, get, source, label_keys):
    """The per-object columns the reader keeps, from a column getter; nulls become NaN."""
    def column(*keys):
        for key in keys:
            value = get(key)
            if value is not None:
                return np.ma.filled(np.ma.asarray(value).astype(np.float64), np.nan)
        return np.full(snid.size, np.nan)

    frame = pd.DataFrame({"snid": snid, **{name: column(*keys)
                                          for name, keys in _METADATA_KEYS.items()},
                          "source": source})
    for key in label_keys:
        frame[key] = column(key)
    return frame


# -------------------------------------------------------------------- DAT files
_KEY_LINE = re.compile(r"^[ \t]*([A-Za-z][A-Za-z0-9_\-]*):[ \t]*(.*?)[ \t]*$", re.M)
_OBS_LINE = re.compile(r"^[ \t]*OBS:(.*)$", re.M)


def _read_dat_files(sources, label_keys):
    """Parse ``.DAT`` files: headers per file, all OBS rows in one vectorised parse."""
    numbers, snids, names, surveys, blocks = [], [], [], [], {}
    for index, item in enumerate(sources):
        source = describe_source(item)
        text = read_text(item, source, "SNANA .DAT file")
        header, varlist, rows = _split_dat(text.replace("\r\n", "\n"), source)
        numbers.append(_dat_numbers(header, source, label_keys))
        snids.append(header["SNID"].split()[0])
        names.append(source)
        surveys.append(header["SURVEY"].split()[0] if header.get("SURVEY", "").strip() else None)
        blocks.setdefault(tuple(varlist), []).append((index, rows, source, surveys[-1]))
    # One DataFrame for all headers: building one per file would dominate the run time.
    values = pd.DataFrame.from_records(numbers, index=range(len(numbers)))
    head_frame = _head_frame(np.array(snids, dtype=object),
                             lambda key: values[key] if key in values else None,
                             np.array(names, dtype=object), label_keys)
    blocks = [_parse_obs(varlist, items) for varlist, items in blocks.items()]
    # Each .DAT file holds one object, so an observation's file is also its object.
    observations = {key: (None if any(block[key] is None for block in blocks)
                          else np.concatenate([block[key] for block in blocks]))
                    for key in blocks[0]}
    observations["object"] = observations["file"]
    return head_frame, observations, list(zip(names, surveys, strict=True))


def _split_dat(text, source):
    body = text.split("\nEND", 1)[0]
    # Header keys come before the first OBS: row; the regex need not scan the rows.
    first = _OBS_LINE.search(body)
    first_obs = len(body) if first is None else first.start()
    header = {}
    for key, value in _KEY_LINE.findall(body[:first_obs]):
        header.setdefault(key, value)
    varlist = header.get("VARLIST", header.get("VARNAMES"))
    if varlist is None:
        raise ValueError(f"The {source} has no VARLIST: line naming the columns of its OBS: rows; "
                         f"it is not an SNANA .DAT file.")
    if "SNID" not in header:
        raise ValueError(f"The {source} has no SNID: key; every SNANA .DAT file needs one.")
    rows = _OBS_LINE.findall(body, first_obs)
    if not rows:
        raise ValueError(f"The {source} has no OBS: rows.")
    nobs = header.get("NOBS", "").split()
    # A file cut at the end of a line loses whole rows, which only NOBS: reveals.
    if nobs and nobs[0].isdigit() and int(nobs[0]) != len(rows):
        raise ValueError(f"The {source} has {len(rows)} OBS: rows but its NOBS: key says "
                         f"{nobs[0]}; the file may be truncated.")
    return header, varlist.split(), rows


def _dat_numbers(header, source, label_keys):
    """The numeric header keys the reader keeps, as a dict."""
    values = {}
    for key in ("REDSHIFT_FINAL", "REDSHIFT_HELIO", "MWEBV", "RA", "DEC", "DECL") + label_keys:
        if key in header:
            value, error = _dat_number(header[key], key, source)
            values[key] = value
            # "REDSHIFT_FINAL: 0.31 +- 0.02" carries its uncertainty on the same line.
            if error is not None and f"{key}_ERR" not in header:
                values[f"{key}_ERR"] = error
    for key in ("REDSHIFT_FINAL_ERR", "REDSHIFT_HELIO_ERR"):
        if key in header:
            values[key] = _dat_number(header[key], key, source)[0]
    return values


def _dat_number(text, key, source):
    tokens = text.split()
    try:
        value = float(tokens[0])
        error = float(tokens[2]) if len(tokens) > 2 and tokens[1] == "+-" else None
    except (IndexError, ValueError):
        raise ValueError(f"The {source} has an unparsable value {text!r} for key {key}:; expected "
                         f"a number.") from None
    return value, error


def _parse_obs(varlist, items):
    """Parse the OBS rows of all files sharing one VARLIST with a single read_csv."""
    band_column = "BAND" if "BAND" in varlist else "FLT"
    source_of_first = items[0][2]
    require_columns(varlist, ["MJD", band_column, "FLUXCAL", "FLUXCALERR"], source_of_first,
                    what="VARLIST entry")
    counts = np.array([len(rows) for _, rows, _, _ in items])
    text = "\n".join(row for _, rows, _, _ in items for row in rows)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=r"\s+", header=None, names=varlist,
                            dtype={band_column: str}, engine="c")
    except pd.errors.ParserError as exc:
        raise ValueError(f"The OBS: rows of the .DAT files starting with the {source_of_first} do "
                         f"not match their VARLIST ({len(varlist)} columns): {exc}") from exc
    owner = np.repeat(np.arange(len(items)), counts)
    if frame[varlist[-1]].isna().any():
        bad = int(np.argmax(frame[varlist[-1]].isna().to_numpy()))
        row = bad - counts[:owner[bad]].sum() + 1
        raise ValueError(f"The {items[owner[bad]][2]} has an OBS: row with fewer values than its "
                         f"{len(varlist)} VARLIST columns (OBS row {row}).")
    columns = {}
    for name in ("MJD", "FLUXCAL", "FLUXCALERR") + (("PHOTFLAG",) if "PHOTFLAG" in varlist else ()):
        columns[name] = _numeric_obs(frame[name], name, items, owner, counts)
    return {"file": np.array([index for index, _, _, _ in items])[owner],
            "mjd": columns["MJD"], "band": frame[band_column].to_numpy(dtype=str),
            "flux": columns["FLUXCAL"], "flux_err": columns["FLUXCALERR"],
            "photflag": columns.get("PHOTFLAG")}


def _numeric_obs(values, name, items, owner, counts):
    out = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(out)
    if bad.any():
        first = int(np.argmax(bad))
        file = owner[first]
        raise ValueError(
            f"The {items[file][2]} has an unparsable or non-finite value {values.iat[first]!r} in "
            f"column {name!r} at OBS row {first - counts[:file].sum() + 1}; expected a number."
        )
    return out
