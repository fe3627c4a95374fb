"""fetch_bts against a local HTTP server that speaks the BTS explorer's and ALeRCE's formats.

No test touches the internet: the server runs on 127.0.0.1 in a thread of the test.
"""

import json
import os
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from skltransient.datasets import bts_class, fetch_bts

pytest.importorskip("pyarrow")  # the cache is Parquet

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
HEADER = "ZTFID,IAUID,RA,Dec,peakt,peakfilt,peakmag,peakabs,duration,rise,fade,type,redshift,b,A_V"


def _payloads():
    """Light-curve answers in ALeRCE's format, shaped from the real ZTF alert sample when present."""
    path = SHARED / "ztf_alerts_history_sample.parquet"
    if path.is_file():
        import pandas as pd

        table = pd.read_parquet(path, columns=["objectId", "candidate", "prv_candidates"])
        answers = []
        for _, row in table.drop_duplicates("objectId").iterrows():
            epochs = [row["candidate"], *(list(row["prv_candidates"]) if row["prv_candidates"]
                                         is not None else [])]
            detections = [{"mjd": e["jd"] - 2400000.5, "fid": int(e["fid"]),
                           "magpsf": float(e["magpsf"]), "sigmapsf": float(e["sigmapsf"]),
                           "isdiffpos": 1 if str(e["isdiffpos"]) in ("t", "1") else -1}
                          for e in epochs if e["magpsf"] is not None and np.isfinite(e["magpsf"])]
            limits = [{"mjd": e["jd"] - 2400000.5, "fid": int(e["fid"]),
                       "diffmaglim": float(e["diffmaglim"])}
                      for e in epochs if (e["magpsf"] is None or not np.isfinite(e["magpsf"]))
                      and e["diffmaglim"] is not None]
            if len(detections) >= 3:
                answers.append({"detections": detections, "non_detections": limits})
            if len(answers) == 4:
                return answers
    base = [{"mjd": 59000.0 + k, "fid": 1 + k % 2, "magpsf": 18.0 + 0.1 * k, "sigmapsf": 0.05,
             "isdiffpos": 1} for k in range(5)]
    return [{"detections": base, "non_detections": [{"mjd": 58995.0, "fid": 1,
                                                     "diffmaglim": 20.5}]}] * 4


class _Service:
    """The BTS explorer's CSV and ALeRCE's /objects (paginated) and /objects/{oid}/lightcurve."""

    def __init__(self, catalogue, lightcurves, *, page_size_cap=2, broken=(), malformed=(),
                 unlisted=(), override=None):
        self.catalogue, self.lightcurves = catalogue, lightcurves
        self.override = override  # override(handler, url) -> True when it answered
        self.page_size_cap, self.broken, self.malformed = page_size_cap, set(broken), set(malformed)
        self.unlisted = set(unlisted)
        self.requests = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                service.requests.append(url.path)
                if service.override is not None and service.override(self, url):
                    return None
                if url.path == "/bts.csv":
                    return self._send(200, service.catalogue.encode(), "text/csv")
                if url.path == "/objects":
                    query = urllib.parse.parse_qs(url.query)
                    oids = [o for o in query["oid"] if o in service.lightcurves
                            and o not in service.unlisted]
                    size = min(int(query["page_size"][0]), service.page_size_cap)
                    page = int(query["page"][0])
                    items = [{"oid": o, "ndet": 5} for o in oids[(page - 1) * size:page * size]]
                    more = page * size < len(oids)
                    body = {"total": len(oids), "page": page, "next": page + 1 if more else None,
                            "prev": page - 1 if page > 1 else None, "items": items}
                    return self._send(200, json.dumps(body).encode())
                parts = url.path.strip("/").split("/")
                if len(parts) == 3 and parts[0] == "objects" and parts[2] == "lightcurve":
                    oid = urllib.parse.unquote(parts[1])
                    if oid in service.broken:
                        return self._send(503, b"down for maintenance")
                    if oid in service.malformed:
                        return self._send(200, b'{"detections": "not a list"}')
                    if oid not in service.lightcurves:
                        return self._send(404, b'{"detail": "not found"}')
                    return self._send(200, json.dumps(service.lightcurves[oid]).encode())
                return self._send(404, b"")

            def _send(self, code, body, kind="application/json"):
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def fetch(self, tmp_path, **kwargs):
        return fetch_bts(tmp_path, catalogue_url=f"{self.url}/bts.csv", service_url=self.url,
                         delay=0, retries=1, timeout=5, verbose=False, **kwargs)

    def count(self, path):
        return sum(1 for p in self.requests if p == path)


