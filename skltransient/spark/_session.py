"""A local Spark session with the settings the package's tests, benchmark and guide use."""

import os
import shutil
from collections.abc import Mapping

from .._optional import import_optional

__all__ = ["local_session"]

# Settings for a laptop or a shared machine: no web UI, one shuffle partition per core, times in
# UTC, and long timeouts, since a machine shared with other work starves the JVM of its heartbeats.
# Alert files are small for their cost (a megabyte holds about a thousand alerts, a second of
# CPU): split them finely, or Spark reads a file of some megabytes as one task on one core.
_DEFAULTS = {
    "spark.ui.enabled": "false",
    "spark.sql.files.maxPartitionBytes": "16m",
    "spark.sql.files.openCostInBytes": "1m",
    "spark.sql.session.timeZone": "UTC",
    "spark.network.timeout": "600s",
    "spark.executor.heartbeatInterval": "60s",
}


def local_session(n_cores=2, *, conf=None, app_name="skltransient", log_level="ERROR"):
    """A Spark session on this machine, ``local[n_cores]``, set up to classify alerts.

    What Fink's science modules are tested on, and what the package's tests,
    ``benchmarks/bench_engines.py`` and the user guide use: a web UI off,
    ``spark.sql.shuffle.partitions`` equal to ``n_cores``, session times in
    UTC, network and heartbeat timeouts long enough for a busy machine, and
    Parquet files read in tasks of at most 16 MB
    (``spark.sql.files.maxPartitionBytes``, ``openCostInBytes`` 1 MB):
    alert histories are small for the work they cost, and Spark's defaults
    (128 MB, 4 MB) read a file of a few megabytes, thousands of alerts, as
    one task on one core.

    Parameters
    ----------
    n_cores : int, default=2
        Cores of the local master, ``local[n_cores]``: Spark runs that many
        tasks, each with a Python worker, at once.
    conf : dict or None, default=None
        More Spark settings, by their full names
        (``{"spark.driver.memory": "4g"}``); they override the defaults
        above. Values are given to Spark as strings.
    app_name : str, default="skltransient"
        The application's name.
    log_level : str, default="ERROR"
        Spark's log level (``"WARN"``, ``"INFO"``, ...).

    Returns
    -------
    spark : pyspark.sql.SparkSession
        The active session. If one with the same master is already active
        it is returned with ``conf`` applied; its JVM settings (memory,
        master) stay as they were started.

    Raises
    ------
    ValueError
        If ``n_cores`` is not a positive integer, or a session with another
        master is already active (stop it first: ``spark.stop()``).
    RuntimeError
        If no Java is found (Spark needs Java 17 or newer).

    See Also
    --------
    add_probabilities : Classify the alerts of a DataFrame of this session.

    Examples
    --------
    >>> import shutil
    >>> import pytest
    >>> _ = pytest.importorskip("pyspark")
    >>> if shutil.which("java") is None:
    ...     pytest.skip("Spark needs Java")
    >>> from skltransient.spark import local_session
    >>> spark = local_session(2, conf={"spark.sql.execution.arrow.maxRecordsPerBatch": "5000"})
    >>> spark.sparkContext.master, spark.conf.get("spark.sql.shuffle.partitions")
    ('local[2]', '2')
    >>> spark.stop()
    """
    if isinstance(n_cores, bool) or not isinstance(n_cores, int) or n_cores < 1:
        raise ValueError(f"n_cores must be a positive integer (the cores of local[n_cores]); "
                         f"got {n_cores!r}.")
    if conf is not None and not isinstance(conf, Mapping):
        raise TypeError(f"conf must be a dict of Spark settings by name, such as "
                        f"{{'spark.driver.memory': '4g'}}, or None; got {type(conf).__name__}.")
    sql = import_optional("pyspark.sql", "skltransient.spark", "spark")
    master = f"local[{n_cores}]"
    active = sql.SparkSession.getActiveSession()
    if active is not None and active.sparkContext.master != master:
        raise ValueError(f"A Spark session with master {active.sparkContext.master!r} is already "
                         f"active, so {master!r} cannot start; stop it (spark.stop()) or use it.")
    if active is None and shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise RuntimeError("Spark needs Java 17 or newer, and no 'java' is on the PATH and "
                           "JAVA_HOME is not set; install a JDK (e.g. openjdk-17-jre).")
    settings = {**_DEFAULTS, "spark.sql.shuffle.partitions": str(n_cores),
                **{str(key): str(value) for key, value in (conf or {}).items()}}
    builder = sql.SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(log_level)
    return spark
