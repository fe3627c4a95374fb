"""Readers for alert streams and forced photometry of ZTF and Rubin (ELAsTiCC).

Alert packets carry the detection that triggered them plus the object's
recent history, so an object's light curve is the union of its alerts,
without the epochs that several alerts repeat. Packets are read from the
Parquet files that brokers export or from the surveys' Avro files (with the
optional ``fastavro``); both go through one Arrow table, so the light-curve
logic is written once for each survey.
"""

import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._optional import import_optional
from ._readers import (
    NJY_ZEROPOINT,
    build_lightcurves,
    describe_source,
    expand_paths,
    read_text,
    refuse_corrupt,
    require_columns,
    scalar,
    standard_metadata,
    to_fluxcal,
)

__all__ = ["read_lsst_alerts", "read_ztf_alerts", "read_ztf_forced_photometry", "ztf_fluxes"]

JD_TO_MJD = 2400000.5
# Flux uncertainty of a magnitude error: d(flux)/flux = ln(10)/2.5 d(mag).
_MAG_TO_FLUX_ERR = np.log(10.0) / 2.5
_ISDIFFPOS_SIGN = {"t": 1.0, "1": 1.0, "f": -1.0, "0": -1.0}
_ZTF_FIELDS = ("jd", "fid", "magpsf", "sigmapsf", "diffmaglim", "isdiffpos")
_LSST_FIELDS = ("midPointTai", "filterName", "psFlux", "psFluxErr")
# Each alert's own id, to name it in messages: a top-level column, else a field of its packet.
_ZTF_ALERT_ID = ("candid", ("candidate", "candid"))
_LSST_ALERT_ID = ("alertId", ("diaSource", "diaSourceId"))


def read_ztf_alerts(path, *, limit_sigma=5.0):
    """Read ZTF alert packets into one light curve per ``objectId``.

    Parameters
    ----------
    path : str, path, DataFrame, pyarrow Table, or list of paths
        Parquet files as exported by brokers (columns ``objectId``,
        ``candidate``, ``prv_candidates``), Avro alert files as distributed
        by ZTF (needs ``fastavro``), a directory of either, or a table
        already in memory with those columns.
    limit_sigma : float, default=5.0
        Significance of the ``diffmaglim`` upper limits (ZTF quotes
        5-sigma limits); a non-detection gets ``flux_err`` = limit flux /
        ``limit_sigma``.

    Returns
    -------
    lightcurves : LightCurves
        Objects in order of first appearance, bands ``ztfg``/``ztfr``/``ztfi``
        (from ``fid``), times in MJD (``jd - 2400000.5``), fluxes in
        ``FLUXCAL``. Metadata columns: ``redshift`` (NaN: alerts carry none),
        ``ra`` and ``dec`` (mean of the detections).

    Raises
    ------
    ValueError
        If a file is not a readable Parquet or Avro file (truncated or
        corrupt), a column or field is missing, an alert has a null
        ``objectId``, a detection has no ``sigmapsf`` or an ``isdiffpos``
        other than ``t``/``f``/``1``/``0``, or an epoch has no ``jd``; the
        message names the file, the field and the alert (by its row and its
        ``candid``).
    ImportError
        If ``pyarrow`` (always) or ``fastavro`` (for Avro files) is missing.

    Notes
    -----
    A detection (``magpsf`` not null) becomes ``flux = s 10**(-0.4 (magpsf -
    27.5))`` with the sign ``s`` = +1 for ``isdiffpos`` ``t``/``1`` and -1
    for ``f``/``0`` (the science image is fainter than the reference), and
    ``flux_err = |flux| ln(10)/2.5 sigmapsf``. A non-detection (null
    ``magpsf``) of ``prv_candidates`` becomes an upper limit: ``flux = 0``,
    ``flux_err`` = the ``diffmaglim`` flux / ``limit_sigma``, ``detected``
    False; one without ``diffmaglim`` carries nothing and is dropped. An epoch
    repeated across alerts (same ``jd`` and ``fid``) is kept once: as a
    detection if any alert has it as one, and otherwise (ZTF recalibrates the
    history it sends) as the most recent alert gives it.

    Examples
    --------
    >>> import pandas as pd
    >>> from skltransient.datasets._readers_alerts import read_ztf_alerts
    >>> alerts = pd.DataFrame({
    ...     "objectId": ["ZTF21abc"],
    ...     "candidate": [{"jd": 2459500.5, "fid": 1, "magpsf": 20.0, "sigmapsf": 0.1,
    ...                    "diffmaglim": 20.5, "isdiffpos": "t", "ra": 10.0, "dec": 5.0}],
    ...     "prv_candidates": [[{"jd": 2459498.5, "fid": 2, "magpsf": None, "sigmapsf": None,
    ...                          "diffmaglim": 20.0, "isdiffpos": None, "ra": None, "dec": None}]],
    ... })
    >>> lc = read_ztf_alerts(alerts)
    >>> lc.time.tolist(), lc.band_names.tolist(), lc.detected.tolist()
    ([59498.0, 59500.0], ['ztfr', 'ztfg'], [False, True])
    >>> [round(v, 2) for v in lc.flux.tolist() + lc.flux_err.tolist()]
    [0.0, 1000.0, 200.0, 92.1]
    """
    tables = _alert_tables(path, ("objectId", "candidate"), ("prv_candidates", "candid"),
                           "ZTF alert")
    observations = pd.concat([_ztf_observations(table, source) for table, source in tables],
                             ignore_index=True)
    flux, flux_err, detected, keep = checked_ztf_fluxes(observations, limit_sigma)
    observations = observations.assign(flux=flux, flux_err=flux_err, detected=detected)[keep]
    ids = pd.unique(observations["object_id"].to_numpy())  # alerts come first, in file order
    observations = deduplicate(observations, ["object_id", "jd", "fid"])
    detections = observations[observations["detected"]]
    positions = detections.groupby("object_id", sort=False)[["ra", "dec"]].mean().reindex(ids)
    metadata = standard_metadata(ids, ra=positions["ra"].to_numpy(),
                                 dec=positions["dec"].to_numpy())
    return build_lightcurves(
        "ZTF alerts", observations["object_id"].to_numpy(),
        observations["jd"].to_numpy() - JD_TO_MJD,
        observations["fid"].to_numpy(), observations["flux"].to_numpy(),
        observations["flux_err"].to_numpy(), detected=observations["detected"].to_numpy(),
        metadata=metadata, band_column="fid",
    )