@pytest.fixture
def service():
    payloads = _payloads()
    ids = ["ZTF20aaaaaaa", "ZTF20bbbbbbb", "ZTF20ccccccc", "ZTF20ddddddd"]
    rows = [f"{ids[0]},SN2020a,10:00:00.00,+10:00:00.0,900.1,g,18.1,-19.2,30,10,20,SN Ia-91T,0.05,40,0.31",
            f"{ids[1]},SN2020b,11:00:00.00,+11:00:00.0,901.1,r,18.3,-17.0,50,8,40,SN IIP,0.02,30,0.062",
            f"{ids[2]},AT2020c,12:00:00.00,+12:00:00.0,902.1,g,17.9,-,10,3,5,CV,-,20,0.1",
            f"{ids[3]},SN2020d,13:00:00.00,+13:00:00.0,903.1,r,18.4,-18.0,40,9,30,SN Ic-BL,0.03,25,0.0"]
    catalogue = "\n".join([HEADER, *rows]) + "\n"
    made = []

    def make(**kwargs):
        made.append(_Service(catalogue, dict(zip(ids, payloads)), **kwargs))
        return made[-1]

    yield make, ids
    for s in made:
        s.server.shutdown()


def test_fetch_bts_success_classes_metadata_and_photometry(service, tmp_path):
    """Check a whole fetch: classes mapped (raw kept), catalogue order, redshift and E(B-V),
    fluxes from magnitudes, upper limits as non-detections, the paginated listing followed."""
    make, ids = service
    server = make()
    data = server.fetch(tmp_path)
    X = data.lightcurves
    assert X.object_ids.tolist() == [ids[0], ids[1], ids[3]]  # the CV is not a BTS class
    assert data.target.tolist() == ["SN Ia", "SN II", "SN Ib/c"]
    assert data.target_raw.tolist() == ["SN Ia-91T", "SN IIP", "SN Ic-BL"]
    np.testing.assert_allclose(X.metadata["redshift"], [0.05, 0.02, 0.03])
    np.testing.assert_allclose(X.metadata["mwebv"], [0.1, 0.02, 0.0])
    first = _payloads()[0]
    one = X[[0]]
    assert np.count_nonzero(one.detected) == len(first["detections"])
    detection = first["detections"][0]
    row = np.flatnonzero(np.isclose(one.time, detection["mjd"]) & one.detected)[0]
    expected = 10 ** (-0.4 * (detection["magpsf"] - 27.5)) * (1 if detection["isdiffpos"] == 1 else -1)
    assert one.flux[row] == pytest.approx(expected, rel=1e-9)
    assert np.all(one.flux[~one.detected] == 0) and np.all(one.flux_err > 0)
    assert server.count("/objects") == 2  # three ids, pages of two: the listing was followed
    assert "Bright Transient Survey" in data.DESCR and "ALeRCE" in data.DESCR


def test_fetch_bts_reads_its_cache_without_the_network(service, tmp_path):
    """Check that a second call reads the cache (no request), and download_if_missing=False
    on an empty cache is a clear OSError."""
    make, _ = service
    server = make()
    first = server.fetch(tmp_path)
    before = len(server.requests)
    again = server.fetch(tmp_path, download_if_missing=False)
    assert len(server.requests) == before
    np.testing.assert_array_equal(again.lightcurves.flux, first.lightcurves.flux)
    with pytest.raises(OSError, match="not cached .* download_if_missing=False"):
        server.fetch(tmp_path / "empty", download_if_missing=False)


def test_fetch_bts_missing_object_is_left_out_and_named(service, tmp_path):
    """Check that an object the service does not list is left out, named in 'missing' and in a
    warning, and not asked for again."""
    make, ids = service
    server = make(unlisted={ids[1]})
    with pytest.warns(UserWarning, match=f"1 BTS objects are not served.*{ids[1]}"):
        data = fetch_bts(tmp_path, catalogue_url=f"{server.url}/bts.csv", service_url=server.url,
                         delay=0, retries=1, timeout=5, verbose=True)
    assert ids[1] not in data.lightcurves.object_ids and data.missing == [ids[1]]
    assert f"/objects/{ids[1]}/lightcurve" not in server.requests


