"""A Spark pandas UDF that classifies alerts from their history columns."""

import hashlib
import logging
import pickle
import tempfile
import threading
from pathlib import Path

import numpy as np
import pandas as pd

from .._optional import import_optional
from ..datasets import ALERT_HISTORY_FIELDS, LSST_OBJECT_FIELDS, read_alert_history

__all__ = ["add_probabilities", "history_columns", "predict_alerts", "probability_udf"]

logger = logging.getLogger(__name__)

# Loaded models of this Python process, by the checksum of what was broadcast: a Spark
# Python worker loads each model once and keeps it for every later batch and task.
_MODELS = {}
_LOCK = threading.Lock()
# Rubin's field names in the schema Fink receives (left) and in ELAsTiCC's (right, the readers').
_RUBIN_ALIASES = {"midpointMjdTai": "midPointTai", "band": "filterName", "psfFlux": "psFlux",
                  "psfFluxErr": "psFluxErr"}
# Fink's ZTF history arrays: the candidate's fields prefixed with "c" (prv_candidates, then it).
_FINK_PREFIX = "c"


# ---------------------------------------------------------------- executors
def predict_alerts(model, history, *, survey, limit_sigma=5.0):
    """Class probabilities of a batch of alerts, NaN for the alerts that cannot be read.

    What the Spark UDF runs on each Arrow batch; usable as is in any
    engine that hands over alert rows as a pandas DataFrame (Dask's
    ``map_partitions``, a Kafka consumer).

    Parameters
    ----------
    model : estimator
        Fitted, with ``predict_proba`` taking a
        :class:`~skltransient.LightCurves` and ``classes_``.
    history : DataFrame
        One row per alert, the columns of
        :func:`skltransient.datasets.read_alert_history`.
    survey : {"ztf", "lsst"}
    limit_sigma : float, default=5.0
        Significance of ZTF's upper limits.

    Returns
    -------
    proba : DataFrame of shape (len(history), n_classes)
        One column per class (``str(label)``, in the order of
        ``model.classes_``); a rejected alert's row is NaN.
    rejected : ndarray of shape (len(history),), dtype object
        None for a classified alert, else why it was rejected.
    """
    proba = np.full((len(history), len(model.classes_)), np.nan)
    try:
        lc, rejected = read_alert_history(history, survey=survey, limit_sigma=limit_sigma)
    except ValueError:
        schema_ok = (survey in ALERT_HISTORY_FIELDS
                     and set(ALERT_HISTORY_FIELDS[survey]) <= set(history.columns))
        if len(history) <= 1 or not schema_ok:
            raise  # a wrong schema (no alert of any batch can pass it), or the alert itself
        # An alert the checks did not foresee spoils its batch: read it, alone, apart.
        return _read_one_by_one(model, history, proba, survey, limit_sigma)
    if len(lc):
        lc.metadata = lc.metadata.reindex(
            columns=list(dict.fromkeys([*lc.metadata.columns, *_metadata_columns(model)])))
        try:
            proba[lc.object_ids.astype(np.int64)] = model.predict_proba(lc)
        except ValueError:
            # An alert the model refuses spoils its batch: find it, one alert at a time.
            _predict_one_by_one(model, lc, proba, rejected)
    return pd.DataFrame(proba, columns=[str(label) for label in model.classes_]), rejected


def _read_one_by_one(model, history, proba, survey, limit_sigma):
    rejected = np.full(len(history), None, dtype=object)
    for row in range(len(history)):
        try:
            part, reasons = predict_alerts(model, history.iloc[[row]].reset_index(drop=True),
                                           survey=survey, limit_sigma=limit_sigma)
            proba[row], rejected[row] = part.to_numpy()[0], reasons[0]
        except ValueError as exc:
            rejected[row] = f"it could not be read ({exc})"
    return pd.DataFrame(proba, columns=[str(label) for label in model.classes_]), rejected


def _predict_one_by_one(model, lc, proba, rejected):
    for i, row in enumerate(lc.object_ids.astype(np.int64)):
        try:
            proba[row] = model.predict_proba(lc[[i]])[0]
        except ValueError as exc:
            rejected[row] = f"the model refused its light curve ({exc})"


