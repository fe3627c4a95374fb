"""The ZTF Bright Transient Survey: its public catalogue and the alert photometry of each object.

The Bright Transient Survey (BTS; Fremling et al. 2020, Perley et al. 2020)
spectroscopically classifies every ZTF transient that peaks brighter than
magnitude 18.5 (and many to 19). Its explorer publishes the catalogue: ZTF
object ids, classes, redshifts, peak magnitudes, Milky Way extinction. The
light curves are the ZTF alert photometry (detections and 5-sigma upper
limits of the difference images), as the ALeRCE broker serves it.

Nothing here runs at import; :func:`fetch_bts` is the only function that
touches the network, and only when its cache is incomplete.
"""

import hashlib
import http.client
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._lightcurves import LightCurves
from ._readers import build_lightcurves, standard_metadata
from ._readers_alerts import _ztf_fluxes

__all__ = ["ALERCE_URL", "BTS_URL", "bts_class", "fetch_bts", "get_data_home"]

#: The BTS explorer's catalogue of classified transients, as CSV.
BTS_URL = "https://sites.astro.caltech.edu/ztf/bts/explorer.php?format=csv"
#: ALeRCE's ZTF API (https://alerce.readthedocs.io), which serves each object's alert photometry.
ALERCE_URL = "https://api.alerce.online/ztf/v1"
#: Environment variable that moves the default cache.
DATA_HOME_VARIABLE = "SKLTRANSIENT_DATA"
#: Columns of the catalogue that are needed.
CATALOGUE_COLUMNS = ("ZTFID", "type", "redshift", "A_V")
#: Milky Way R_V: E(B-V) = A_V / R_V (Schlafly & Finkbeiner 2011 use 3.1).
R_V = 3.1
#: Longest wait between two attempts of a request, seconds (a long Retry-After is capped).
MAX_WAIT = 300.0
#: Cache layout version; a cache of another version is rebuilt from its raw files.
CACHE_VERSION = 1

DESCR = """ZTF Bright Transient Survey (BTS), as fetched by skltransient.datasets.fetch_bts
-----------------------------------------------------------------------------------

The BTS (Fremling et al. 2020, ApJ 895, 32; Perley et al. 2020, ApJ 904, 35)
classifies spectroscopically every extragalactic transient found by the Zwicky
Transient Facility that peaks brighter than magnitude 18.5 (nearly complete) to 19.
Catalogue: the BTS explorer, https://sites.astro.caltech.edu/ztf/bts/explorer.php
(public). Photometry: the ZTF alert stream's difference-image detections and
5-sigma upper limits (ZTF public data, as served by the ALeRCE broker,
https://alerce.online; Forster et al. 2021, AJ 161, 242). Cite the BTS papers and
ALeRCE when you use these data; ZTF's data policy asks for the ZTF acknowledgement
(Bellm et al. 2019, Graham et al. 2019).

Selection effects: a magnitude-limited, spectroscopically complete sample. It is
shallow (median redshift about 0.03 for SNe II, 0.07 for SNe Ia), dominated by
SNe Ia (about 70 %), and its light curves are the alert photometry a broker sees,
not forced photometry. Classes are those of the BTS team, mapped onto the
package's five BTS classes by skltransient.datasets.bts_class (raw class kept in
the metadata column bts_type); objects of other classes are left out unless asked.
"""


def get_data_home(data_home=None):
    """The folder of downloaded data sets: ``data_home``, else ``$SKLTRANSIENT_DATA``, else
    ``~/skltransient_data``; created if missing.

    Parameters
    ----------
    data_home : str or path or None, default=None

    Returns
    -------
    path : pathlib.Path
    """
    if data_home is None:
        data_home = os.environ.get(DATA_HOME_VARIABLE, Path("~") / "skltransient_data")
    path = Path(data_home).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


def bts_class(raw):
    """The package's BTS class of a BTS explorer ``type``, or None for classes outside the five.

    SNe Ia of every subtype (91T, 91bg, Iax, CSM, pec) are "SN Ia"; hydrogen-rich core
    collapse (II, IIP, IIL, IIn, IIb) "SN II"; stripped envelopes (Ib, Ic, Ic-BL, Ibn, Icn,
    Ib/c) "SN Ib/c"; "SLSN-I"; tidal disruption events (TDE, TDE-H, TDE-He, ...) "TDE".
    Everything else (SLSN-II, CVs, novae, AGN, LBVs, ILRTs, unclassified) is None.

    Examples
    --------
    >>> bts_class("SN Ia-91T"), bts_class("SN IIb"), bts_class("SN Ic-BL"), bts_class("CV")
    ('SN Ia', 'SN II', 'SN Ib/c', None)
    """
    name = str(raw).strip()
    if name.startswith("SN Ia"):
        return "SN Ia"
    if name.startswith(("SN Ib", "SN Ic")):
        return "SN Ib/c"
    if name.startswith("SN II"):
        return "SN II"
    if name == "SLSN-I":
        return "SLSN-I"
    if name.startswith("TDE"):
        return "TDE"
    return None