def read_lsst_alerts(path):
    """Read Rubin alert packets (as simulated for ELAsTiCC) into one light curve per object.

    Parameters
    ----------
    path : str, path, DataFrame, pyarrow Table, or list of paths
        Parquet files (as exported by brokers) or Avro files (needs
        ``fastavro``) with columns ``diaSource``, ``prvDiaSources``,
        ``prvDiaForcedSources`` and ``diaObject``, a directory of either, or
        a table in memory with those columns.

    Returns
    -------
    lightcurves : LightCurves
        One light curve per ``diaObjectId``, in order of first appearance;
        bands ``lsstu`` ... ``lssty`` from ``filterName``; times
        ``midPointTai`` (MJD); fluxes ``psFlux`` converted from nJy to
        ``FLUXCAL`` (divided by 10**(0.4 * 3.9) = 36.31). Metadata columns,
        from the latest alert's ``diaObject``: ``redshift`` and
        ``redshift_err`` (``z_final[_err]``, NaN where ELAsTiCC wrote -9),
        ``mwebv``, ``mwebv_err``, ``ra``, ``dec``.

    Raises
    ------
    ValueError
        If a file is not a readable Parquet or Avro file (truncated or
        corrupt), a column or field is missing, a ``diaSource`` has a null
        ``diaObjectId``, or a detection has no flux; the message names the
        file, the field and the alert (by its row and its ``alertId``, else
        its ``diaSourceId``).
    ImportError
        If ``pyarrow`` (always) or ``fastavro`` (for Avro files) is missing.

    Notes
    -----
    Detections come from ``diaSource`` and ``prvDiaSources``; forced
    photometry (``prvDiaForcedSources``) adds the epochs without a detection,
    with ``detected`` False. An epoch (same object, ``midPointTai`` and
    ``filterName``) present in several alerts, or as both a source and a
    forced source, is kept once: as a detection if any copy is one, and
    otherwise as the most recent alert gives it. Forced sources without a
    flux are dropped.

    Examples
    --------
    >>> import pandas as pd
    >>> from skltransient.datasets._readers_alerts import read_lsst_alerts
    >>> source = {"diaObjectId": 7, "midPointTai": 60001.0, "filterName": "Y",
    ...           "psFlux": 3630.78, "psFluxErr": 36.31}
    >>> forced = {"diaObjectId": 7, "midPointTai": 60000.0, "filterName": "g",
    ...           "psFlux": -36.31, "psFluxErr": 36.31}
    >>> alerts = pd.DataFrame({"diaSource": [source], "prvDiaSources": [[]],
    ...                        "prvDiaForcedSources": [[forced]],
    ...                        "diaObject": [{"diaObjectId": 7, "z_final": -9.0,
    ...                                       "z_final_err": -9.0, "mwebv": 0.02}]})
    >>> lc = read_lsst_alerts(alerts)
    >>> lc.band_names.tolist(), lc.detected.tolist(), lc.flux.round(3).tolist()
    (['lsstg', 'lssty'], [False, True], [-1.0, 100.0])
    >>> lc.metadata[["redshift", "mwebv"]].to_numpy().tolist()
    [[nan, 0.02]]
    """
    optional = ("prvDiaSources", "prvDiaForcedSources", "diaObject", "alertId")
    tables = _alert_tables(path, ("diaSource",), optional, "Rubin alert")
    parts = [_lsst_observations(table, source) for table, source in tables]
    observations = pd.concat([obs for obs, _ in parts], ignore_index=True)
    ids = pd.unique(observations["object_id"].to_numpy())  # alerts come first, in file order
    observations = deduplicate(observations, ["object_id", "midPointTai", "filterName"])
    objects = (pd.concat([obj for _, obj in parts], ignore_index=True)
               .sort_values("alert_time", kind="stable")
               .drop_duplicates("object_id", keep="last").set_index("object_id").reindex(ids))
    metadata = standard_metadata(
        ids, objects["z_final"], objects["z_final_err"], objects["mwebv"],
        mwebv_err=objects["mwebv_err"].to_numpy(), ra=objects["ra"].to_numpy(),
        dec=objects["decl"].to_numpy(),
    )
    return build_lightcurves(
        "Rubin alerts", observations["object_id"].to_numpy(),
        observations["midPointTai"].to_numpy(),
        observations["filterName"].to_numpy(), to_fluxcal(observations["psFlux"], NJY_ZEROPOINT),
        to_fluxcal(observations["psFluxErr"], NJY_ZEROPOINT),
        detected=observations["detected"].to_numpy(), metadata=metadata, survey="lsst",
    )


