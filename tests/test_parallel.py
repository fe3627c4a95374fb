"""Batch prediction over Parquet with Dask, and searches under joblib's Dask backend."""

import sys

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline

from skltransient import FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler
from skltransient.parallel import predict_parquet
from skltransient.utils._testing import make_toy_lightcurves


def make_model(**params):
    clf = GRUClassifier(hidden_size=8, num_layers=1, head_size=8, max_epochs=3, random_state=0)
    return make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler(),
                         clf.set_params(**params))


@pytest.fixture(scope="module")
def data():
    return make_toy_lightcurves(48, random_state=5)


@pytest.fixture(scope="module")
def model(data):
    return make_model().fit(*data)


@pytest.fixture(scope="module")
def expected(data, model):
    X, _ = data
    return pd.DataFrame(model.predict_proba(X), index=X.object_ids, columns=model.classes_)


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=50)
    with distributed.Client(cluster, set_as_default=False) as client:
        yield client
    cluster.close()


def observation_table(X):
    """One row per observation with the metadata repeated on each row, sorted by object id."""
    table = X.to_pandas().join(X.metadata, on="object_id")
    return table.sort_values(["object_id", "time"], kind="stable").reset_index(drop=True)


def write_parts(table, folder, cuts, row_group_size=None):
    """Write rows [cuts[i], cuts[i + 1]) to folder/part{i}.parquet."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    folder.mkdir()
    for i, (start, stop) in enumerate(zip(cuts[:-1], cuts[1:])):
        part = pa.Table.from_pandas(table.iloc[start:stop], preserve_index=False)
        pq.write_table(part, folder / f"part{i}.parquet", row_group_size=row_group_size)
    return folder


def object_boundaries(table, n_files):
    """Row positions that split the table into about n_files pieces without splitting an object."""
    starts = np.flatnonzero(table["object_id"].ne(table["object_id"].shift()).to_numpy())
    chosen = starts[np.linspace(0, len(starts), n_files, endpoint=False).astype(int)]
    return [*chosen.tolist(), len(table)]


def test_predict_parquet_matches_predict_proba_on_a_cluster(data, model, expected, client,
                                                            tmp_path):
    """Check that grouping='sort' on a cluster reproduces predict_proba, in object-id order."""
    pytest.importorskip("dask.dataframe")
    X, _ = data
    table = observation_table(X)
    n = len(table)
    # Objects straddle both the files and their row groups.
    source = write_parts(table, tmp_path / "night", [0, n // 3 + 1, 2 * n // 3 + 1, n],
                         row_group_size=97)
    out = predict_parquet(model, source, tmp_path / "proba.parquet", client=client)
    result = pd.read_parquet(out)
    assert list(result.columns) == ["object_id", *model.classes_]
    assert result["object_id"].tolist() == sorted(X.object_ids.tolist())
    aligned = expected.loc[result["object_id"]]
    np.testing.assert_allclose(result[model.classes_].to_numpy(), aligned.to_numpy(), atol=1e-6)


def test_predict_parquet_on_a_cluster_sends_the_model_without_serialisation_errors(
        data, model, client, tmp_path, caplog):
    """Check that the model reaches the workers without distributed logging a failed
    serialisation (a GRU's weak references, met when the model sat inside the task graph), and
    that the results are complete."""
    pytest.importorskip("dask.dataframe")
    X, _ = data
    source = write_parts(observation_table(X), tmp_path / "night", [0, len(observation_table(X))])
    with caplog.at_level("ERROR", logger="distributed"):
        out = predict_parquet(model, source, tmp_path / "proba.parquet", client=client,
                              grouping="row_groups")
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text[:500]
    assert len(pd.read_parquet(out)) == len(X)


def test_predict_parquet_files_grouping_keeps_file_order(data, model, expected, tmp_path):
    """Check grouping='files' with whole objects per file: CSV rows in file order, same values."""
    pytest.importorskip("dask.dataframe")
    X, _ = data
    table = X.to_pandas().join(X.metadata, on="object_id")  # the light curves' own order
    source = write_parts(table, tmp_path / "night", object_boundaries(table, 3))
    out = predict_parquet(model, source, tmp_path / "proba.csv", grouping="files")
    result = pd.read_csv(out)
    assert result["object_id"].tolist() == X.object_ids.tolist()
    np.testing.assert_allclose(result[model.classes_].to_numpy(), expected.to_numpy(), atol=1e-6)


def test_predict_parquet_row_groups_and_metadata_frame(data, model, expected, tmp_path):
    """Check grouping='row_groups' (one object per row group) with metadata given as a DataFrame."""
    pytest.importorskip("dask.dataframe")
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    X, _ = data
    table = X.to_pandas().rename(columns={"object_id": "oid", "time": "mjd", "band": "passband"})
    source = tmp_path / "night.parquet"
    with pq.ParquetWriter(source, pa.Schema.from_pandas(table, preserve_index=False)) as writer:
        for _, rows in table.groupby("oid", sort=False):
            writer.write_table(pa.Table.from_pandas(rows, preserve_index=False))
    assert pq.ParquetFile(source).num_row_groups == len(X)
    out = predict_parquet(model, source, tmp_path / "proba.parquet", grouping="row_groups",
                          metadata=X.metadata)
    result = pd.read_parquet(out)
    assert result["oid"].tolist() == X.object_ids.tolist()
    np.testing.assert_allclose(result[model.classes_].to_numpy(), expected.to_numpy(), atol=1e-6)


def test_predict_parquet_files_grouping_rejects_split_objects(data, model, tmp_path):
    """Check that grouping='files' names the object and files when an object spans two files."""
    pytest.importorskip("dask.dataframe")
    X, _ = data
    table = observation_table(X)
    row = object_boundaries(table, 2)[1] + 1  # one row past an object's start
    source = write_parts(table, tmp_path / "night", [0, row, len(table)])
    split = table["object_id"].iloc[row]
    with pytest.raises(ValueError, match=rf"Object '{split}' has rows in more than one "
                                         rf"partition \(.*part0.parquet, .*part1.parquet\)"):
        predict_parquet(model, source, tmp_path / "proba.csv", grouping="files")
    assert not (tmp_path / "proba.csv").exists()


def test_predict_parquet_columns_by_name_and_errors(data, model, expected, tmp_path):
    """Check the columns mapping, and errors that name the dataset, column and file."""
    pytest.importorskip("dask.dataframe")
    X, _ = data
    table = observation_table(X).rename(columns={"flux_err": "sigma", "time": "mjd"})
    source = write_parts(table, tmp_path / "night", [0, len(table)])
    out = predict_parquet(model, source, tmp_path / "proba.csv", columns={"flux_err": "sigma"})
    result = pd.read_csv(out).set_index("object_id")
    np.testing.assert_allclose(result.loc[X.object_ids].to_numpy(), expected.to_numpy(), atol=1e-6)

    with pytest.raises(ValueError, match=r"Parquet dataset '.*night'.*no flux_err column"):
        predict_parquet(model, source, tmp_path / "other.csv")
    with pytest.raises(ValueError, match=r"Column 'error' given for flux_err is not in the"):
        predict_parquet(model, source, tmp_path / "other.csv", columns={"flux_err": "error"})
    with pytest.raises(ValueError, match="columns has unknown keys"):
        predict_parquet(model, source, tmp_path / "other.csv", columns={"fluxerr": "sigma"})
    bad = table.assign(flux=table["flux"].where(table["object_id"] != "obj7"))
    broken = write_parts(bad, tmp_path / "broken", [0, len(bad)])
    with pytest.raises(ValueError, match=r"part0.parquet: Light curve 'obj7' has non-finite flux"):
        predict_parquet(model, broken, tmp_path / "other.csv", grouping="files",
                        columns={"flux_err": "sigma"})


def test_predict_parquet_rejects_bad_arguments(data, model, tmp_path):
    """Check the errors for the output name, an existing output, grouping and an unfitted model."""
    pytest.importorskip("dask.dataframe")
    X, _ = data
    source = write_parts(observation_table(X), tmp_path / "night", [0, 50])
    with pytest.raises(ValueError, match=r"out must end in .parquet, .pq or .csv"):
        predict_parquet(model, source, tmp_path / "proba.json")
    (tmp_path / "taken.csv").write_text("")
    with pytest.raises(FileExistsError, match="pass overwrite=True"):
        predict_parquet(model, source, tmp_path / "taken.csv")
    with pytest.raises(ValueError, match="grouping must be one of"):
        predict_parquet(model, source, tmp_path / "proba.csv", grouping="objects")
    with pytest.raises(ValueError, match="model must be fitted"):
        predict_parquet(make_model(), source, tmp_path / "proba.csv")
    with pytest.raises(FileNotFoundError, match="Cannot open the Parquet dataset"):
        predict_parquet(model, tmp_path / "absent", tmp_path / "proba.csv")


def test_predict_parquet_without_dask_says_how_to_install(monkeypatch, model, tmp_path):
    """Check that a missing Dask gives an ImportError with the install command."""
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)
    with pytest.raises(ImportError, match=r"pip install 'skltransient\[dask\]'"):
        predict_parquet(model, tmp_path, tmp_path / "proba.csv")


def test_grid_search_under_dask_backend_finds_the_same_best_params(data, client):
    """Check that GridSearchCV under joblib's Dask backend agrees with a local search."""
    X, y = data
    grid = {"gruclassifier__lr": [1e-5, 3e-2], "gruclassifier__hidden_size": [2, 8]}

    def search(**kwargs):
        return GridSearchCV(make_model(max_epochs=6, validation_fraction=None), grid, cv=StratifiedKFold(2),
                            scoring="neg_log_loss", error_score="raise", **kwargs).fit(X, y)

    local = search()
    with joblib.parallel_backend("dask", client=client):
        remote = search(n_jobs=2)
    scores = np.sort(local.cv_results_["mean_test_score"])
    assert scores[-1] - scores[-2] > 5e-3  # a clear winner, so the comparison means something
    assert remote.best_params_ == local.best_params_
    # Workers run torch with one thread, hence rounding differences only.
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"], atol=1e-3)


# The padder's own per-partition warning is raised in Dask's worker threads.
@pytest.mark.filterwarnings("ignore:Metadata column:UserWarning")
def test_predict_parquet_warns_about_missing_metadata_columns(data, model, tmp_path):
    """Check the warning when the table lacks the model's metadata columns."""
    pytest.importorskip("dask.dataframe")
    X, _ = data
    table = X.to_pandas()
    source = write_parts(table, tmp_path / "night", [0, len(table)])
    with pytest.warns(UserWarning, match=r"Metadata columns \['redshift', 'mwebv'\] that the "
                                         r"model uses are not in the Parquet dataset"):
        out = predict_parquet(model, source, tmp_path / "proba.csv")
    assert pd.read_csv(out)["object_id"].tolist() == sorted(X.object_ids.tolist())


def test_predict_parquet_reads_a_transfer_classifiers_metadata(data, model, tmp_path):
    """Check that a TransferClassifier's metadata columns are read, so its predictions match."""
    pytest.importorskip("dask.dataframe")
    from skltransient import TransferClassifier

    X, y = data
    tuned = TransferClassifier(model, max_epochs=2, random_state=0).fit(X, y)
    expected = tuned.predict_proba(X)
    # Without redshift and E(B-V) the network sees them as missing: a different answer.
    assert not np.allclose(expected, tuned.predict_proba(_without_metadata(X)), atol=1e-4)
    table = X.to_pandas().join(X.metadata, on="object_id")
    source = write_parts(table, tmp_path / "night", object_boundaries(table, 2))
    out = predict_parquet(tuned, source, tmp_path / "proba.csv", grouping="files")
    result = pd.read_csv(out)
    assert result["object_id"].tolist() == X.object_ids.tolist()
    np.testing.assert_allclose(result[tuned.classes_].to_numpy(), expected, atol=1e-6)


def _without_metadata(X):
    from skltransient import LightCurves

    return LightCurves(X.object_ids, X.offsets, X.time, X.band, X.flux, X.flux_err, X.detected,
                       X.metadata.iloc[:, :0])


@pytest.mark.parametrize("out", [lambda source: source, lambda source: source / "proba.csv",
                                 lambda source: source.parent])
def test_predict_parquet_refuses_an_output_that_is_an_input(data, model, tmp_path, out):
    """Check that an output that is, lies in or contains the input dataset is refused before any
    work, even with overwrite=True, and that the dataset is left as it was."""
    pytest.importorskip("dask.dataframe")
    X, _ = data
    (tmp_path / "survey.parquet").mkdir()
    source = write_parts(observation_table(X), tmp_path / "survey.parquet" / "night.parquet",
                         object_boundaries(observation_table(X), 2))
    before = sorted(p.name for p in source.iterdir())
    with pytest.raises(ValueError, match=r"The output .* (is|lies inside|contains) the input "
                                         r".*night\.parquet"):
        predict_parquet(model, source, out(source), overwrite=True)
    assert sorted(p.name for p in source.iterdir()) == before


def test_predict_parquet_failing_on_its_last_partition_leaves_no_output(data, model, tmp_path):
    """Check that a failure on the last partition leaves no partial CSV or Parquet output, and
    that a run after the fix is not refused because of a leftover."""
    pytest.importorskip("dask.dataframe")
    X, _ = data
    table = observation_table(X)
    cuts = object_boundaries(table, 3)
    broken = table.copy()
    broken.loc[len(table) - 1, "flux"] = np.nan  # in the last file
    source = write_parts(broken, tmp_path / "night", cuts)
    for name in ("proba.csv", "proba.parquet"):
        with pytest.raises(ValueError, match=r"part2\.parquet: .*non-finite flux"):
            predict_parquet(model, source, tmp_path / name, grouping="files")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["night"]
    fixed = write_parts(table, tmp_path / "fixed", cuts)
    for name in ("proba.csv", "proba.parquet"):
        predict_parquet(model, fixed, tmp_path / name, grouping="files")
    assert len(pd.read_csv(tmp_path / "proba.csv")) == len(X)
    assert len(pd.read_parquet(tmp_path / "proba.parquet")) == len(X)


def test_predict_parquet_overwrite_replaces_a_parquet_output_whole(data, model, tmp_path):
    """Check that overwrite=True leaves no file of the previous output beside the new one."""
    pytest.importorskip("dask.dataframe")
    X, _ = data
    source = write_parts(observation_table(X), tmp_path / "night", [0, len(observation_table(X))])
    out = tmp_path / "proba.parquet"
    out.mkdir()
    (out / "part.7.parquet").write_bytes(b"an older partition")
    predict_parquet(model, source, out, overwrite=True)
    assert [p.name for p in out.iterdir()] == ["part.0.parquet"]
    assert len(pd.read_parquet(out)) == len(X)


def test_predict_parquet_names_a_corrupt_file(data, model, tmp_path):
    """Check that a damaged file of a dataset read with grouping='files' is named in the error."""
    pytest.importorskip("dask.dataframe")
    X, _ = data
    table = observation_table(X)
    source = write_parts(table, tmp_path / "night", object_boundaries(table, 3))
    with open(source / "part1.parquet", "r+b") as handle:
        handle.write(b"garbage!" * 10)
    with pytest.raises(ValueError, match=r"night/part1\.parquet cannot be read as Parquet; it may "
                                         r"be truncated or corrupt"):
        predict_parquet(model, source, tmp_path / "proba.csv", grouping="files")


@pytest.mark.parametrize("grouping", ["sort", "files"])
def test_predict_parquet_names_an_object_id_that_is_not_utf8(data, model, tmp_path, grouping):
    """Check that binary object ids that are not UTF-8 are refused, naming the id and the file."""
    pytest.importorskip("dask.dataframe")
    X, _ = data
    table = observation_table(X)
    table["object_id"] = [b"\xff" + name.encode() for name in table["object_id"]]
    table.to_parquet(tmp_path / "night.parquet")
    with pytest.raises(ValueError, match=r"night\.parquet.*: column 'object_id' holds object id "
                                         r"b'\\xffobj0', which is not UTF-8 text"):
        predict_parquet(model, tmp_path / "night.parquet", tmp_path / "proba.csv", grouping=grouping)


#: Objects of the large batch test (20,000 in about 10 s on one core).
N_LARGE = 20_000


def test_predict_parquet_large_batch_equals_direct_prediction(model, tmp_path):
    """Check that N_LARGE objects through predict_parquet get exactly the direct probabilities."""
    pytest.importorskip("dask.dataframe")
    X, _ = make_toy_lightcurves(N_LARGE, random_state=5)
    observation_table(X).to_parquet(tmp_path / "night.parquet", row_group_size=100_000)
    out = predict_parquet(model, tmp_path / "night.parquet", tmp_path / "proba.parquet")
    proba = pd.read_parquet(out).set_index("object_id")
    expected = pd.DataFrame(model.predict_proba(X), index=X.object_ids, columns=model.classes_)
    assert len(proba) == N_LARGE
    np.testing.assert_array_equal(proba.to_numpy(), expected.loc[proba.index].to_numpy())


def _flagged(X):
    """X with detection flags (flux above five sigma): the trigger is the first detection."""
    from skltransient import LightCurves

    return LightCurves(X.object_ids, X.offsets, X.time, X.band, X.flux, X.flux_err,
                       X.flux > 5 * X.flux_err, X.metadata)


@pytest.fixture(scope="module")
def windowed(data):
    """Flagged light curves and a model that pads a window around their trigger."""
    X, y = data
    flagged = _flagged(X)
    clf = GRUClassifier(hidden_size=8, num_layers=1, head_size=8, max_epochs=20, lr=0.03,
                        validation_fraction=None, random_state=0)
    model = make_pipeline(LightCurvePadder(window=(-5, 15)), FluxNormalizer(), MetadataScaler(),
                          clf).fit(flagged, y)
    return flagged, model


@pytest.mark.parametrize("grouping", ["sort", "files"])
def test_predict_parquet_reads_detection_flags_for_the_trigger(windowed, grouping, tmp_path):
    """Check that predict_parquet reads the detection flags, so that a model with a trigger
    window gets predict_proba's probabilities on the same light curves."""
    pytest.importorskip("dask.dataframe")
    flagged, model = windowed
    expected = model.predict_proba(flagged)
    # Without flags the trigger is the first observation: another window, another answer.
    unflagged = _without_flags(flagged)
    assert np.abs(model.predict_proba(unflagged) - expected).max() > 0.3
    table = observation_table(flagged)
    assert table["detected"].dtype == bool
    source = write_parts(table, tmp_path / "night", object_boundaries(table, 3))
    out = predict_parquet(model, source, tmp_path / "proba.parquet", grouping=grouping)
    result = pd.read_parquet(out).set_index("object_id").loc[flagged.object_ids]
    np.testing.assert_allclose(result[model.classes_].to_numpy(), expected, rtol=0, atol=1e-6)


def test_predict_parquet_detection_flags_by_name_and_errors(windowed, tmp_path):
    """Check columns={'detected': ...}, and the errors naming a missing or unparsable flag column."""
    pytest.importorskip("dask.dataframe")
    flagged, model = windowed
    table = observation_table(flagged).rename(columns={"detected": "is_det"})
    table["is_det"] = np.where(table["is_det"], "t", "f")
    source = write_parts(table, tmp_path / "night", [0, len(table)])
    out = predict_parquet(model, source, tmp_path / "proba.csv", columns={"detected": "is_det"})
    result = pd.read_csv(out).set_index("object_id").loc[flagged.object_ids]
    np.testing.assert_allclose(result[model.classes_].to_numpy(), model.predict_proba(flagged),
                               rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match=r"Column 'det' given for detected is not in the "
                                         r"Parquet dataset"):
        predict_parquet(model, source, tmp_path / "other.csv", columns={"detected": "det"})
    bad = table.assign(is_det=table["is_det"].where(table["object_id"] != "obj3", "maybe"))
    broken = write_parts(bad, tmp_path / "broken", [0, len(bad)])
    with pytest.raises(ValueError, match=r"part0.parquet: Light curve 'obj3' has a value 'maybe' "
                                         r"that is not a detection flag in column 'is_det'"):
        predict_parquet(model, broken, tmp_path / "other.csv", grouping="files",
                        columns={"detected": "is_det"})


def _without_flags(X):
    """X without its detection flags."""
    from skltransient import LightCurves

    return LightCurves(X.object_ids, X.offsets, X.time, X.band, X.flux, X.flux_err, None,
                       X.metadata)
