"""Readers for the PLAsTiCC challenge format and its public training set.

PLAsTiCC (The PLAsTiCC team 2018, arXiv:1810.00001; Kessler et al. 2019,
PASP 131, 094501) ships light curves as one long CSV table (``object_id,
mjd, passband, flux, flux_err, detected_bool``) and one metadata table per
object. Its fluxes are already SNANA ``FLUXCAL`` (zero point 27.5).
"""

import importlib.util
import io
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._readers import (
    build_lightcurves,
    describe_source,
    numeric_column,
    read_bytes,
    refuse_corrupt,
    require_columns,
    scalar,
    standard_metadata,
)
from ._taxonomy import PLASTICC_CLASSES

__all__ = ["load_plasticc", "read_plasticc"]

_OBSERVATION_COLUMNS = ("object_id", "mjd", "passband", "flux", "flux_err")
_TRAINING_FILES = ("plasticc_train_lightcurves.csv", "plasticc_train_metadata.csv")


def read_plasticc(lightcurves, metadata=None, *, prefer_specz=True):
    """Read light curves (and labels) in the PLAsTiCC format.

    Parameters
    ----------
    lightcurves : str, path or DataFrame
        The observations table, one row per observation, with columns
        ``object_id, mjd, passband, flux, flux_err`` and optionally
        ``detected_bool``. ``passband`` 0-5 is LSST ``ugrizy``. A path may
        point to a CSV file, gzipped or not.
    metadata : str, path, DataFrame or None, default=None
        The per-object table with ``object_id`` and optionally
        ``hostgal_specz``, ``hostgal_photoz``, ``hostgal_photoz_err``,
        ``mwebv``, ``ra``, ``decl``, ``ddf_bool`` and the label
        ``true_target`` or ``target``. Its row order sets the order of the
        light curves; without it, objects keep their order of first
        appearance in ``lightcurves``.
    prefer_specz : bool, default=True
        Use the host's spectroscopic redshift where there is one. Pass False
        to use the photometric redshift everywhere, as a survey without
        follow-up would (the PLAsTiCC training set has spectroscopic
        redshifts for all its extragalactic objects, its test set mostly not).

    Returns
    -------
    lightcurves : LightCurves
        Fluxes in ``FLUXCAL`` as in the file; ``detected`` from
        ``detected_bool`` when present. Metadata columns: ``redshift``,
        ``redshift_err``, and ``mwebv``, ``ra``, ``dec``, ``ddf`` when the
        table has them.
    y : ndarray of shape (n_objects,) of str, or None
        Class names (see :data:`~skltransient.datasets._taxonomy.PLASTICC_CLASSES`)
        from ``true_target``, else ``target``, in the order of the light
        curves; None when the metadata has neither column or is not given.

    Raises
    ------
    ValueError
        If a file is truncated (it does not end with a newline, or its gzip
        stream is cut short) or is not a readable CSV table, a required
        column is missing, a value cannot be parsed, a class code is
        unknown, or the two tables disagree about which objects exist; the
        message names the file, the column and the line.

    Notes
    -----
    ``redshift`` is ``hostgal_specz`` where that is a valid redshift (finite
    and not negative: PLAsTiCC writes -9 or leaves it empty when there is
    none; Galactic objects have 0) and ``prefer_specz`` is True, with
    ``redshift_err`` 0; otherwise ``hostgal_photoz`` with ``redshift_err`` =
    ``hostgal_photoz_err``; NaN when neither is valid. The simulation's true
    redshift ``true_z`` and the other ``true_*`` columns are never used, so
    that no truth leaks into the features.

    Examples
    --------
    >>> import pandas as pd
    >>> from skltransient.datasets._readers_plasticc import read_plasticc
    >>> obs = pd.DataFrame({"object_id": [615, 615, 713], "mjd": [59750.42, 59750.43, 59825.2],
    ...                     "passband": [2, 1, 3], "flux": [-544.8, -816.4, 5.2],
    ...                     "flux_err": [3.6, 5.6, 1.1], "detected_bool": [1, 1, 0]})
    >>> meta = pd.DataFrame({"object_id": [713, 615], "hostgal_specz": [-9.0, 0.0],
    ...                      "hostgal_photoz": [1.627, 0.0], "hostgal_photoz_err": [0.255, 0.0],
    ...                      "mwebv": [0.007, 0.017], "target": [88, 92]})
    >>> lc, y = read_plasticc(obs, meta)
    >>> lc.object_ids.tolist(), y.tolist()
    ([713, 615], ['AGN', 'RR Lyrae'])
    >>> lc.metadata[["redshift", "redshift_err"]].to_numpy().tolist()
    [[1.627, 0.255], [0.0, 0.0]]
    """
    obs, obs_source = _read_table(lightcurves, "light-curve table")
    require_columns(obs.columns, _OBSERVATION_COLUMNS, obs_source)
    rows = _row_numbering(obs_source)
    columns = {name: numeric_column(obs[name], name, obs_source, finite=True, **rows)
               for name in _OBSERVATION_COLUMNS[1:]}
    object_id = obs["object_id"].to_numpy()
    detected = None
    if "detected_bool" in obs.columns:
        detected = numeric_column(obs["detected_bool"], "detected_bool", obs_source, finite=True,
                                  **rows) != 0

    if metadata is None:
        meta, y = standard_metadata(pd.unique(object_id)), None
    else:
        meta, y = _read_metadata(metadata, prefer_specz)
        _check_same_objects(object_id, meta.index, obs_source,
                            describe_source(metadata, "metadata table"))
    lc = build_lightcurves(
        obs_source, object_id, columns["mjd"], columns["passband"], columns["flux"],
        columns["flux_err"], detected=detected, metadata=meta, band_column="passband",
    )
    return lc, y