def deduplicate(observations, epoch):
    """Keep each epoch once: a detection if any copy is one, else the latest alert's copy.

    Copies of one epoch in different alerts can differ slightly (ZTF
    recalibrates its history), so the choice must not depend on file order.
    """
    order = observations.sort_values(["detected", "alert_time"], ascending=False, kind="stable")
    return order.drop_duplicates(epoch)


# ------------------------------------------------------------------ alert input
def _alert_tables(path, required, optional, what):
    """Return ``[(pyarrow.Table, description), ...]`` with the needed columns."""
    pa = import_optional("pyarrow", "Reading alert packets", "io")
    if isinstance(path, (pd.DataFrame, pa.Table)):
        source = describe_source(path, f"{what} table")
        names = list(path.columns) if isinstance(path, pd.DataFrame) else path.column_names
        require_columns(names, required, source)
        keep = [name for name in required + optional if name in names]
        if isinstance(path, pd.DataFrame):
            return [(pa.Table.from_pandas(path[keep], preserve_index=False), source)]
        return [(path.select(keep), source)]
    files = expand_paths(path, ("*.parquet", "*.parq", "*.avro"), f"{what} file")
    return [_read_alert_file(pa, file, required, optional) for file in files]


def _read_alert_file(pa, path, required, optional):
    source = describe_source(path)
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic == b"PAR1":
        pq = import_optional("pyarrow.parquet", "Reading Parquet alert files", "io")
        with refuse_corrupt(source, "Parquet file"):
            names = pq.read_schema(path).names
        require_columns(names, required, source)
        with refuse_corrupt(source, "Parquet file"):
            table = pq.read_table(path, columns=[n for n in required + optional if n in names])
        return table, source
    if magic == b"Obj\x01":
        fastavro = import_optional("fastavro", "Reading Avro alert files", "io")
        from fastavro.schema import SchemaParseException

        with open(path, "rb") as handle, refuse_corrupt(source, "Avro container file",
                                                         (SchemaParseException,)):
            records = list(fastavro.reader(handle))
        names = set().union(*(record.keys() for record in records)) if records else set()
        require_columns(names, required, source)
        keep = [n for n in required + optional if n in names]
        rows = [{name: record.get(name) for name in keep} for record in records]
        return pa.Table.from_pylist(rows), source
    raise ValueError(f"The {source} is neither a Parquet file nor an Avro container file (it "
                     f"starts with {magic!r}); alert packets must be in one of these formats.")