def test_fetch_bts_malformed_payload_names_the_object(service, tmp_path):
    """Check that a light curve that is not in the service's format is left out, named in a
    warning and in 'invalid', not cached, and asked for again by the next call."""
    make, ids = service
    server = make(malformed={ids[1]})
    with pytest.warns(UserWarning, match=f"1 BTS objects have an invalid light curve.*light curve "
                                         f"of '{ids[1]}' has no list of 'detections'"):
        data = server.fetch(tmp_path)
    assert data.lightcurves.object_ids.tolist() == [ids[0], ids[3]]
    assert list(data.invalid) == [ids[1]]
    assert not (tmp_path / "bts" / "alerce" / f"{ids[1]}.json").exists()
    server.malformed.clear()
    assert server.fetch(tmp_path).lightcurves.object_ids.tolist() == [ids[0], ids[1], ids[3]]


def test_fetch_bts_service_error_after_retries_names_the_url(service, tmp_path):
    """Check that a service answering 503 is retried, then reported with its URL and status."""
    make, ids = service
    server = make(broken={ids[0]})
    with pytest.raises(ConnectionError, match=rf"objects/{ids[0]}/lightcurve answered HTTP 503 .*2 "
                                              r"attempts"):
        server.fetch(tmp_path)
    assert server.count(f"/objects/{ids[0]}/lightcurve") == 2  # one try and one retry


def test_fetch_bts_interrupted_download_is_resumed(service, tmp_path):
    """Check that after a failure midway the next call fetches only what the cache lacks."""
    make, ids = service
    failing = make(broken={ids[3]})
    with pytest.raises(ConnectionError):
        failing.fetch(tmp_path)
    cached = sorted(p.stem for p in (tmp_path / "bts" / "alerce").glob("*.json"))
    assert cached == [ids[0], ids[1]]
    working = make()
    data = working.fetch(tmp_path)
    assert len(data.lightcurves) == 3
    fetched = [p for p in working.requests if p.endswith("/lightcurve")]
    assert fetched == [f"/objects/{ids[3]}/lightcurve"]


def test_fetch_bts_no_network_is_a_clear_error(tmp_path):
    """Check that an unreachable service is a ConnectionError naming the URL, not a traceback
    from deep inside urllib."""
    with pytest.raises(ConnectionError, match=r"Cannot reach http://127\.0\.0\.1:9/bts\.csv"):
        fetch_bts(tmp_path, catalogue_url="http://127.0.0.1:9/bts.csv",
                  service_url="http://127.0.0.1:9", delay=0, retries=1, timeout=2, verbose=False)


def test_fetch_bts_damaged_cache_is_rebuilt(service, tmp_path):
    """Check that a Parquet cache whose object count disagrees with its manifest is rebuilt from
    the raw light curves, without the network."""
    make, _ = service
    server = make()
    first = server.fetch(tmp_path)
    manifest = tmp_path / "bts" / "manifest.json"
    recorded = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**recorded, "n_objects": 99}))
    again = server.fetch(tmp_path, download_if_missing=False)
    np.testing.assert_array_equal(again.lightcurves.flux, first.lightcurves.flux)
    assert json.loads(manifest.read_text())["n_objects"] == 3


def test_bts_classes():
    """Check the mapping of BTS explorer classes onto the package's five."""
    assert [bts_class(t) for t in ("SN Ia", "SN Iax", "SN II", "SN IIn", "SN Ib", "SN Ic-BL",
                                   "SLSN-I", "SLSN-II", "TDE-H", "AGN", "nova")] == [
        "SN Ia", "SN Ia", "SN II", "SN II", "SN Ib/c", "SN Ib/c", "SLSN-I", None, "TDE", None, None]


def test_reproduce_target_reads_a_cached_bts_copy(service, tmp_path):
    """Check that reproduce's loader reads a cached BTS folder (as for --target PATH), with the
    five BTS classes and the map from the base's classes, without the network."""
    from skltransient import _experiment
    from skltransient.datasets import BTS_CLASS_MAP, CLASSES

    make, _ = service
    make().fetch(tmp_path)
    X, y, class_map = _experiment.load_target(str(tmp_path), 100, CLASSES, 0)
    assert len(X) == 3 and sorted(y) == ["SN II", "SN Ia", "SN Ib/c"]
    assert class_map == BTS_CLASS_MAP