def _metadata_columns(model):
    """Metadata columns the model's steps read; NaN columns spare the padder's warning."""
    steps = [step for _, step in model.steps] if hasattr(model, "steps") else [model]
    inner = [getattr(step, "transformers_", None) for step in steps]  # a TransferClassifier's
    steps += [step for pipeline in inner if pipeline is not None for _, step in pipeline.steps]
    return [name for step in steps for name in getattr(step, "metadata_columns", ())]


def loaded_model(checksum, payload):
    """The model broadcast as ``payload`` (see :func:`model_payload`), loaded once per process.

    The executors' side of :func:`predict_alerts` and of ``processor.py``'s UDFs;
    ``checksum`` is the cache key.
    """
    with _LOCK:
        if checksum not in _MODELS:
            _MODELS[checksum] = _load(payload)
        return _MODELS[checksum]


def _load(payload):
    kind, content = payload
    if kind == "pretrained":
        from ..pretrained import load

        return load(content)
    if kind == "folder":
        from ..persistence import load_model

        with tempfile.TemporaryDirectory() as folder:
            for name, data in content.items():
                (Path(folder) / name).write_bytes(data)
            return load_model(folder)
    return pickle.loads(content)


# ------------------------------------------------------------------- driver
def model_payload(model):
    """What to broadcast for ``model``, and its SHA-256 (the cache key on the executors).

    A pretrained name travels as its name; a saved folder and a fitted GRU
    model as the files of :func:`skltransient.persistence.save_model`
    (weights read back without pickle); any other fitted estimator pickled.
    """
    from ..persistence import save_model
    from ..pretrained import available

    if isinstance(model, (str, Path)):
        if str(model) in available():
            payload = ("pretrained", str(model))
        elif Path(model).is_dir():
            payload = ("folder", _folder_bytes(Path(model)))
        else:
            raise ValueError(f"model {str(model)!r} is neither a pretrained model "
                             f"({available()}) nor a folder written by save_model.")
    elif not hasattr(model, "predict_proba") or not hasattr(model, "classes_"):
        raise TypeError(f"model must be a fitted classifier with predict_proba and classes_, a "
                        f"pretrained model's name or a saved model's folder; got "
                        f"{type(model).__name__}.")
    else:
        try:
            with tempfile.TemporaryDirectory() as folder:
                save_model(model, folder)
                payload = ("folder", _folder_bytes(Path(folder)))
        except TypeError:  # not a GRU model: a feature pipeline or any scikit-learn classifier
            payload = ("pickle", pickle.dumps(model))
    return payload, hashlib.sha256(pickle.dumps(payload)).hexdigest()


def _folder_bytes(folder):
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def _spark_session(spark):
    sql = import_optional("pyspark.sql", "skltransient.spark", "spark")
    spark = spark or sql.SparkSession.getActiveSession()
    if spark is None:
        raise ValueError("No active SparkSession: create one (skltransient.spark.local_session() "
                         "on this machine, SparkSession.builder.getOrCreate() on a cluster) or "
                         "pass spark=.")
    return spark