def _struct_frame(array, fields, required, source, column):
    """Fields of a struct array as a DataFrame; missing required fields raise."""
    names = [array.type.field(i).name for i in range(array.type.num_fields)]
    require_columns([f"{column}.{n}" for n in names], [f"{column}.{n}" for n in required], source)
    # flatten() merges the struct's own nulls into its children.
    children = dict(zip(names, array.flatten(), strict=True))
    return pd.DataFrame({
        name: (children[name].to_numpy(zero_copy_only=False) if name in children
               else np.full(len(array), np.nan))
        for name in fields
    })


def _list_rows(table, column):
    """Flatten a list<struct> column: the struct values and the row each came from."""
    import pyarrow as pa  # imported by _alert_tables already, which checks it is installed
    import pyarrow.compute as pc

    values = table.column(column).combine_chunks()
    if pa.types.is_null(values.type):
        return None, None
    return pc.list_flatten(values), pc.list_parent_indices(values).to_numpy()


def _single(table, column, source, alert_id):
    """The column holding one packet per alert, which none may lack."""
    return _complete(table.column(column).combine_chunks(), column, table, source, alert_id)


def _complete(values, what, table, source, alert_id):
    """``values`` (one per alert), refused if any is null, naming the first such alert."""
    if values.null_count:
        row = int(np.argmax(values.is_null().to_numpy(zero_copy_only=False)))
        raise ValueError(
            f"The {source} has an alert whose {what} is null (alert {row}"
            f"{_alert_name(table, row, alert_id)}; {values.null_count} such alerts in all); every "
            f"alert needs one. Drop these alerts or fill in their {what}."
        )
    return values


def _alert_name(table, row, alert_id):
    """The alert's own id for messages (``, candid 123``): its column, else its packet's field."""
    column, (packet, field) = alert_id
    if column in table.column_names:
        return f", {column} {table.column(column)[row].as_py()!r}"
    value = table.column(packet)[row].as_py() if packet in table.column_names else None
    if isinstance(value, dict) and value.get(field) is not None:
        return f", {packet}.{field} {value[field]!r}"
    return ""


# -------------------------------------------------------------------------- ZTF
def ztf_fluxes(magpsf, sigmapsf, diffmaglim, isdiffpos, *, limit_sigma=5.0):
    """Convert the photometry of ZTF alert epochs to ``FLUXCAL``, as :func:`read_ztf_alerts` does.

    The one place of the magnitude-to-flux rule of ZTF alerts, for code that
    holds an alert's fields as flat arrays (a Spark or Dask job over alert
    columns, such as Fink's ``cmagpsf``) rather than as packets to read.

    Parameters
    ----------
    magpsf, sigmapsf, diffmaglim : array-like of shape (n_epochs,)
        PSF magnitude (NaN or None for a non-detection), its error, and the
        5-sigma limiting magnitude of the difference image.
    isdiffpos : array-like of shape (n_epochs,)
        ``"t"``/``"1"`` (positive difference) or ``"f"``/``"0"`` (negative),
        any case; anything else is refused for a detection.
    limit_sigma : float, default=5.0
        Significance of the ``diffmaglim`` upper limits.

    Returns
    -------
    flux, flux_err : ndarray of shape (n_epochs,)
        In ``FLUXCAL`` (AB zero point 27.5). A detection whose
        ``isdiffpos`` is not one of the values above has a NaN flux; one
        whose ``sigmapsf`` is missing or negative has a NaN or negative
        ``flux_err``: :func:`read_ztf_alerts` refuses both.
    detected : ndarray of shape (n_epochs,) of bool
        Whether ``magpsf`` is finite.
    keep : ndarray of shape (n_epochs,) of bool
        False for a non-detection without ``diffmaglim``, which carries
        nothing and is dropped.

    See Also
    --------
    read_ztf_alerts : Its Notes give the conversion.

    Examples
    --------
    >>> from skltransient.datasets import ztf_fluxes
    >>> flux, flux_err, detected, keep = ztf_fluxes(
    ...     [20.0, None, None], [0.1, None, None], [20.5, 20.0, None], ["t", None, None])
    >>> flux.round(2).tolist(), flux_err.round(2).tolist(), detected.tolist(), keep.tolist()
    ([1000.0, 0.0, 0.0], [92.1, 200.0, nan], [True, False, False], [True, True, False])
    """
    magpsf, sigmapsf, diffmaglim = (pd.Series(values).to_numpy(dtype=np.float64, na_value=np.nan)
                                    for values in (magpsf, sigmapsf, diffmaglim))
    detected = np.isfinite(magpsf)
    # Parsed once per distinct value: the column holds a handful of them.
    codes, uniques = pd.factorize(pd.Series(isdiffpos), use_na_sentinel=True)
    signs = pd.Series(uniques).astype(str).str.strip().str.lower().map(_ISDIFFPOS_SIGN)
    sign = np.append(signs.to_numpy(dtype=np.float64, na_value=np.nan), np.nan)[codes]
    with np.errstate(invalid="ignore"):
        flux = np.where(detected, sign * to_fluxcal(1.0, magpsf), 0.0)
        flux_err = np.where(detected, np.abs(flux) * _MAG_TO_FLUX_ERR * sigmapsf,
                            to_fluxcal(1.0, diffmaglim) / limit_sigma)
    return flux, flux_err, detected, detected | np.isfinite(diffmaglim)


