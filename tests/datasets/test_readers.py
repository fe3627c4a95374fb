"""Tests of the file readers: PLAsTiCC, SNANA, ZTF and Rubin alerts, ZTF forced photometry."""

import gzip
import importlib.util
import io
import re
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from skltransient.datasets import _readers_plasticc
from skltransient.datasets._readers import NJY_ZEROPOINT, to_fluxcal
from skltransient.datasets._readers_alerts import (
    read_lsst_alerts,
    read_ztf_alerts,
    read_ztf_forced_photometry,
)
from skltransient.datasets._readers_plasticc import load_plasticc, read_plasticc
from skltransient.datasets._read import read_data
from skltransient.datasets._readers_snana import read_snana

requires_pyarrow = pytest.mark.skipif(
    importlib.util.find_spec("pyarrow") is None,
    reason="pyarrow, needed to read alert packets, is not installed")


def damaged(raw, how):
    """A file's bytes cut to half their length, or garbage after its first 4 (its magic)."""
    if how == "truncated":
        return raw[: len(raw) // 2]
    return raw[:4] + np.random.default_rng(0).bytes(max(len(raw), 8192) - 4)


def check_damaged_gzip_refused(reader, tmp_path, content, suffix, expected):
    """Check that ``reader`` refuses ``content`` gzipped, then cut or garbled, naming the file."""
    for how in ("truncated", "garbage"):
        path = tmp_path / f"{how}{suffix}"
        path.write_bytes(damaged(gzip.compress(content), how))
        with pytest.raises(ValueError, match=rf"{how}{re.escape(suffix)}' is not a readable "
                                             rf"gzip-compressed {expected}; it may be truncated"):
            reader(path)


# ------------------------------------------------------------------- conversions
def test_to_fluxcal_matches_zero_points():
    """Check FLUXCAL from magnitudes (ZP 27.5) and from nJy (ZP 31.4)."""
    assert to_fluxcal(1.0, 27.5) == pytest.approx(1.0)
    assert to_fluxcal(1.0, 23.8065) == pytest.approx(30.02, abs=0.01)  # PHYSICS.md example
    assert to_fluxcal(10 ** (0.4 * 3.9), NJY_ZEROPOINT) == pytest.approx(1.0)
    assert to_fluxcal(36.31, NJY_ZEROPOINT) == pytest.approx(1.0, rel=1e-4)


# ----------------------------------------------------------------------- PLAsTiCC
def plasticc_tables():
    obs = pd.DataFrame({
        "object_id": [615, 615, 713, 713, 730, 615],
        "mjd": [59750.4, 59750.5, 59800.1, 59801.2, 59900.0, 59749.9],
        "passband": [2, 1, 0, 5, 3, 4],
        "flux": [-544.8, -816.4, 5.2, 7.5, 12.0, 3.0],
        "flux_err": [3.6, 5.5, 1.1, 2.0, 1.5, 0.5],
        "detected_bool": [1, 1, 0, 1, 0, 0],
    })
    meta = pd.DataFrame({
        "object_id": [730, 615, 713],
        "ra": [33.6, 349.0, 53.1], "decl": [-6.6, -61.9, -27.8], "ddf_bool": [0, 1, 1],
        "hostgal_specz": [-9.0, 0.0, 0.232],
        "hostgal_photoz": [0.5, 0.0, 0.2],
        "hostgal_photoz_err": [0.05, 0.0, 0.03],
        "mwebv": [0.02, 0.017, 0.007],
        "target": [0, 0, 0],
        "true_target": [42, 92, 90],
        "true_z": [0.48, 0.0, 0.23],
    })
    return obs, meta


def write_csvs(tmp_path, obs, meta):
    obs_path, meta_path = tmp_path / "lc.csv", tmp_path / "meta.csv"
    obs.to_csv(obs_path, index=False)
    meta.to_csv(meta_path, index=False)
    return obs_path, meta_path


def test_read_plasticc_files_values_order_and_labels(tmp_path):
    """Check that objects follow the metadata, fluxes are kept, and true_target labels them."""
    lc, y = read_plasticc(*write_csvs(tmp_path, *plasticc_tables()))
    assert lc.object_ids.tolist() == [730, 615, 713]
    assert lc.lengths.tolist() == [1, 3, 2]
    # 615 sorted by time: passbands 4 (z), 2 (r), 1 (g)
    assert lc.band_names[1:4].tolist() == ["lsstz", "lsstr", "lsstg"]
    assert lc.flux[1:4].tolist() == [3.0, -544.8, -816.4]
    assert lc.detected[1:4].tolist() == [False, True, True]
    assert y.tolist() == ["SN II", "RR Lyrae", "SN Ia"]
    meta = lc.metadata
    assert meta["redshift"].tolist() == [0.5, 0.0, 0.232]  # -9 specz falls back to the photo-z
    assert meta["redshift_err"].tolist() == [0.05, 0.0, 0.0]
    assert meta["mwebv"].tolist() == [0.02, 0.017, 0.007]
    assert meta["dec"].tolist() == [-6.6, -61.9, -27.8]
    assert meta["ddf"].tolist() == [False, True, True]
    assert "true_z" not in meta.columns


@pytest.mark.parametrize("engine", ["c", "pyarrow"])
def test_read_plasticc_padded_csv_with_either_parser(tmp_path, monkeypatch, engine):
    """Check that space-padded CSV (as snmachine ships the metadata) parses with both engines."""
    if engine == "pyarrow":
        pytest.importorskip("pyarrow")
    monkeypatch.setattr(_readers_plasticc, "_csv_engine", lambda: engine)
    obs_path, meta_path = write_csvs(tmp_path, *plasticc_tables())
    meta_path.write_text(meta_path.read_text().replace(",", ",   "))
    lc, y = read_plasticc(obs_path, meta_path)
    assert lc.metadata["mwebv"].tolist() == [0.02, 0.017, 0.007]
    assert y.tolist() == ["SN II", "RR Lyrae", "SN Ia"]


def test_read_plasticc_photoz_only_and_missing_redshift():
    """Check prefer_specz=False and NaN redshifts when neither estimate is valid."""
    obs, meta = plasticc_tables()
    meta.loc[0, "hostgal_photoz"] = np.nan
    lc, _ = read_plasticc(obs, meta, prefer_specz=False)
    assert np.isnan(lc.metadata.iloc[0][["redshift", "redshift_err"]].to_numpy(float)).all()
    assert lc.metadata["redshift"].iloc[2] == 0.2
    assert lc.metadata["redshift_err"].iloc[2] == 0.03


def test_read_plasticc_without_metadata_or_labels():
    """Check first-appearance order without metadata, and y None without a target column."""
    obs, meta = plasticc_tables()
    lc, y = read_plasticc(obs)
    assert lc.object_ids.tolist() == [615, 713, 730] and y is None
    assert np.isnan(lc.metadata["redshift"]).all()
    _, y = read_plasticc(obs, meta.drop(columns=["target", "true_target"]))
    assert y is None
    _, y = read_plasticc(obs, meta.drop(columns=["true_target"]).assign(target=[42, 92, 90]))
    assert y.tolist() == ["SN II", "RR Lyrae", "SN Ia"]


def test_read_plasticc_missing_column_names_file(tmp_path):
    """Check that a missing column is reported with the file and the column."""
    obs, meta = plasticc_tables()
    obs_path, meta_path = write_csvs(tmp_path, obs.drop(columns="flux_err"), meta)
    with pytest.raises(ValueError, match=r"file '.*lc\.csv' has no column 'flux_err'"):
        read_plasticc(obs_path, meta_path)


def test_read_plasticc_unparsable_value_names_line(tmp_path):
    """Check that a non-numeric flux is reported with file, column, value and line."""
    obs, meta = plasticc_tables()
    obs["flux"] = obs["flux"].astype(object)
    obs.loc[1, "flux"] = "abc"
    obs_path, meta_path = write_csvs(tmp_path, obs, meta)
    with pytest.raises(ValueError, match=r"lc\.csv' has an unparsable value 'abc' in column 'flux' "
                                         r"at line 3"):
        read_plasticc(obs_path, meta_path)


def test_read_plasticc_bad_passband_and_code_and_objects(tmp_path):
    """Check errors for an unknown passband, an unknown class code and mismatched objects."""
    obs, meta = plasticc_tables()
    with pytest.raises(ValueError, match=r"lc\.csv.*Unknown band codes \[7\] in column 'passband'"):
        read_plasticc(*write_csvs(tmp_path, obs.assign(passband=[2, 1, 0, 5, 7, 4]), meta))
    with pytest.raises(ValueError, match=r"meta\.csv' has unknown PLAsTiCC class codes \[999\] in "
                                         r"column 'true_target' \(first at line 3\)"):
        read_plasticc(*write_csvs(tmp_path, obs, meta.assign(true_target=[42, 999, 90])))
    with pytest.raises(ValueError, match=r"Object 730 has a row in the file '.*meta\.csv' but no "
                                         r"observations"):
        read_plasticc(*write_csvs(tmp_path, obs[obs.object_id != 730], meta))
    with pytest.raises(ValueError, match=r"lists object_id 615 more than once"):
        read_plasticc(obs, pd.concat([meta, meta.iloc[[1]]]))


def test_read_plasticc_missing_or_ragged_file_raises(tmp_path):
    """Check errors for a missing path and for a row with too many fields."""
    with pytest.raises(FileNotFoundError, match="nowhere.csv"):
        read_plasticc("nowhere.csv")
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("object_id,mjd,passband,flux,flux_err\n1,2.0,3,4.0,0.5\n1,2.0,3,4.0,0.5,9\n")
    with pytest.raises(ValueError, match=r"ragged\.csv' is not a readable CSV table"):
        read_plasticc(ragged)


@pytest.mark.parametrize("engine", ["c", "pyarrow"])
def test_read_plasticc_truncated_or_garbled_file_names_it(tmp_path, monkeypatch, engine):
    """Check that a CSV cut inside its last value, or a damaged .csv.gz, raises naming the file."""
    if engine == "pyarrow":
        pytest.importorskip("pyarrow")
    monkeypatch.setattr(_readers_plasticc, "_csv_engine", lambda: engine)
    obs, _ = plasticc_tables()
    obs = obs.drop(columns="detected_bool").assign(flux_err=[3.6, 5.5, 1.1, 2.0, 1.5, 0.55])
    path = tmp_path / "lc.csv"
    path.write_bytes(obs.to_csv(index=False).encode()[:-2])  # the last flux_err reads 0.5
    with pytest.raises(ValueError, match=r"lc\.csv' does not end with a newline: it looks "
                                         r"truncated, .* a complete CSV table ends with a newline"):
        read_plasticc(path)
    path.write_bytes(damaged(obs.to_csv(index=False).encode(), "garbage") + b"\n")
    with pytest.raises(ValueError, match=r"lc\.csv' is not a readable CSV table"):
        read_plasticc(path)
    check_damaged_gzip_refused(read_plasticc, tmp_path, obs.to_csv(index=False).encode(), ".csv.gz",
                               "CSV table")


def test_load_plasticc_from_data_dir_gzipped(tmp_path):
    """Check load_plasticc on a directory of gzipped files: Bunch and return_X_y."""
    obs, meta = plasticc_tables()
    with gzip.open(tmp_path / "plasticc_train_lightcurves.csv.gz", "wt") as handle:
        obs.to_csv(handle, index=False)
    meta.to_csv(tmp_path / "plasticc_train_metadata.csv", index=False)
    data = load_plasticc(data_dir=tmp_path)
    assert set(data) == {"lightcurves", "target", "target_names", "DESCR"}
    assert data.target.tolist() == ["SN II", "RR Lyrae", "SN Ia"]
    assert data.target_names.tolist() == ["RR Lyrae", "SN II", "SN Ia"]
    assert "PLAsTiCC" in data.DESCR
    X, y = load_plasticc(data_dir=tmp_path, return_X_y=True)
    np.testing.assert_array_equal(X.flux, data.lightcurves.flux)
    with pytest.raises(FileNotFoundError, match="plasticc_train_lightcurves.csv"):
        load_plasticc(data_dir=tmp_path / "..")


def test_load_plasticc_without_snmachine_says_how_to_get_it(monkeypatch):
    """Check the ImportError when snmachine is not installed."""
    monkeypatch.setattr(_readers_plasticc.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match=r"pip install --no-deps snmachine"):
        load_plasticc()


@pytest.mark.skipif(importlib.util.find_spec("snmachine") is None,
                    reason="snmachine (which ships the PLAsTiCC training set) is not installed; "
                           "`pip install --no-deps snmachine` to run this test")
def test_load_plasticc_real_training_set_counts():
    """Check the real training set: 7,848 objects, 1,421,705 epochs, the 14 class counts."""
    data = load_plasticc()
    lc = data.lightcurves
    assert len(lc) == 7848 and lc.n_observations == 1421705
    counts = pd.Series(data.target).value_counts().to_dict()
    expected = {90: 2313, 42: 1193, 65: 981, 16: 924, 15: 495, 62: 484, 88: 370, 92: 239,
                67: 208, 52: 183, 95: 175, 6: 151, 64: 102, 53: 30}
    assert counts == {_readers_plasticc.PLASTICC_CLASSES[k]: v for k, v in expected.items()}
    assert len(data.target_names) == 14
    assert lc.detected.sum() == 236880
    assert lc.metadata["redshift"].notna().all() and (lc.metadata["redshift"] >= 0).all()
    assert (lc.metadata.loc[data.target == "M-dwarf flare", "redshift"] == 0).all()


# ------------------------------------------------------------------------- SNANA
_FITS_CODES = {"J": ">i4", "I": ">i2", "K": ">i8", "E": ">f4", "D": ">f8", "L": "S1", "B": "u1"}


def fits_bytes(columns, table_cards=(), primary_cards=()):
    """A FITS file with one binary table, written by hand (independently of the reader).

    ``columns`` is a list of (name, tform, values).
    """
    def header(cards):
        text = ""
        for key, value in cards:
            if isinstance(value, bool):
                value = f"{'T' if value else 'F':>20}"
            elif isinstance(value, str):
                value = f"'{value:<8}'"
            else:
                value = f"{value:>20}"
            text += f"{key:<8}= {value}".ljust(80)
        text += "END".ljust(80)
        return (text + " " * (-len(text) % 2880)).encode("ascii")

    fields = []
    for name, tform, _ in columns:
        repeat, code = int(tform[:-1] or 1), tform[-1]
        dtype = f"S{repeat}" if code == "A" else _FITS_CODES[code]
        fields.append((name, dtype, (repeat,)) if code != "A" and repeat > 1 else (name, dtype))
    rows = np.zeros(len(columns[0][2]), dtype=fields)
    for name, _, values in columns:
        rows[name] = values
    data = rows.tobytes()
    cards = [("XTENSION", "BINTABLE"), ("BITPIX", 8), ("NAXIS", 2),
             ("NAXIS1", rows.dtype.itemsize), ("NAXIS2", len(rows)), ("PCOUNT", 0),
             ("GCOUNT", 1), ("TFIELDS", len(columns))]
    for i, (name, tform, _) in enumerate(columns, start=1):
        cards += [(f"TTYPE{i}", name), (f"TFORM{i}", tform)]
    primary = header([("SIMPLE", True), ("BITPIX", 8), ("NAXIS", 0), ("EXTEND", True),
                      *primary_cards])
    return primary + header(cards + list(table_cards)) + data + b"\0" * (-len(data) % 2880)


def snana_pair(tmp_path, prefix="SIM", pointers=True, gz=False, head_cards=(), **changes):
    """Write an SNANA HEAD/PHOT pair with three objects; return the HEAD path."""
    mjd = [60001.0, 60000.0, -777.0, 60010.0, -777.0, 60020.0, 60021.0, 60022.0, -777.0]
    band = [b"g", b"r", b"-", b"i", b"-", b"Y", b"u", b"z", b"-"]
    flux = [10.0, 20.0, 0.0, 30.0, 0.0, 40.0, 50.0, 60.0, 0.0]
    phot = {"MJD": ("1D", mjd), "BAND": ("2A", band), "PHOTFLAG": ("1J", [4096, 0, 0, 4096 + 2048,
                                                                         0, 0, 4096, 0, 0]),
            "FLUXCAL": ("1E", flux), "FLUXCALERR": ("1E", [1.0] * 9)}
    head = {"SNID": ("16A", [b"101", b"102", b"103"]),
            "REDSHIFT_FINAL": ("1E", [0.1, -9.0, 0.5]),
            "REDSHIFT_FINAL_ERR": ("1E", [0.01, -9, 0.1]),
            "MWEBV": ("1E", [0.02, 0.03, 0.04]), "RA": ("1D", [1.0, 2.0, 3.0]),
            "DEC": ("1D", [-1.0, -2.0, -3.0]), "SIM_TYPE_INDEX": ("1J", [10, 60, 42])}
    if pointers:
        head.update(PTROBS_MIN=("1J", [1, 4, 6]), PTROBS_MAX=("1J", [2, 4, 8]))
    for key, value in changes.items():
        (phot if key in phot else head)[key] = value
    head = {k: v for k, v in head.items() if v is not None}
    phot = {k: v for k, v in phot.items() if v is not None}
    suffix = ".FITS.gz" if gz else ".FITS"
    for kind, table in (("HEAD", head), ("PHOT", phot)):
        raw = fits_bytes([(name, tform, values) for name, (tform, values) in table.items()],
                         primary_cards=[("SURVEY", "LSST")] + list(head_cards))
        (tmp_path / f"{prefix}_{kind}{suffix}").write_bytes(gzip.compress(raw) if gz else raw)
    return tmp_path / f"{prefix}_HEAD{suffix}"


def test_read_snana_names_elasticc_galactic_codes_as_the_simulator_does(tmp_path):
    """Check ELAsTiCC's Galactic GENTYPE codes: the simulator's class names where it has them."""
    from skltransient.datasets import GALACTIC_CLASSES

    _, y = read_snana(snana_pair(tmp_path, SIM_TYPE_INDEX=("1J", [80, 83, 84])))
    assert y.tolist() == ["RR Lyrae", "Eclipsing binary", "CV"]
    assert set(y) <= set(GALACTIC_CLASSES)
    _, y = read_snana(snana_pair(tmp_path, SIM_TYPE_INDEX=("1J", [82, 89, 91])))
    assert y.tolist() == ["M-dwarf flare", "Microlens", "Delta Scuti"]


@pytest.mark.parametrize("pointers", [True, False])
def test_read_snana_fits_pair_round_trip(tmp_path, pointers):
    """Check objects, sorted epochs, bands, FLUXCAL, PHOTFLAG detections, metadata and labels."""
    lc, y = read_snana(snana_pair(tmp_path, pointers=pointers, gz=not pointers))
    assert lc.object_ids.tolist() == ["101", "102", "103"]
    assert lc.lengths.tolist() == [2, 1, 3]
    assert lc.time.tolist() == [60000.0, 60001.0, 60010.0, 60020.0, 60021.0, 60022.0]
    assert lc.band_names.tolist() == ["lsstr", "lsstg", "lssti", "lssty", "lsstu", "lsstz"]
    assert lc.flux.tolist() == [20.0, 10.0, 30.0, 40.0, 50.0, 60.0]
    assert lc.detected.tolist() == [False, True, True, False, True, False]
    assert y.tolist() == ["SN Ia", "AGN", "TDE"]  # ELAsTiCC GENTYPE codes
    meta = lc.metadata
    assert meta["redshift"].iloc[[0, 2]].tolist() == pytest.approx([0.1, 0.5])
    assert np.isnan(meta["redshift"].iloc[1]) and np.isnan(meta["redshift_err"].iloc[1])
    assert meta["mwebv"].tolist() == pytest.approx([0.02, 0.03, 0.04])
    assert meta["dec"].tolist() == [-1.0, -2.0, -3.0]


def test_read_snana_directory_of_pairs_class_map_and_survey(tmp_path):
    """Check reading a directory of HEAD files, a custom class_map and survey override."""
    snana_pair(tmp_path, prefix="A")
    snana_pair(tmp_path, prefix="B", SNID=("16A", [b"201", b"202", b"203"]))
    lc, y = read_snana(tmp_path, class_map={10: "Ia", 60: "AGN", 42: "TDE"})
    assert len(lc) == 6 and y.tolist() == ["Ia", "AGN", "TDE"] * 2
    lc, _ = read_snana(tmp_path / "A_HEAD.FITS", survey="lsst", label_column="SIM_TYPE_INDEX")
    assert lc.band_names[0] == "lsstr"


def test_read_snana_fits_errors_name_file_and_column(tmp_path):
    """Check errors for a missing PHOT column, a bad pointer, an unknown code and duplicate ids."""
    with pytest.raises(ValueError, match=r"SIM_PHOT\.FITS' has no column 'FLUXCAL'"):
        read_snana(snana_pair(tmp_path, FLUXCAL=None))
    with pytest.raises(ValueError, match=r"SIM_HEAD\.FITS' points SNID '103' at rows 6-12"):
        read_snana(snana_pair(tmp_path, PTROBS_MAX=("1J", [2, 4, 12])))
    with pytest.raises(ValueError, match=r"end-of-light-curve row"):
        read_snana(snana_pair(tmp_path, PTROBS_MAX=("1J", [3, 4, 8])))
    with pytest.raises(ValueError, match=r"SIM_HEAD\.FITS' has class code 999 in 'SIM_TYPE_INDEX' "
                                         r"\(SNID '102'\).*class_map="):
        read_snana(snana_pair(tmp_path, SIM_TYPE_INDEX=("1J", [10, 999, 42])))
    with pytest.raises(ValueError, match=r"no label column 'SNTYPE'"):
        read_snana(snana_pair(tmp_path), label_column="SNTYPE")
    snana_pair(tmp_path, prefix="DUP")
    with pytest.raises(ValueError, match=r"SNID '101' appears more than once"):
        read_snana([tmp_path / "SIM_HEAD.FITS", tmp_path / "DUP_HEAD.FITS"])


def test_read_snana_unknown_survey_bands_hint(tmp_path):
    """Check that single-letter bands of an unregistered survey get a helpful error."""
    head = snana_pair(tmp_path, head_cards=[])
    raw = head.read_bytes().replace(b"'LSST    '", b"'DES     '")
    head.write_bytes(raw)
    with pytest.raises(ValueError, match=r"SIM_PHOT\.FITS.*ambiguous.*SURVEY is 'DES'"):
        read_snana(head)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("how", ["truncated", "garbage"])
@pytest.mark.parametrize("kind", ["HEAD", "PHOT"])
def test_read_snana_corrupt_fits_names_file(tmp_path, kind, how, gz):
    """Check that a truncated or garbled HEAD or PHOT file, gzipped or not, raises naming it."""
    head = snana_pair(tmp_path, gz=gz)
    path = head.with_name(head.name.replace("HEAD", kind))
    path.write_bytes(damaged(path.read_bytes(), how))
    expected = "gzip-compressed FITS file" if gz else "FITS file"
    with pytest.raises(ValueError, match=rf"{re.escape(path.name)}' is not a readable {expected}; "
                                         rf"it may be truncated or corrupt"):
        read_snana(head)


def test_read_snana_fits_without_binary_table_names_file(tmp_path):
    """Check that a FITS file holding no binary table is refused by name."""
    head = snana_pair(tmp_path)
    head.write_bytes(head.read_bytes()[:2880])  # the primary header alone
    with pytest.raises(ValueError, match=r"SIM_HEAD\.FITS' has no binary table"):
        read_snana(head)


_PHOT_MJD = [60001.0, 60000.0, -777.0, 60010.0, -777.0, 60020.0, 60021.0, 60022.0, -777.0]


def astropy_snana_pair(tmp_path, gz=False, snid=(101, 102, 103), sim_type=(10, 60, 42),
                       photflag=(4096, 0, 0, 6144, 0, 0, 4096, 0, 0)):
    """Write an SNANA HEAD/PHOT pair with astropy; return the HEAD path.

    Integer SNIDs, TNULL-marked integer columns (-1 for SNID and PHOTFLAG, -9
    for SIM_TYPE_INDEX), a NaN, a variable-length column and a long keyword
    written on CONTINUE cards.
    """
    from astropy.io import fits

    primary = fits.PrimaryHDU()
    primary.header["SURVEY"] = "LSST"
    primary.header["SIMINPUT"] = "/a/long/path/to/the/simulation/input/file/" * 3
    head = fits.BinTableHDU.from_columns([
        fits.Column(name="SNID", format="K", null=-1, array=snid),
        fits.Column(name="PTROBS_MIN", format="J", array=[1, 4, 6]),
        fits.Column(name="PTROBS_MAX", format="J", array=[2, 4, 8]),
        fits.Column(name="REDSHIFT_FINAL", format="D", array=[0.1, -9.0, 0.5]),
        fits.Column(name="MWEBV", format="E", array=[0.25, 0.5, np.nan]),
        fits.Column(name="SIM_TYPE_INDEX", format="J", null=-9, array=sim_type)])
    phot = fits.BinTableHDU.from_columns([
        fits.Column(name="MJD", format="D", array=_PHOT_MJD),
        fits.Column(name="BAND", format="2A", array=["g", "r", "-", "i", "-", "Y", "u", "z", "-"]),
        fits.Column(name="PHOTFLAG", format="J", null=-1, array=photflag),
        fits.Column(name="FLUXCAL", format="E",
                    array=[10.5, 20.25, 0.0, 30.125, 0.0, 40.0, 50.5, 60.75, 0.0]),
        fits.Column(name="FLUXCALERR", format="D", array=[1.5] * 9),
        fits.Column(name="PSF_PROFILE", format="PE()",
                    array=[np.arange(k, dtype=np.float32) for k in range(9)])])
    suffix = ".FITS.gz" if gz else ".FITS"
    for kind, table in (("HEAD", head), ("PHOT", phot)):
        fits.HDUList([primary.copy(), table]).writeto(tmp_path / f"SIM_{kind}{suffix}",
                                                      overwrite=True)
    return tmp_path / f"SIM_HEAD{suffix}"


@pytest.mark.parametrize("gz", [False, True])
def test_read_snana_astropy_pair_exact_values(tmp_path, gz):
    """Check that a pair written by astropy (TNULL, variable-length column, gzip) reads exactly."""
    lc, y = read_snana(astropy_snana_pair(tmp_path, gz=gz))
    assert lc.object_ids.tolist() == ["101", "102", "103"]
    assert lc.lengths.tolist() == [2, 1, 3]
    assert lc.time.tolist() == [60000.0, 60001.0, 60010.0, 60020.0, 60021.0, 60022.0]
    assert lc.band_names.tolist() == ["lsstr", "lsstg", "lssti", "lssty", "lsstu", "lsstz"]
    assert lc.flux.tolist() == [20.25, 10.5, 30.125, 40.0, 50.5, 60.75]
    assert lc.flux_err.tolist() == [1.5] * 6
    assert lc.detected.tolist() == [False, True, True, False, True, False]
    assert y.tolist() == ["SN Ia", "AGN", "TDE"]
    np.testing.assert_array_equal(lc.metadata["redshift"], [0.1, np.nan, 0.5])
    np.testing.assert_array_equal(lc.metadata["mwebv"], [0.25, 0.5, np.nan])


def test_read_snana_tnull_is_refused_or_a_missing_class(tmp_path):
    """Check that TNULL nulls are refused in SNID and PHOTFLAG, and are missing class codes."""
    head = astropy_snana_pair(tmp_path, photflag=(4096, 0, 0, -1, 0, 0, 4096, 0, 0))
    with pytest.raises(ValueError, match=r"SIM_PHOT\.FITS' has a null or non-finite PHOTFLAG in "
                                         r"row 4, an observation of SNID '102'"):
        read_snana(head)
    head = astropy_snana_pair(tmp_path, sim_type=(10, -9, 42))
    with pytest.raises(ValueError, match=r"SIM_HEAD\.FITS' has no 'SIM_TYPE_INDEX' for SNID '102'"):
        read_snana(head)
    head = astropy_snana_pair(tmp_path, snid=(101, -1, 103))
    with pytest.raises(ValueError, match=r"SIM_HEAD\.FITS' has a null SNID \(TNULL\) in row 2"):
        read_snana(head)


def test_read_snana_fits_without_astropy_names_extra(tmp_path, monkeypatch):
    """Check that reading FITS without astropy raises an ImportError naming the io extra."""
    head = snana_pair(tmp_path)
    monkeypatch.setitem(sys.modules, "astropy.io.fits", None)
    with pytest.raises(ImportError, match=r"Reading SNANA FITS files needs 'astropy', which is not "
                                          r"installed.*skltransient\[io\]"):
        read_snana(head)


DAT = """SURVEY: {survey}
SNID:   {snid}
IAUC:    UNKNOWN
FILTERS: gri
RA:      48.0  deg
DECL:    -1.5  deg
MWEBV:   0.0713    MW E(B-V)
REDSHIFT_HELIO:   1.11030 +- 0.01870  (Helio, z_best)
REDSHIFT_FINAL:   {z} +- 0.01870  (CMB)
SIM_TYPE_INDEX: {code}

# ============================================
NOBS: 3
NVAR: 6
VARLIST:  MJD  FLT FIELD   FLUXCAL   FLUXCALERR  PHOTFLAG
OBS:  56188.191  g NULL   1.828e+01   2.733e+01  0
OBS:  56190.340  r NULL   {flux}   2.557e+01  4096
OBS:  56189.355  i NULL   1.274e-01   4.152e+00  6144
END:
"""


def write_dat(path, survey="ZTF", snid="785792", z="1.11030", code=10, flux="6.095e+00"):
    path.write_text(DAT.format(survey=survey, snid=snid, z=z, code=code, flux=flux))
    return path


def test_read_snana_dat_directory(tmp_path):
    """Check .DAT parsing: header keys with +- errors, VARLIST, OBS rows, survey from SURVEY."""
    write_dat(tmp_path / "a.DAT")
    write_dat(tmp_path / "b.DAT", snid="42", z="-9.0", code=11, flux="-3.5")
    lc, y = read_snana(tmp_path)
    assert lc.object_ids.tolist() == ["785792", "42"]
    assert lc.band_names[:3].tolist() == ["ztfg", "ztfi", "ztfr"]
    assert lc.flux.tolist() == [18.28, 0.1274, 6.095, 18.28, 0.1274, -3.5]
    assert lc.detected.tolist() == [False, True, True] * 2
    assert y.tolist() == ["SN Ia", "SN Ia-91bg"]
    assert lc.metadata["redshift"].iloc[0] == pytest.approx(1.1103)
    assert lc.metadata["redshift_err"].iloc[0] == pytest.approx(0.0187)
    assert np.isnan(lc.metadata["redshift"].iloc[1])
    assert lc.metadata["mwebv"].tolist() == [0.0713, 0.0713]
    assert lc.metadata["dec"].tolist() == [-1.5, -1.5]


def test_read_snana_dat_errors_name_file(tmp_path):
    """Check .DAT errors: unparsable OBS value, missing SNID, missing VARLIST entry, bad key."""
    bad = write_dat(tmp_path / "bad.DAT", flux="oops")
    with pytest.raises(ValueError, match=r"bad\.DAT' has an unparsable or non-finite value 'oops' "
                                         r"in column 'FLUXCAL' at OBS row 2"):
        read_snana([write_dat(tmp_path / "good.DAT", snid="1"), bad])
    good = DAT.format(survey="ZTF", snid="1", z="0.1", code=10, flux="1")
    bad.write_text(good.replace("SNID", "X"))
    with pytest.raises(ValueError, match=r"bad\.DAT' has no SNID"):
        read_snana(bad)
    bad.write_text(good.replace("FLUXCALERR", "ERR"))
    with pytest.raises(ValueError, match=r"bad\.DAT' has no VARLIST entry 'FLUXCALERR'"):
        read_snana(bad)
    bad.write_text(DAT.format(survey="ZTF", snid="1", z="high", code=10, flux="1"))
    with pytest.raises(ValueError, match=r"bad\.DAT' has an unparsable value 'high \+- 0\.01870  "
                                         r"\(CMB\)' for key REDSHIFT_FINAL"):
        read_snana(bad)


def test_read_snana_truncated_dat_names_file(tmp_path):
    """Check that a .DAT file cut short, short of OBS rows or gzip-damaged raises naming it."""
    path = write_dat(tmp_path / "cut.DAT")
    text = path.read_text()
    path.write_text(text[: text.index("4.152e+00  6144") + 13])  # PHOTFLAG 6144 reads 61
    with pytest.raises(ValueError, match=r"cut\.DAT' does not end with a newline: it looks "
                                         r"truncated"):
        read_snana(path)
    path.write_text(text.replace("OBS:  56189.355  i NULL   1.274e-01   4.152e+00  6144\n", ""))
    with pytest.raises(ValueError, match=r"cut\.DAT' has 2 OBS: rows but its NOBS: key says 3; "
                                         r"the file may be truncated"):
        read_snana(path)
    check_damaged_gzip_refused(read_snana, tmp_path, text.encode(), ".DAT.gz",
                               r"SNANA \.DAT file")


# --------------------------------------------------------------------- ZTF alerts
ZTF_AVRO_FIELDS = [("jd", "double"), ("fid", "int"), ("magpsf", ["null", "float"]),
                   ("sigmapsf", ["null", "float"]), ("diffmaglim", ["null", "float"]),
                   ("isdiffpos", ["null", "string"]), ("ra", ["null", "double"]),
                   ("dec", ["null", "double"])]
ZTF_AVRO_SCHEMA = {"type": "record", "name": "alert", "fields": [
    {"name": "objectId", "type": ["null", "string"]},
    {"name": "candidate", "type": {"type": "record", "name": "candidate", "fields": [
        {"name": n, "type": t} for n, t in ZTF_AVRO_FIELDS]}},
    {"name": "prv_candidates", "type": ["null", {"type": "array", "items": {
        "type": "record", "name": "prv_candidate",
        "fields": [{"name": n, "type": t} for n, t in ZTF_AVRO_FIELDS]}}]}]}
LSST_AVRO_SCHEMA = {"type": "record", "name": "alert", "fields": [
    {"name": "alertId", "type": "long"},
    {"name": "diaSource", "type": {"type": "record", "name": "diaSource", "fields": [
        {"name": "diaSourceId", "type": "long"}, {"name": "diaObjectId", "type": ["null", "long"]},
        {"name": "midPointTai", "type": "double"}, {"name": "filterName", "type": "string"},
        {"name": "psFlux", "type": "float"}, {"name": "psFluxErr", "type": "float"}]}}]}


def write_alerts(path, alerts, schema):
    """Write alert records (dicts) as Parquet, or as Avro with ``schema``, by the file's suffix."""
    if path.suffix == ".avro":
        fastavro = pytest.importorskip("fastavro", reason="fastavro is not installed")
        with open(path, "wb") as handle:
            fastavro.writer(handle, fastavro.parse_schema(schema), alerts)
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(alerts), path)
    return path


