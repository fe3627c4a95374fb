"""A science module in the shape of Fink's (``fink_science/<survey>/<module>/processor.py``).

Fink runs each science module as a pandas UDF over columns of the alert
DataFrame, its arguments the history arrays it builds for ZTF (``cjd``,
``cfid``, ``cmagpsf``, ``csigmapsf``, ``cdiffmaglim``, ``cisdiffpos``: the
``prv_candidates`` then the ``candidate``) and a literal column naming the
model. :func:`gru_classify_ztf` and :func:`gru_classify_lsst` follow these
conventions and return, for each alert, a map from class name to
probability (null for an alert whose history cannot be read). The model
(a pretrained name such as ``"ztf-sims"``, or a folder written by
:func:`~skltransient.persistence.save_model` that every executor can read)
is loaded once per Python worker and kept.

In Fink::

    from pyspark.sql import functions as F
    from fink_utils.spark.utils import concat_col
    from skltransient.spark.processor import gru_classify_ztf

    for name in ["jd", "fid", "magpsf", "sigmapsf", "diffmaglim", "isdiffpos"]:
        df = concat_col(df, name, prefix="c")
    args = ["cjd", "cfid", "cmagpsf", "csigmapsf", "cdiffmaglim", "cisdiffpos",
            F.lit("ztf-sims")]
    df = df.withColumn("skltransient_proba", gru_classify_ztf(*args))

On a folder of alert Parquet files, from a shell::

    spark-submit --master "local[2]" skltransient/spark/processor.py \\
        --survey ztf --model ztf-sims alerts/ scores.parquet

writes the alerts' ids and one probability column per class, and prints the
number of rejected alerts.
"""

import argparse
import sys

import pandas as pd
from pyspark.sql.functions import pandas_udf
from pyspark.sql.types import DoubleType, MapType, StringType

# Absolute imports: spark-submit runs this file as a script.
from skltransient.datasets import ALERT_HISTORY_FIELDS, LSST_OBJECT_FIELDS
from skltransient.spark._udf import add_probabilities, loaded_model, model_payload, predict_alerts

__all__ = ["gru_classify_lsst", "gru_classify_ztf", "main"]


def _model(model_name):
    """The model a literal column names, loaded once per worker (and again if its files change)."""
    names = pd.unique(model_name.astype(str))
    if len(names) != 1:
        raise ValueError(f"The model column must name one model for the whole batch (a literal, "
                         f"F.lit(name)); got {list(names[:3])}.")
    payload, checksum = model_payload(str(names[0]))  # a folder's files are read, so edits reload
    return loaded_model(checksum, payload)


def _as_maps(proba, rejected):
    records = proba.to_dict("records")
    return pd.Series([None if reason is not None else record
                      for record, reason in zip(records, rejected, strict=True)])


@pandas_udf(MapType(StringType(), DoubleType()))
def gru_classify_ztf(cjd: pd.Series, cfid: pd.Series, cmagpsf: pd.Series, csigmapsf: pd.Series,
                     cdiffmaglim: pd.Series, cisdiffpos: pd.Series,
                     model_name: pd.Series) -> pd.Series:
    """Class probabilities of ZTF alerts from Fink's history arrays.

    Parameters
    ----------
    cjd, cfid, cmagpsf, csigmapsf, cdiffmaglim, cisdiffpos : Spark array columns
        Each alert's epochs (Fink's ``concat_col`` of ``prv_candidates``
        and ``candidate``).
    model_name : Spark column of str
        ``F.lit(name)``: a pretrained model or a saved model's folder.

    Returns
    -------
    proba : Spark column of map<string, double>
        Class name to probability; null where the history cannot be read.
    """
    history = pd.DataFrame(dict(zip(ALERT_HISTORY_FIELDS["ztf"],
                                    (cjd, cfid, cmagpsf, csigmapsf, cdiffmaglim, cisdiffpos),
                                    strict=True)))
    return _as_maps(*predict_alerts(_model(model_name), history, survey="ztf"))


@pandas_udf(MapType(StringType(), DoubleType()))
def gru_classify_lsst(midPointTai: pd.Series, filterName: pd.Series, psFlux: pd.Series,
                      psFluxErr: pd.Series, detected: pd.Series, z_final: pd.Series,
                      z_final_err: pd.Series, mwebv: pd.Series, mwebv_err: pd.Series,
                      ra: pd.Series, decl: pd.Series, model_name: pd.Series) -> pd.Series:
    """Class probabilities of Rubin alerts from history arrays and ``diaObject`` scalars.

    The arguments are the columns of
    ``skltransient.spark.history_columns(df, "lsst")`` and ``F.lit(name)``;
    see :func:`skltransient.datasets.read_alert_history` for their meaning.

    Returns
    -------
    proba : Spark column of map<string, double>
        Class name to probability; null where the history cannot be read.
    """
    names = ALERT_HISTORY_FIELDS["lsst"] + LSST_OBJECT_FIELDS
    columns = (midPointTai, filterName, psFlux, psFluxErr, detected, z_final, z_final_err, mwebv,
               mwebv_err, ra, decl)
    history = pd.DataFrame(dict(zip(names, columns, strict=True)))
    return _as_maps(*predict_alerts(_model(model_name), history, survey="lsst"))


def main(argv=None):
    """Classify a folder of alert Parquet files (the ``spark-submit`` entry point)."""
    from pyspark.sql import SparkSession

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input", help="alert Parquet file or folder")
    parser.add_argument("output", help="Parquet folder to write the probabilities to")
    parser.add_argument("--survey", choices=sorted(ALERT_HISTORY_FIELDS), default="ztf")
    parser.add_argument("--model", default=None,
                        help="pretrained name or saved folder (default: <survey>-sims)")
    parser.add_argument("--prefix", default="p_", help="prefix of the probability columns")
    args = parser.parse_args(argv)
    spark = SparkSession.builder.appName("skltransient").getOrCreate()
    alerts = spark.read.parquet(args.input)
    ids = [name for name in ("objectId", "candid", "alertId") if name in alerts.columns]
    classified, rejects = add_probabilities(alerts, args.model or f"{args.survey}-sims",
                                            survey=args.survey, prefix=args.prefix)
    probabilities = [name for name in classified.columns if name not in alerts.columns]
    classified.select(*ids, *probabilities).write.mode("error").parquet(args.output)
    print(f"Wrote {args.output}; {rejects.value} alerts could not be read (null probabilities).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