def _ztf_observations(table, source):
    # A null id would become NaN and turn every id of the file into a float.
    object_id = _complete(table.column("objectId").combine_chunks(), "objectId", table, source,
                          _ZTF_ALERT_ID).to_numpy(zero_copy_only=False)
    fields = _ZTF_FIELDS + ("ra", "dec")
    candidate = _struct_frame(_single(table, "candidate", source, _ZTF_ALERT_ID), fields,
                              _ZTF_FIELDS, source, "candidate")
    alert_time = candidate["jd"].to_numpy()
    candidate = candidate.assign(object_id=object_id, alert=np.arange(len(candidate)),
                                 alert_time=alert_time, kind="candidate")
    frames = [candidate]
    if "prv_candidates" in table.column_names:
        values, parents = _list_rows(table, "prv_candidates")
        if values is not None and len(values):
            previous = _struct_frame(values, fields, _ZTF_FIELDS, source, "prv_candidates")
            frames.append(previous.assign(object_id=object_id[parents], alert=parents,
                                          alert_time=alert_time[parents], kind="prv_candidates"))
    return pd.concat(frames, ignore_index=True).assign(source=source)


def checked_ztf_fluxes(obs, limit_sigma):
    """:func:`ztf_fluxes` of a frame of ZTF epochs, refusing what the reader refuses, by row.

    Returns
    -------
    flux, flux_err, detected, keep : ndarray of shape (n_epochs,)
    """
    detected = np.isfinite(obs["magpsf"].to_numpy(dtype=np.float64))
    flux, flux_err, _, keep = ztf_fluxes(obs["magpsf"], obs["sigmapsf"], obs["diffmaglim"],
                                         obs["isdiffpos"], limit_sigma=limit_sigma)
    _raise_ztf(obs, detected & np.isnan(flux), "isdiffpos",
               "a detection needs isdiffpos 't' or '1' (positive) or 'f' or '0' (negative)")
    _raise_ztf(obs, detected & ~(flux_err >= 0), "sigmapsf",
               "a detection needs a finite, non-negative magnitude error")
    for field, rule in (("jd", "every epoch needs a time"), ("fid", "every epoch needs a filter")):
        _raise_ztf(obs, ~np.isfinite(obs[field].to_numpy(dtype=np.float64)), field, rule)
    return flux, flux_err, detected, keep


def _raise_ztf(obs, bad, field, rule):
    if bad.any():
        row = obs.iloc[int(np.argmax(bad))]
        raise ValueError(
            f"The {row['source']} has {scalar(row[field])!r} in {row['kind']}.{field} of alert "
            f"{row['alert']} (objectId {scalar(row['object_id'])!r}; {np.count_nonzero(bad)} such "
            f"epochs in all): {rule}."
        )


