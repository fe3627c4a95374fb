"""Classify alert streams on Spark: a vectorised pandas UDF over alert DataFrames.

Alert brokers such as Fink run their classifiers as Spark pandas UDFs over
the night's alert DataFrame. :func:`probability_udf` turns a fitted model
(or a pretrained model's name) into such a UDF: it takes the alerts' history
columns (:func:`history_columns`, for ZTF and Rubin packets), reads each
Arrow batch into light curves with the conversions of the package's alert
readers, and returns one probability per class; an alert it cannot read
gets nulls and is counted, and the job goes on. :func:`add_probabilities`
does it all in one call, and :func:`local_session` starts a session on this
machine to try it. :mod:`skltransient.spark.processor` wraps the same
in the conventions of a Fink science module, with a ``spark-submit`` entry
point.

Spark is an optional dependency: ``pip install "skltransient[spark]"`` (it
needs Java 17 or newer).

Examples
--------
::

    from skltransient.spark import add_probabilities, local_session

    spark = local_session(2)  # or your cluster's SparkSession
    alerts = spark.read.parquet("ztf_alerts/")
    classified, rejects = add_probabilities(alerts, "ztf-sims", survey="ztf")
    classified.select("objectId", "p_SNIa").write.parquet("scores/")
    print(rejects.value, "alerts could not be read")
"""

from ._session import local_session
from ._udf import add_probabilities, history_columns, predict_alerts, probability_udf

__all__ = ["add_probabilities", "history_columns", "local_session", "predict_alerts",
           "probability_udf"]