def ztf_alerts(n=100):
    """``n`` one-epoch ZTF alert records of distinct objects."""
    return [{"objectId": f"ZTF{i}", "candidate": {
        "jd": 2459500.5 + i, "fid": 1, "magpsf": 19.0, "sigmapsf": 0.1, "diffmaglim": 20.5,
        "isdiffpos": "t", "ra": 1.0, "dec": 2.0}, "prv_candidates": None} for i in range(n)]


def lsst_alerts(n=100):
    """``n`` Rubin alert records of distinct objects, with only their diaSource."""
    return [{"alertId": 1000 + i, "diaSource": {
        "diaSourceId": 500 + i, "diaObjectId": i, "midPointTai": 60000.0 + i, "filterName": "r",
        "psFlux": 3631.0, "psFluxErr": 36.31}} for i in range(n)]


@requires_pyarrow
@pytest.mark.parametrize("how", ["truncated", "garbage"])
@pytest.mark.parametrize("suffix, expected", [(".parquet", "Parquet file"),
                                              (".avro", "Avro container file")])
@pytest.mark.parametrize("reader, alerts, schema", [
    (read_ztf_alerts, ztf_alerts, ZTF_AVRO_SCHEMA),
    (read_lsst_alerts, lsst_alerts, LSST_AVRO_SCHEMA)])