def fetch_bts(data_home=None, *, classes=("SN Ia", "SN II", "SN Ib/c", "SLSN-I", "TDE"),
              min_detections=3, source="alerce", download_if_missing=True, max_objects=None,
              refresh_missing=False,
              catalogue_url=BTS_URL, service_url=ALERCE_URL, delay=0.2, retries=3, timeout=60.0,
              verbose=True, return_X_y=False):
    """The ZTF Bright Transient Survey: light curves, classes, redshifts and extinction.

    In the manner of scikit-learn's ``fetch_*`` functions: the first call
    downloads the BTS catalogue and each object's ZTF alert photometry and
    caches them under ``data_home``; later calls read the cache. A download
    that stops (no network, a service error, an interruption) leaves what it
    fetched in the cache, and the next call fetches only the rest.

    Read more in the :ref:`User Guide <bts>`.

    Parameters
    ----------
    data_home : str or path or None, default=None
        Cache folder (see :func:`get_data_home`); the data go to its ``bts``
        subfolder.
    classes : tuple of str or None, default=the five BTS classes
        Package BTS classes to keep (:func:`bts_class`); None keeps every
        object, with the raw BTS class as its label where it maps to none.
    min_detections : int, default=3
        Alert detections an object needs to be kept.
    source : {"alerce"} or path, default="alerce"
        Where the photometry comes from: ``"alerce"``, the broker's API
        (alert photometry: detections and upper limits, what a broker sees),
        or a folder of ZTF forced-photometry files (deeper; they need IPAC
        credentials to request), read with
        :func:`~skltransient.datasets.read_ztf_forced_photometry`, one file per
        object named by its ZTF id.
    download_if_missing : bool, default=True
        Download what the cache lacks; False raises an :class:`OSError` instead.
    max_objects : int or None, default=None
        Keep only the first objects of the selection (the catalogue's order,
        after ``classes``), e.g. to try the function out.
    refresh_missing : bool, default=False
        Ask the service again for the objects an earlier call found missing
        (they are remembered in the cache and not asked for again otherwise).
    catalogue_url, service_url : str
        The BTS explorer's CSV and the ALeRCE ZTF API (overridable, for mirrors
        and tests).
    delay : float, default=0.2
        Seconds between requests, to be polite to the services.
    retries : int, default=3
        Further attempts of a request that fails with a network error, a
        timeout, HTTP 429 or a 5xx status, waiting ``delay * 2**k`` seconds
        (or the service's ``Retry-After``).
    timeout : float, default=60.0
        Seconds to wait for an answer.
    verbose : bool, default=True
        A progress bar (tqdm, when installed) or progress lines. Objects left
        out as missing are warned about whatever ``verbose``.
    return_X_y : bool, default=False
        Return ``(lightcurves, target)``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``lightcurves`` (a :class:`~skltransient.LightCurves` in FLUXCAL, with
        ``redshift``, ``mwebv`` = A_V / 3.1, ``bts_type`` and ``peakmag`` in
        its metadata, in the catalogue's order), ``target`` (the package's BTS
        classes), ``target_raw`` (the BTS team's classes), ``missing`` (ids the
        service does not have), ``DESCR`` (provenance, licence, selection).

    Raises
    ------
    OSError
        The cache is incomplete and ``download_if_missing`` is False.
    ConnectionError
        A service cannot be reached, or keeps answering with an error status,
        after the retries; the message names the URL.
    ValueError
        The catalogue or an object's payload is malformed; the message names
        the URL or the object.
    """
    folder = get_data_home(data_home) / "bts"
    client = _Client(delay, retries, timeout)
    catalogue = _catalogue(folder, catalogue_url, client, download_if_missing)
    mapped = catalogue["type"].map(bts_class)
    keep = mapped.notna() if classes is not None else pd.Series(True, index=catalogue.index)
    if classes is not None:
        keep &= mapped.isin(list(classes))
    selected = catalogue[keep.to_numpy()]
    if max_objects is not None:
        selected = selected.iloc[:max_objects]
    ids = selected["ZTFID"].tolist()
    if not ids:
        raise ValueError(f"No BTS object is selected (classes={classes!r}, "
                         f"max_objects={max_objects!r}) from the {len(catalogue)} of the catalogue.")
    if source == "alerce":
        missing = _fetch_alerce(folder, ids, service_url, client, download_if_missing, verbose,
                                refresh_missing)
        X = _assemble_alerce(folder, ids, missing)
    else:
        from ._readers_alerts import read_ztf_forced_photometry

        X = read_ztf_forced_photometry(source)  # one file per object, named by its ZTF id
        position = {oid: k for k, oid in enumerate(X.object_ids.tolist())}
        missing = [oid for oid in ids if oid not in position]
        X = X[np.array([position[oid] for oid in ids if oid in position], dtype=np.int64)]
    X = _with_catalogue(X, selected)
    detections = np.bincount(X.object_index[X.detected], minlength=len(X))
    X = X[np.flatnonzero(detections >= min_detections)]
    if len(X) == 0:
        raise ValueError(f"None of the {len(ids)} selected BTS objects has {min_detections} or "
                         f"more detections in {source!r}'s photometry ({len(missing)} missing).")
    rows = selected.set_index("ZTFID").loc[X.object_ids.tolist()]
    raw = rows["type"].astype(str).to_numpy()
    target = np.array([bts_class(t) or t for t in raw], dtype=object)
    if missing:
        where = f"are not served by {service_url}" if source == "alerce" else f"have no file in {source}"
        warnings.warn(f"{len(missing)} BTS objects {where} and are left out (first: "
                      f"{missing[0]!r}); their ids are in the result's 'missing'.",
                      UserWarning, stacklevel=2)
    if return_X_y:
        return X, target
    return Bunch(lightcurves=X, target=target, target_raw=raw, missing=list(missing), DESCR=DESCR)