def probability_udf(model, *, survey="ztf", limit_sigma=5.0, spark=None):
    """A vectorised Spark pandas UDF that gives each alert's class probabilities.

    Parameters
    ----------
    model : estimator, str or path
        A fitted classifier of the package (a pipeline ending in a
        :class:`~skltransient.GRUClassifier`, a
        :class:`~skltransient.TransferClassifier`, a feature pipeline), the
        name of a pretrained model (``"ztf-sims"``), or a folder written by
        :func:`~skltransient.persistence.save_model`.
    survey : {"ztf", "lsst"}, default="ztf"
        The alerts' schema.
    limit_sigma : float, default=5.0
        Significance of ZTF's ``diffmaglim`` upper limits.
    spark : SparkSession or None, default=None
        None uses the active session.

    Returns
    -------
    udf : pyspark UserDefinedFunction
        Called on the columns of :func:`history_columns`, it returns a
        struct with one double field per class (named ``str(label)``), null
        for an alert whose history cannot be read. Attributes: ``classes``
        (the field names) and ``rejects``, a Spark accumulator counting the
        rejected alerts, read on the driver after an action.

    Notes
    -----
    The model is serialised once on the driver and broadcast; each Python
    worker loads it on its first batch and keeps it, by checksum, for the
    next batches and tasks (Spark reuses its Python workers). Batches are
    Spark's Arrow batches (``spark.sql.execution.arrow.maxRecordsPerBatch``,
    10,000 rows by default); each is read, padded and classified at once.
    An accumulator updated inside a transformation counts again whenever
    Spark recomputes the partition (a retried task, a second action): for
    an exact count, count the null rows of the output.
    """
    if survey not in ALERT_HISTORY_FIELDS:
        raise ValueError(f"survey must be one of {sorted(ALERT_HISTORY_FIELDS)}; got {survey!r}.")
    spark = _spark_session(spark)
    functions = import_optional("pyspark.sql.functions", "skltransient.spark", "spark")
    types = import_optional("pyspark.sql.types", "skltransient.spark", "spark")
    payload, checksum = model_payload(model)
    classes = [str(label) for label in loaded_model(checksum, payload).classes_]
    broadcast = spark.sparkContext.broadcast(payload)
    rejects = spark.sparkContext.accumulator(0)
    names = _udf_fields(survey)
    schema = types.StructType([types.StructField(name, types.DoubleType(), True)
                               for name in classes])

    def classify(*columns: pd.Series) -> pd.DataFrame:
        history = pd.DataFrame(dict(zip(names, columns, strict=True)))
        proba, rejected = predict_alerts(loaded_model(checksum, broadcast.value), history,
                                         survey=survey, limit_sigma=limit_sigma)
        count = int(np.count_nonzero(~np.equal(rejected, None)))
        if count:
            logger.warning("Rejected %d of %d alerts of a batch; the first because %s.", count,
                           len(rejected), next(r for r in rejected if r is not None))
            rejects.add(count)
        return proba

    udf = functions.pandas_udf(classify, schema)
    udf.classes, udf.rejects = classes, rejects
    return udf


def _udf_fields(survey):
    return ALERT_HISTORY_FIELDS[survey] + (LSST_OBJECT_FIELDS if survey == "lsst" else ())


def history_columns(frame, survey="ztf"):
    """The columns of an alert DataFrame that :func:`probability_udf` takes, in its order.

    Parameters
    ----------
    frame : pyspark.sql.DataFrame
        Alerts as ZTF or Rubin packets. ZTF: ``candidate`` and
        ``prv_candidates`` (the epochs are the candidate's, then its
        history's), or else Fink's history arrays ``cjd``, ``cfid``,
        ``cmagpsf``, ``csigmapsf``, ``cdiffmaglim``, ``cisdiffpos``. Rubin:
        ``diaSource``, and where present ``prvDiaSources``,
        ``prvDiaForcedSources`` (non-detections) and ``diaObject``, with
        ELAsTiCC's field names (``midPointTai``, ``filterName``,
        ``psFlux``, ``psFluxErr``) or the current schema's
        (``midpointMjdTai``, ``band``, ``psfFlux``, ``psfFluxErr``).
    survey : {"ztf", "lsst"}, default="ztf"

    Returns
    -------
    columns : list of pyspark.sql.Column
    """
    if survey == "ztf":
        return _ztf_columns(frame)
    if survey == "lsst":
        return _lsst_columns(frame)
    raise ValueError(f"survey must be one of {sorted(ALERT_HISTORY_FIELDS)}; got {survey!r}.")


def _ztf_columns(frame):
    F = import_optional("pyspark.sql.functions", "skltransient.spark", "spark")
    fields = ALERT_HISTORY_FIELDS["ztf"]
    if "candidate" not in frame.columns:
        names = [_FINK_PREFIX + name for name in fields]
        _require(frame.columns, names, "ZTF alert DataFrame",
                 "a 'candidate' column (with 'prv_candidates') or Fink's history arrays")
        return [F.col(name) for name in names]
    return [_concat(frame, F, ("candidate", None), ("prv_candidates", None), field=field)
            for field in fields]


