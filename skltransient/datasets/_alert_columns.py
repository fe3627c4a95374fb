"""Light curves from alert histories held as columns of arrays, as brokers hold them.

A broker's alert table (a Spark or Dask DataFrame) carries each alert's
history as arrays in columns: Fink's ``cjd``, ``cmagpsf``, ... for ZTF, the
fields of ``prvDiaSources`` for Rubin. :func:`read_alert_history` turns a
batch of such rows into one light curve per alert with the conversions of
:func:`read_ztf_alerts` and :func:`read_lsst_alerts`, and, unlike the
readers, rejects an alert it cannot read instead of failing the batch: a
stream must go on when one packet is malformed.
"""

import numpy as np
import pandas as pd

from .._lightcurves import LightCurves
from .._optional import import_optional
from ..bands import known_bands, resolve_bands
from ._readers import NJY_ZEROPOINT, standard_metadata, to_fluxcal
from ._readers_alerts import JD_TO_MJD, deduplicate, ztf_fluxes

__all__ = ["ALERT_HISTORY_FIELDS", "LSST_OBJECT_FIELDS", "read_alert_history"]

#: Per-alert history arrays each survey needs, named as the readers name the packet fields.
ALERT_HISTORY_FIELDS = {
    "ztf": ("jd", "fid", "magpsf", "sigmapsf", "diffmaglim", "isdiffpos"),
    "lsst": ("midPointTai", "filterName", "psFlux", "psFluxErr", "detected"),
}
#: Per-alert scalars of Rubin's ``diaObject`` that become metadata (all optional).
LSST_OBJECT_FIELDS = ("z_final", "z_final_err", "mwebv", "mwebv_err", "ra", "decl")
_TEXT_FIELDS = {"isdiffpos", "filterName"}
# No MJD reaches 2,400,000 (see LightCurves.from_arrays).
_JD_MIN = 2_400_000.0


def read_alert_history(history, *, survey, limit_sigma=5.0):
    """Read one light curve per alert from history arrays, rejecting the unreadable alerts.

    Parameters
    ----------
    history : DataFrame
        One row per alert. For ``survey="ztf"``, columns ``jd``, ``fid``,
        ``magpsf``, ``sigmapsf``, ``diffmaglim``, ``isdiffpos`` holding, in
        each row, an array of the alert's epochs (the ``candidate`` and its
        ``prv_candidates``, in any order; Fink's ``cjd``, ``cfid``, ...).
        For ``survey="lsst"``, ``midPointTai``, ``filterName``, ``psFlux``,
        ``psFluxErr`` and ``detected`` (True for ``diaSource`` and
        ``prvDiaSources``, False for ``prvDiaForcedSources``), and
        optionally the ``diaObject`` scalars ``z_final``, ``z_final_err``,
        ``mwebv``, ``mwebv_err``, ``ra``, ``decl``, one value per row.
    survey : {"ztf", "lsst"}
        Which schema ``history`` follows.
    limit_sigma : float, default=5.0
        Significance of ZTF's ``diffmaglim`` upper limits (see
        :func:`read_ztf_alerts`).

    Returns
    -------
    lightcurves : LightCurves
        One light curve per accepted alert, in row order; object ids are the
        row positions (0 to ``len(history) - 1``). Times, bands, fluxes
        and metadata as :func:`read_ztf_alerts` and
        :func:`read_lsst_alerts` give them for a file holding only that
        alert (ZTF's ``ra``/``dec`` aside, which the arrays do not carry).
    rejected : ndarray of shape (len(history),), dtype object
        None for an accepted alert; for a rejected one, a sentence saying
        why: a history value that is null or not an array, arrays of
        different lengths, an epoch without time or band, an unknown band,
        a detection the reader would refuse (no flux, bad ``isdiffpos``,
        negative or missing uncertainty), or no usable epoch at all.

    Raises
    ------
    ValueError
        If ``survey`` is unknown or ``history`` lacks a column: that is a
        wrong schema, not a bad alert.

    See Also
    --------
    read_ztf_alerts, read_lsst_alerts : The readers of whole alert packets.

    Notes
    -----
    Epochs repeated within an alert (same time and band) are kept once, a
    detection before a non-detection, as the readers do. Rejection is per
    alert: the other alerts of the batch are read as if it were absent.

    Examples
    --------
    >>> import pandas as pd
    >>> from skltransient.datasets import read_alert_history
    >>> history = pd.DataFrame({
    ...     "jd": [[2459500.5, 2459498.5], [], [2459500.5]],
    ...     "fid": [[1, 2], [], [7]],
    ...     "magpsf": [[20.0, None], [], [19.0]],
    ...     "sigmapsf": [[0.1, None], [], [0.1]],
    ...     "diffmaglim": [[20.5, 20.0], [], [20.0]],
    ...     "isdiffpos": [["t", None], [], ["t"]],
    ... })
    >>> lc, rejected = read_alert_history(history, survey="ztf")
    >>> lc.object_ids.tolist(), lc.band_names.tolist(), lc.flux.round(1).tolist()
    ([0], ['ztfr', 'ztfg'], [0.0, 1000.0])
    >>> [reason is None for reason in rejected]
    [True, False, False]
    """
    if survey not in ALERT_HISTORY_FIELDS:
        raise ValueError(f"survey must be one of {sorted(ALERT_HISTORY_FIELDS)}; got {survey!r}.")
    fields = ALERT_HISTORY_FIELDS[survey]
    missing = [name for name in fields if name not in history.columns]
    if missing:
        raise ValueError(f"The alert history has no column {missing[0]!r}; a {survey} history "
                         f"needs the columns {list(fields)}, found {list(history.columns)}.")
    n = len(history)
    rejected = np.full(n, None, dtype=object)
    epochs, alert = _flatten(history, fields, rejected)
    if survey == "ztf":
        epochs, alert = _ztf_epochs(epochs, alert, rejected, limit_sigma)
        metadata = None
    else:
        epochs, alert = _lsst_epochs(epochs, alert, rejected)
        metadata = history
    counts = np.bincount(alert, minlength=n)
    _reject(rejected, (counts == 0) & _accepted(rejected), "it has no usable epoch (its history "
            "is empty, or holds only non-detections without a limit)")
    keep = _accepted(rejected)[alert]
    epochs = deduplicate(epochs[keep].assign(object_id=alert[keep], alert_time=0.0),
                          ["object_id", "time", "band"])
    ids = np.flatnonzero(_accepted(rejected))
    return _build(epochs, ids, metadata, survey), rejected


