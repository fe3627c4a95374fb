"""The Spark UDF on a real local[2] session, over the shared real alert samples."""

import shutil

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (the 'spark' extra)")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java, and no 'java' is on the PATH", allow_module_level=True)

from pyspark.sql import functions as F  # noqa: E402

from skltransient import pretrained  # noqa: E402
from skltransient.datasets import read_lsst_alerts, read_ztf_alerts  # noqa: E402
from skltransient import LightCurves  # noqa: E402
from skltransient.spark import (_session, _udf, add_probabilities, history_columns,  # noqa: E402
                                local_session, probability_udf)
from skltransient.utils._testing import FINK_ZTF_COLUMNS, make_fink_ztf_alerts  # noqa: E402
from skltransient.spark.processor import gru_classify_ztf, main  # noqa: E402

FINK_ZTF = list(FINK_ZTF_COLUMNS)


@pytest.fixture(scope="module")
def spark():
    session = local_session(2, app_name="skltransient-tests")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def ztf_model():
    return pretrained.load("ztf-sims")


def _reader_proba(model, table, survey):
    """predict_proba on the light curves the package's reader reads, one per alert."""
    table = table.copy()
    if survey == "ztf":
        table["objectId"] = table["candid"].astype(str)  # one light curve per alert
        lc = read_ztf_alerts(table)
    else:
        table["diaSource"] = [dict(source, diaObjectId=alert) for source, alert
                              in zip(table["diaSource"], table["alertId"], strict=True)]
        lc = read_lsst_alerts(table)
    return pd.DataFrame(model.predict_proba(lc), index=lc.object_ids.astype(np.int64),
                        columns=[str(c) for c in model.classes_])


@pytest.mark.parametrize("survey, name, id_column", [
    ("ztf", "ztf_alerts_sample.parquet", "candid"),
    ("ztf", "ztf_alerts_history_sample.parquet", "candid"),
    ("lsst", "elasticc_alerts_sample.parquet", "alertId"),
])
def test_add_probabilities_equal_predict_proba_on_the_readers_light_curves(
        spark, shared_data, survey, name, id_column):
    """Check that the UDF's probabilities on real alerts equal predict_proba on the readers' light curves."""
    model = pretrained.load(f"{survey}-sims")
    frame = spark.read.parquet(str(shared_data / name))
    classified, rejects = add_probabilities(frame, f"{survey}-sims", survey=survey)
    columns = ["p_" + str(label) for label in model.classes_]
    got = classified.select(id_column, *columns).toPandas().set_index(id_column)
    expected = _reader_proba(model, pd.read_parquet(shared_data / name), survey)
    assert rejects.value == 0 and len(got) == len(expected) == frame.count()
    np.testing.assert_allclose(got.loc[expected.index].to_numpy(), expected.to_numpy(),
                               rtol=0, atol=1e-6)
    assert set(frame.columns) < set(classified.columns)


def _bad_rows(spark, shared_data):
    """Fink-style history arrays of real alerts, with an empty, an unknown-band and a malformed row."""
    frame = spark.read.parquet(str(shared_data / "ztf_alerts_sample.parquet")).limit(8)
    arrays = frame.select("candid", *[c.alias(n) for c, n in
                                      zip(history_columns(frame, "ztf"), FINK_ZTF, strict=True)])
    bad = (F.col("row") == 1, F.col("row") == 3, F.col("row") == 5)
    arrays = arrays.withColumn("row", F.row_number().over(
        __import__("pyspark.sql.window", fromlist=["Window"]).Window.orderBy("candid")) - 1)
    empty = {name: F.when(bad[0], F.array().cast(arrays.schema[name].dataType))
             .otherwise(F.col(name)) for name in FINK_ZTF}
    arrays = arrays.withColumns(empty)
    arrays = arrays.withColumn("cfid", F.when(bad[1], F.transform("cfid", lambda _: F.lit(9)))
                               .otherwise(F.col("cfid")))
    arrays = arrays.withColumn("cjd", F.when(bad[2], F.lit(None)).otherwise(F.col("cjd")))
    return arrays


def test_probability_udf_gives_nulls_for_unreadable_alerts_and_counts_them(spark, shared_data,
                                                                         ztf_model):
    """Check that empty, unknown-band and malformed alerts get nulls and a count, the rest probabilities."""
    arrays = _bad_rows(spark, shared_data)
    udf = probability_udf(ztf_model, survey="ztf")
    out = arrays.withColumn("proba", udf(*FINK_ZTF)).select("row", "proba.*").toPandas()
    out = out.set_index("row").sort_index()
    assert out.loc[[1, 3, 5]].isna().all(axis=None)
    assert out.drop(index=[1, 3, 5]).notna().all(axis=None)
    assert udf.rejects.value == 3
    sums = out.drop(index=[1, 3, 5]).sum(axis=1).to_numpy()
    np.testing.assert_allclose(sums, 1.0, atol=1e-9)