def test_fetch_bts_reads_forced_photometry_from_a_folder(service, tmp_path):
    """Check source=folder: one ZFPS file per object, named by its ZTF id, joined with the cached
    catalogue's classes and redshifts; objects without a file are reported missing."""
    from tests.datasets.test_readers import fps_text

    make, ids = service
    server = make()
    server.fetch(tmp_path, max_objects=1)  # caches the catalogue (and one alert light curve)
    with pytest.raises(ValueError, match="No BTS object is selected"):
        server.fetch(tmp_path, max_objects=0)
    folder = tmp_path / "zfps"
    folder.mkdir()
    for oid in (ids[0], ids[3]):
        (folder / f"{oid}.txt").write_text(fps_text([{}, {}, {}, {"forcediffimflux": "5.0"}]))
    with pytest.warns(UserWarning, match=f"1 BTS objects have no file in .*{ids[1]}"):
        data = fetch_bts(tmp_path, source=folder, download_if_missing=False, verbose=False)
    assert data.lightcurves.object_ids.tolist() == [ids[0], ids[3]]
    assert data.target.tolist() == ["SN Ia", "SN Ib/c"] and data.missing == [ids[1]]
    np.testing.assert_allclose(data.lightcurves.metadata["redshift"], [0.05, 0.03])
    assert data.lightcurves.lengths.tolist() == [4, 4]


def test_fetch_bts_refuses_an_unknown_filter_and_survives_an_empty_light_curve(service, tmp_path):
    """Check that a filter id outside ZTF's 1-3 is refused naming the object (the object left
    out), and that an object served with no observation at all is dropped rather than crashing
    the assembly."""
    make, ids = service
    server = make()
    server.lightcurves[ids[1]] = {"detections": [{"mjd": 59000.0, "fid": 4, "magpsf": 18.0,
                                                  "sigmapsf": 0.1, "isdiffpos": 1}]}
    with pytest.warns(UserWarning, match=f"light curve of '{ids[1]}' has a detections entry with "
                                         f"fid 4"):
        assert ids[1] in server.fetch(tmp_path).invalid
    server.lightcurves[ids[1]] = {"detections": [], "non_detections": []}
    data = server.fetch(tmp_path)
    assert data.lightcurves.object_ids.tolist() == [ids[0], ids[3]]


# ------------------------------------------------------- unattended and hostile (issue 26)
def _serve(tmp_path, ids, lightcurves, types=None, **kwargs):
    """A local service whose catalogue lists ``ids`` (SNe Ia unless ``types``)."""
    types = types or ["SN Ia"] * len(ids)
    rows = [f"{oid},SN,1:00:00,+1:00:00,900,g,18,-19,30,10,20,{kind},0.05,40,0.31"
            for oid, kind in zip(ids, types)]
    return _Service("\n".join([HEADER, *rows]) + "\n", dict(zip(ids, lightcurves)), **kwargs)


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.is_file())


def test_fetch_bts_ids_never_become_paths_outside_the_cache(tmp_path):
    """Check that ids with '..', '/' or an absolute path are fetched under hashed file names
    inside the cache, never written elsewhere, and reach the URL quoted as one segment."""
    home = tmp_path / "a" / "b" / "home"
    absolute = str(tmp_path / "absolute")
    ids = ["ZTF20aaaaaaa", "../../../escaped", absolute, "ZTF/slash", ".."]
    server = _serve(tmp_path, ids, _payloads()[:1] * len(ids))
    try:
        data = server.fetch(home)
    finally:
        server.server.shutdown()
    assert data.lightcurves.object_ids.tolist() == ids
    outside = [p for p in _files(tmp_path) if not p.startswith("a/b/home/bts/")]
    assert outside == []
    assert not (tmp_path / "a" / "b" / "escaped.json").exists()
    assert not Path(absolute + ".json").exists()
    names = [p.name for p in (home / "bts" / "alerce").iterdir()]
    assert "ZTF20aaaaaaa.json" in names and len(names) == 5
    assert all(n == "ZTF20aaaaaaa.json" or n.startswith("_") for n in names)
    assert "/objects/ZTF%2Fslash/lightcurve" in server.requests
    assert "/objects/%2E%2E/lightcurve" in server.requests