# ------------------------------------------------------------------------- LSST
def _lsst_observations(table, source):
    dia_source = _single(table, "diaSource", source, _LSST_ALERT_ID)
    current = _struct_frame(dia_source, _LSST_FIELDS, ("diaObjectId",) + _LSST_FIELDS, source,
                            "diaSource")
    # Checked in Arrow: in pandas a null id would already have made every id a float.
    ids = dia_source.flatten()[dia_source.type.get_field_index("diaObjectId")]
    object_id = _complete(ids, "diaSource.diaObjectId", table, source,
                          _LSST_ALERT_ID).to_numpy(zero_copy_only=False)
    alert_time = current["midPointTai"].to_numpy()
    frames = [current.assign(diaObjectId=object_id, detected=True, alert=np.arange(len(current)),
                             alert_time=alert_time, kind="diaSource")]
    for column, detected in (("prvDiaSources", True), ("prvDiaForcedSources", False)):
        if column not in table.column_names:
            continue
        values, parents = _list_rows(table, column)
        if values is None or not len(values):
            continue
        rows = _struct_frame(values, _LSST_FIELDS, _LSST_FIELDS, source, column)
        frames.append(rows.assign(diaObjectId=object_id[parents], detected=detected, alert=parents,
                                  alert_time=alert_time[parents], kind=column))
    obs = pd.concat(frames, ignore_index=True).rename(columns={"diaObjectId": "object_id"})
    flux = obs["psFlux"].to_numpy(dtype=np.float64)
    err = obs["psFluxErr"].to_numpy(dtype=np.float64)
    usable = np.isfinite(flux) & np.isfinite(err)
    bad = obs["detected"].to_numpy() & ~usable
    if bad.any():
        row = obs.iloc[int(np.argmax(bad))]
        raise ValueError(f"The {source} has a detection without psFlux/psFluxErr in {row['kind']} "
                         f"of alert {row['alert']} (diaObjectId {scalar(row['object_id'])!r}).")
    return obs[usable], _lsst_objects(table, object_id, current["midPointTai"], source)


def _lsst_objects(table, object_id, alert_time, source):
    import pyarrow as pa

    fields = ("z_final", "z_final_err", "mwebv", "mwebv_err", "ra", "decl")
    if "diaObject" in table.column_names and not pa.types.is_null(table.column("diaObject").type):
        objects = _struct_frame(table.column("diaObject").combine_chunks(), fields, (), source,
                                "diaObject")
    else:
        objects = pd.DataFrame({name: np.full(len(object_id), np.nan) for name in fields})
    return objects.assign(object_id=object_id, alert_time=alert_time.to_numpy())


# ----------------------------------------------------------- forced photometry
_FPS_REQUIRED = ("jd", "filter", "forcediffimflux", "forcediffimfluxunc", "zpdiff", "procstatus")
# Thresholds on flagged science images, noisy images and bad seeing as used in
# public ZFPS pipelines, which attribute them to Masci et al. (2023,
# arXiv:2305.16279, section 6); not checked against the paper itself.
_FPS_QUALITY = {"infobitssci": 33554432, "scisigpix": 25.0, "sciinpseeing": 4.0}
_FPS_NULL = -99999.0