def test_gru_classify_ztf_follows_fink_and_matches_add_probabilities(spark, shared_data, ztf_model):
    """Check that the Fink-shaped processor gives the UDF's probabilities as a map, null when rejected."""
    arrays = _bad_rows(spark, shared_data)
    udf = probability_udf(ztf_model, survey="ztf")
    out = arrays.select("row", gru_classify_ztf(*FINK_ZTF, F.lit("ztf-sims")).alias("map"),
                        udf(*FINK_ZTF).alias("struct")).toPandas().set_index("row").sort_index()
    assert out["map"].loc[[1, 3, 5]].isna().all()
    for row in (0, 2, 4):
        as_map = dict(out["map"].loc[row])
        as_struct = dict(out["struct"].loc[row])
        assert as_map.keys() == as_struct.keys() == {str(c) for c in ztf_model.classes_}
        assert as_map == pytest.approx(as_struct, abs=1e-12)


def test_processor_main_classifies_a_folder_of_alert_files(spark, shared_data, tmp_path):
    """Check that the spark-submit entry point writes one row of probabilities per alert."""
    out = tmp_path / "scores.parquet"
    assert main([str(shared_data / "elasticc_alerts_sample.parquet"), str(out),
                 "--survey", "lsst"]) == 0
    scores = pd.read_parquet(out)
    assert len(scores) == 89 and "alertId" in scores.columns
    np.testing.assert_allclose(scores.filter(like="p_").sum(axis=1), 1.0, atol=1e-9)


def test_add_probabilities_refuses_a_taken_prefix_and_a_missing_schema(spark, shared_data,
                                                                        ztf_model):
    """Check that a clashing output column and a frame without alert columns raise, naming them."""
    frame = spark.read.parquet(str(shared_data / "ztf_alerts_history_sample.parquet"))
    column = f"p_{ztf_model.classes_[0]}"
    taken = frame.withColumn(column, F.lit(0.0))
    with pytest.raises(ValueError, match=f"already has a column '{column}'"):
        add_probabilities(taken, "ztf-sims")
    with pytest.raises(ValueError, match="has no column 'cjd'"):
        history_columns(frame.select("objectId"), "ztf")
    with pytest.raises(ValueError, match="has no column 'diaSource'"):
        history_columns(frame, "lsst")
    with pytest.raises(ValueError, match="survey must be one of"):
        probability_udf("ztf-sims", survey="ptf")


def test_probability_udf_refuses_an_unknown_model(spark):
    """Check that a model name that is neither pretrained nor a folder is refused, naming it."""
    with pytest.raises(ValueError, match="'no-such-model' is neither a pretrained model"):
        probability_udf("no-such-model")
    with pytest.raises(TypeError, match="must be a fitted classifier"):
        probability_udf(object())


def test_loaded_keeps_one_model_per_checksum(monkeypatch):
    """Check that a worker loads a broadcast model once and serves it from the cache after."""
    loads = []
    monkeypatch.setattr(_udf, "_MODELS", {})
    monkeypatch.setattr(_udf, "_load", lambda payload: loads.append(payload) or object())
    first = _udf.loaded_model("abc", ("pretrained", "ztf-sims"))
    assert _udf.loaded_model("abc", ("pretrained", "ztf-sims")) is first
    assert _udf.loaded_model("def", ("pretrained", "ztf-sims")) is not first
    assert len(loads) == 2


def test_payload_of_a_fitted_model_is_its_saved_folder(ztf_model):
    """Check that a fitted GRU model is broadcast as save_model's files (no pickle) and reloads equal."""
    (kind, files), checksum = _udf.model_payload(ztf_model)
    assert kind == "folder" and set(files) == {"model.json", "weights.pt"}
    assert len(checksum) == 64
    assert _udf.model_payload(ztf_model)[1] == checksum  # same model, same cache key
    reloaded = _udf._load((kind, files))
    np.testing.assert_array_equal(reloaded.classes_, ztf_model.classes_)


def test_predict_alerts_reads_alone_an_alert_that_spoils_its_batch(monkeypatch, ztf_model):
    """Check that an alert the reader raises on is rejected alone and the others classified."""
    history = pd.DataFrame({
        "jd": [[2459500.5], [2459501.5], [2459502.5]], "fid": [[1], [2], [1]],
        "magpsf": [[19.0], [19.5], [20.0]], "sigmapsf": [[0.1], [0.1], [0.1]],
        "diffmaglim": [[20.5], [20.5], [20.5]], "isdiffpos": [["t"], ["t"], ["t"]]})
    read = _udf.read_alert_history

    def fragile(frame, **kwargs):
        if (frame["magpsf"].map(lambda v: v[0]) == 19.5).any():
            raise ValueError("an unforeseen problem")
        return read(frame, **kwargs)

    with pytest.raises(ValueError, match="has no column 'isdiffpos'"):
        _udf.predict_alerts(ztf_model, history.drop(columns="isdiffpos"), survey="ztf")
    monkeypatch.setattr(_udf, "read_alert_history", fragile)
    proba, rejected = _udf.predict_alerts(ztf_model, history, survey="ztf")
    assert rejected[0] is None and rejected[2] is None
    assert "an unforeseen problem" in rejected[1]
    assert proba.iloc[1].isna().all() and proba.drop(index=1).notna().all(axis=None)