def _accepted(rejected):
    return np.equal(rejected, None)


def _reject(rejected, alerts, reason):
    """Give ``reason`` to the alerts of the mask that no earlier reason rejected."""
    rejected[np.asarray(alerts, dtype=bool) & _accepted(rejected)] = reason


def _flatten(history, fields, rejected):
    """The history arrays as one flat column each, and the alert of each epoch.

    An alert whose value is null or not an array, or whose arrays differ in
    length, is rejected; its epochs are dropped from every column, so that
    the flat columns of the others line up.
    """
    pa = import_optional("pyarrow", "Reading alert histories", "io")
    pc = import_optional("pyarrow.compute", "Reading alert histories", "io")
    lists, lengths = {}, {}
    for name in fields:
        kind = pa.string() if name in _TEXT_FIELDS else (
            pa.bool_() if name == "detected" else pa.float64())
        lists[name] = _as_lists(pa, history[name], pa.list_(kind), name, rejected)
        lengths[name] = pc.list_value_length(lists[name]).fill_null(0).to_numpy(
            zero_copy_only=False)
    first = lengths[fields[0]]
    for name in fields[1:]:
        _reject(rejected, lengths[name] != first,
                f"its history arrays differ in length ({fields[0]} has some number of epochs, "
                f"{name} another)")
    flat, alert = {}, None
    for name in fields:
        parents = pc.list_parent_indices(lists[name]).to_numpy()
        keep = _accepted(rejected)[parents]
        flat[name] = pc.list_flatten(lists[name]).to_numpy(zero_copy_only=False)[keep]
        alert = parents[keep] if alert is None else alert
    return pd.DataFrame(flat), alert.astype(np.int64)