# ------------------------------------------------------------------ HTTP
class _Client:
    """GET with retries, backoff, a polite delay and errors that name the URL."""

    def __init__(self, delay, retries, timeout):
        self.delay, self.retries, self.timeout = float(delay), int(retries), float(timeout)
        self._last = 0.0

    def get(self, url, *, missing_ok=False):
        """The body of ``url`` (bytes), or None for a 404 when ``missing_ok``."""
        from .. import __version__

        request = urllib.request.Request(url, headers={
            "User-Agent": f"skltransient/{__version__} (+https://github.com/skltransient)",
            "Accept": "application/json, text/csv"})
        for attempt in range(self.retries + 1):
            wait = self.delay - (time.monotonic() - self._last)
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                    return answer.read()
            except urllib.error.HTTPError as error:
                error.close()
                if error.code == 404 and missing_ok:
                    return None
                retryable = error.code == 429 or error.code >= 500
                if not retryable or attempt == self.retries:
                    raise ConnectionError(f"{url} answered HTTP {error.code} ({error.reason}) after "
                                          f"{attempt + 1} attempts.") from None
                after = error.headers.get("Retry-After") if error.headers else None
                wait = float(after) if after and after.isdigit() else self.delay * 2**attempt
                time.sleep(min(wait, MAX_WAIT))
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError,
                    http.client.HTTPException) as error:
                if attempt == self.retries:
                    reason = getattr(error, "reason", error)
                    raise ConnectionError(
                        f"Cannot reach {url} ({reason}) after {attempt + 1} attempts; check the "
                        f"network, or use a cached copy (data_home=) with "
                        f"download_if_missing=False.") from None
                time.sleep(min(self.delay * 2**attempt, MAX_WAIT))


# ------------------------------------------------------------- catalogue
def _catalogue(folder, url, client, download_if_missing):
    """The cached catalogue, downloading it once; checked for the columns that are needed."""
    path = folder / "catalogue.csv"
    if not path.is_file():
        if not download_if_missing:
            raise OSError(f"The BTS catalogue is not cached in {folder} and "
                          f"download_if_missing=False.")
        body = client.get(url)
        _check_catalogue(body, url)
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, body)
    body = path.read_bytes()
    return _check_catalogue(body, path)


def _check_catalogue(body, where):
    import io

    text = body.decode("utf-8", errors="replace")
    lower = text.lower()
    if "<pre>" in lower:  # the explorer can wrap its CSV in an HTML page
        start = lower.index("<pre>") + len("<pre>")
        text = text[start:lower.index("</pre>", start) if "</pre>" in lower[start:] else None]
    try:
        frame = pd.read_csv(io.StringIO(text.strip()), dtype={"ZTFID": str, "type": str},
                            na_values=["-", ""])
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"The BTS catalogue from {where} is not CSV ({error}).") from None
    missing = [c for c in CATALOGUE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"The BTS catalogue from {where} lacks the columns {missing} (it has "
                         f"{list(frame.columns)[:12]}); the explorer's format may have changed.")
    if frame["ZTFID"].isna().any() or frame["ZTFID"].duplicated().any():
        bad = frame["ZTFID"][frame["ZTFID"].isna() | frame["ZTFID"].duplicated()].iloc[0]
        raise ValueError(f"The BTS catalogue from {where} has a missing or repeated ZTFID "
                         f"({bad!r}).")
    frame["type"] = frame["type"].fillna("unclassified")
    return frame