def read_ztf_forced_photometry(path, *, object_ids=None, procstatus=("0",), quality_cuts=True,
                               detection_snr=5.0):
    """Read light curves from the ZTF forced-photometry service (ZFPS).

    Each file is the service's text output for one sky position
    (``forcedphotometry_req*_lc.txt``): comment lines starting with ``#``
    (which hold the requested R.A. and Dec.), a line of comma-separated
    column names (``index, field, ccdid, qid, filter, pid, infobitssci, ...,
    zpdiff, ..., jd, ..., forcediffimflux, forcediffimfluxunc, ...,
    procstatus``), then whitespace-separated rows.

    Parameters
    ----------
    path : str, path, file-like, or list of them
        One file per object, optionally gzipped, or a directory of ``*.txt``
        and ``*.txt.gz`` files.
    object_ids : list of str or None, default=None
        Id of each file's object; None uses the file names without suffix.
    procstatus : iterable of str, default=("0",)
        Processing-status codes to accept; "0" is a successful measurement.
        A row whose ``procstatus`` lists several codes (``"56,57"``) is kept
        only if all of them are accepted.
    quality_cuts : bool, default=True
        Also drop epochs with ``infobitssci >= 33554432`` (flagged science
        image), ``scisigpix > 25`` (noisy image) or ``sciinpseeing > 4``
        arcsec (bad seeing), thresholds used in public ZFPS pipelines that
        attribute them to Masci et al. (2023, section 6).
    detection_snr : float, default=5.0
        An epoch is ``detected`` when ``forcediffimflux /
        forcediffimfluxunc`` reaches this signal-to-noise ratio.

    Returns
    -------
    lightcurves : LightCurves
        Times in MJD (``jd - 2400000.5``), bands from ``filter``
        (``ZTF_g``...), fluxes ``forcediffimflux * 10**(-0.4 (zpdiff -
        27.5))`` in ``FLUXCAL``, and their uncertainties likewise. Metadata:
        ``redshift`` (NaN), ``ra`` and ``dec`` (the requested position).

    Raises
    ------
    ValueError
        If a file is truncated (it does not end with a newline, or its gzip
        stream is cut short) or corrupt, lacks the column-name line or a
        required column, a row has the wrong number of values, or a value
        cannot be parsed; the message names the file, the column and the
        line. Also if no epoch of any file passes the cuts.

    Warns
    -----
    UserWarning
        For each file none of whose epochs passes the cuts; its object is
        left out.

    Notes
    -----
    Every row must have a finite ``forcediffimflux`` that is not the
    service's -99999 placeholder, a positive finite ``forcediffimfluxunc``
    and a finite ``zpdiff``; ``null`` entries fail these tests. The fluxes
    are differences from the reference image, so they are offset if the
    reference contains light from the transient; subtract a baseline
    measured before the explosion when that matters.

    Examples
    --------
    >>> import io
    >>> from skltransient.datasets._readers_alerts import read_ztf_forced_photometry
    >>> text = '''# Requested input R.A. = 170.428 degrees
    ... # Requested input Dec. = 34.358 degrees
    ...  index, filter, zpdiff, jd, forcediffimflux, forcediffimfluxunc, procstatus
    ... 0 ZTF_g 27.5 2459600.5 100.0 10.0 0
    ... 1 ZTF_r 30.0 2459601.5 1000.0 20.0 0
    ... 2 ZTF_r 30.0 2459602.5 -99999 null 0
    ... 3 ZTF_g 27.5 2459603.5 5.0 10.0 57
    ... '''
    >>> lc = read_ztf_forced_photometry([io.StringIO(text)], object_ids=["SN 2022abc"],
    ...                                 quality_cuts=False)
    >>> lc.time.tolist(), lc.band_names.tolist(), lc.flux.tolist(), lc.detected.tolist()
    ([59600.0, 59601.0], ['ztfg', 'ztfr'], [100.0, 100.0], [True, True])
    """
    sources = expand_paths(path, ("*.txt", "*.txt.gz"), "forced-photometry file")
    if object_ids is None:
        object_ids = [_default_id(source, i) for i, source in enumerate(sources)]
    elif len(object_ids) != len(sources):
        raise ValueError(f"object_ids has {len(object_ids)} entries but there are {len(sources)} "
                         f"files; give one id per file.")
    if len(set(object_ids)) != len(object_ids):
        raise ValueError("Object ids must be unique, one per file; two files share the id "
                         f"{pd.Series(object_ids)[pd.Series(object_ids).duplicated()].iat[0]!r}.")
    accepted = {str(code).strip() for code in procstatus}
    frames, positions = [], []
    for object_id, source in zip(object_ids, sources, strict=True):
        frame, position = _read_fps_file(source, accepted, quality_cuts)
        if frame.empty:
            warnings.warn(f"No epoch of the {describe_source(source)} passes the cuts; object "
                          f"{object_id!r} is left out.", UserWarning, stacklevel=2)
            continue
        frames.append(frame.assign(object_id=object_id))
        positions.append((object_id, *position))
    if not frames:
        raise ValueError("No epoch of any forced-photometry file passes the cuts; check "
                         "procstatus= and quality_cuts=.")
    obs = pd.concat(frames, ignore_index=True)
    ids, ra, dec = (np.array(values) for values in zip(*positions, strict=True))
    flux = to_fluxcal(obs["forcediffimflux"], obs["zpdiff"])
    flux_err = to_fluxcal(obs["forcediffimfluxunc"], obs["zpdiff"])
    return build_lightcurves(
        "forced-photometry files", obs["object_id"].to_numpy(), obs["jd"].to_numpy() - JD_TO_MJD,
        obs["filter"].to_numpy(), flux, flux_err, detected=flux >= detection_snr * flux_err,
        metadata=standard_metadata(ids.astype(object), ra=ra.astype(float), dec=dec.astype(float)),
    )