def _row_numbering(source):
    """How to number rows in messages: CSV lines (header = line 1), or DataFrame rows."""
    if source.startswith("file"):
        return {"row_label": "line", "first_row": 2}
    return {"row_label": "row", "first_row": 0}


def load_plasticc(*, data_dir=None, return_X_y=False, prefer_specz=True):
    """Load the PLAsTiCC training set: 7,848 simulated LSST light curves, 14 classes.

    The set is not downloaded: it is read from a local copy. By default that
    is the copy shipped inside the PyPI package ``snmachine``, which can be
    installed without its (heavy) dependencies, since only its data files
    are read and ``snmachine`` itself is never imported::

        pip install --no-deps snmachine

    Parameters
    ----------
    data_dir : str, path or None, default=None
        Directory holding ``plasticc_train_lightcurves.csv`` and
        ``plasticc_train_metadata.csv`` (optionally gzipped, e.g. the files
        of the PLAsTiCC release). None looks in the installed ``snmachine``.
    return_X_y : bool, default=False
        Return ``(lightcurves, target)`` instead of a Bunch.
    prefer_specz : bool, default=True
        See :func:`read_plasticc`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With ``lightcurves`` (:class:`~skltransient.LightCurves`, 7,848
        objects, 1,421,705 observations in ``FLUXCAL``), ``target`` (ndarray
        of class names, see :data:`~skltransient.datasets._taxonomy.PLASTICC_CLASSES`),
        ``target_names`` (the sorted distinct class names) and ``DESCR``.
    (lightcurves, target) : tuple
        When ``return_X_y`` is True.

    Raises
    ------
    ImportError
        If ``data_dir`` is None and ``snmachine`` is not installed.
    FileNotFoundError
        If the directory lacks the two files.
    """
    directory = _training_directory(data_dir)
    paths = [_find_file(directory, name) for name in _TRAINING_FILES]
    lightcurves, target = read_plasticc(*paths, prefer_specz=prefer_specz)
    if return_X_y:
        return lightcurves, target
    return Bunch(lightcurves=lightcurves, target=target, target_names=np.unique(target),
                 DESCR=_DESCR.format(directory=directory))


_DESCR = """\
PLAsTiCC training set
=====================

7,848 simulated light curves of the Rubin Observatory LSST (three years of
the wide-fast-deep survey and deep drilling fields, bands ugrizy) in 14
classes, the labelled training set of the Photometric LSST Astronomical
Time-series Classification Challenge (The PLAsTiCC team 2018,
arXiv:1810.00001; Kessler et al. 2019, PASP 131, 094501). Fluxes are SNANA
FLUXCAL (zero point 27.5). Class counts by PLAsTiCC code: 90 (SN Ia) 2313,
42 (SN II) 1193, 65 (M-dwarf flare) 981, 16 (eclipsing binary) 924, 15 (TDE)
495, 62 (SN Ib/c) 484, 88 (AGN) 370, 92 (RR Lyrae) 239, 67 (SN Ia-91bg) 208,
52 (SN Iax) 183, 95 (SLSN-I) 175, 6 (microlens) 151, 64 (KN) 102, 53 (Mira) 30.
The training set is not representative of the challenge's test set: it
favours bright, low-redshift, spectroscopically confirmed objects.

Read from: {directory}
"""


def _training_directory(data_dir):
    if data_dir is not None:
        directory = Path(data_dir)
        if not directory.is_dir():
            raise FileNotFoundError(f"data_dir '{directory}' is not a directory.")
        return directory
    # find_spec locates the package without running its __init__ (and its imports).
    spec = importlib.util.find_spec("snmachine")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "The PLAsTiCC training set is read from the data files of the 'snmachine' package, "
            "which is not installed. Install it without its dependencies with "
            "`pip install --no-deps snmachine`, or pass data_dir= a directory holding "
            f"{_TRAINING_FILES[0]} and {_TRAINING_FILES[1]}."
        )
    return Path(list(spec.submodule_search_locations)[0]) / "example_data"