# ----------------------------------------------------------- photometry
def _fetch_alerce(folder, ids, service_url, client, download_if_missing, verbose,
                  refresh_missing=False):
    """Download the light curves the cache lacks; the ids the service does not have."""
    store = folder / "alerce"
    store.mkdir(parents=True, exist_ok=True)
    missing_file = folder / "alerce_missing.json"
    known_missing = set(json.loads(missing_file.read_text())) if missing_file.is_file() else set()
    if refresh_missing:
        known_missing = set()
    todo = [oid for oid in ids if oid not in known_missing and not (store / f"{oid}.json").is_file()]
    if todo and not download_if_missing:
        raise OSError(f"{len(todo)} of {len(ids)} BTS light curves are not cached in {store} "
                      f"(first: {todo[0]!r}) and download_if_missing=False.")
    if todo:
        served = _served(service_url, todo, client)
        known_missing |= set(todo) - served
        _write_atomic(missing_file, json.dumps(sorted(known_missing)).encode())
        todo = [oid for oid in todo if oid in served]
    for oid in _progress(todo, verbose, "BTS light curves"):
        url = f"{service_url}/objects/{urllib.parse.quote(oid)}/lightcurve"
        body = client.get(url, missing_ok=True)
        if body is None:  # listed, yet gone: remember it as missing
            known_missing.add(oid)
            _write_atomic(missing_file, json.dumps(sorted(known_missing)).encode())
            continue
        _parse_lightcurve(body, oid)  # refuse a malformed payload before caching it
        _write_atomic(store / f"{oid}.json", body)
    _write_atomic(missing_file, json.dumps(sorted(known_missing)).encode())
    return [oid for oid in ids if oid in known_missing]


def _served(service_url, ids, client, page_size=100):
    """Which of ``ids`` the service has: its paginated object listing, followed to the end."""
    served = set()
    for start in range(0, len(ids), page_size):
        chunk = ids[start:start + page_size]
        page = 1
        while page is not None:
            query = urllib.parse.urlencode([("oid", oid) for oid in chunk]
                                           + [("page", page), ("page_size", page_size)])
            url = f"{service_url}/objects?{query}"
            answer = _json(client.get(url), url)
            items = answer.get("items") if isinstance(answer, dict) else None
            if not isinstance(items, list) or any(not isinstance(i, dict) or "oid" not in i
                                                  for i in items):
                raise ValueError(f"{url} answered without a list of objects with an 'oid' "
                                 f"('items'); the service's format may have changed.")
            served.update(str(item["oid"]) for item in items)
            page = answer.get("next") or None
    return served


def _json(body, where):
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{where} did not answer JSON ({error}).") from None