def test_fetch_bts_damaged_cached_light_curve_is_moved_aside_and_fetched_again(service, tmp_path):
    """Check that a cached light curve that does not parse is moved aside with a warning naming
    it, fetched again, and the result is whole (not "the service did not answer JSON")."""
    make, ids = service
    server = make()
    first = server.fetch(tmp_path)
    cached = tmp_path / "bts" / "alerce" / f"{ids[0]}.json"
    cached.write_bytes(b'{"detections": [{"mjd": 59000.0, "fi')  # a torn write, a bad disk
    before = server.count(f"/objects/{ids[0]}/lightcurve")
    with pytest.warns(UserWarning, match=f"cached light curve of '{ids[0]}'.*{ids[0]}.json.*does "
                                         f"not parse.*fetched again"):
        again = server.fetch(tmp_path)
    np.testing.assert_array_equal(again.lightcurves.flux, first.lightcurves.flux)
    assert server.count(f"/objects/{ids[0]}/lightcurve") == before + 1
    assert cached.with_name(cached.name + ".damaged").is_file()


@pytest.mark.parametrize("field, value, match", [
    ("mjd", float("nan"), r"nan in detections\.jd"),
    ("mjd", 1e300, r"time \(MJD\) of 1e\+300"),
    ("magpsf", -1000.0, "flux of"),
    ("sigmapsf", -0.1, "sigmapsf"),
])
def test_fetch_bts_bad_object_is_skipped_not_cached(service, tmp_path, field, value, match):
    """Check that one object with NaN or absurd times, a huge flux or a negative error is left
    out and reported, not cached, and does not block the other objects in this or later calls."""
    make, ids = service
    server = make()
    payload = json.loads(json.dumps(server.lightcurves[ids[1]]))
    payload["detections"][1][field] = value
    server.lightcurves[ids[1]] = payload
    for _ in range(2):
        with pytest.warns(UserWarning, match=f"1 BTS objects have an invalid light curve.*{match}"):
            data = server.fetch(tmp_path)
        assert data.lightcurves.object_ids.tolist() == [ids[0], ids[3]]
        assert list(data.invalid) == [ids[1]] and ids[1] in data.invalid[ids[1]]
        assert not (tmp_path / "bts" / "alerce" / f"{ids[1]}.json").exists()


def test_fetch_bts_assembled_result_follows_its_inputs(service, tmp_path):
    """Check that the assembled light curves are rebuilt when a raw light curve changes (here
    fetched again with 12 detections), not served stale because the ids are the same."""
    make, ids = service
    server = make()
    assert server.fetch(tmp_path).lightcurves.lengths[0] == len(_payloads()[0]["detections"]) + \
        len(_payloads()[0]["non_detections"])
    longer = [{"mjd": 59000.0 + k, "fid": 1, "magpsf": 18.0, "sigmapsf": 0.05, "isdiffpos": 1}
              for k in range(12)]
    server.lightcurves[ids[0]] = {"detections": longer, "non_detections": []}
    (tmp_path / "bts" / "alerce" / f"{ids[0]}.json").unlink()
    data = server.fetch(tmp_path)
    assert data.lightcurves.lengths[0] == 12
    assert np.count_nonzero(data.lightcurves[[0]].detected) == 12


def test_fetch_bts_reads_a_complete_cache_without_writing(service, tmp_path, monkeypatch):
    """Check that a complete cache is read with every write refused (a read-only disk): no
    temporary file, no record rewritten."""
    import pathlib

    make, ids = service
    server = make(unlisted={ids[1]})
    with pytest.warns(UserWarning, match="not served"):
        first = server.fetch(tmp_path)
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "bts").rglob("*")}

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Read-only file system")

    real_open = os.open
    monkeypatch.setattr(pathlib.Path, "write_bytes", refuse)
    monkeypatch.setattr(pathlib.Path, "write_text", refuse)
    monkeypatch.setattr(os, "replace", refuse)
    monkeypatch.setattr(os, "open", lambda path, flags, *a, **k: refuse() if flags & os.O_CREAT
                        else real_open(path, flags, *a, **k))
    with pytest.warns(UserWarning, match="not served"):
        again = server.fetch(tmp_path, download_if_missing=False)
    monkeypatch.undo()
    np.testing.assert_array_equal(again.lightcurves.flux, first.lightcurves.flux)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "bts").rglob("*")} == before