def test_local_session_sets_the_master_defaults_and_conf(spark):
    """Check local_session's master and defaults, that conf overrides them, and that it reuses
    the active session."""
    assert spark.sparkContext.master == "local[2]"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "2"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.sparkContext.getConf().get("spark.ui.enabled") == "false"
    assert spark.conf.get("spark.sql.files.maxPartitionBytes") in ("16m", str(16 * 2**20))
    key = "spark.sql.execution.arrow.maxRecordsPerBatch"
    before = spark.conf.get(key)
    try:
        again = local_session(2, conf={key: 500, "spark.sql.session.timeZone": "Europe/Paris"})
        assert again is spark
        assert spark.conf.get(key) == "500"
        assert spark.conf.get("spark.sql.session.timeZone") == "Europe/Paris"
    finally:
        spark.conf.set(key, before)
        spark.conf.set("spark.sql.session.timeZone", "UTC")


@pytest.mark.parametrize("n_cores", [0, -1, 1.5, "2", True])
def test_local_session_refuses_a_bad_number_of_cores(n_cores):
    """Check that n_cores that is not a positive integer is refused, naming it."""
    with pytest.raises(ValueError, match=rf"n_cores must be a positive integer .*got {n_cores!r}"):
        local_session(n_cores)


def test_local_session_refuses_bad_conf_and_another_master(spark, monkeypatch):
    """Check the errors for a conf that is not a dict, another master while one is active,
    and a machine without Java."""
    with pytest.raises(TypeError, match="conf must be a dict of Spark settings.*got list"):
        local_session(2, conf=[("spark.ui.enabled", "true")])
    with pytest.raises(ValueError, match=r"master 'local\[2\]' is already active, so "
                                         r"'local\[3\]' cannot start"):
        local_session(3)
    monkeypatch.setattr(_session.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setattr(_session, "import_optional", lambda *args: _NoSession)
    with pytest.raises(RuntimeError, match="Spark needs Java 17 or newer"):
        local_session(2)


class _NoSession:
    """A pyspark.sql stand-in with no active session."""

    class SparkSession:
        @staticmethod
        def getActiveSession():
            return None


@pytest.fixture(scope="module")
def simulated_alerts():
    """Simulated ZTF light curves as Fink alerts, their readers' light curves, and the model."""
    from skltransient.datasets import read_alert_history, simulate

    table = make_fink_ztf_alerts(simulate("ztf", 60, random_state=3).lightcurves)
    history = table.select(FINK_ZTF).to_pandas().rename(columns=lambda name: name[1:])
    lc, rejected = read_alert_history(history, survey="ztf")
    assert all(reason is None for reason in rejected)
    return table, lc, pretrained.load("ztf-sims")


def test_add_probabilities_uses_detection_flags_for_the_trigger(spark, simulated_alerts,
                                                               tmp_path):
    """Check that the UDF finds each alert's trigger from its detections: on long simulated
    histories, where the shipped window (-30, 100) days around the trigger matters, its
    probabilities equal predict_proba on the read light curves with their flags."""
    import pyarrow.parquet as pq

    table, lc, model = simulated_alerts
    expected = model.predict_proba(lc)
    # Without flags the trigger is the first epoch: another window, another answer.
    unflagged = LightCurves(lc.object_ids, lc.offsets, lc.time, lc.band, lc.flux, lc.flux_err,
                            None, lc.metadata)
    assert np.abs(model.predict_proba(unflagged) - expected).max() > 0.1
    pq.write_table(table, tmp_path / "alerts.parquet")
    frame = spark.read.parquet(str(tmp_path / "alerts.parquet"))
    classified, rejects = add_probabilities(frame, model, survey="ztf")
    columns = ["p_" + str(label) for label in model.classes_]
    got = classified.select("objectId", *columns).toPandas().set_index("objectId").sort_index()
    assert rejects.value == 0
    np.testing.assert_array_equal(got.index, lc.object_ids.astype(np.int64))
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=0, atol=1e-6)


def test_elasticc_sample_detection_flags_move_the_trigger(shared_data):
    """Check that the ELAsTiCC sample's flags change the shipped model's probabilities, so that
    the equality test on it covers the Rubin path's flags (forced photometry is not detected)."""
    model = pretrained.load("lsst-sims")
    table = pd.read_parquet(shared_data / "elasticc_alerts_sample.parquet")
    table["diaSource"] = [dict(source, diaObjectId=alert) for source, alert
                          in zip(table["diaSource"], table["alertId"], strict=True)]
    lc = read_lsst_alerts(table)
    assert lc.detected is not None and not lc.detected.all()
    unflagged = LightCurves(lc.object_ids, lc.offsets, lc.time, lc.band, lc.flux, lc.flux_err,
                            None, lc.metadata)
    assert np.abs(model.predict_proba(unflagged) - model.predict_proba(lc)).max() > 0.1
