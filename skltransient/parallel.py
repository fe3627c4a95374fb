"""Scale out on Dask: batch prediction over Parquet datasets, and searches on a cluster.

Batch prediction
----------------
:func:`predict_parquet` classifies every object of a long observation table
stored as Parquet (one row per observation, e.g. a night of forced
photometry) with a fitted model, partition by partition on Dask workers, and
writes one row per object and one column per class. An object's
observations must all reach the same partition; ``grouping`` says how (see
:func:`predict_parquet`).

Hyper-parameter search on a cluster
-----------------------------------
scikit-learn's searches parallelise through joblib, and ``dask.distributed``
registers a joblib backend named ``"dask"`` that sends each fit to the
workers of the current :class:`~dask.distributed.Client`::

    import joblib
    from dask.distributed import Client, LocalCluster
    from sklearn.model_selection import GridSearchCV

    client = Client(LocalCluster(n_workers=4, threads_per_worker=1))
    with joblib.parallel_backend("dask"):
        search = GridSearchCV(model, param_grid, cv=3, n_jobs=-1).fit(X, y)

It finds the same best parameters as a search on one machine. Use worker
processes (the default of :class:`~dask.distributed.LocalCluster`) with one
thread each: Dask's nanny starts each worker with ``OMP_NUM_THREADS=1``, so
torch uses one thread per fit and the cores are not oversubscribed, and each
fit has a process of its own. Threads in one process (``processes=False``,
``threads_per_worker > 1`` or joblib's ``"threading"`` backend) share torch's
thread pool and its global random generator, which ``GRUClassifier`` seeds
around training: concurrent fits then oversubscribe the cores and are not
reproducible.

Dask is an optional dependency: ``pip install "skltransient[dask]"`` (or
``pip install "dask[distributed]"``).
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ._lightcurves import LightCurves, find_column
from ._optional import import_optional
from .utils import split_model
from .utils import atomic_write, check_output

__all__ = ["predict_parquet"]

_OBSERVATION_COLUMNS = ("object_id", "time", "band", "flux", "flux_err", "detected")
# Read where present: without flags, an object's trigger is its first observation.
_OPTIONAL_COLUMNS = ("detected",)
_GROUPINGS = ("sort", "files", "row_groups")
_OUTPUTS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


def predict_parquet(model, path, out, *, client=None, columns=None, metadata=None,
                    grouping="sort", survey=None, on_invalid="raise", overwrite=False):
    """Predict class probabilities of every object of a Parquet observation table with Dask.

    The table has one row per observation (object id, time, band, flux, flux
    uncertainty, and optionally detection flags and per-object metadata
    repeated on each row).
    Each Dask partition is turned into a :class:`~skltransient.LightCurves`
    and passed to ``model.predict_proba`` on a worker; the probabilities are
    written to ``out`` with one row per object and one column per class.

    Parameters
    ----------
    model : estimator
        A fitted model whose ``predict_proba`` takes a
        :class:`~skltransient.LightCurves`, such as a pipeline starting with
        a :class:`~skltransient.preprocessing.LightCurvePadder`; it must have
        ``classes_``. It is sent to the workers once.
    path : str or path-like or list of str
        A Parquet file, a directory of Parquet files (searched recursively),
        or a list of files. Anything :func:`pyarrow.dataset.dataset` opens,
        including ``s3://`` and ``gs://`` URIs.
    out : str or path-like
        Where to write the probabilities. A name ending in ``.parquet`` or
        ``.pq`` becomes a Parquet dataset: a directory with one file per
        partition, read back whole by :func:`pandas.read_parquet`. A name
        ending in ``.csv`` becomes a single CSV file. Columns: the object id
        (under the input's column name), then one per class, named by
        ``str(label)``, in the order of ``model.classes_``.
    client : dask.distributed.Client or None, default=None
        Cluster to compute on. None uses Dask's current scheduler: the
        default ``Client`` if one was created, else local threads.
    columns : dict or None, default=None
        Column names in the files for any of ``"object_id"``, ``"time"``,
        ``"band"``, ``"flux"``, ``"flux_err"``, ``"detected"``; the others
        are found by the alias map of :meth:`LightCurves.from_pandas`
        (``mjd``, ``passband``, ``FLUXCAL``, ``detected``, ...). Detection
        flags are optional and read where present: they set each object's
        trigger (its first detection), around which a padder's ``window``
        is taken, so that the probabilities equal ``predict_proba`` on the
        light curves with their flags. Only the columns needed are read.
    metadata : DataFrame or None, default=None
        Per-object metadata indexed by object id; objects it lacks get NaN,
        which a :class:`~skltransient.preprocessing.MetadataScaler` imputes.
        None takes the model's metadata columns (the ``metadata_columns`` of
        its :class:`~skltransient.preprocessing.LightCurvePadder`) from the
        observation table, the first row of each object, where present.
    grouping : {"sort", "files", "row_groups"}, default="sort"
        How each object's rows are kept in one partition:

        - ``"sort"``: partitions are Dask's sort of the table by object id
          (:meth:`dask.dataframe.DataFrame.set_index`): correct for any
          layout, and cheap when the files are already sorted by object id
          and no object straddles a row-group boundary (Dask then only
          checks the order); otherwise Dask shuffles the rows. Output rows
          are in increasing object id.
        - ``"files"``: one partition per file, nothing moved between
          workers. Each object's rows must lie in a single file (e.g. files
          written per sky region); an extra pass over the object-id column
          checks it and raises a ``ValueError`` naming the object and its
          files otherwise. Output rows are by file, then by first
          appearance.
        - ``"row_groups"``: as ``"files"``, one partition per row group.
    survey : {"ztf", "lsst"} or None, default=None
        Survey used to resolve single-letter band names.
    on_invalid : {"raise", "drop"}, default="raise"
        What to do with observations whose flux is not finite (see
        :meth:`LightCurves.from_arrays`).
    overwrite : bool, default=False
        Replace ``out`` if it exists; otherwise an existing ``out`` raises
        ``FileExistsError``. Either way ``out`` is written under a
        temporary name beside it and renamed when every partition is
        written, so that a failed run leaves no partial output (and the
        previous one, if any, whole). An ``out`` that is, contains or lies
        inside ``path`` is refused.

    Returns
    -------
    out : pathlib.Path
        Where the probabilities were written.

    See Also
    --------
    skltransient.LightCurves.from_pandas : The conversion applied to each partition.

    Notes
    -----
    Workers need skltransient and the model's libraries installed. Each
    partition holds its light curves and their padded arrays in memory at
    once, so partitions (files or row groups) of some hundreds of thousands
    of observations keep worker memory modest. For the fastest prediction
    use worker processes with one thread each (see the module docstring).

    Examples
    --------
    >>> import tempfile
    >>> import pandas as pd
    >>> import pytest
    >>> dd = pytest.importorskip("dask.dataframe")
    >>> from sklearn.pipeline import make_pipeline
    >>> from skltransient import FluxNormalizer, GRUClassifier, LightCurvePadder, MetadataScaler
    >>> from skltransient.parallel import predict_parquet
    >>> from skltransient.utils._testing import make_toy_lightcurves
    >>> lc, y = make_toy_lightcurves(30)
    >>> model = make_pipeline(LightCurvePadder(), FluxNormalizer(), MetadataScaler(),
    ...                       GRUClassifier(hidden_size=8, max_epochs=2, random_state=0)).fit(lc, y)
    >>> table = lc.to_pandas().join(lc.metadata, on="object_id")
    >>> tmp = tempfile.TemporaryDirectory()
    >>> table.to_parquet(f"{tmp.name}/night.parquet")
    >>> out = predict_parquet(model, f"{tmp.name}/night.parquet", f"{tmp.name}/proba.csv")
    >>> proba = pd.read_csv(out)
    >>> proba.shape, list(proba.columns) == ["object_id", *model.classes_]
    ((30, 4), True)
    >>> tmp.cleanup()
    """
    dask, dd = _import_dask()
    _check_model(model)
    if grouping not in _GROUPINGS:
        raise ValueError(f"grouping must be one of {_GROUPINGS}, got {grouping!r}.")
    out = _check_output(out, path, overwrite)
    dataset = _open_dataset(path)
    names = _resolve_columns(dataset.schema.names, columns, path)
    metadata_columns = _metadata_columns(model, dataset.schema.names, metadata, path)
    read_columns = list(dict.fromkeys([*filter(None, names.values()), *metadata_columns]))
    pieces = _pieces(dataset, grouping)
    empty = _text_ids(dataset.schema.empty_table().select(read_columns), read_columns[0],
                      None).to_pandas()
    frame = dd.from_map(_ReadPiece(dataset.filesystem, read_columns), pieces, meta=empty,
                        label="read-observations", enforce_metadata=False)
    id_column = names["object_id"]
    classes = [str(label) for label in model.classes_]
    if id_column in classes:
        raise ValueError(f"A class of the model is named {id_column!r}, like the object-id "
                         f"column, so the output would have two columns of that name; rename "
                         f"the column in the files and pass columns={{'object_id': <new name>}}.")
    compute = _computer(dask, client)
    if grouping == "sort":
        frame = frame.set_index(id_column)
    else:
        _check_objects_in_one_piece(dd, compute, dataset.filesystem, pieces, id_column)
    output_meta = pd.DataFrame({id_column: pd.Series(dtype=empty[id_column].dtype),
                                **{label: pd.Series(dtype=np.float64) for label in classes}})
    result = frame.map_partitions(
        _predict_partition, _shared(dask, client, model), _shared(dask, client, metadata),
        names=names, metadata_columns=metadata_columns, classes=classes, survey=survey,
        on_invalid=on_invalid, sources=None if grouping == "sort" else [_label(p) for p in pieces],
        meta=output_meta, enforce_metadata=False, align_dataframes=False)
    csv = _OUTPUTS[out.suffix.lower()] == "csv"
    with atomic_write(out, overwrite=overwrite, folder=not csv) as temporary:
        if csv:
            compute(result.to_csv(str(temporary), single_file=True, index=False, compute=False))
        else:
            # Zero-padded names, so that readers listing the files in name order keep the row order.
            compute(result.to_parquet(str(temporary), write_index=False, compute=False,
                                      name_function=_part_name(result.npartitions)))
    return out


def _shared(dask, client, value):
    """``value`` for every partition: sent to each worker once (a cluster) or a delayed object.

    On a cluster the model is scattered to every worker before the graph is built, so that the
    graph holds its key, not the model, whose serialisation within a graph fails over to
    cloudpickle and logs errors (a GRU's weak references) though the job succeeds.
    """
    if value is None:
        return None
    if client is None:
        return dask.delayed(value, pure=True)
    return client.scatter(value, broadcast=True)


def _import_dask():
    dask = import_optional("dask", "skltransient.parallel", "dask")
    return dask, import_optional("dask.dataframe", "skltransient.parallel", "dask")


def _check_model(model):
    if not hasattr(model, "predict_proba"):
        raise TypeError(f"model must have predict_proba; got {type(model).__name__}.")
    if not hasattr(model, "classes_"):
        raise ValueError(f"model must be fitted (it has no classes_); fit the "
                         f"{type(model).__name__} before predicting.")


def _check_output(out, path, overwrite):
    out = Path(out)
    if out.suffix.lower() not in _OUTPUTS:
        raise ValueError(f"out must end in .parquet, .pq or .csv to choose the format; got "
                         f"{str(out)!r}.")
    return check_output(out, inputs=path if isinstance(path, (list, tuple)) else [path],
                        overwrite=overwrite)


def _open_dataset(path):
    import pyarrow.dataset

    paths = [str(p) for p in path] if isinstance(path, (list, tuple)) else str(path)
    try:
        return pyarrow.dataset.dataset(paths, format="parquet")
    except (FileNotFoundError, OSError, ValueError) as exc:
        raise FileNotFoundError(f"Cannot open the Parquet dataset {path!r}: {exc}") from exc


def _resolve_columns(available, columns, path):
    """Map each observation column to its name in the files (None for an absent optional one)."""
    columns = dict(columns or {})
    unknown = set(columns) - set(_OBSERVATION_COLUMNS)
    if unknown:
        raise ValueError(f"columns has unknown keys {sorted(unknown)}; the keys are "
                         f"{list(_OBSERVATION_COLUMNS)}.")
    schema = pd.DataFrame(columns=list(available))
    names = {}
    for key in _OBSERVATION_COLUMNS:
        name = columns.get(key)
        if name is None:
            try:
                name = find_column(schema, key, required=key not in _OPTIONAL_COLUMNS)
            except ValueError as exc:
                raise ValueError(f"Parquet dataset {str(path)!r}: {exc}") from None
        elif name not in available:
            raise ValueError(f"Column {name!r} given for {key} is not in the Parquet dataset "
                             f"{str(path)!r}, whose columns are {list(available)}.")
        names[key] = name
    return names


def _metadata_columns(model, available, metadata, path):
    """Metadata columns of the model to read from the observation table."""
    if metadata is not None:
        if not isinstance(metadata, pd.DataFrame):
            raise TypeError(f"metadata must be a pandas DataFrame indexed by object id or None; "
                            f"got {type(metadata).__name__}.")
        return []
    wanted = list(dict.fromkeys(name for step in _steps_of(model)
                                for name in getattr(step, "metadata_columns", ())))
    missing = [name for name in wanted if name not in available]
    if missing:
        warnings.warn(f"Metadata columns {missing} that the model uses are not in the Parquet "
                      f"dataset {str(path)!r}; the model sees them as missing (NaN). Pass "
                      f"metadata= to supply them.", UserWarning, stacklevel=3)
    return [name for name in wanted if name in available]


def _steps_of(model):
    """The model's steps, through the one helper that unwraps a TransferClassifier."""
    try:
        steps, classifier = split_model(model)
    except TypeError:  # not a GRU model: any fitted scikit-learn pipeline or estimator
        steps = list(model.steps) if hasattr(model, "steps") else [("model", model)]
        return [step for _, step in steps]
    return [step for _, step in steps] + [classifier]


def _pieces(dataset, grouping):
    """(file, row group or None) of each partition: row groups for "sort" and "row_groups"."""
    pieces = []
    for fragment in dataset.get_fragments():
        if grouping == "files":
            pieces.append((fragment.path, None))
        else:
            pieces.extend((fragment.path, i) for i in range(fragment.metadata.num_row_groups))
    if not pieces:
        raise ValueError("The Parquet dataset has no files or no row groups.")
    return pieces


def _label(piece):
    path, row_group = piece
    return path if row_group is None else f"{path} (row group {row_group})"


class _ReadPiece:
    """Read the needed columns of one file or row group into a DataFrame (on a worker)."""

    def __init__(self, filesystem, columns):
        self.filesystem = filesystem
        self.columns = columns

    def __call__(self, piece):
        import pyarrow.parquet as pq

        import pyarrow as pa

        path, row_group = piece
        try:
            with self.filesystem.open_input_file(path) as handle:
                parquet = pq.ParquetFile(handle)
                if row_group is None:
                    table = parquet.read(columns=self.columns)
                else:
                    table = parquet.read_row_group(row_group, columns=self.columns)
        except (OSError, pa.ArrowException) as error:
            raise ValueError(f"{_label(piece)} cannot be read as Parquet; it may be truncated or "
                             f"corrupt ({type(error).__name__}: {' '.join(str(error).split())}).") from error
        return _text_ids(table, self.columns[0], piece).to_pandas()


def _text_ids(table, id_column, piece):
    """``table`` with binary object ids decoded as UTF-8 text; ids that are not UTF-8 are refused."""
    import pyarrow as pa

    ids = table.column(id_column)
    if not (pa.types.is_binary(ids.type) or pa.types.is_large_binary(ids.type)):
        return table
    try:
        text = ids.cast(pa.large_string())
    except pa.ArrowInvalid:
        for value in ids.to_pylist():  # only to name the first bad id
            try:
                value is None or value.decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError(
                    f"{_label(piece)}: column {id_column!r} holds object id {value!r}, which is not "
                    f"UTF-8 text; write the ids as text (e.g. decoded, or in hexadecimal).") from None
        raise
    return table.set_column(table.schema.get_field_index(id_column), id_column, text)


def _check_objects_in_one_piece(dd, compute, filesystem, pieces, id_column):
    """Raise if an object's rows are in more than one file (or row group)."""
    ids = dd.from_map(_UniqueIds(filesystem, id_column), list(enumerate(pieces)),
                      label="read-object-ids", enforce_metadata=False)
    counts = ids[id_column].value_counts()
    (repeated,) = compute(counts[counts > 1].head(1, npartitions=-1, compute=False))
    if len(repeated):
        value = repeated.index[0]
        (where,) = compute(ids[ids[id_column] == value]["piece"])
        places = ", ".join(_label(pieces[i]) for i in sorted(set(where.tolist())))
        raise ValueError(
            f"Object {value!r} has rows in more than one partition ({places}); grouping='files' "
            f"and 'row_groups' need each object's rows in one file or row group. Use "
            f"grouping='sort', or rewrite the files grouped by object.")


class _UniqueIds(_ReadPiece):
    """The distinct object ids of one piece and the piece's number."""

    def __init__(self, filesystem, id_column):
        super().__init__(filesystem, [id_column])

    def __call__(self, numbered_piece):
        number, piece = numbered_piece
        ids = super().__call__(piece)[self.columns[0]].drop_duplicates()
        return pd.DataFrame({self.columns[0]: ids.to_numpy(), "piece": number})


def _part_name(n_partitions):
    width = len(str(max(n_partitions - 1, 0)))
    return lambda i: f"part.{i:0{width}d}.parquet"


def _computer(dask, client):
    if client is None:
        return dask.compute
    return lambda *values: dask.compute(*values, scheduler=client)


def _predict_partition(frame, model, metadata, *, names, metadata_columns, classes, survey,
                       on_invalid, sources, partition_info=None):
    """Probabilities of the objects of one partition (runs on a worker)."""
    id_column = names["object_id"]
    if id_column not in frame.columns:
        frame = frame.reset_index()
    if len(frame) == 0:
        return pd.DataFrame({id_column: frame[id_column].to_numpy(),
                             **{label: np.empty(0) for label in classes}})
    ids = frame[id_column]
    if metadata is not None:
        per_object = metadata.reindex(pd.unique(ids.to_numpy()))
    elif metadata_columns:
        per_object = frame.groupby(id_column, sort=False)[metadata_columns].first()
    else:
        per_object = pd.DataFrame(index=pd.Index(pd.unique(ids.to_numpy()), name=id_column))
    try:
        lc = LightCurves.from_pandas(
            frame, per_object, object_id=id_column, time=names["time"], band=names["band"],
            flux=names["flux"], flux_err=names["flux_err"], detected=names["detected"],
            survey=survey, on_invalid=on_invalid)
        proba = model.predict_proba(lc)
    except ValueError as exc:
        where = "the Parquet dataset"
        if sources is not None and partition_info is not None:
            where = sources[partition_info["number"]]
        raise ValueError(f"{where}: {exc}") from exc
    result = pd.DataFrame(np.asarray(proba, dtype=np.float64), columns=classes)
    result.insert(0, id_column, lc.object_ids)
    return result