@pytest.mark.parametrize("name", ["manifest.json", "alerce_missing.json"])
def test_fetch_bts_damaged_records_are_repaired(service, tmp_path, name):
    """Check that a damaged manifest or record of missing objects is named in a warning and
    repaired (assembled again, or the service asked again), not a raw JSONDecodeError."""
    make, ids = service
    server = make(unlisted={ids[1]})
    with pytest.warns(UserWarning, match="not served"):
        first = server.fetch(tmp_path)
    record = tmp_path / "bts" / name
    record.write_text('{"key": "abc", "n_obj')
    with pytest.warns(UserWarning, match=f"{name}, is damaged"):
        again = server.fetch(tmp_path)
    np.testing.assert_array_equal(again.lightcurves.flux, first.lightcurves.flux)
    assert again.missing == [ids[1]]
    assert json.loads(record.read_text())  # rewritten whole


@pytest.mark.parametrize("kwargs, match", [
    (dict(max_objects=-1), "max_objects"),
    (dict(timeout=0), "timeout"),
    (dict(retries=-1), "retries"),
    (dict(max_pages=0), "max_pages"),
    (dict(min_detections=-1), "min_detections"),
])
def test_fetch_bts_refuses_bad_arguments(tmp_path, kwargs, match):
    """Check that bad arguments are refused by name before anything is fetched
    (max_objects=-1 used to drop the last object silently)."""
    with pytest.raises(ValueError, match=match):
        fetch_bts(tmp_path, catalogue_url="http://127.0.0.1:9/bts.csv",
                  service_url="http://127.0.0.1:9", verbose=False, **kwargs)
    assert not (tmp_path / "bts").exists()


def _raw_server(answer):
    """A TCP server on 127.0.0.1 whose connections are handed to ``answer(connection)``."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def loop():
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_fetch_bts_timeout_bounds_a_dripping_answer(tmp_path):
    """Check that timeout= bounds a whole request: a server sending a byte every 0.1 s (each
    read well within the timeout) is cut after timeout=1 s, not followed for seconds."""
    import time

    def drip(connection):
        try:
            connection.recv(65536)
            connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
            for _ in range(100):
                connection.sendall(b"x")
                time.sleep(0.1)
        except OSError:
            pass
        finally:
            connection.close()

    listener, url = _raw_server(drip)
    start = time.monotonic()
    try:
        with pytest.raises(ConnectionError, match=r"bts\.csv \(no complete answer within "
                                                  r"timeout=1 s\) after 1 attempts"):
            fetch_bts(tmp_path, catalogue_url=f"{url}/bts.csv", service_url=url, delay=0,
                      retries=0, timeout=1, verbose=False)
    finally:
        listener.close()
    assert time.monotonic() - start < 4


def test_fetch_bts_silent_server_times_out(tmp_path):
    """Check that a server that accepts the connection and never answers is a ConnectionError
    naming the URL once the timeout has passed (it holds)."""
    import time

    listener, url = _raw_server(lambda connection: None)  # keeps it open, says nothing
    start = time.monotonic()
    try:
        with pytest.raises(ConnectionError, match=r"Cannot reach http://127\.0\.0\.1:\d+/bts\.csv"):
            fetch_bts(tmp_path, catalogue_url=f"{url}/bts.csv", service_url=url, delay=0,
                      retries=1, timeout=0.5, verbose=False)
    finally:
        listener.close()
    assert time.monotonic() - start < 4


def test_fetch_bts_endless_listing_stops_at_max_pages(service, tmp_path):
    """Check that a listing that always has a next page stops after max_pages pages with an
    error naming the service (it drew thousands of requests without end)."""
    make, _ = service

    def endless(handler, url):
        if url.path != "/objects":
            return False
        if server.count("/objects") > 300:  # only to stop code without a page limit
            handler._send(503, b"enough")
            return True
        page = int(urllib.parse.parse_qs(url.query)["page"][0])
        handler._send(200, json.dumps({"items": [], "next": page + 1}).encode())
        return True

    server = make(override=endless)
    with pytest.raises(ValueError, match=r"still has a next page after max_pages=20 pages"):
        server.fetch(tmp_path, max_pages=20)
    assert server.count("/objects") == 20


def test_fetch_bts_long_retry_after_and_time_budget(service, tmp_path):
    """Check bounded waits: a Retry-After beyond max_wait is an error at once, saying when to
    come back; and repeated short waits stop at the call's max_time with a TimeoutError."""
    import time

    make, _ = service
    retry_after = ["300"]

    def busy(handler, url):
        if url.path != "/objects":
            return False
        handler.send_response(429)
        handler.send_header("Retry-After", retry_after[0])
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    server = make(override=busy)
    start = time.monotonic()
    with pytest.raises(ConnectionError, match=r"asks to wait 300 s .*max_wait=60 s"):
        server.fetch(tmp_path, max_wait=60)
    assert time.monotonic() - start < 3
    retry_after[0] = "1"
    start = time.monotonic()
    with pytest.raises(TimeoutError, match=r"max_time=2 s .*cached"):
        fetch_bts(tmp_path, catalogue_url=f"{server.url}/bts.csv", service_url=server.url,
                  delay=0, retries=50, timeout=5, max_time=2, verbose=False)
    assert time.monotonic() - start < 3


