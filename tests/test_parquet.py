"""The Parquet layout of LightCurves.to_parquet / read_parquet: exact round trips, folders."""

import json

import numpy as np
import pandas as pd
import pytest

from skltransient import LightCurves

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def collection(ids, *, detected=True, **metadata):
    """Three observations per object, in the order of ``ids``, with the given metadata columns."""
    n = len(ids)
    observations = pd.DataFrame({
        "object_id": np.repeat(ids, 3),
        "time": np.tile([2.0, 0.0, 1.0], n) + np.repeat(np.arange(n), 3),
        "band": np.tile(["ztfg", "ztfr", "ztfg"], n),
        "flux": np.arange(3.0 * n) / 7, "flux_err": np.full(3 * n, 0.5)})
    if detected:
        observations["detected"] = np.tile([True, False, True], n)
    frame = pd.DataFrame(metadata, index=pd.Index(ids, name="object_id"))
    return LightCurves.from_pandas(observations, frame)


def assert_same(back, lc):
    assert back.object_ids.tolist() == lc.object_ids.tolist()
    assert back.object_ids.dtype == lc.object_ids.dtype
    for name in ("offsets", "time", "band", "flux", "flux_err"):
        np.testing.assert_array_equal(getattr(back, name), getattr(lc, name))
    if lc.detected is None:
        assert back.detected is None
    else:
        np.testing.assert_array_equal(back.detected, lc.detected)
    pd.testing.assert_frame_equal(back.metadata, lc.metadata)


@pytest.mark.parametrize("ids, y", [
    (["001", "1", "010"], np.array(["01", "1", "01"])),
    (["b", "a", "c"], np.array([3, 1, 2])),
    ([30, 10, 20], np.array(["SN Ia", "SN II", "SN Ia"], dtype="<U10")),
    ([7, 5, 6], None),
], ids=["str-ids-str-labels", "str-ids-int-labels", "int-ids-U10-labels", "no-labels"])
def test_read_parquet_round_trip_is_exact(tmp_path, ids, y):
    """Check that ids, observations, typed metadata and labels come back identical, in order."""
    redshift = np.array([0.1, np.nan, 1 / 3]) + np.array([0.0, 0.0, 2**-52])
    lc = collection(ids, redshift=redshift, count=np.array([1, 2, 3], dtype=np.int32),
                    name=["x", "01", None], ddf=[True, False, True])
    lc.to_parquet(tmp_path / "lc.parquet", y=y)
    back, y_back = LightCurves.read_parquet(tmp_path / "lc.parquet")
    assert_same(back, lc)
    assert back.metadata["redshift"].to_numpy().tobytes() == redshift.tobytes()
    if y is None:
        assert y_back is None
    else:
        assert y_back.dtype == y.dtype and y_back.tolist() == y.tolist()


def test_read_parquet_round_trip_without_detected_or_metadata(tmp_path):
    """Check the round trip of light curves with no detection flags and no metadata columns."""
    lc = collection(["a", "b"], detected=False)
    lc.to_parquet(tmp_path / "lc.parquet")
    back, _ = LightCurves.read_parquet(tmp_path / "lc.parquet")
    assert_same(back, lc)


def test_to_parquet_writes_typed_columns_and_the_layout(tmp_path):
    """Check that metadata and labels are typed columns repeated per observation, with the layout."""
    lc = collection(["001", "002"], redshift=[0.5, 0.25])
    lc.to_parquet(tmp_path / "lc.parquet", y=np.array(["01", "1"]))
    table = pq.read_table(tmp_path / "lc.parquet")
    assert table.column_names == ["object_id", "time", "band", "flux", "flux_err", "detected",
                                  "redshift", "target"]
    assert table.schema.field("object_id").type in (pa.string(), pa.large_string())
    assert table.column("redshift").to_pylist() == [0.5] * 3 + [0.25] * 3
    assert table.column("target").to_pylist() == ["01"] * 3 + ["1"] * 3
    layout = json.loads(table.schema.metadata[b"skltransient.lightcurves"])
    assert layout["layout_version"] == 2 and layout["metadata_columns"] == ["redshift"]


def test_to_parquet_row_groups_hold_whole_objects(tmp_path, monkeypatch):
    """Check that row groups end between objects and the file reads back whole."""
    from skltransient import _parquet

    monkeypatch.setattr(_parquet, "_ROW_GROUP_ROWS", 7)
    lc = collection([f"o{i}" for i in range(5)], redshift=np.arange(5) / 10)
    lc.to_parquet(tmp_path / "lc.parquet", y=np.arange(5))
    file = pq.ParquetFile(tmp_path / "lc.parquet")
    assert [file.metadata.row_group(i).num_rows for i in range(file.num_row_groups)] == [9, 6]
    back, y = LightCurves.read_parquet(tmp_path / "lc.parquet")
    assert_same(back, lc)
    assert y.tolist() == [0, 1, 2, 3, 4]


