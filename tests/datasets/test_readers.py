"""Tests of the file readers: PLAsTiCC, SNANA, ZTF and Rubin alerts, ZTF forced photometry."""

import gzip
import importlib.util
import io
import warnings

import numpy as np
import pandas as pd
import pytest

from skltransient.datasets import _readers_plasticc
from skltransient.datasets._readers import NJY_ZEROPOINT, import_optional, to_fluxcal
from skltransient.datasets._readers_alerts import (
    read_lsst_alerts,
    read_ztf_alerts,
    read_ztf_forced_photometry,
)
from skltransient.datasets._readers_plasticc import load_plasticc, read_plasticc
from skltransient.datasets._readers_snana import read_fits_table, read_snana

requires_pyarrow = pytest.mark.skipif(
    importlib.util.find_spec("pyarrow") is None,
    reason="pyarrow, needed to read alert packets, is not installed")


# ------------------------------------------------------------------- conversions
def test_to_fluxcal_matches_zero_points():
    """Check FLUXCAL from magnitudes (ZP 27.5) and from nJy (ZP 31.4)."""
    assert to_fluxcal(1.0, 27.5) == pytest.approx(1.0)
    assert to_fluxcal(1.0, 23.8065) == pytest.approx(30.02, abs=0.01)  # PHYSICS.md example
    assert to_fluxcal(10 ** (0.4 * 3.9), NJY_ZEROPOINT) == pytest.approx(1.0)
    assert to_fluxcal(36.31, NJY_ZEROPOINT) == pytest.approx(1.0, rel=1e-4)


def test_import_optional_says_how_to_install():
    """Check that a missing optional dependency raises an ImportError naming the extra."""
    with pytest.raises(ImportError, match=r"Reading X needs the optional dependency "
                                          r"'no_such_module_xyz'.*skltransient\[io\]"):
        import_optional("no_such_module_xyz.sub", "Reading X")


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


def test_read_fits_table_decodes_formats(tmp_path):
    """Check strings, logicals, scaled unsigned ints, vectors, big-endian floats and gzip."""
    raw = fits_bytes(
        [("NAME", "8A", [b"SN1", b"abc  "]), ("FLAG", "1L", [b"T", b"F"]),
         ("COUNT", "1I", np.array([-32768, 32767])), ("X", "1D", [1.5, -2.25]),
         ("V", "3E", [[1, 2, 3], [4, 5, 6]]), ("N", "1J", [7, -8])],
        table_cards=[("TZERO3", 32768), ("SURVEY", "LSST")], primary_cards=[("ORIGIN", "test")])
    path = tmp_path / "t.fits.gz"
    path.write_bytes(gzip.compress(raw))
    header, columns = read_fits_table(path)
    assert header["SURVEY"] == "LSST" and header["ORIGIN"] == "test"
    assert columns["NAME"].tolist() == ["SN1", "abc"]
    assert columns["FLAG"].tolist() == [True, False]
    assert columns["COUNT"].tolist() == [0, 65535]
    assert columns["X"].tolist() == [1.5, -2.25]
    assert columns["V"].shape == (2, 3) and columns["V"][1].tolist() == [4.0, 5.0, 6.0]
    assert columns["N"].tolist() == [7, -8] and columns["N"].dtype.byteorder in "=|<"


def test_read_fits_table_rejects_bad_files(tmp_path):
    """Check errors for a non-FITS file, a truncated table and a missing binary table."""
    bad = tmp_path / "bad.fits"
    bad.write_bytes(b"hello world" * 300)
    with pytest.raises(ValueError, match=r"bad\.fits' is not a FITS file"):
        read_fits_table(bad)
    raw = fits_bytes([("X", "1D", np.arange(1000.0))])
    bad.write_bytes(raw[:-5000])
    with pytest.raises(ValueError, match=r"bad\.fits' is truncated"):
        read_fits_table(bad)
    bad.write_bytes(raw[:2880])
    with pytest.raises(ValueError, match="has no binary table"):
        read_fits_table(bad)


def test_read_fits_table_agrees_with_astropy(tmp_path):
    """Check the reader against astropy's writer, when astropy is installed."""
    fits = pytest.importorskip("astropy.io.fits", reason="astropy is not installed; the "
                               "cross-check of the FITS reader against it is skipped")
    columns = [fits.Column(name="SNID", format="16A", array=np.array(["12", "abc"])),
               fits.Column(name="MJD", format="D", array=[60000.5, -777.0]),
               fits.Column(name="U16", format="I", bzero=32768, array=np.array([0, 65535])),
               fits.Column(name="OK", format="L", array=[True, False])]
    path = tmp_path / "astropy.fits"
    fits.BinTableHDU.from_columns(columns).writeto(path)
    _, table = read_fits_table(path)
    assert table["SNID"].tolist() == ["12", "abc"]
    assert table["MJD"].tolist() == [60000.5, -777.0]
    assert table["U16"].tolist() == [0, 65535]
    assert table["OK"].tolist() == [True, False]


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


# --------------------------------------------------------------------- ZTF alerts
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
    fields = [("jd", "double"), ("fid", "int"), ("magpsf", ["null", "float"]),
              ("sigmapsf", ["null", "float"]), ("diffmaglim", ["null", "float"]),
              ("isdiffpos", ["null", "string"]), ("ra", ["null", "double"]),
              ("dec", ["null", "double"])]

    def record(name):
        return {"type": "record", "name": name,
                "fields": [{"name": n, "type": t} for n, t in fields]}

    schema = fastavro.parse_schema({
        "type": "record", "name": "alert", "fields": [
            {"name": "objectId", "type": "string"},
            {"name": "candidate", "type": record("candidate")},
            {"name": "prv_candidates", "type": ["null", {"type": "array",
                                                         "items": record("prv_candidate")}]}]})
    alerts = pq.read_table(path, columns=["objectId", "candidate", "prv_candidates"]).to_pylist()
    keep = [name for name, _ in fields]
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