def _default_id(source, index):
    if isinstance(source, Path):
        return source.name.split(".")[0]
    name = getattr(source, "name", None)
    return Path(name).name.split(".")[0] if isinstance(name, str) else f"object{index}"


def _read_fps_file(source, accepted, quality_cuts):
    """One file's epochs that pass the cuts, and its requested (ra, dec)."""
    name = describe_source(source)
    text = read_text(source, name, "forced-photometry file")
    lines = text.splitlines()
    header_line = next((i for i, line in enumerate(lines) if _is_column_line(line)), None)
    if header_line is None:
        raise ValueError(f"The {name} has no line of column names (with 'jd' and "
                         f"'forcediffimflux'); it is not forced-photometry service output.")
    columns = lines[header_line].lstrip("# ").replace(",", " ").split()
    needed = _FPS_REQUIRED + (tuple(_FPS_QUALITY) if quality_cuts else ())
    require_columns(columns, needed, name)
    data = [i for i in range(header_line + 1, len(lines))
            if lines[i].strip() and not lines[i].lstrip().startswith("#")]
    line_numbers = np.array(data, dtype=np.int64) + 1
    table = _parse_fps_rows([lines[i] for i in data], columns, line_numbers, name)
    keep = _fps_cuts(table, accepted, quality_cuts, line_numbers, name)
    return table[keep], _requested_position(lines[:header_line])


def _is_column_line(line):
    tokens = set(line.lstrip("# ").replace(",", " ").split())
    return {"jd", "forcediffimflux"} <= tokens


def _parse_fps_rows(rows, columns, line_numbers, name):
    counts = np.array([len(row.split()) for row in rows], dtype=np.int64)
    wrong = counts != len(columns)
    if wrong.any():
        raise ValueError(f"The {name} has {counts[np.argmax(wrong)]} values on line "
                         f"{line_numbers[np.argmax(wrong)]} but {len(columns)} column names.")
    return pd.read_csv(io.StringIO("\n".join(rows)), sep=r"\s+", header=None, names=columns,
                       dtype=str, keep_default_na=False, engine="c")


def _fps_cuts(table, accepted, quality_cuts, line_numbers, name):
    def number(column):
        raw = table[column]
        null = raw.str.lower().isin(["null", "nan"]).to_numpy()
        values = pd.to_numeric(raw.where(~null), errors="coerce").to_numpy(dtype=np.float64)
        bad = np.isnan(values) & ~null
        if bad.any():
            first = int(np.argmax(bad))
            raise ValueError(f"The {name} has an unparsable value {raw.iat[first]!r} in column "
                             f"{column!r} on line {line_numbers[first]}; expected a number.")
        return values

    jd = number("jd")
    if not np.all(np.isfinite(jd)):
        line = line_numbers[np.argmax(~np.isfinite(jd))]
        raise ValueError(f"The {name} has no jd on line {line}; every epoch needs a time.")
    flux, unc, zpdiff = number("forcediffimflux"), number("forcediffimfluxunc"), number("zpdiff")
    statuses = table["procstatus"].astype(str).str.strip()
    status_ok = statuses.map({s: set(s.split(",")) <= accepted for s in statuses.unique()})
    keep = (status_ok.to_numpy(dtype=bool) & np.isfinite(flux) & (flux != _FPS_NULL)
            & np.isfinite(unc) & (unc > 0) & (unc != _FPS_NULL) & np.isfinite(zpdiff))
    if quality_cuts:
        keep &= number("infobitssci") < _FPS_QUALITY["infobitssci"]
        keep &= number("scisigpix") <= _FPS_QUALITY["scisigpix"]
        keep &= number("sciinpseeing") <= _FPS_QUALITY["sciinpseeing"]
    table["jd"], table["forcediffimflux"] = jd, flux
    table["forcediffimfluxunc"], table["zpdiff"] = unc, zpdiff
    return keep


_POSITION = {"ra": re.compile(r"R\.A\.\s*=\s*([-+0-9.eE]+)"),
             "dec": re.compile(r"Dec\.\s*=\s*([-+0-9.eE]+)")}


def _requested_position(header_lines):
    text = "\n".join(header_lines)
    matches = [pattern.search(text) for pattern in _POSITION.values()]
    return tuple(float(match.group(1)) if match else np.nan for match in matches)