def test_to_parquet_refuses_metadata_named_like_a_layout_column(tmp_path):
    """Check that a metadata column named like an observation or label column is refused by name."""
    with pytest.raises(ValueError, match="Metadata column 'target' has the name of a column"):
        collection(["a"], target=[1]).to_parquet(tmp_path / "lc.parquet")
    with pytest.raises(ValueError, match="Metadata column 'flux' has the name of a column"):
        collection(["a"], flux=[1.0]).to_parquet(tmp_path / "lc.parquet")
    with pytest.raises(ValueError, match="one label per object"):
        collection(["a", "b"]).to_parquet(tmp_path / "lc.parquet", y=[1])


def test_read_parquet_folder_joins_files_in_name_order(tmp_path):
    """Check that a folder of files written by to_parquet reads as one collection with labels."""
    first, second = collection(["a", "b"], redshift=[0.1, 0.2]), collection(["c"], redshift=[0.3])
    (tmp_path / "night").mkdir()
    second.to_parquet(tmp_path / "night" / "part1.parquet", y=np.array(["SN Ia"]))
    first.to_parquet(tmp_path / "night" / "part0.parquet", y=np.array(["SN II", "AGN"]))
    back, y = LightCurves.read_parquet(tmp_path / "night")
    assert_same(back, LightCurves.concatenate([first, second]))
    assert y.tolist() == ["SN II", "AGN", "SN Ia"]


def test_read_parquet_folder_refuses_clashing_object_ids(tmp_path):
    """Check that two files with the same object id are refused, naming both files."""
    (tmp_path / "night").mkdir()
    collection(["a", "b"]).to_parquet(tmp_path / "night" / "one.parquet")
    collection(["c", "b"]).to_parquet(tmp_path / "night" / "two.parquet")
    with pytest.raises(ValueError, match=r"Object id 'b' is in both .*one\.parquet and "
                                         r".*two\.parquet"):
        LightCurves.read_parquet(tmp_path / "night")


def test_read_parquet_folder_refuses_files_with_different_columns(tmp_path):
    """Check that a folder mixing files with and without labels is refused, naming both files."""
    (tmp_path / "night").mkdir()
    collection(["a"]).to_parquet(tmp_path / "night" / "one.parquet", y=[1])
    collection(["b"]).to_parquet(tmp_path / "night" / "two.parquet")
    with pytest.raises(ValueError, match=r"one\.parquet and .*two\.parquet in the folder .* have "
                                         r"different columns"):
        LightCurves.read_parquet(tmp_path / "night")


def write_layout_1(lc, path, y):
    """Write a file as skltransient wrote them before layout version 2 (metadata as JSON)."""
    table = pa.Table.from_pandas(lc.to_pandas(), preserve_index=False)
    metadata = lc.metadata.copy()
    metadata["target"] = y
    payload = metadata.reset_index().to_json(orient="split", index=False, double_precision=15)
    pq.write_table(table.replace_schema_metadata({b"skltransient.metadata": payload}), path)


def test_read_parquet_reads_layout_1_with_json_types(tmp_path):
    """Check that a layout-1 file reads with a warning, keeping str ids and labels as strings."""
    lc = collection(["001", "1"], redshift=[0.5, 0.25])
    write_layout_1(lc, tmp_path / "old.parquet", np.array(["01", "1"]))
    with pytest.warns(UserWarning, match=r"old\.parquet was written by an earlier skltransient in "
                                         r"Parquet layout version 1"):
        back, y = LightCurves.read_parquet(tmp_path / "old.parquet")
    assert back.object_ids.tolist() == ["001", "1"]
    assert back.metadata["redshift"].tolist() == [0.5, 0.25]
    assert y.tolist() == ["01", "1"]


def test_read_parquet_refuses_foreign_newer_and_broken_files(tmp_path):
    """Check the messages for a foreign Parquet file, a newer layout and a file that is not Parquet."""
    pd.DataFrame({"a": [1]}).to_parquet(tmp_path / "other.parquet")
    with pytest.raises(ValueError, match=r"other\.parquet was not written by LightCurves.to_parquet"):
        LightCurves.read_parquet(tmp_path / "other.parquet")
    table = pq.read_table(tmp_path / "other.parquet")
    layout = json.dumps({"layout_version": 3}).encode()
    pq.write_table(table.replace_schema_metadata({b"skltransient.lightcurves": layout}),
                   tmp_path / "newer.parquet")
    with pytest.raises(ValueError, match=r"newer\.parquet was written in Parquet layout version 3"
                                         r".*Upgrade skltransient"):
        LightCurves.read_parquet(tmp_path / "newer.parquet")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(ValueError, match=r"broken\.parquet' is not a readable Parquet file"):
        LightCurves.read_parquet(tmp_path / "broken.parquet")