def test_fetch_bts_html_or_garbage_from_the_services_is_named(service, tmp_path):
    """Check that HTML or garbage where the services answer CSV or JSON is a ValueError naming
    the URL (it holds)."""
    make, _ = service

    def html(handler, url):
        handler._send(200, b"<html><body>Service unavailable</body></html>", "text/html")
        return True

    server = make(override=html)
    with pytest.raises(ValueError, match=r"BTS catalogue from http://127.*bts\.csv lacks the "
                                         r"columns"):
        server.fetch(tmp_path)
    server.override = None
    server.fetch(tmp_path, max_objects=1)  # the catalogue is cached
    server.override = lambda handler, url: url.path == "/objects" and (
        handler._send(200, b"\x00\xffgarbage") or True)
    with pytest.raises(ValueError, match=r"http://127.*/objects\?oid=.* did not answer JSON"):
        server.fetch(tmp_path)


def _fetch_in_a_process(home, url, queue):
    try:
        data = fetch_bts(home, catalogue_url=f"{url}/bts.csv", service_url=url, delay=0,
                         retries=2, timeout=60, verbose=False)
        queue.put(("ok", data.lightcurves.object_ids.tolist(), data.lightcurves.flux.tolist()))
    except BaseException as error:  # reported to the test, whatever it is
        queue.put(("error", f"{type(error).__name__}: {error}", None))


def test_fetch_bts_eight_processes_share_one_cache(tmp_path):
    """Check that 8 processes fetching into one cache at once all succeed with the same light
    curves, and leave every cached file whole and no temporary file behind."""
    import multiprocessing
    import warnings

    ids = [f"ZTF21{chr(97 + k // 26)}{chr(97 + k % 26)}aaaaa" for k in range(30)]
    payloads = [{"detections": [{"mjd": 59000.0 + j, "fid": 1 + j % 2, "magpsf": 17.0 + k / 30,
                                 "sigmapsf": 0.05, "isdiffpos": 1} for j in range(4)],
                 "non_detections": []} for k in range(len(ids))]
    server = _serve(tmp_path, ids, payloads, page_size_cap=100)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # fork with the server's thread
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        workers = [context.Process(target=_fetch_in_a_process,
                                   args=(tmp_path / "home", server.url, queue))
                   for _ in range(8)]
        for worker in workers:
            worker.start()
        results = [queue.get(timeout=300) for _ in workers]  # seconds, on a crowded machine
        for worker in workers:
            worker.join(timeout=30)
    server.server.shutdown()
    assert [r[0] for r in results] == ["ok"] * 8, [r[1] for r in results if r[0] != "ok"]
    assert all(r[1] == ids and r[2] == results[0][2] for r in results)
    files = _files(tmp_path / "home" / "bts")
    assert not [f for f in files if f.endswith((".part", ".damaged"))]
    for oid, payload in zip(ids, payloads):
        assert json.loads((tmp_path / "home" / "bts" / "alerce" / f"{oid}.json").read_text()) == payload
    again = fetch_bts(tmp_path / "home", download_if_missing=False, verbose=False)
    assert again.lightcurves.object_ids.tolist() == ids
    assert again.lightcurves.flux.tolist() == results[0][2]