def _parse_lightcurve(body, oid):
    """Observations of one ALeRCE light curve as the alert reader's frame; malformed is an error."""
    answer = _json(body, f"The light curve of {oid!r}")
    if not isinstance(answer, dict) or not isinstance(answer.get("detections"), list):
        raise ValueError(f"The light curve of {oid!r} has no list of 'detections'; got "
                         f"{str(answer)[:80]!r}.")
    rows = []
    for kind, key in (("detections", "detections"), ("non_detections", "non_detections")):
        for entry in answer.get(key) or []:
            if not isinstance(entry, dict):
                raise ValueError(f"The light curve of {oid!r} has a {kind} entry that is not an "
                                 f"object: {entry!r}.")
            try:
                mjd, fid = float(entry["mjd"]), int(entry["fid"])
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"The light curve of {oid!r} has a {kind} entry without a "
                                 f"numeric 'mjd' and 'fid': {entry!r}.") from None
            if fid not in (1, 2, 3):
                raise ValueError(f"The light curve of {oid!r} has a {kind} entry with fid {fid}; "
                                 f"ZTF's filters are 1 (g), 2 (r) and 3 (i).")
            detected = kind == "detections"
            sign = entry.get("isdiffpos", 1)
            rows.append({"jd": mjd + 2400000.5, "fid": fid,
                         "magpsf": entry.get("magpsf") if detected else np.nan,
                         "sigmapsf": entry.get("sigmapsf") if detected else np.nan,
                         "diffmaglim": entry.get("diffmaglim", np.nan),
                         "isdiffpos": "t" if str(sign).strip().lower() in ("1", "t", "true") else "f",
                         "object_id": oid, "alert": 0, "kind": kind,
                         "source": f"ALeRCE light curve of {oid!r}"})
    frame = pd.DataFrame(rows, columns=["jd", "fid", "magpsf", "sigmapsf", "diffmaglim",
                                        "isdiffpos", "object_id", "alert", "kind", "source"])
    for column in ("magpsf", "sigmapsf", "diffmaglim"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return frame


def _assemble_alerce(folder, ids, missing):
    """A LightCurves of the cached light curves, in ``ids`` order (cached as Parquet, checked)."""
    absent = set(missing)
    have = [oid for oid in ids if oid not in absent]
    if not have:
        raise ValueError(f"None of the {len(ids)} selected BTS objects has a cached light curve "
                         f"(all are missing from the service).")
    key = hashlib.sha256(json.dumps([CACHE_VERSION, have]).encode()).hexdigest()
    parquet, manifest = folder / "bts.parquet", folder / "manifest.json"
    if parquet.is_file() and manifest.is_file():
        recorded = json.loads(manifest.read_text())
        if recorded.get("key") == key:
            try:
                X, _ = LightCurves.read_parquet(parquet)
            except (OSError, ValueError, ImportError):
                X = None
            if X is not None and len(X) == recorded.get("n_objects"):
                return X
    frames = [_parse_lightcurve((folder / "alerce" / f"{oid}.json").read_bytes(), oid)
              for oid in have]
    frames = [f for f in frames if len(f)]
    if not frames:
        raise ValueError(f"The {len(have)} cached BTS light curves hold no observation.")
    obs = pd.concat(frames, ignore_index=True)
    obs["fid"] = obs["fid"].astype(np.int64)
    flux, flux_err, detected, usable = _ztf_fluxes(obs, 5.0)
    obs = obs.assign(flux=flux, flux_err=flux_err, detected=detected)[usable]
    obs = obs.sort_values(["jd"], kind="stable").drop_duplicates(["object_id", "jd", "fid"])
    order = {oid: k for k, oid in enumerate(have)}
    obs = obs.iloc[np.argsort(obs["object_id"].map(order).to_numpy(), kind="stable")]
    band = np.array(["ztfg", "ztfr", "ztfi"], dtype=object)[obs["fid"].to_numpy() - 1]
    X = build_lightcurves("BTS cache", obs["object_id"].to_numpy(), obs["jd"].to_numpy() - 2400000.5,
                          band, obs["flux"].to_numpy(), obs["flux_err"].to_numpy(),
                          detected=obs["detected"].to_numpy())
    try:
        manifest.unlink(missing_ok=True)  # no manifest describes a half-written Parquet file
        partial = parquet.with_name(parquet.name + ".part")
        X.to_parquet(partial)
        os.replace(partial, parquet)
        _write_atomic(manifest, json.dumps({"key": key, "n_objects": len(X),
                                            "version": CACHE_VERSION}).encode())
    except ImportError:  # no pyarrow: keep the raw cache only
        pass
    return X


def _with_catalogue(X, catalogue):
    """``X`` with the catalogue's redshift, E(B-V), class and peak magnitude as metadata."""
    rows = catalogue.set_index("ZTFID").reindex(X.object_ids.tolist())
    peak = rows["peakmag"] if "peakmag" in rows.columns else None
    metadata = standard_metadata(
        X.object_ids, redshift=pd.to_numeric(rows["redshift"], errors="coerce").to_numpy(),
        mwebv=pd.to_numeric(rows["A_V"], errors="coerce").to_numpy() / R_V,
        bts_type=rows["type"].astype(str).to_numpy(),
        peakmag=None if peak is None else pd.to_numeric(peak, errors="coerce").to_numpy())
    return LightCurves(X.object_ids, X.offsets, X.time, X.band, X.flux, X.flux_err, X.detected,
                       metadata)


def _write_atomic(path, body):
    """Write ``body`` to ``path`` through a temporary file: an interrupted write leaves nothing."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(body)
    os.replace(tmp, path)


def _progress(items, verbose, what):
    if not verbose or not items:
        return items
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return _printing(items, what)
    return tqdm(items, desc=what, unit="object")


def _printing(items, what):
    for k, item in enumerate(items):
        if k % 100 == 0:
            print(f"{what}: {k} of {len(items)}", flush=True)
        yield item