def _as_lists(pa, column, kind, name, rejected):
    """One column of per-alert arrays as an Arrow list array; malformed values become nulls."""
    values = pd.Series(column).to_numpy(dtype=object)
    try:
        array = pa.array(values, type=kind, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        # A malformed row spoils the whole conversion; find it (rare: one call per row).
        array = pa.array([_one_list(pa, value, kind) for value in values], type=kind)
    nulls = array.is_null().to_numpy(zero_copy_only=False)
    _reject(rejected, nulls, f"its {name} is null or not an array of "
            f"{'strings' if kind.value_type == pa.string() else 'numbers'}")
    return array


def _one_list(pa, value, kind):
    try:
        return pa.array([value], type=kind, from_pandas=True)[0].as_py()
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
        return None


def _reject_epochs(rejected, alert, bad, reason):
    _reject(rejected, np.bincount(alert[bad], minlength=len(rejected)) > 0, reason)


def _band_codes(values, rejected, alert, **resolve):
    """Band codes of each epoch (-1 where unknown), rejecting alerts with unknown bands."""
    # Hashed, not sorted or cast to text: a batch holds many epochs and a handful of bands.
    inverse, uniques = pd.factorize(pd.Series(values), use_na_sentinel=True)
    codes = np.full(len(uniques) + 1, -1, dtype=np.int16)  # the last: null, an unknown band
    for i, label in enumerate(uniques):
        try:
            codes[i] = resolve_bands([_band_label(str(label))], **resolve)[0]
        except ValueError:
            pass
    codes = codes[inverse]
    _reject_epochs(rejected, alert, codes < 0, "it has an epoch in an unknown band")
    return codes


def _band_label(label):
    """ZTF's ``fid`` arrives as a float (``"1.0"``): give its integer."""
    try:
        number = float(label)
    except ValueError:
        return label
    return int(number) if number.is_integer() else label


def _ztf_epochs(epochs, alert, rejected, limit_sigma):
    flux, flux_err, detected, keep = ztf_fluxes(
        epochs["magpsf"], epochs["sigmapsf"], epochs["diffmaglim"], epochs["isdiffpos"],
        limit_sigma=limit_sigma)
    jd = epochs["jd"].to_numpy(dtype=np.float64)
    _reject_epochs(rejected, alert, ~np.isfinite(jd) | (jd < _JD_MIN) | ~np.isfinite(epochs["fid"]),
                   "it has an epoch without a time (jd, a Julian Date) or a filter (fid)")
    _reject_epochs(rejected, alert, detected & np.isnan(flux),
                   "it has a detection whose isdiffpos is not 't', 'f', '1' or '0'")
    _reject_epochs(rejected, alert, detected & ~(flux_err >= 0),
                   "it has a detection without a finite, non-negative sigmapsf")
    frame = pd.DataFrame({"time": jd - JD_TO_MJD, "flux": flux, "flux_err": flux_err,
                          "detected": detected})
    band = _band_codes(epochs["fid"][keep], rejected, alert[keep], column="fid")
    return frame[keep].assign(band=band), alert[keep]


def _lsst_epochs(epochs, alert, rejected):
    flux = to_fluxcal(epochs["psFlux"], NJY_ZEROPOINT)
    flux_err = to_fluxcal(epochs["psFluxErr"], NJY_ZEROPOINT)
    detected = epochs["detected"].to_numpy(dtype=bool)
    usable = np.isfinite(flux) & np.isfinite(flux_err) & (flux_err >= 0)
    time = epochs["midPointTai"].to_numpy(dtype=np.float64)
    _reject_epochs(rejected, alert, ~np.isfinite(time) | (time >= _JD_MIN),
                   "it has an epoch without a time (midPointTai, an MJD)")
    _reject_epochs(rejected, alert, detected & ~usable,
                   "it has a detection without a finite psFlux and a non-negative psFluxErr")
    frame = pd.DataFrame({"time": time, "flux": flux, "flux_err": flux_err, "detected": detected})
    band = _band_codes(epochs["filterName"][usable], rejected, alert[usable], survey="lsst")
    return frame[usable].assign(band=band), alert[usable]


def _build(epochs, ids, history, survey):
    """The accepted alerts' light curves, with the readers' metadata columns."""
    if survey == "ztf":
        metadata = standard_metadata(ids)
    else:
        rows = history.iloc[ids]
        scalars = {name: (pd.to_numeric(rows[name], errors="coerce").to_numpy(np.float64)
                          if name in rows.columns else None) for name in LSST_OBJECT_FIELDS}
        nan = np.full(len(ids), np.nan)
        metadata = standard_metadata(
            ids, scalars["z_final"], scalars["z_final_err"], scalars["mwebv"],
            mwebv_err=_or(scalars["mwebv_err"], nan), ra=_or(scalars["ra"], nan),
            dec=_or(scalars["decl"], nan))
    names = np.asarray(known_bands())[epochs["band"].to_numpy()]
    return LightCurves.from_arrays(
        epochs["object_id"].to_numpy(), epochs["time"].to_numpy(), names,
        epochs["flux"].to_numpy(), epochs["flux_err"].to_numpy(),
        detected=epochs["detected"].to_numpy(), metadata=metadata)


def _or(values, default):
    return default if values is None else values