def _find_file(directory, name):
    for candidate in (name, name + ".gz"):
        if (directory / candidate).is_file():
            return directory / candidate
    raise FileNotFoundError(
        f"Directory '{directory}' has no {name} (nor {name}.gz); it should hold the PLAsTiCC "
        f"training files {_TRAINING_FILES[0]} and {_TRAINING_FILES[1]}."
    )


def _read_table(table, kind):
    """Return ``(frame, description)`` for a DataFrame or a CSV path."""
    if isinstance(table, pd.DataFrame):
        return table, describe_source(table, kind)
    source = describe_source(table, kind)
    path = Path(table)
    if not path.is_file():
        raise FileNotFoundError(f"No such {kind} file: '{path}'.")
    # Read whole, so that a truncated file (or gzip stream) is refused before it is parsed.
    raw = read_bytes(path, source, "CSV table", lines=True)
    engine = _csv_engine()
    # The C parser needs skipinitialspace for the padded columns PLAsTiCC writes.
    options = {"skipinitialspace": True} if engine == "c" else {}
    with refuse_corrupt(source, "CSV table"):
        frame = pd.read_csv(io.BytesIO(raw), engine=engine, **options)
    return frame.rename(columns=lambda name: str(name).strip()), source


def _csv_engine():
    # pyarrow's parser is multithreaded, so it gains on machines with many
    # cores (with two, both read the 1.4 million-row training set in ~0.5 s).
    return "pyarrow" if importlib.util.find_spec("pyarrow") is not None else "c"


def _read_metadata(metadata, prefer_specz):
    frame, source = _read_table(metadata, "metadata table")
    require_columns(frame.columns, ["object_id"], source)
    ids = frame["object_id"].to_numpy()
    duplicated = pd.Index(ids).duplicated()
    if duplicated.any():
        raise ValueError(
            f"The {source} lists object_id {scalar(ids[duplicated][0])!r} more than once "
            f"({np.count_nonzero(duplicated)} repeated rows); each object needs one row."
        )
    rows = _row_numbering(source)

    def column(name):
        if name not in frame.columns:
            return None
        return numeric_column(frame[name], name, source, **rows)

    specz, photoz = column("hostgal_specz"), column("hostgal_photoz")
    photoz_err = column("hostgal_photoz_err")
    redshift, redshift_err = _best_redshift(len(ids), specz, photoz, photoz_err, prefer_specz)
    ddf = column("ddf_bool") if "ddf_bool" in frame.columns else column("ddf")
    meta = standard_metadata(
        ids, redshift, redshift_err, column("mwebv"), ra=column("ra"),
        dec=column("decl") if "decl" in frame.columns else column("dec"),
        ddf=None if ddf is None else ddf == 1,
    )
    return meta, _labels(frame, source, **rows)


def _best_redshift(n, specz, photoz, photoz_err, prefer_specz):
    redshift, redshift_err = np.full(n, np.nan), np.full(n, np.nan)
    if photoz is not None:
        valid = np.isfinite(photoz) & (photoz >= 0)
        redshift[valid] = photoz[valid]
        if photoz_err is not None:
            redshift_err[valid] = photoz_err[valid]
    if specz is not None and prefer_specz:
        valid = np.isfinite(specz) & (specz >= 0)
        redshift[valid], redshift_err[valid] = specz[valid], 0.0
    return redshift, redshift_err


def _labels(frame, source, row_label, first_row):
    column = next((name for name in ("true_target", "target") if name in frame.columns), None)
    if column is None:
        return None
    codes = numeric_column(frame[column], column, source, row_label=row_label,
                           first_row=first_row, finite=True).astype(np.int64)
    known = np.isin(codes, list(PLASTICC_CLASSES))
    if not known.all():
        unknown = np.unique(codes[~known])[:5].tolist()
        raise ValueError(
            f"The {source} has unknown PLAsTiCC class codes {unknown} in column {column!r} "
            f"(first at {row_label} {int(np.argmax(~known)) + first_row}); known codes are "
            f"{sorted(PLASTICC_CLASSES)}."
        )
    names = np.array([PLASTICC_CLASSES[code] for code in np.unique(codes)], dtype=object)
    return names[np.searchsorted(np.unique(codes), codes)]


def _check_same_objects(obs_ids, meta_ids, obs_source, meta_source):
    unique_obs = pd.unique(obs_ids)
    no_meta = ~pd.Index(unique_obs).isin(meta_ids)
    if no_meta.any():
        raise ValueError(
            f"Object {scalar(unique_obs[no_meta][0])!r} has observations in the {obs_source} but "
            f"no row in the {meta_source} ({np.count_nonzero(no_meta)} such objects); the "
            f"tables must list the same objects."
        )
    no_obs = ~meta_ids.isin(unique_obs)
    if no_obs.any():
        raise ValueError(
            f"Object {scalar(meta_ids[no_obs][0])!r} has a row in the {meta_source} but no "
            f"observations in the {obs_source} ({np.count_nonzero(no_obs)} such objects); the "
            f"tables must list the same objects."
        )