def _lsst_columns(frame):
    F = import_optional("pyspark.sql.functions", "skltransient.spark", "spark")
    _require(frame.columns, ["diaSource"], "Rubin alert DataFrame", "a 'diaSource' column")
    schema = {field.name for field in frame.schema["diaSource"].dataType.fields}
    renamed = {ours: theirs for theirs, ours in _RUBIN_ALIASES.items() if theirs in schema}
    parts = (("diaSource", True), ("prvDiaSources", True), ("prvDiaForcedSources", False))
    parts = [(name, flag) for name, flag in parts if name in frame.columns]
    columns = [_concat(frame, F, *parts, field=renamed.get(field, field))
               for field in ALERT_HISTORY_FIELDS["lsst"] if field != "detected"]
    columns.append(_concat(frame, F, *parts, field=None))
    object_fields = (set(f.name for f in frame.schema["diaObject"].dataType.fields)
                     if "diaObject" in frame.columns else set())
    columns += [F.col(f"diaObject.{name}").cast("double") if name in object_fields
                else F.lit(None).cast("double") for name in LSST_OBJECT_FIELDS]
    return columns


def _concat(frame, F, *parts, field):
    """One array per alert: ``field`` of a packet, then of its lists of packets (empty if null).

    With ``field=None``, the parts' flags (True, or False for forced
    photometry) instead, one per epoch: the ``detected`` column.
    """
    arrays = []
    for index, (column, flag) in enumerate(parts):
        if index == 0:  # the alert's own packet
            arrays.append(F.array(F.lit(flag) if field is None else F.col(f"{column}.{field}")))
        elif field is None:
            arrays.append(F.coalesce(F.transform(F.col(column), _constant(F, flag)),
                                     F.array().cast("array<boolean>")))
        else:
            element = _field_type(frame, column, field)
            arrays.append(F.coalesce(F.col(f"{column}.{field}"),
                                     F.array().cast(f"array<{element}>")))
    return F.concat(*arrays)


def _constant(F, flag):
    return lambda _: F.lit(flag)


def _field_type(frame, column, field):
    kind = frame.schema[column].dataType.elementType
    names = [f.name for f in kind.fields]
    if field not in names:
        raise ValueError(f"The alert DataFrame's {column!r} has no field {field!r}; its fields "
                         f"are {names}.")
    return kind[field].dataType.simpleString()


def _require(columns, names, what, expected):
    missing = [name for name in names if name not in columns]
    if missing:
        raise ValueError(f"The {what} has no column {missing[0]!r}; expected {expected}. Its "
                         f"columns are {list(columns)}.")


def add_probabilities(frame, model, *, survey="ztf", prefix="p_", limit_sigma=5.0):
    """Add one column of class probability per class to an alert DataFrame, in one call.

    Parameters
    ----------
    frame : pyspark.sql.DataFrame
        Alerts (see :func:`history_columns`).
    model : estimator, str or path
        See :func:`probability_udf`.
    survey : {"ztf", "lsst"}, default="ztf"
    prefix : str, optional
        Prefix of the new columns' names: ``"p_"`` by default (``p_SNIa``, ...).
    limit_sigma : float, default=5.0

    Returns
    -------
    frame : pyspark.sql.DataFrame
        ``frame`` with the columns ``prefix + str(label)``, null for the
        alerts that cannot be read. Lazy, as Spark is: nothing runs until
        an action.
    rejects : pyspark.Accumulator
        Counts the rejected alerts as actions run (see
        :func:`probability_udf`).
    """
    F = import_optional("pyspark.sql.functions", "skltransient.spark", "spark")
    udf = probability_udf(model, survey=survey, limit_sigma=limit_sigma,
                          spark=frame.sparkSession)
    taken = [prefix + name for name in udf.classes if prefix + name in frame.columns]
    if taken:
        raise ValueError(f"The alert DataFrame already has a column {taken[0]!r}; pass another "
                         f"prefix= or drop it.")
    struct = "__skltransient_proba"
    out = frame.withColumn(struct, udf(*history_columns(frame, survey)))
    return out.select(*[F.col(f"`{name}`") for name in frame.columns],
                      *[F.col(f"{struct}.`{name}`").alias(prefix + name) for name in udf.classes]
                      ), udf.rejects
