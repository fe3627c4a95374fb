"""The Parquet layout of :meth:`LightCurves.to_parquet` and :meth:`LightCurves.read_parquet`.

Layout version 2
----------------
One table with one row per observation, the objects in the collection's
order and each object's rows together and in time order:

- ``object_id``, ``time``, ``band`` (the canonical band name), ``flux``,
  ``flux_err`` and, when known, ``detected``;
- each metadata column under its own name, typed (Arrow's type for its
  pandas dtype), with the object's value repeated on each of its rows, as
  :func:`~skltransient.parallel.predict_parquet` reads it;
- ``target``, the label, when labels were written.

Row groups hold whole objects. The schema's key-value metadata
``skltransient.lightcurves`` is a JSON object with the ``layout_version``,
the ``metadata_columns`` in order, ``pandas`` (pandas' description of the
metadata table, which restores its dtypes and its index) and
``target_dtype`` (the NumPy dtype of the labels, or null without labels) and
``categories`` (for each categorical metadata column of numbers, strings or
booleans: its categories, their dtype and whether they are ordered, which
Parquet alone does not keep; absent from files of earlier versions).

Layout version 1, read for compatibility, kept the metadata and labels as a
JSON table in the schema metadata key ``skltransient.metadata``.
"""

import io
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ._optional import import_optional
from .utils import atomic_write, check_output

LAYOUT_VERSION = 2
_PARQUET_KEY = b"skltransient.lightcurves"
_LAYOUT_1_KEY = b"skltransient.metadata"
_OBSERVATION_COLUMNS = ("object_id", "time", "band", "flux", "flux_err", "detected")
_LABEL_COLUMN = "target"
# Observations per row group (a row group holds whole objects, so it may hold a few more).
_ROW_GROUP_ROWS = 2**20


class NotLightCurvesParquet(ValueError):
    """A readable Parquet file (or folder) that ``LightCurves.to_parquet`` did not write."""


def _pyarrow():
    pyarrow = import_optional("pyarrow", "Reading or writing Parquet", "io")
    import_optional("pyarrow.parquet", "Reading or writing Parquet", "io")
    return pyarrow


def save_parquet(lc, path, y, overwrite):
    """Write light curves (and labels ``y`` or None) to ``path``: :meth:`LightCurves.to_parquet`."""
    pa = _pyarrow()
    check_output(path, overwrite=overwrite)
    objects, layout = _object_table(pa, lc, y)
    edges = _row_group_edges(lc.offsets)
    groups = (_observation_table(pa, lc, objects, start, stop)
              for start, stop in zip(edges[:-1], edges[1:]))
    first = next(groups)
    schema = first.schema.with_metadata({_PARQUET_KEY: json.dumps(layout).encode()})
    # The writer completes the file (its footer) even when a write raises: only a file written
    # to the end is renamed to ``path``.
    with atomic_write(path, overwrite=overwrite) as temporary:
        with pa.parquet.ParquetWriter(temporary, schema) as writer:
            for table in (first, *groups):
                writer.write_table(table.cast(schema), row_group_size=max(len(table), 1))