def test_alert_readers_corrupt_file_names_it(tmp_path, reader, alerts, schema, suffix, expected,
                                             how):
    """Check that a truncated or garbled Parquet or Avro alert file raises naming it and format."""
    path = write_alerts(tmp_path / f"alerts{suffix}", alerts(), schema)
    assert len(reader(path)) == 100
    path.write_bytes(damaged(path.read_bytes(), how))
    with pytest.raises(ValueError, match=rf"alerts\{suffix}' is not a readable {expected}; it may "
                                         rf"be truncated or corrupt"):
        reader(path)


@requires_pyarrow
@pytest.mark.parametrize("name, reader", [("ztf_alerts_sample.parquet", read_ztf_alerts),
                                          ("elasticc_alerts_sample.parquet", read_lsst_alerts)])
def test_alert_readers_corrupt_sample_names_it(shared_data, tmp_path, name, reader):
    """Check that the real samples, truncated or with zeroed pages, raise naming the file."""
    raw = (shared_data / name).read_bytes()
    for how, content in (("truncated", raw[: len(raw) // 2]),
                         ("zeroed", raw[:1000] + bytes(50000) + raw[51000:])):
        path = tmp_path / f"{how}_{name}"
        path.write_bytes(content)
        with pytest.raises(ValueError, match=rf"{how}_{name}' is not a readable Parquet file"):
            reader(path)


def raw_ztf_epochs(path):
    """All epochs of a ZTF alert file as a flat DataFrame, read directly with pyarrow."""
    pq = pytest.importorskip("pyarrow.parquet")
    table = pq.read_table(path, columns=["objectId", "candidate", "prv_candidates"]).to_pandas()
    rows = []
    for _, alert in table.iterrows():
        epochs = [alert["candidate"]] + list(alert["prv_candidates"] if alert["prv_candidates"]
                                             is not None else [])
        rows += [{"objectId": alert["objectId"], **{k: e[k] for k in
                  ("jd", "fid", "magpsf", "sigmapsf", "diffmaglim", "isdiffpos")}} for e in epochs]
    return pd.DataFrame(rows)


@requires_pyarrow
def test_read_ztf_alerts_sample(shared_data):
    """Check the real ZTF sample: 51 objects, detections, fluxes and upper limits."""
    path = shared_data / "ztf_alerts_sample.parquet"
    lc = read_ztf_alerts(path)
    raw = raw_ztf_epochs(path)
    assert len(lc) == 51 and lc.n_observations == len(raw) == 818
    assert np.isfinite(lc.flux).all() and (lc.flux_err > 0).all()
    assert lc.detected.sum() == raw["magpsf"].notna().sum() == 66
    assert set(lc.band_names) == {"ztfg", "ztfr"}
    frame = lc.to_pandas().set_index(["object_id", "time", "band"])
    first = raw.iloc[0]  # the first alert's candidate
    key = (first["objectId"], first["jd"] - 2400000.5, {1: "ztfg", 2: "ztfr"}[first["fid"]])
    sign = 1.0 if first["isdiffpos"] in ("t", "1") else -1.0
    expected = sign * 10 ** (-0.4 * (first["magpsf"] - 27.5))
    assert frame.loc[key, "flux"] == pytest.approx(expected, rel=1e-6)
    assert frame.loc[key, "flux_err"] == pytest.approx(
        abs(expected) * np.log(10) / 2.5 * first["sigmapsf"], rel=1e-6)
    limit = raw[raw["magpsf"].isna()].iloc[0]
    key = (limit["objectId"], limit["jd"] - 2400000.5, {1: "ztfg", 2: "ztfr"}[limit["fid"]])
    assert frame.loc[key, "flux"] == 0.0 and not frame.loc[key, "detected"]
    limit_flux = 10 ** (-0.4 * (limit["diffmaglim"] - 27.5))
    assert frame.loc[key, "flux_err"] == pytest.approx(limit_flux / 5, rel=1e-6)
    negatives = raw["isdiffpos"].isin(["f", "0"]).sum()
    assert (lc.flux < 0).sum() == negatives


@requires_pyarrow
def test_read_ztf_alerts_history_merges_repeated_epochs(shared_data):
    """Check the Fink history sample: 61 objects, each epoch once, detections preferred."""
    path = shared_data / "ztf_alerts_history_sample.parquet"
    lc = read_ztf_alerts(path)
    raw = raw_ztf_epochs(path)
    unique = raw.drop_duplicates(["objectId", "jd", "fid"])
    assert len(lc) == 61 and lc.n_observations == len(unique)
    detected_epochs = raw[raw["magpsf"].notna()].drop_duplicates(["objectId", "jd", "fid"])
    assert lc.detected.sum() == len(detected_epochs)
    assert not lc.to_pandas().duplicated(["object_id", "time", "band"]).any()
    assert lc.object_ids.tolist() == pd.unique(raw["objectId"]).tolist()
    assert np.isnan(lc.metadata["redshift"]).all()
    assert lc.metadata[["ra", "dec"]].notna().all().all()


@requires_pyarrow
def test_read_ztf_alerts_avro_matches_parquet(shared_data, tmp_path):
    """Check that Avro files give the same light curves as the Parquet export."""
    fastavro = pytest.importorskip("fastavro", reason="fastavro is not installed")
    pq = pytest.importorskip("pyarrow.parquet")
    path = shared_data / "ztf_alerts_history_sample.parquet"
    schema = fastavro.parse_schema(ZTF_AVRO_SCHEMA)
    alerts = pq.read_table(path, columns=["objectId", "candidate", "prv_candidates"]).to_pylist()
    keep = [name for name, _ in ZTF_AVRO_FIELDS]
    for alert in alerts:
        alert["candidate"] = {k: alert["candidate"][k] for k in keep}
        if alert["prv_candidates"] is not None:
            alert["prv_candidates"] = [{k: e[k] for k in keep} for e in alert["prv_candidates"]]
    (tmp_path / "alerts").mkdir()
    for part, chunk in enumerate((alerts[:30], alerts[30:])):
        with open(tmp_path / "alerts" / f"part{part}.avro", "wb") as handle:
            fastavro.writer(handle, schema, chunk)
    from_avro, from_parquet = read_ztf_alerts(tmp_path / "alerts"), read_ztf_alerts(path)
    assert from_avro.object_ids.tolist() == from_parquet.object_ids.tolist()
    np.testing.assert_allclose(from_avro.flux, from_parquet.flux)
    np.testing.assert_array_equal(from_avro.detected, from_parquet.detected)


def ztf_frame(**candidate_changes):
    candidate = {"jd": 2459500.5, "fid": 2, "magpsf": 19.0, "sigmapsf": 0.1, "diffmaglim": 20.5,
                 "isdiffpos": "f", "ra": 1.0, "dec": 2.0}
    candidate.update(candidate_changes)
    return pd.DataFrame({"objectId": ["ZTF1"], "candidate": [candidate], "prv_candidates": [None]})


@requires_pyarrow
def test_read_ztf_alerts_malformed_input_names_field():
    """Check errors for a bad isdiffpos, a missing sigmapsf or field, and a non-alert file."""
    lc = read_ztf_alerts(ztf_frame())
    assert lc.flux[0] == pytest.approx(-(10 ** (-0.4 * (19.0 - 27.5))))
    with pytest.raises(ValueError, match=r"'x' in candidate\.isdiffpos of alert 0 \(objectId "
                                         r"'ZTF1'"):
        read_ztf_alerts(ztf_frame(isdiffpos="x"))
    with pytest.raises(ValueError, match=r"candidate\.sigmapsf"):
        read_ztf_alerts(ztf_frame(sigmapsf=None))
    frame = ztf_frame()
    frame["candidate"] = [{k: v for k, v in frame["candidate"][0].items() if k != "magpsf"}]
    with pytest.raises(ValueError, match=r"has no column 'candidate\.magpsf'"):
        read_ztf_alerts(frame)


@requires_pyarrow
def test_read_alerts_rejects_unknown_file_format(tmp_path):
    """Check that a file that is neither Parquet nor Avro is rejected by name."""
    pytest.importorskip("pyarrow")
    bad = tmp_path / "alerts.parquet"
    bad.write_text("objectId,jd\nZTF1,2459500.5\n")
    with pytest.raises(ValueError, match=r"alerts\.parquet' is neither a Parquet file nor an Avro"):
        read_ztf_alerts(bad)


@requires_pyarrow
@pytest.mark.parametrize("suffix", [".parquet", ".avro"])
def test_read_ztf_alerts_null_object_id_names_alert(tmp_path, suffix):
    """Check that an alert with a null objectId is refused, naming its candid and the file."""
    alerts = ztf_alerts(3)
    alerts[1]["objectId"] = None
    frame = pd.DataFrame(alerts).assign(candid=[11, 12, 13])
    with pytest.raises(ValueError, match=r"ZTF alert table passed as a DataFrame has an alert "
                                         r"whose objectId is null \(alert 1, candid 12; 1 such "
                                         r"alerts in all\)"):
        read_ztf_alerts(frame)
    for alert, candid in zip(alerts, [21, 22, 23], strict=True):
        alert["candidate"]["candid"] = candid
    schema = {**ZTF_AVRO_SCHEMA, "fields": [dict(field) for field in ZTF_AVRO_SCHEMA["fields"]]}
    schema["fields"][1]["type"] = {**schema["fields"][1]["type"], "fields": [
        *schema["fields"][1]["type"]["fields"], {"name": "candid", "type": "long"}]}
    path = write_alerts(tmp_path / f"alerts{suffix}", alerts, schema)
    with pytest.raises(ValueError, match=rf"alerts\{suffix}' has an alert whose objectId is null "
                                         rf"\(alert 1, candidate\.candid 22;"):
        read_ztf_alerts(path)


@requires_pyarrow
@pytest.mark.parametrize("suffix", [".parquet", ".avro"])
def test_read_lsst_alerts_null_object_id_names_alert(tmp_path, suffix):
    """Check that a diaSource with a null diaObjectId is refused, naming its alert and the file."""
    alerts = lsst_alerts(3)
    alerts[2]["diaSource"]["diaObjectId"] = None
    path = write_alerts(tmp_path / f"alerts{suffix}", alerts, LSST_AVRO_SCHEMA)
    with pytest.raises(ValueError, match=rf"alerts\{suffix}' has an alert whose diaSource\."
                                         rf"diaObjectId is null \(alert 2, alertId 1002;"):
        read_lsst_alerts(path)
    frame = pd.DataFrame(alerts).drop(columns="alertId")
    with pytest.raises(ValueError, match=r"diaSource\.diaObjectId is null \(alert 2, "
                                         r"diaSource\.diaSourceId 502;"):
        read_lsst_alerts(frame)


# -------------------------------------------------------------------- LSST alerts
@requires_pyarrow
def test_read_lsst_alerts_elasticc_sample(shared_data):
    """Check the ELAsTiCC sample: objects, nJy to FLUXCAL, forced photometry, metadata."""
    pq = pytest.importorskip("pyarrow.parquet")
    path = shared_data / "elasticc_alerts_sample.parquet"
    lc = read_lsst_alerts(path)
    alerts = pq.read_table(path, columns=["diaSource", "diaObject"]).to_pandas()
    assert len(lc) == 89 and lc.n_observations == 4568
    assert lc.detected.sum() == 1925 and (~lc.detected).sum() == 4568 - 1925
    assert np.isfinite(lc.flux).all()
    frame = lc.to_pandas().set_index(["object_id", "time"])
    source = alerts["diaSource"].iloc[0]
    row = frame.loc[(source["diaObjectId"], source["midPointTai"])]
    assert row["flux"] == pytest.approx(source["psFlux"] / 10 ** (0.4 * 3.9), rel=1e-6)
    assert row["flux_err"] == pytest.approx(source["psFluxErr"] / 36.31, rel=1e-3)
    assert row["band"] == "lsst" + source["filterName"].lower() and row["detected"]
    z_final = alerts["diaObject"].map(lambda o: o["z_final"]).to_numpy()
    redshift = lc.metadata.loc[alerts["diaSource"].map(lambda s: s["diaObjectId"]), "redshift"]
    assert np.isnan(redshift[z_final < 0]).all()
    np.testing.assert_allclose(redshift[z_final >= 0], z_final[z_final >= 0], rtol=1e-6)
    assert lc.metadata["mwebv"].notna().all()


@requires_pyarrow
def test_read_lsst_alerts_agn_sample_merges_alerts(shared_data):
    """Check the AGN sample: 98 objects from 100 alerts, each epoch once."""
    lc = read_lsst_alerts(shared_data / "elasticc_agn_alerts_sample.parquet")
    assert len(lc) == 98 and lc.n_observations == 10301
    assert lc.detected.sum() == 4863
    assert not lc.to_pandas().duplicated(["object_id", "time", "band"]).any()


@requires_pyarrow
def test_read_lsst_alerts_malformed_input():
    """Check errors for a missing diaSource field and a detection without flux."""
    source = {"diaObjectId": 7, "midPointTai": 60001.0, "filterName": "r", "psFlux": 100.0,
              "psFluxErr": 10.0}
    frame = pd.DataFrame({"diaSource": [{k: v for k, v in source.items() if k != "psFlux"}]})
    with pytest.raises(ValueError, match=r"has no column 'diaSource\.psFlux'"):
        read_lsst_alerts(frame)
    frame = pd.DataFrame({"diaSource": [source], "prvDiaSources": [[{**source, "psFlux": None,
                                                                     "midPointTai": 59990.0}]]})
    with pytest.raises(ValueError, match=r"detection without psFlux/psFluxErr in prvDiaSources of "
                                         r"alert 0 \(diaObjectId 7\)"):
        read_lsst_alerts(frame)
    with pytest.raises(ValueError, match=r"has no column 'diaSource'"):
        read_lsst_alerts(pd.DataFrame({"alertId": [1]}))


# -------------------------------------------------------------- forced photometry
FPS_COLUMNS = ("index, field, ccdid, qid, filter, pid, infobitssci, sciinpseeing, scibckgnd, "
               "scisigpix, zpmaginpsci, zpmaginpsciunc, zpmaginpscirms, clrcoeff, clrcoeffunc, "
               "ncalmatches, exptime, adpctdif1, adpctdif2, diffmaglim, zpdiff, programid, jd, "
               "rfid, forcediffimflux, forcediffimfluxunc, forcediffimsnr, forcediffimchisq, "
               "forcediffimfluxap, forcediffimfluxuncap, forcediffimsnrap, aperturecorr, "
               "dnearestrefsrc, nearestrefmag, nearestrefmagunc, nearestrefchi, nearestrefsharp, "
               "refjdstart, refjdend, procstatus")


def fps_text(rows):
    """Forced-photometry service output; rows are dicts overriding a default good epoch."""
    names = [n.strip() for n in FPS_COLUMNS.split(",")]
    header = ["# " + "-" * 66, "# Generated by forcedphotometry_trim.pl, v3.8 on 2024-07-08",
              "#", "# Requested input R.A. = 170.4280959305194 degrees",
              "# Requested input Dec. = 34.358305929851426 degrees", "#", "# Column definitions:",
              "# index = sequential counter", "# jd = Julian Date at start of exposure [days]",
              "# forcediffimflux = Forced difference image PSF-fit flux [DN]", "#",
              " " + FPS_COLUMNS]
    lines = []
    for i, change in enumerate(rows):
        row = {name: "1" for name in names}
        row.update(index=str(i), filter="ZTF_g", infobitssci="0", sciinpseeing="2.1",
                   scisigpix="10.5", zpdiff="26.0", jd=str(2459600.5 + i),
                   forcediffimflux="250.0", forcediffimfluxunc="25.0", procstatus="0")
        row.update({k: str(v) for k, v in change.items()})
        lines.append(" ".join(row[name] for name in names))
    return "\n".join(header + lines) + "\n"


def test_read_ztf_forced_photometry_cuts_and_units(tmp_path):
    """Check cuts (procstatus, -99999, null, quality), FLUXCAL conversion, detections, position."""
    rows = [{}, {"filter": "ZTF_r", "zpdiff": "27.5", "forcediffimflux": "40.0"},
            {"procstatus": "56"}, {"forcediffimflux": "-99999"}, {"forcediffimfluxunc": "null"},
            {"infobitssci": "33554432"}, {"sciinpseeing": "4.5"}, {"scisigpix": "30"},
            {"procstatus": "0,57"}, {"filter": "ZTF_i", "forcediffimflux": "-60.0"}]
    path = tmp_path / "forcedphotometry_req00012345_lc.txt"
    path.write_text(fps_text(rows))
    lc = read_ztf_forced_photometry(path)
    assert lc.object_ids.tolist() == ["forcedphotometry_req00012345_lc"]
    assert lc.time.tolist() == [59600.0, 59601.0, 59609.0]
    assert lc.band_names.tolist() == ["ztfg", "ztfr", "ztfi"]
    factor = 10 ** (-0.4 * (26.0 - 27.5))
    np.testing.assert_allclose(lc.flux, [250.0 * factor, 40.0, -60.0 * factor])
    np.testing.assert_allclose(lc.flux_err, [25.0 * factor, 25.0, 25.0 * factor])
    assert lc.detected.tolist() == [True, False, False]
    assert lc.metadata["ra"].iloc[0] == pytest.approx(170.4280959305194)
    assert lc.metadata["dec"].iloc[0] == pytest.approx(34.358305929851426)
    assert np.isnan(lc.metadata["redshift"].iloc[0])
    loose = read_ztf_forced_photometry(path, procstatus=("0", "56", "57"), quality_cuts=False)
    assert loose.n_observations == 8


def test_read_ztf_forced_photometry_several_files_and_empty_one(tmp_path):
    """Check ids per file, and that a file without good epochs is dropped with a warning."""
    (tmp_path / "a.txt").write_text(fps_text([{}, {}]))
    (tmp_path / "b.txt").write_text(fps_text([{"procstatus": "65"}]))
    with pytest.warns(UserWarning, match=r"b\.txt' passes the cuts; object 'b' is left out"):
        lc = read_ztf_forced_photometry(tmp_path)
    assert lc.object_ids.tolist() == ["a"] and lc.lengths.tolist() == [2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="No epoch of any forced-photometry file"):
            read_ztf_forced_photometry(tmp_path / "b.txt")
    lc = read_ztf_forced_photometry([io.StringIO(fps_text([{}]))], object_ids=["SN 2024x"])
    assert lc.object_ids.tolist() == ["SN 2024x"]
    with pytest.raises(ValueError, match="object_ids has 2 entries but there are 1 files"):
        read_ztf_forced_photometry(tmp_path / "a.txt", object_ids=["x", "y"])


def test_read_ztf_forced_photometry_malformed_names_file_and_line(tmp_path):
    """Check errors for an unparsable value, a short row, a missing column and no header."""
    path = tmp_path / "lc.txt"
    path.write_text(fps_text([{}, {"zpdiff": "abc"}]))
    with pytest.raises(ValueError, match=r"lc\.txt' has an unparsable value 'abc' in column "
                                         r"'zpdiff' on line 14"):
        read_ztf_forced_photometry(path)
    text = fps_text([{}, {}])
    path.write_text(text.rstrip("\n").rsplit(" ", 1)[0] + "\n")
    with pytest.raises(ValueError, match=r"lc\.txt' has 39 values on line 14 but 40 column names"):
        read_ztf_forced_photometry(path)
    path.write_text(fps_text([{}]).replace(", zpdiff", ", zp"))
    with pytest.raises(ValueError, match=r"lc\.txt' has no column 'zpdiff'"):
        read_ztf_forced_photometry(path)
    path.write_text("# nothing here\n1 2 3\n")
    with pytest.raises(ValueError, match=r"lc\.txt' has no line of column names"):
        read_ztf_forced_photometry(path)


def test_read_ztf_forced_photometry_gzipped_truncated_or_garbled(tmp_path):
    """Check that a .txt.gz reads as its text, and a cut or damaged file raises naming it."""
    text = fps_text([{}, {"filter": "ZTF_r"}])
    (tmp_path / "plain.txt").write_text(text)
    (tmp_path / "packed.txt.gz").write_bytes(gzip.compress(text.encode()))
    packed = read_ztf_forced_photometry(tmp_path / "packed.txt.gz")
    plain = read_ztf_forced_photometry(tmp_path / "plain.txt")
    assert packed.object_ids.tolist() == ["packed"]
    np.testing.assert_array_equal(packed.flux, plain.flux)
    np.testing.assert_array_equal(packed.time, plain.time)
    assert len(read_ztf_forced_photometry(tmp_path)) == 2  # a directory gives both
    (tmp_path / "plain.txt").write_text(text[:-1])
    with pytest.raises(ValueError, match=r"plain\.txt' does not end with a newline"):
        read_ztf_forced_photometry(tmp_path / "plain.txt")
    check_damaged_gzip_refused(read_ztf_forced_photometry, tmp_path, text.encode(), ".txt.gz",
                               "forced-photometry file")


# ---------------------------------------------------------------------- read_data
def _write_for_read_data(tmp_path, name):
    """Write a small valid file that read_data dispatches on by ``name``; return its path."""
    path = tmp_path / name
    if name.endswith(".parquet"):
        return write_alerts(path, ztf_alerts(), ZTF_AVRO_SCHEMA)
    if name.endswith(".avro"):
        return write_alerts(path, lsst_alerts(), LSST_AVRO_SCHEMA)
    if ".csv" in name:
        text = plasticc_tables()[0].to_csv(index=False).encode()
    elif ".txt" in name:
        text = fps_text([{}, {}]).encode()
    elif ".DAT" in name:
        text = DAT.format(survey="ZTF", snid="1", z="0.1", code=10, flux="1").encode()
    else:
        return snana_pair(tmp_path, gz=name.endswith(".gz"))
    path.write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
    return path


@pytest.mark.parametrize("how", ["truncated", "garbage"])
@pytest.mark.parametrize("name, expected", [
    ("alerts.parquet", r"Parquet"),
    ("alerts.avro", r"is not a readable Avro container file"),
    ("lc.csv", r"(does not end with a newline|is not a readable CSV table)"),
    ("lc.csv.gz", r"is not a readable gzip-compressed CSV table"),
    ("SIM_HEAD.FITS", r"is not a readable FITS file"),
    ("SIM_HEAD.FITS.gz", r"is not a readable gzip-compressed FITS file"),
    ("obj.DAT", r"(does not end with a newline|has no VARLIST)"),
    ("obj.DAT.gz", r"is not a readable gzip-compressed SNANA \.DAT file"),
    ("lc.txt", r"(does not end with a newline|has no line of column names)"),
    ("lc.txt.gz", r"is not a readable gzip-compressed forced-photometry file"),
])
def test_read_data_corrupt_file_names_it(tmp_path, name, expected, how):
    """Check that read_data refuses a truncated or garbled file of each format, naming it."""
    if name.startswith("alerts") or name.startswith("lc.csv"):
        pytest.importorskip("pyarrow")
    path = _write_for_read_data(tmp_path, name)
    assert len(read_data(path)[0]) > 0
    path.write_bytes(damaged(path.read_bytes(), how))
    with pytest.raises(ValueError, match=rf"{re.escape(name)}'.*{expected}"):
        read_data(path)
