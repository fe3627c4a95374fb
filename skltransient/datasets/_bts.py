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
import re
import secrets
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from numbers import Integral, Real

from sklearn.utils import Bunch

from .._compat import Interval, StrOptions, validate_params
from .._lightcurves import LightCurves
from ._readers import build_lightcurves, standard_metadata
from ._readers_alerts import checked_ztf_fluxes

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
#: Cache layout version; a cache of another version is rebuilt from its raw files.
CACHE_VERSION = 2
#: An id used as it is in a cache file name; any other id is named by its hash.
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_+-]{0,63}")
#: Plausible alert photometry: MJDs (1968 to 2132) and FLUXCAL fluxes (brighter than
#: magnitude -2.5 is no transient ZTF can measure, and overflows float32 long before 1e300).
MJD_RANGE = (40000.0, 100000.0)
MAX_FLUX = 1e12

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


@validate_params(
    {
        "data_home": [str, os.PathLike, None],
        "classes": ["array-like", None],
        "min_detections": [Interval(Integral, 0, None, closed="left")],
        "source": [StrOptions({"alerce"}), str, os.PathLike],
        "download_if_missing": ["boolean"],
        "max_objects": [Interval(Integral, 0, None, closed="left"), None],
        "refresh_missing": ["boolean"],
        "catalogue_url": [str],
        "service_url": [str],
        "delay": [Interval(Real, 0, None, closed="left")],
        "retries": [Interval(Integral, 0, None, closed="left")],
        "timeout": [Interval(Real, 0, None, closed="neither")],
        "max_wait": [Interval(Real, 0, None, closed="left")],
        "max_pages": [Interval(Integral, 1, None, closed="left")],
        "max_time": [Interval(Real, 0, None, closed="neither"), None],
        "verbose": ["verbose"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def fetch_bts(data_home=None, *, classes=("SN Ia", "SN II", "SN Ib/c", "SLSN-I", "TDE"),
              min_detections=3, source="alerce", download_if_missing=True, max_objects=None,
              refresh_missing=False,
              catalogue_url=BTS_URL, service_url=ALERCE_URL, delay=0.2, retries=3, timeout=60.0,
              max_wait=60.0, max_pages=100, max_time=None, verbose=True, return_X_y=False):
    """The ZTF Bright Transient Survey: light curves, classes, redshifts and extinction.

    In the manner of scikit-learn's ``fetch_*`` functions: the first call
    downloads the BTS catalogue and each object's ZTF alert photometry and
    caches them under ``data_home``; later calls read the cache. A download
    that stops (no network, a service error, an interruption) leaves what it
    fetched in the cache, and the next call fetches only the rest. Several
    processes may fetch into one cache at once, and a complete cache is
    read without writing (a read-only disk serves).

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
        (or the service's ``Retry-After``), at most ``max_wait``.
    timeout : float, default=60.0
        Seconds one attempt of a request may take in all, from connecting to
        the answer's last byte (a service that sends a byte now and then does
        not hold it longer).
    max_wait : float, default=60.0
        Longest wait between two attempts. A service asking (``Retry-After``)
        for a longer wait is an error at once, saying when to come back.
    max_pages : int, default=100
        Pages of the service's object listing followed for each 100 ids; a
        listing that says "next" for ever is an error after them.
    max_time : float or None, default=None
        Seconds the whole call may spend on the network (requests and waits);
        past them it stops with a :class:`TimeoutError`, keeping what it
        fetched. None: no limit beyond those of each request.
    verbose : bool, default=True
        A progress bar (tqdm, when installed) or progress lines. Objects left
        out as missing or invalid are warned about whatever ``verbose``.
    return_X_y : bool, default=False
        Return ``(lightcurves, target)``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``lightcurves`` (a :class:`~skltransient.LightCurves` in FLUXCAL, with
        ``redshift``, ``mwebv`` = A_V / 3.1, ``bts_type`` and ``peakmag`` in
        its metadata, in the catalogue's order), ``target`` (the package's BTS
        classes), ``target_raw`` (the BTS team's classes), ``missing`` (ids the
        service does not have), ``invalid`` (dict of the ids whose payload
        was refused, with the reason; they are not cached and are asked for
        again next time), ``DESCR`` (provenance, licence, selection).

    Raises
    ------
    OSError
        The cache is incomplete and ``download_if_missing`` is False.
    ConnectionError
        A service cannot be reached, keeps answering with an error status,
        or does not answer in full within ``timeout``, after the retries; the
        message names the URL.
    TimeoutError
        The call spent ``max_time`` seconds on the network.
    ValueError
        The catalogue or the service's listing is malformed (the message
        names the URL), or no selected object has a valid light curve.
    """
    folder = get_data_home(data_home) / "bts"
    client = _Client(delay, retries, timeout, max_wait=max_wait, max_time=max_time)
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
    invalid = {}
    if source == "alerce":
        X, missing, invalid = _alerce_lightcurves(folder, ids, service_url, client,
                                                  download_if_missing, verbose, refresh_missing,
                                                  max_pages)
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
                         f"more detections in {source!r}'s photometry ({len(missing)} missing, "
                         f"{len(invalid)} invalid{_first_reason(invalid)}).")
    rows = selected.set_index("ZTFID").loc[X.object_ids.tolist()]
    raw = rows["type"].astype(str).to_numpy()
    target = np.array([bts_class(t) or t for t in raw], dtype=object)
    if missing:
        where = f"are not served by {service_url}" if source == "alerce" else f"have no file in {source}"
        warnings.warn(f"{len(missing)} BTS objects {where} and are left out (first: "
                      f"{missing[0]!r}); their ids are in the result's 'missing'.",
                      UserWarning, stacklevel=3)
    if invalid:
        warnings.warn(f"{len(invalid)} BTS objects have an invalid light curve and are left out"
                      f"{_first_reason(invalid)}; they are in the result's 'invalid', not cached, "
                      f"and asked for again next time.", UserWarning, stacklevel=3)
    if return_X_y:
        return X, target
    return Bunch(lightcurves=X, target=target, target_raw=raw, missing=list(missing),
                 invalid=invalid, DESCR=DESCR)


def _first_reason(invalid):
    if not invalid:
        return ""
    oid, reason = next(iter(invalid.items()))
    return f"; first: {oid!r}: {reason.rstrip('.')}"


# ------------------------------------------------------------------ HTTP
class _Client:
    """GET with retries, backoff, a polite delay, deadlines and errors that name the URL."""

    def __init__(self, delay, retries, timeout, *, max_wait=60.0, max_time=None):
        self.delay, self.retries, self.timeout = float(delay), int(retries), float(timeout)
        self.max_wait = float(max_wait)
        self.deadline = None if max_time is None else time.monotonic() + float(max_time)
        self.max_time = max_time
        self._last = 0.0

    def get(self, url, *, missing_ok=False):
        """The body of ``url`` (bytes), or None for a 404 when ``missing_ok``."""
        from .. import __version__

        request = urllib.request.Request(url, headers={
            "User-Agent": f"skltransient/{__version__} (+https://github.com/skltransient)",
            "Accept": "application/json, text/csv"})
        for attempt in range(self.retries + 1):
            self._sleep(self.delay - (time.monotonic() - self._last), url)
            self._last = time.monotonic()
            try:
                return self._read(request)
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
                if wait > self.max_wait:
                    raise ConnectionError(
                        f"{url} answered HTTP {error.code} and asks to wait {wait:g} s before "
                        f"trying again, more than max_wait={self.max_wait:g} s; come back later "
                        f"(what was fetched is cached) or raise max_wait.") from None
                self._sleep(wait, url)
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError,
                    http.client.HTTPException) as error:
                self._check_budget(url, 0.0)
                if attempt == self.retries:
                    reason = getattr(error, "reason", error)
                    raise ConnectionError(
                        f"Cannot reach {url} ({reason}) after {attempt + 1} attempts; check the "
                        f"network, or use a cached copy (data_home=) with "
                        f"download_if_missing=False.") from None
                self._sleep(min(self.delay * 2**attempt, self.max_wait), url)

    def _sleep(self, seconds, url):
        """Wait, unless the wait would end past the call's time budget."""
        if seconds <= 0:
            self._check_budget(url, 0.0)
            return
        self._check_budget(url, seconds)
        time.sleep(seconds)

    def _check_budget(self, url, seconds):
        if self.deadline is not None and time.monotonic() + seconds >= self.deadline:
            raise TimeoutError(f"fetch_bts spent its max_time={self.max_time:g} s before {url} "
                               f"answered; what was fetched is cached, call it again to go on.")

    def _read(self, request):
        """One attempt: the whole body within ``timeout`` seconds (and the time budget)."""
        limit = self.timeout
        if self.deadline is not None:
            limit = min(limit, self.deadline - time.monotonic())
        sockets, expired = [], threading.Event()

        def cut():  # unblocks a read in progress, whatever the server sends
            expired.set()
            for sock in sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        timer = threading.Timer(max(limit, 0.0), cut)
        timer.daemon = True
        timer.start()
        try:
            with _opener(sockets).open(request, timeout=max(limit, 0.001)) as answer:
                body = answer.read()
        except (OSError, http.client.HTTPException):
            if expired.is_set():
                raise TimeoutError(f"no complete answer within timeout={self.timeout:g} s") from None
            raise
        finally:
            timer.cancel()
        if expired.is_set():  # a cut connection can look like a short, complete answer
            raise TimeoutError(f"no complete answer within timeout={self.timeout:g} s")
        return body


def _opener(sockets):
    """A urllib opener whose connections append their socket to ``sockets`` (to cut them)."""

    class Connection(http.client.HTTPConnection):
        def connect(self):
            super().connect()
            sockets.append(self.sock)

    class SecureConnection(http.client.HTTPSConnection):
        def connect(self):
            super().connect()
            sockets.append(self.sock)

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(Connection, req)

    class SecureHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(SecureConnection, req, context=self._context)

    return urllib.request.build_opener(Handler, SecureHandler)


# ------------------------------------------------------------- catalogue
def _catalogue(folder, url, client, download_if_missing):
    """The cached catalogue, downloading it once; checked for the columns that are needed."""
    path = folder / "catalogue.csv"
    if path.is_file():
        try:
            return _check_catalogue(path.read_bytes(), path)
        except ValueError as error:
            _move_aside(path, f"The cached BTS catalogue is damaged ({error}); it is fetched "
                              f"again.")
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
def _alerce_lightcurves(folder, ids, service_url, client, download_if_missing, verbose,
                        refresh_missing, max_pages):
    """The light curves of ``ids`` from the cache, fetching what it lacks (and, once, what it
    holds damaged); the ids the service does not have and those whose payload is refused."""
    fetch = dict(service_url=service_url, client=client, download_if_missing=download_if_missing,
                 verbose=verbose, max_pages=max_pages)
    missing, invalid = _fetch_alerce(folder, ids, refresh_missing=refresh_missing, **fetch)
    for _ in range(3):
        X, damaged = _assemble_alerce(folder, ids, set(missing) | set(invalid))
        if not damaged:
            return X, missing, invalid
        # Moved aside: fetched again.
        more_missing, more_invalid = _fetch_alerce(folder, damaged, refresh_missing=False,
                                                   **fetch)
        invalid.update(more_invalid)
        gone = set(missing) | set(more_missing)
        missing = [oid for oid in ids if oid in gone]
    raise OSError(f"Cached BTS light curves in {folder} were found damaged again after being "
                  f"fetched again (last: {damaged[0]!r}); check the disk.")


def _fetch_alerce(folder, ids, *, service_url, client, download_if_missing, verbose,
                  refresh_missing, max_pages):
    """Download the light curves the cache lacks; the ids the service does not have, and a dict
    of the ids whose payload is refused (not cached) with the reason."""
    store = folder / "alerce"
    store.mkdir(parents=True, exist_ok=True)
    missing_file = folder / "alerce_missing.json"
    recorded = _read_missing(missing_file)
    known_missing = set() if refresh_missing else set(recorded)
    todo = [oid for oid in ids
            if oid not in known_missing and not _cache_file(store, oid).is_file()]
    if todo and not download_if_missing:
        raise OSError(f"{len(todo)} of {len(ids)} BTS light curves are not cached in {store} "
                      f"(first: {todo[0]!r}) and download_if_missing=False.")
    invalid = {}
    if todo:
        served = _served(service_url, todo, client, max_pages)
        known_missing |= set(todo) - served
        recorded = _write_missing(missing_file, known_missing, recorded)
        todo = [oid for oid in todo if oid in served]
    for oid in _progress(todo, verbose, "BTS light curves"):
        url = f"{service_url}/objects/{_url_id(oid)}/lightcurve"
        body = client.get(url, missing_ok=True)
        if body is None:  # listed, yet gone: remember it as missing
            known_missing.add(oid)
            recorded = _write_missing(missing_file, known_missing, recorded)
            continue
        try:
            _parse_lightcurve(body, oid)  # refuse a malformed payload before caching it
        except ValueError as error:
            invalid[oid] = str(error)
            continue
        _write_atomic(_cache_file(store, oid), body)
    _write_missing(missing_file, known_missing, recorded)
    return [oid for oid in ids if oid in known_missing], invalid


def _cache_file(store, oid):
    """The cache file of an object: its id when that is a plain name, else the id's hash (an id
    from a download never becomes a path of its own: no '/', '..' or absolute path)."""
    name = oid if SAFE_ID.fullmatch(oid) else "_" + hashlib.sha256(
        oid.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return store / f"{name}.json"


def _url_id(oid):
    """An id as one path segment of a URL: every reserved character quoted, dots too."""
    return urllib.parse.quote(oid, safe="").replace(".", "%2E")


def _read_missing(path):
    """The ids recorded as missing; a damaged record is moved aside and forgotten."""
    if not path.is_file():
        return set()
    try:
        value = json.loads(path.read_bytes())
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("not a list of ids")
    except (ValueError, UnicodeDecodeError) as error:
        _move_aside(path, f"The record of objects missing from the service, {path}, is damaged "
                          f"({error}); the service is asked for them again.")
        return set()
    return set(value)


def _write_missing(path, known_missing, recorded):
    """Record the missing ids when they changed (a complete cache is never written)."""
    if set(known_missing) != set(recorded):
        _write_atomic(path, json.dumps(sorted(known_missing)).encode())
    return set(known_missing)


def _served(service_url, ids, client, max_pages, page_size=100):
    """Which of ``ids`` the service has: its paginated object listing, followed to the end."""
    served = set()
    for start in range(0, len(ids), page_size):
        chunk = ids[start:start + page_size]
        page, pages = 1, 0
        while page is not None:
            query = urllib.parse.urlencode([("oid", oid) for oid in chunk]
                                           + [("page", page), ("page_size", page_size)])
            url = f"{service_url}/objects?{query}"
            if pages == max_pages:
                raise ValueError(f"The object listing of {service_url} still has a next page "
                                 f"after max_pages={max_pages} pages for {len(chunk)} ids (at "
                                 f"{url[:200]}); the service is misbehaving, or raise max_pages.")
            answer = _json(client.get(url), url)
            pages += 1
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
    try:
        answer = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"The light curve of {oid!r} is not JSON ({error}).") from None
    if not isinstance(answer, dict) or not isinstance(answer.get("detections"), list):
        raise ValueError(f"The light curve of {oid!r} has no list of 'detections'; got "
                         f"{str(answer)[:80]!r}.")
    rows = []
    for kind, key in (("detections", "detections"), ("non_detections", "non_detections")):
        entries = answer.get(key) or []
        if not isinstance(entries, list):
            raise ValueError(f"The light curve of {oid!r} has {key} that are not a list.")
        for entry in entries:
            if not isinstance(entry, dict):
                raise ValueError(f"The light curve of {oid!r} has a {kind} entry that is not an "
                                 f"object: {entry!r}.")
            try:
                mjd, fid = float(entry["mjd"]), int(entry["fid"])
            except (KeyError, TypeError, ValueError, OverflowError):
                raise ValueError(f"The light curve of {oid!r} has a {kind} entry without a "
                                 f"numeric 'mjd' and 'fid': {str(entry)[:120]}.") from None
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
    _check_values(frame, oid)
    return frame


def _check_values(frame, oid):
    """Refuse a light curve whose values no telescope gives: they would poison the cache."""
    if not len(frame):
        return
    with np.errstate(over="ignore", invalid="ignore"):  # absurd magnitudes: refused below
        flux, flux_err, _, usable = checked_ztf_fluxes(
            frame.assign(fid=frame["fid"].astype(np.int64)), 5.0)
    mjd = frame["jd"].to_numpy() - 2400000.5
    checks = (
        (~((mjd >= MJD_RANGE[0]) & (mjd <= MJD_RANGE[1])), mjd, "time (MJD)",
         f"outside {MJD_RANGE[0]:g} to {MJD_RANGE[1]:g}"),
        (usable & ~(np.abs(flux) <= MAX_FLUX), flux, "flux",
         f"not finite or larger than {MAX_FLUX:g} (FLUXCAL)"),
        (usable & ~((flux_err > 0) & (flux_err <= MAX_FLUX)), flux_err, "flux uncertainty",
         f"not positive, finite and at most {MAX_FLUX:g}"),
    )
    for bad, values, what, rule in checks:
        if np.any(bad):
            k = int(np.argmax(bad))
            raise ValueError(f"The light curve of {oid!r} has a {what} of {float(values[k])!r} in its "
                             f"{frame['kind'].iloc[k]} ({np.count_nonzero(bad)} such entries): "
                             f"{rule}.")


def _assemble_alerce(folder, ids, left_out):
    """A LightCurves of the cached light curves, in ``ids`` order (cached as Parquet, keyed on
    the ids and on each raw file's size and time), and the ids whose cached file was damaged
    (moved aside: None is returned for the light curves then)."""
    have = [oid for oid in ids if oid not in left_out]
    if not have:
        raise ValueError(f"None of the {len(ids)} selected BTS objects has a cached light curve "
                         f"(all are missing from the service or invalid).")
    files = [_cache_file(folder / "alerce", oid) for oid in have]
    try:
        stats = [(path.name, *_stat(path)) for path in files]
    except FileNotFoundError:  # removed by another process since: fetched again
        return None, [oid for oid, path in zip(have, files) if not path.is_file()]
    key = hashlib.sha256(json.dumps([CACHE_VERSION, have, stats]).encode()).hexdigest()
    X = _read_assembled(folder, key)
    if X is not None:
        return X, []
    frames, damaged = [], []
    for oid, path in zip(have, files):
        try:
            frames.append(_parse_lightcurve(path.read_bytes(), oid))
        except ValueError as error:
            _move_aside(path, f"The cached light curve of {oid!r}, {path}, does not "
                              f"parse ({error}); it is fetched again.")
            damaged.append(oid)
    if damaged:
        return None, damaged
    frames = [f for f in frames if len(f)]
    if not frames:
        raise ValueError(f"The {len(have)} cached BTS light curves hold no observation.")
    obs = pd.concat(frames, ignore_index=True)
    obs["fid"] = obs["fid"].astype(np.int64)
    flux, flux_err, detected, usable = checked_ztf_fluxes(obs, 5.0)
    obs = obs.assign(flux=flux, flux_err=flux_err, detected=detected)[usable]
    obs = obs.sort_values(["jd"], kind="stable").drop_duplicates(["object_id", "jd", "fid"])
    order = {oid: k for k, oid in enumerate(have)}
    obs = obs.iloc[np.argsort(obs["object_id"].map(order).to_numpy(), kind="stable")]
    band = np.array(["ztfg", "ztfr", "ztfi"], dtype=object)[obs["fid"].to_numpy() - 1]
    X = build_lightcurves("BTS cache", obs["object_id"].to_numpy(), obs["jd"].to_numpy() - 2400000.5,
                          band, obs["flux"].to_numpy(), obs["flux_err"].to_numpy(),
                          detected=obs["detected"].to_numpy())
    _write_assembled(folder, key, X)
    return X, []


def _stat(path):
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def _read_assembled(folder, key):
    """The assembled light curves cached under ``key``, or None (absent, stale or damaged)."""
    parquet, manifest = folder / "bts.parquet", folder / "manifest.json"
    if not (parquet.is_file() and manifest.is_file()):
        return None
    try:
        recorded = json.loads(manifest.read_bytes())
        if not isinstance(recorded, dict):
            raise ValueError("not a JSON object")
    except (ValueError, UnicodeDecodeError) as error:
        warnings.warn(f"The manifest of the assembled BTS light curves, {manifest}, is damaged "
                      f"({error}); they are assembled again from the raw files.", UserWarning,
                      stacklevel=5)
        return None
    if recorded.get("key") != key:
        return None
    try:
        if _sha256(parquet) != recorded.get("sha256"):  # another process's file: rebuilt
            return None
        X, _ = LightCurves.read_parquet(parquet)
    except (OSError, ValueError, ImportError):
        return None
    return X if len(X) == recorded.get("n_objects") else None


def _write_assembled(folder, key, X):
    """Cache the assembled light curves and their manifest; a disk that refuses is no error."""
    parquet, manifest = folder / "bts.parquet", folder / "manifest.json"
    partial = _temporary(parquet)
    try:
        X.to_parquet(partial)
        digest = _sha256(partial)
        os.replace(partial, parquet)
        _write_atomic(manifest, json.dumps({"key": key, "n_objects": len(X), "sha256": digest,
                                            "version": CACHE_VERSION}).encode())
    except ImportError:  # no pyarrow: keep the raw cache only
        pass
    except OSError as error:
        warnings.warn(f"The assembled BTS light curves cannot be cached in {folder} ({error}); "
                      f"they are assembled from the raw files at each call.", UserWarning,
                      stacklevel=5)
    finally:
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def _temporary(path):
    """A temporary name beside ``path``, unique to this process and call."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.part")


def _write_atomic(path, body):
    """Write ``body`` to ``path`` through a temporary file of its own: an interrupted write leaves
    nothing, and processes writing at once never share a temporary file."""
    partial = _temporary(path)
    try:
        handle = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(handle, "wb") as stream:
            stream.write(body)
        os.replace(partial, path)
    except BaseException:
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass
        raise


def _move_aside(path, message):
    """Rename a damaged cache file to ``<name>.damaged`` (kept to look at) and warn, naming it."""
    aside = path.with_name(path.name + ".damaged")
    try:
        os.replace(path, aside)
        message += f" The damaged file is kept as {aside}."
    except FileNotFoundError:  # another process moved it first
        pass
    except OSError as error:  # a read-only cache: leave it, say so
        message += f" It cannot be moved aside ({error})."
    warnings.warn(message, UserWarning, stacklevel=4)
    return aside


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