def _object_table(pa, lc, y):
    """One row per object: its id, its metadata, its label; and the layout that describes them."""
    metadata = lc.metadata
    for name in metadata.columns:
        if not isinstance(name, str):
            raise TypeError(f"Metadata column {name!r} has a {type(name).__name__} name; Parquet "
                            f"columns are named by strings: rename it before writing.")
        if name in (*_OBSERVATION_COLUMNS, _LABEL_COLUMN):
            raise ValueError(
                f"Metadata column {name!r} has the name of a column of the file's layout "
                f"({', '.join((*_OBSERVATION_COLUMNS, _LABEL_COLUMN))}); rename it before "
                f"writing, e.g. lc.metadata = lc.metadata.rename(columns={{{name!r}: "
                f"'{name}_meta'}}).")
    try:
        objects = pa.Table.from_pandas(metadata.rename_axis("object_id"), preserve_index=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise TypeError(f"The metadata cannot be written to Parquet: {error}. Give each metadata "
                        f"column values of one type.") from error
    layout = {"layout_version": LAYOUT_VERSION, "metadata_columns": list(metadata.columns),
              "pandas": objects.schema.pandas_metadata, "target_dtype": None,
              "categories": _categories(metadata)}
    objects = objects.replace_schema_metadata(None)
    if y is not None:
        y = np.asarray(y)
        if y.shape != (len(lc),):
            raise ValueError(f"y has shape {y.shape}; expected ({len(lc)},), one label per object.")
        try:
            labels = pa.array(y)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise TypeError(f"The labels y cannot be written to Parquet: {error}. Give labels of "
                            f"one type (all str or all numbers).") from error
        objects = objects.append_column(_LABEL_COLUMN, labels)
        layout["target_dtype"] = y.dtype.str
    return objects, layout


def _categories(metadata):
    """Categories, their dtype and order of each categorical metadata column that JSON holds exactly.

    Parquet keeps a dictionary type only for strings, and never a category that no row uses:
    without this entry, categorical numbers would come back as plain numbers.
    """
    categories = {}
    for name in metadata.columns:
        column = metadata[name]
        if isinstance(column.dtype, pd.CategoricalDtype) and column.cat.categories.dtype.kind in "iufbO":
            values = column.cat.categories.tolist()
            if all(isinstance(v, (str, bool, int, float)) for v in values):
                categories[name] = {"values": values, "dtype": str(column.cat.categories.dtype),
                                    "ordered": bool(column.cat.ordered)}
    return categories


def _restore_categories(metadata, categories):
    """Give back the categorical columns described by :func:`_categories`."""
    for name, spec in categories.items():
        index = pd.Index(spec["values"], dtype=spec["dtype"])
        values = metadata[name].astype(object).where(metadata[name].notna(), None)
        metadata[name] = pd.Categorical(values, categories=index, ordered=spec["ordered"])
    return metadata


def _row_group_edges(offsets):
    """Object positions where row groups start, and the number of objects at the end."""
    group = offsets[:-1] // _ROW_GROUP_ROWS
    return np.concatenate([[0], np.flatnonzero(np.diff(group)) + 1, [len(group)]])


def _observation_table(pa, lc, objects, start, stop):
    """Rows of objects [start, stop): observations, then the per-object columns repeated."""
    part = lc[start:stop]
    per_object = objects.slice(start, stop - start).take(pa.array(part.object_index))
    columns = {"object_id": per_object.column("object_id"), "time": part.time,
               "band": pa.array(part.band_names, type=pa.string()), "flux": part.flux,
               "flux_err": part.flux_err}
    if part.detected is not None:
        columns["detected"] = part.detected
    columns.update((name, per_object.column(name)) for name in per_object.column_names
                   if name != "object_id")
    return pa.table(columns)


def load_parquet(cls, path):
    """Read a file or folder of :func:`save_parquet`: :meth:`LightCurves.read_parquet`."""
    path = Path(path)
    if not path.is_dir():
        lc, y, _ = _read_file(cls, path)
        return lc, y
    files = _folder_files(path)
    parts = [_read_file(cls, file) for file in files]
    for file, (_, _, schema) in zip(files[1:], parts[1:]):
        if not schema.equals(parts[0][2]):
            raise ValueError(
                f"{files[0]} and {file} in the folder {path} have different columns or types "
                f"({parts[0][2].names} and {schema.names}); a folder read as one collection "
                f"must hold files written alike by LightCurves.to_parquet.")
    _check_distinct_objects(files, [lc.object_ids for lc, _, _ in parts])
    labels = [y for _, y, _ in parts]
    return (cls.concatenate([lc for lc, _, _ in parts]),
            None if labels[0] is None else np.concatenate(labels))


def _folder_files(path):
    files = sorted(file for file in path.rglob("*.parquet") if file.is_file())
    if not files:
        raise NotLightCurvesParquet(f"The folder {path} holds no .parquet files, so it was not "
                                    f"written by LightCurves.to_parquet.")
    return files


def _check_distinct_objects(files, object_ids):
    ids = pd.Index(np.concatenate(object_ids))
    clash = ids.duplicated(keep=False)
    if clash.any():
        first = ids[clash][0]
        where = np.repeat(np.arange(len(files)), [len(part) for part in object_ids])[ids == first]
        raise ValueError(
            f"Object id {np.asarray(first).tolist()!r} is in both {files[where[0]]} and "
            f"{files[where[1]]} ({np.count_nonzero(ids.duplicated())} ids in all are in more than "
            f"one file); the files of a folder must hold distinct objects. Give the objects "
            f"distinct ids, or read the files one by one.")


def _read_file(cls, path):
    """Light curves, labels and the Arrow schema (without its metadata) of one file."""
    pa = _pyarrow()
    try:
        file = pa.parquet.ParquetFile(path)
        schema = file.schema_arrow
        entries = schema.metadata or {}
        if _PARQUET_KEY in entries:
            lc, y = _read_layout(cls, path, file, _layout(path, entries[_PARQUET_KEY]))
        elif _LAYOUT_1_KEY in entries:
            lc, y = _read_layout_1(cls, path, file.read(), entries[_LAYOUT_1_KEY])
        else:
            raise NotLightCurvesParquet(
                f"{path} was not written by LightCurves.to_parquet (its schema has no "
                f"{_PARQUET_KEY.decode()} entry); read alert files with the readers in "
                f"skltransient.datasets.")
    except (OSError, pa.ArrowInvalid) as error:
        raise ValueError(f"The file '{path}' is not a readable Parquet file; it may be truncated "
                         f"or corrupt ({type(error).__name__}: {error}).") from error
    return lc, y, schema.remove_metadata()


def _layout(path, entry):
    """The layout description of a file's schema metadata, checked to be one this module reads."""
    try:
        layout = json.loads(entry)
    except ValueError as error:
        raise ValueError(f"{path} has a damaged {_PARQUET_KEY.decode()} entry ({error}); write the "
                         f"file again with LightCurves.to_parquet.") from error
    version = layout.get("layout_version") if isinstance(layout, dict) else None
    if isinstance(version, int) and version > LAYOUT_VERSION:
        raise ValueError(f"{path} was written in Parquet layout version {version}; this "
                         f"skltransient reads layout versions 1 and {LAYOUT_VERSION}. Upgrade "
                         f"skltransient to read it.")
    if version != LAYOUT_VERSION or not {"metadata_columns", "pandas", "target_dtype"} <= set(layout):
        raise ValueError(f"{path} has a damaged {_PARQUET_KEY.decode()} entry (layout version "
                         f"{version!r}, keys {sorted(layout) if isinstance(layout, dict) else []}); "
                         f"write the file again with LightCurves.to_parquet.")
    return layout


def _read_layout(cls, path, file, layout):
    columns = [name for name in _OBSERVATION_COLUMNS if name in file.schema_arrow.names]
    observations = file.read(columns=columns)
    array = {name: observations.column(name).to_numpy() for name in columns}
    # Each object's metadata and label are on every one of its rows; take its first.
    first = np.flatnonzero(~pd.Index(array["object_id"]).duplicated())
    per_object = _take_rows(file, ["object_id", *layout["metadata_columns"]]
                            + ([_LABEL_COLUMN] if layout["target_dtype"] else []), first)
    metadata = (per_object.select(["object_id", *layout["metadata_columns"]])
                .replace_schema_metadata({b"pandas": json.dumps(layout["pandas"]).encode()})
                .to_pandas())
    metadata = _restore_categories(metadata, layout.get("categories", {}))
    y = None
    if layout["target_dtype"]:
        y = per_object.column(_LABEL_COLUMN).to_numpy().astype(np.dtype(layout["target_dtype"]))
    lc = cls.from_arrays(array["object_id"], array["time"], array["band"], array["flux"],
                         array["flux_err"], detected=array.get("detected"), metadata=metadata)
    return lc, y


def _take_rows(file, columns, rows):
    """Rows ``rows`` (increasing positions) of ``columns``, reading one row group at a time."""
    pa = _pyarrow()
    starts = np.cumsum([0] + [file.metadata.row_group(i).num_rows
                              for i in range(file.num_row_groups)])
    cuts = np.searchsorted(rows, starts)
    pieces = [file.read_row_group(i, columns=columns).take(pa.array(rows[lo:hi] - starts[i]))
              for i, (lo, hi) in enumerate(zip(cuts[:-1], cuts[1:])) if hi > lo]
    return pa.concat_tables(pieces) if pieces else file.schema_arrow.empty_table().select(columns)


def _read_layout_1(cls, path, table, payload):
    warnings.warn(
        f"{path} was written by an earlier skltransient in Parquet layout version 1, which kept "
        f"the metadata as JSON (floats to 15 significant digits); write it again with "
        f"LightCurves.to_parquet to store the metadata exactly.", UserWarning, stacklevel=5)
    # dtype=False keeps JSON's own types: the strings "01" and "1" stay two strings.
    metadata = pd.read_json(io.StringIO(payload.decode()), orient="split", dtype=False)
    metadata = metadata.set_index(metadata.columns[0])
    y = metadata.pop(_LABEL_COLUMN).to_numpy() if _LABEL_COLUMN in metadata.columns else None
    return cls.from_pandas(table.to_pandas(), metadata), y
