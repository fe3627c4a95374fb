"""Throughput of the file readers, in observations (rows) read per second.

Run from the repository root::

    python benchmarks/bench_readers.py [--repeat 3]

Cases:

* ``read_plasticc`` on the real PLAsTiCC training set (1,421,705 rows), when
  ``snmachine`` (which ships it) is installed;
* ``read_snana`` on the same set written as an SNANA HEAD/PHOT FITS pair, and
  on its first 2,000 objects written as one ``.DAT`` file each;
* ``read_ztf_alerts`` and ``read_lsst_alerts`` on the alert samples in the
  ``shared/data`` folder beside the repository, when it is there;
* ``read_ztf_forced_photometry`` on a generated 20,000-row service file.

Each case reports the best of ``--repeat`` runs.
"""

import argparse
import importlib.util
import tempfile
import time
from pathlib import Path

import numpy as np

from skltransient.datasets._readers_alerts import (
    read_lsst_alerts,
    read_ztf_alerts,
    read_ztf_forced_photometry,
)
from skltransient.datasets._readers_plasticc import load_plasticc, read_plasticc
from skltransient.datasets._readers_snana import read_snana

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def best_time(function, repeat):
    """Best wall-clock time of ``repeat`` calls, and the last result."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def report(name, function, repeat):
    seconds, result = best_time(function, repeat)
    lightcurves = result[0] if isinstance(result, tuple) else result
    rows = lightcurves.n_observations
    print(f"{name:<48} {len(lightcurves):>8} objects {rows:>10} rows {seconds:8.3f} s "
          f"{rows / seconds:>12,.0f} rows/s")


def fits_table(columns):
    """Bytes of a FITS file with one binary table; ``columns`` maps name to (tform, values)."""
    codes = {"D": ">f8", "E": ">f4", "J": ">i4"}
    dtype = [(name, f"S{tform[:-1]}" if tform.endswith("A") else codes[tform[-1]])
             for name, (tform, _) in columns.items()]
    rows = np.zeros(len(next(iter(columns.values()))[1]), dtype=dtype)
    for name, (_, values) in columns.items():
        rows[name] = values

    def card(key, value):
        if isinstance(value, bool):
            value = "T" if value else "F"
        elif isinstance(value, str):
            value = f"'{value:<8}'"
        return f"{key:<8}= {value:>20}".ljust(80)

    def header(cards):
        text = "".join(card(key, value) for key, value in cards) + "END".ljust(80)
        return (text + " " * (-len(text) % 2880)).encode("ascii")

    cards = [("XTENSION", "BINTABLE"), ("BITPIX", 8), ("NAXIS", 2), ("NAXIS1", rows.itemsize),
             ("NAXIS2", len(rows)), ("PCOUNT", 0), ("GCOUNT", 1), ("TFIELDS", len(columns))]
    for i, (name, (tform, _)) in enumerate(columns.items(), start=1):
        cards += [(f"TTYPE{i}", name), (f"TFORM{i}", tform)]
    primary = header([("SIMPLE", True), ("BITPIX", 8), ("NAXIS", 0), ("SURVEY", "LSST")])
    data = rows.tobytes()
    return primary + header(cards) + data + b"\0" * (-len(data) % 2880)


def write_snana(lightcurves, directory, n_dat):
    """Write light curves as an SNANA FITS pair and the first ``n_dat`` as .DAT files."""
    lengths = lightcurves.lengths
    # One MJD = -777 row after each light curve, as SNANA writes them.
    position = np.arange(lightcurves.n_observations) + np.repeat(np.arange(len(lengths)), lengths)
    n_rows = lightcurves.n_observations + len(lengths)
    mjd, flux = np.full(n_rows, -777.0), np.zeros(n_rows)
    band, err = np.full(n_rows, b"-", dtype="S2"), np.zeros(n_rows)
    mjd[position], flux[position] = lightcurves.time, lightcurves.flux
    err[position] = lightcurves.flux_err
    letters = np.array([name[-1] for name in lightcurves.band_names])
    band[position] = np.char.encode(letters, "ascii")
    start = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]]) + 1
    ids = np.char.encode(lightcurves.object_ids.astype(str), "ascii")
    (directory / "BENCH_HEAD.FITS").write_bytes(fits_table({
        "SNID": ("16A", ids), "PTROBS_MIN": ("1J", start),
        "PTROBS_MAX": ("1J", start + lengths - 1),
        "REDSHIFT_FINAL": ("1E", lightcurves.metadata["redshift"].to_numpy()),
        "MWEBV": ("1E", lightcurves.metadata["mwebv"].to_numpy())}))
    (directory / "BENCH_PHOT.FITS").write_bytes(fits_table({
        "MJD": ("1D", mjd), "BAND": ("2A", band), "FLUXCAL": ("1E", flux),
        "FLUXCALERR": ("1E", err)}))
    dat = directory / "dat"
    dat.mkdir()
    for i in range(min(n_dat, len(lightcurves))):
        rows = slice(lightcurves.offsets[i], lightcurves.offsets[i + 1])
        obs = "\n".join(f"OBS: {t:.4f} {b[-1]} {f:.4e} {e:.4e}" for t, b, f, e in zip(
            lightcurves.time[rows], lightcurves.band_names[rows], lightcurves.flux[rows],
            lightcurves.flux_err[rows], strict=True))
        (dat / f"SN{i}.DAT").write_text(f"SURVEY: LSST\nSNID: {lightcurves.object_ids[i]}\n"
                                        f"REDSHIFT_FINAL: 0.1 +- 0.01\nMWEBV: 0.02\n"
                                        f"VARLIST: MJD FLT FLUXCAL FLUXCALERR\n{obs}\nEND:\n")


def forced_photometry_text(n_rows, seed=0):
    rng = np.random.default_rng(seed)
    names = ["index", "filter", "infobitssci", "sciinpseeing", "scisigpix", "zpdiff", "jd",
             "forcediffimflux", "forcediffimfluxunc", "procstatus"]
    rows = "\n".join(
        f"{i} ZTF_{'gri'[i % 3]} 0 2.0 10.0 {26 + rng.random():.3f} {2459000.5 + i * 0.3:.5f} "
        f"{rng.normal(100, 30):.3f} {rng.uniform(5, 20):.3f} 0" for i in range(n_rows))
    return "# Requested input R.A. = 10.0 degrees\n# Requested input Dec. = 20.0 degrees\n " \
           + ", ".join(names) + "\n" + rows + "\n"


def main(repeat):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if importlib.util.find_spec("snmachine") is not None:
            data = Path(importlib.util.find_spec("snmachine").submodule_search_locations[0])
            paths = (data / "example_data" / "plasticc_train_lightcurves.csv",
                     data / "example_data" / "plasticc_train_metadata.csv")
            report("read_plasticc (PLAsTiCC training set)", lambda: read_plasticc(*paths), repeat)
            write_snana(load_plasticc().lightcurves, tmp, n_dat=2000)
            report("read_snana (same set, HEAD/PHOT FITS)",
                   lambda: read_snana(tmp / "BENCH_HEAD.FITS"), repeat)
            report("read_snana (2,000 .DAT files)", lambda: read_snana(tmp / "dat"), repeat)
        else:
            print("snmachine is not installed: skipping the PLAsTiCC and SNANA cases "
                  "(`pip install --no-deps snmachine`).")
        if SHARED_DATA.is_dir():
            for name, reader in (("ztf_alerts_sample", read_ztf_alerts),
                                 ("ztf_alerts_history_sample", read_ztf_alerts),
                                 ("elasticc_alerts_sample", read_lsst_alerts),
                                 ("elasticc_agn_alerts_sample", read_lsst_alerts)):
                path = SHARED_DATA / f"{name}.parquet"
                report(f"{reader.__name__} ({name})", lambda r=reader, p=path: r(p), repeat)
        else:
            print(f"{SHARED_DATA} is absent: skipping the alert samples.")
        fps = tmp / "forcedphotometry_req00000001_lc.txt"
        fps.write_text(forced_photometry_text(20000))
        report("read_ztf_forced_photometry (20,000 rows)", lambda: read_ztf_forced_photometry(fps),
               repeat)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best is kept")
    main(parser.parse_args().repeat)