def test_read_parquet_refuses_a_damaged_layout_entry(tmp_path):
    """Check that a layout entry that is not JSON or lacks keys is refused, naming the file."""
    lc = collection(["a"])
    lc.to_parquet(tmp_path / "lc.parquet")
    table = pq.read_table(tmp_path / "lc.parquet")
    for entry in (b"{not json", json.dumps({"layout_version": 2}).encode()):
        pq.write_table(table.replace_schema_metadata({b"skltransient.lightcurves": entry}),
                       tmp_path / "damaged.parquet")
        with pytest.raises(ValueError, match=r"damaged\.parquet has a damaged "
                                             r"skltransient\.lightcurves entry"):
            LightCurves.read_parquet(tmp_path / "damaged.parquet")


def test_read_parquet_folder_reads_only_parquet_files(tmp_path):
    """Check that a folder reads its .parquet files, and one without any says so."""
    (tmp_path / "night").mkdir()
    (tmp_path / "night" / "README.txt").write_text("notes")
    with pytest.raises(ValueError, match=r"night holds no \.parquet files"):
        LightCurves.read_parquet(tmp_path / "night")
    collection(["a"]).to_parquet(tmp_path / "night" / "part0.parquet")
    assert LightCurves.read_parquet(tmp_path / "night")[0].object_ids.tolist() == ["a"]


def test_read_parquet_round_trip_of_categorical_metadata_is_exact(tmp_path):
    """Check that categorical metadata (numbers and strings, ordered, unused categories) comes back as written."""
    lc = collection(["a", "b", "c"],
                    z=pd.Categorical([0.5, 0.1, 0.5], categories=[0.5, 0.1, 1 / 3]),
                    k=pd.Categorical([2, 7, 2], categories=[7, 2, 9], ordered=True),
                    survey=pd.Categorical(["ztf", None, "ztf"], categories=["ztf", "lsst"]))
    lc.to_parquet(tmp_path / "lc.parquet")
    back, _ = LightCurves.read_parquet(tmp_path / "lc.parquet")
    assert_same(back, lc)
    assert back.metadata["z"].cat.categories.dtype == np.float64


def test_to_parquet_refuses_an_existing_file_unless_told_to_overwrite(tmp_path):
    """Check that an existing file is refused without overwrite=True and replaced with it."""
    collection(["a"]).to_parquet(tmp_path / "lc.parquet")
    with pytest.raises(FileExistsError, match=r"The output '.*lc\.parquet' exists"):
        collection(["b"]).to_parquet(tmp_path / "lc.parquet")
    collection(["b"]).to_parquet(tmp_path / "lc.parquet", overwrite=True)
    assert LightCurves.read_parquet(tmp_path / "lc.parquet")[0].object_ids.tolist() == ["b"]


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, RuntimeError])
def test_to_parquet_interrupted_leaves_no_file(tmp_path, monkeypatch, interrupt):
    """Check that a write interrupted after its first row group leaves no readable, shorter file."""
    import skltransient._parquet as layout

    monkeypatch.setattr(layout, "_ROW_GROUP_ROWS", 3)  # one object per row group
    tables = layout._observation_table

    def second_fails(pa, lc, objects, start, stop):
        if start > 0:
            raise interrupt("interrupted")
        return tables(pa, lc, objects, start, stop)

    monkeypatch.setattr(layout, "_observation_table", second_fails)
    with pytest.raises(interrupt):
        collection(["a", "b", "c"]).to_parquet(tmp_path / "lc.parquet")
    assert list(tmp_path.iterdir()) == []
    previous = collection(["x"])
    monkeypatch.undo()
    previous.to_parquet(tmp_path / "lc.parquet")
    monkeypatch.setattr(layout, "_ROW_GROUP_ROWS", 3)
    monkeypatch.setattr(layout, "_observation_table", second_fails)
    with pytest.raises(interrupt):
        collection(["a", "b", "c"]).to_parquet(tmp_path / "lc.parquet", overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["lc.parquet"]
    assert LightCurves.read_parquet(tmp_path / "lc.parquet")[0].object_ids.tolist() == ["x"]
