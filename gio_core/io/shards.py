"""A pool as a folder (or glob, or URI) of Parquet shards (:class:`ParquetDataset`): rows numbered in (sorted
file name, row) order, every shard checked from its footer before any row is read (columns, types,
dimensions), the vectors a ``list<float>`` or fixed-size-list column or numeric columns
(:func:`dataset_vectors`), and the target matched to them (:func:`target_vectors`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .columns import _looks_like_id_name, _names, _short
from .errors import DataError
from .tables import LoadedData
from .vectors import (
    _POSITION_NOTE,
    _describe_columns,
    _handle_nonfinite,
    _width_fix,
    check_target_rows_for_k,
    extract_vectors,
)

logger = logging.getLogger(__name__)

__all__ = [
    "ParquetDataset",
    "ShardVectors",
    "dataset_vectors",
    "is_parquet_dataset",
    "list_parquet_shards",
    "open_parquet_dataset",
    "target_vectors",
]


@dataclass(frozen=True)
class ParquetDataset:
    """A pool stored as Parquet shards (a folder or a glob), listed and checked but not read.

    Rows are numbered in (sorted file name, row) order: that number is ``gio_row`` in every engine.

    Attributes
    ----------
    name : str
        The folder or glob as given, for messages.
    files : tuple of str
        The shards, sorted by path.
    row_counts : tuple of int
        Rows of each shard (from its footer).
    n_rows : int
    n_bytes : int
        Bytes of all shards.
    sha256 : str
        SHA-256 of the listing (each shard's relative name, size and row count): pins the input in a
        manifest without reading every byte of a pool that may be terabytes.
    schema : pyarrow.Schema
        The first shard's schema.
    format : str, default='parquet shards'
    """

    name: str
    files: tuple
    row_counts: tuple
    n_rows: int
    n_bytes: int
    sha256: str
    schema: Any = field(repr=False)
    path: str | None = None
    format: str = "parquet shards"

    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)

    @property
    def offsets(self) -> NDArray[np.int64]:
        """Global number of each shard's first row."""
        return np.concatenate([[0], np.cumsum(self.row_counts)[:-1]]).astype(np.int64)


@dataclass(frozen=True)
class ShardVectors:
    """Where a :class:`ParquetDataset`'s vectors are: one list column or numeric columns.

    Attributes
    ----------
    width : int
        Vector dimension.
    vector_column : str or None
    columns : tuple of str
    description : str
    """

    width: int
    vector_column: str | None
    columns: tuple
    description: str

    @property
    def source(self) -> str:
        return "vector_column" if self.vector_column is not None else "columns"

    def choice(self) -> dict:
        return {
            "columns": list(self.columns) if self.vector_column is None else None,
            "vector_column": self.vector_column,
            "text_column": None,
            "text_model": None,
        }

    def description_for(self, target: LoadedData) -> str:
        """:attr:`description`, saying so when ``target`` has no column names (a bare array or a table without a
        header) and :func:`target_vectors` matches its columns to these by position."""
        if target.has_column_names:
            return self.description
        return f"{self.description}; {_POSITION_NOTE} ({target.name} has no column names)"

    def rows(self, dataset: ParquetDataset):
        """A :class:`gio_core.io.largefiles.ParquetShards` reading these vectors in chunks."""
        from .largefiles import ParquetShards

        return ParquetShards(dataset.files, self.width, columns=self.columns or None, vector_column=self.vector_column)


_GLOB_CHARACTERS = set("*?[")
_PARQUET_SUFFIXES = (".parquet", ".pq")


def is_parquet_dataset(source) -> bool:
    """True for a folder, a glob pattern or a URI (``hdfs://``, ``s3a://``, ``file://``): a pool of Parquet
    shards; False for one local file or bytes."""
    if not isinstance(source, (str, os.PathLike)):
        return False
    text = str(source)
    return "://" in text or Path(text).is_dir() or (bool(_GLOB_CHARACTERS & set(text)) and not Path(text).exists())


def _remote(uri: str):
    """pyarrow's file system and path for a URI; Hadoop's s3a:// and s3n:// are pyarrow's s3://."""
    from pyarrow import fs

    try:
        return fs.FileSystem.from_uri(re.sub(r"^s3[an]://", "s3://", uri))
    except Exception as error:
        raise DataError(
            f"{uri}: cannot open that location from here ({_short(error)}); check the URI, or copy the "
            "shards to a local folder.",
            code="missing",
        ) from error


def _is_shard_name(relative: str) -> bool:
    parts = relative.replace("\\", "/").split("/")
    return parts[-1].lower().endswith(_PARQUET_SUFFIXES) and not any(part.startswith(("_", ".")) for part in parts)


def list_parquet_shards(source: str | os.PathLike) -> list[str]:
    """The Parquet files of a folder (recursively; names starting with ``_`` or ``.`` skipped), a glob or a
    URI of a folder or file, sorted."""
    import glob

    text = str(source)
    if "://" in text:
        from pyarrow import fs

        filesystem, path = _remote(text)
        scheme, rest = text.split("://", 1)
        root = rest[: len(rest) - len(path.lstrip("/"))] if rest.endswith(path.lstrip("/")) else ""
        if scheme == "file":  # a local folder spelled as a URI
            return list_parquet_shards(path)
        info = filesystem.get_file_info(path)
        if info.type == fs.FileType.File:
            return [text]
        if info.type != fs.FileType.Directory:
            return []
        found = [
            item.path
            for item in filesystem.get_file_info(fs.FileSelector(path, recursive=True))
            if item.type == fs.FileType.File and _is_shard_name(item.path[len(path) :].lstrip("/"))
        ]
        return sorted(f"{scheme}://{root}{item.lstrip('/')}" for item in found)
    if Path(text).is_dir():
        found = [
            str(path)
            for path in Path(text).rglob("*")
            if path.is_file()
            and path.name.lower().endswith(_PARQUET_SUFFIXES)
            and not any(part.startswith(("_", ".")) for part in path.relative_to(text).parts)
        ]
    else:
        found = [path for path in glob.glob(text, recursive=True) if Path(path).is_file()]
    return sorted(found)


def open_parquet_dataset(source: str | os.PathLike, *, name: str | None = None) -> ParquetDataset:
    """List and check a folder or glob of Parquet shards (footers only; no rows are read).

    Parameters
    ----------
    source : str or PathLike
        A folder (its ``*.parquet``/``*.pq`` files, recursively) or a glob such as ``data/part-*.parquet``.
    name : str, optional
        Shown in messages (default: ``source``).

    Returns
    -------
    ParquetDataset

    Raises
    ------
    DataError
        No Parquet files, a damaged shard, or no rows at all.

    Examples
    --------
    >>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
    >>> folder = tempfile.mkdtemp()
    >>> pq.write_table(pa.table({"x": [1.0, 2.0]}), f"{folder}/part-0.parquet")
    >>> open_parquet_dataset(folder).n_rows
    2
    """
    import pyarrow as pa

    shown = name or str(source)
    files = list_parquet_shards(source)
    if not files:
        where = "folder" if Path(str(source)).is_dir() else "pattern"
        raise DataError(
            f"{shown}: the {where} holds no Parquet files (*.parquet); point pool= at the folder or glob "
            "of the shards.",
            code="empty",
        )
    digest = hashlib.sha256()
    counts, total_bytes, schema = [], 0, None
    root = str(source) if "://" in str(source) or Path(str(source)).is_dir() else os.path.dirname(str(source))
    for path in files:
        try:
            metadata = _read_metadata(path)
            if schema is None:
                schema = _read_schema(path)
        except (pa.ArrowException, OSError) as error:
            raise DataError(
                f"{Path(path).name} (in {shown}) could not be read as Parquet ({_short(error)}); the shard "
                "is damaged or truncated; write it again.",
                code="truncated",
            ) from error
        size = _file_size(path)
        counts.append(int(metadata.num_rows))
        total_bytes += size
        relative = path[len(root) :].lstrip("/") if path.startswith(root) else os.path.relpath(path, root or ".")
        digest.update(f"{relative}\t{size}\t{metadata.num_rows}\n".encode())
    if sum(counts) == 0:
        raise DataError(f"{shown}: its {len(files)} Parquet file(s) hold no rows; add rows.", code="header_only")
    return ParquetDataset(
        name=shown,
        files=tuple(files),
        row_counts=tuple(counts),
        n_rows=int(sum(counts)),
        n_bytes=int(total_bytes),
        sha256=digest.hexdigest(),
        schema=schema,
        path=str(source),
    )


def _read_footer(path: str, read):
    """``read(file)`` (pyarrow's read_metadata or read_schema) on a local path or a remote URI."""
    if "://" in path:
        filesystem, inner = _remote(path)
        with filesystem.open_input_file(inner) as handle:
            return read(handle)
    return read(path)


def _read_metadata(path: str):
    import pyarrow.parquet as pq

    return _read_footer(path, pq.read_metadata)


def _read_schema(path: str):
    import pyarrow.parquet as pq

    return _read_footer(path, pq.read_schema)


def _file_size(path: str) -> int:
    if "://" in path:
        filesystem, inner = _remote(path)
        return int(filesystem.get_file_info(inner).size)
    return os.path.getsize(path)


def _arrow_is_number(type_) -> bool:
    import pyarrow.types as patypes

    return patypes.is_integer(type_) or patypes.is_floating(type_) or patypes.is_decimal(type_)


def _arrow_is_vector(type_) -> bool:
    import pyarrow.types as patypes

    return (
        patypes.is_list(type_) or patypes.is_large_list(type_) or patypes.is_fixed_size_list(type_)
    ) and _arrow_is_number(type_.value_type)


def _shard_vector_width(path: str, column: str, type_) -> int | None:
    """A shard's vector length: from the type (fixed-size lists) or its first non-null vector."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    import pyarrow.types as patypes

    if patypes.is_fixed_size_list(type_):
        return int(type_.list_size)
    if "://" in path:
        filesystem, inner = _remote(path)
        source = filesystem.open_input_file(inner)
    else:
        source = path
    for batch in pq.ParquetFile(source).iter_batches(batch_size=256, columns=[column]):
        lengths = pc.drop_null(pc.list_value_length(batch.column(0)))
        if len(lengths):
            return int(lengths[0].as_py())
    return None


def dataset_vectors(
    dataset: ParquetDataset,
    *,
    columns: Sequence[str] | None = None,
    vector_column: str | None = None,
    id_column: str | None = None,
) -> ShardVectors:
    """Choose and check the vectors of every shard, before any row is read.

    Parameters
    ----------
    dataset : ParquetDataset
    columns : sequence of str, optional
        Numeric columns forming the vector.
    vector_column : str, optional
        A list or fixed-size-list column of numbers.
    id_column : str, optional
        A column that names each row: checked in every shard, never a vector dimension.

    Without ``columns``/``vector_column``: the only list-of-numbers column, else every numeric column
    (ids and labels left out, as :func:`numeric_columns` does).

    Returns
    -------
    ShardVectors

    Raises
    ------
    DataError
        A column missing from a shard or of the wrong type, several vector columns, no vectors, empty
        vectors, or shards whose vectors have different dimensions.
    """

    if columns is not None and vector_column is not None:
        raise ValueError("pass columns= or vector_column=, not both; they are two ways to say where the vectors are.")
    schema = dataset.schema
    if vector_column is None and columns is None:
        vectors = [item.name for item in schema if _arrow_is_vector(item.type)]
        if len(vectors) > 1:
            raise DataError(
                f"{dataset.name} has several vector columns ({_names(vectors)}); choose one (vector_column=).",
                code="column",
            )
        if vectors:
            vector_column = vectors[0]
        else:
            columns = [
                item.name
                for item in schema
                if _arrow_is_number(item.type) and item.name != id_column and not _looks_like_id_name(item.name)
            ]
            if not columns:
                raise DataError(
                    f"{dataset.name} has no numeric or list-of-numbers columns; name the vector column "
                    "(vector_column=) or the numeric columns (columns=).",
                    code="column",
                )
    # the numeric columns, given or chosen above (empty with a vector column)
    numeric_names = () if vector_column is not None else tuple(columns or ())
    needed = [vector_column] if vector_column is not None else list(numeric_names)
    needed += [id_column] if id_column else []
    widths: dict[str, int] = {}
    for path in dataset.files:
        shard = _read_schema(path)
        shown = f"{Path(path).name} (in {dataset.name})"
        for column in needed:
            if column not in shard.names:
                role = (
                    "the id column"
                    if column == id_column
                    else "the vector column"
                    if column == vector_column
                    else "the vector columns"
                )
                raise DataError(
                    f"{shown} has no column `{column}` (for {role}); its columns are "
                    f"{_names(shard.names, 12)}. Every shard needs it.",
                    code="column",
                )
        if vector_column is not None:
            type_ = shard.field(vector_column).type
            if not _arrow_is_vector(type_):
                raise DataError(
                    f"{shown}: column `{vector_column}` holds {type_}, not a list of numbers; choose a "
                    "list<float> or fixed-size list column.",
                    code="column",
                )
            width = _shard_vector_width(path, vector_column, type_)
            if width is not None:
                widths[path] = width
        else:
            bad = [column for column in numeric_names if not _arrow_is_number(shard.field(column).type)]
            if bad:
                raise DataError(
                    f"{shown}: column(s) {_names(bad)} are not numeric; choose numeric columns or a vector column.",
                    code="column",
                )
    if vector_column is None:
        names = tuple(str(column) for column in numeric_names)
        return ShardVectors(
            width=len(names), vector_column=None, columns=names, description=_describe_columns(list(names))
        )
    distinct = sorted(set(widths.values()))
    if not distinct:
        raise DataError(
            f"{dataset.name}: column `{vector_column}` holds no vectors (every cell is empty); choose another column.",
            code="empty",
        )
    if len(distinct) > 1:
        first = next(iter(widths))
        other = next(path for path, width in widths.items() if width != widths[first])
        raise DataError(
            f"{dataset.name}: shards have vectors of different dimensions in `{vector_column}`: "
            f"{Path(first).name} has {widths[first]}-d, {Path(other).name} has {widths[other]}-d; write "
            "every shard with the same dimension.",
            code="dimension",
        )
    if distinct[0] == 0:
        raise DataError(
            f"{dataset.name}: column `{vector_column}` holds empty vectors ([]); write the vectors' values.",
            code="ragged",
        )
    return ShardVectors(
        width=distinct[0],
        vector_column=vector_column,
        columns=(),
        description=f"vector column `{vector_column}` ({distinct[0]}-d)",
    )


def target_vectors(
    target: LoadedData, vectors: ShardVectors, *, pool_name: str, drop_nonfinite: bool = False, k: int | None = None
) -> tuple[NDArray[np.float32], NDArray[np.int64], int]:
    """The target's vectors for a pool of shards: the same columns, checked like :func:`prepare_vectors`.

    A target without column names (a bare ``.npy``/``.npz`` array, or a CSV without a header line) is
    matched to the pool's vector columns by position; :meth:`ShardVectors.description_for` says so.

    Raises
    ------
    DataError
        The target lacks the pool's columns, or its width differs from the pool's (the message names
        both widths), NaN/inf rows (unless ``drop_nonfinite``), too few rows for ``k``.

    Returns
    -------
    vectors : ndarray of float32, shape (n_kept, d)
    rows : ndarray of int64
        File rows kept.
    dropped : int
        Rows with NaN/inf dropped (``drop_nonfinite``).
    """
    if not target.has_column_names:
        # a bare array, or a table without a header: its columns are matched to the pool's by position
        matrix = extract_vectors(target)
        what = "a bare array" if target.array is not None else "a table without a header line"
        if matrix.shape[1] != vectors.width:
            # fewer columns can always be chosen from the pool's; whether it has more, its schema would say
            fix = _width_fix(
                pool_name,
                target.name,
                vectors.width,
                matrix.shape[1],
                by_columns=vectors.vector_column is None,
                can_choose=matrix.shape[1] < vectors.width,
            )
            raise DataError(
                f"{target.name} is {what} with {matrix.shape[1]} columns, matched by position to the "
                f"{vectors.width} vector dimensions of {pool_name} ({vectors.description}), so the widths "
                f"must agree; {fix}.",
                code="dimension",
            )
        logger.info(
            "%s is %s: its %d columns are matched to %s's vector columns (%s) by position",
            target.name,
            what,
            matrix.shape[1],
            pool_name,
            vectors.description,
        )
    else:
        matrix = extract_vectors(target, columns=list(vectors.columns) or None, vector_column=vectors.vector_column)
    if matrix.shape[1] != vectors.width:
        raise DataError(
            f"{pool_name} has {vectors.width}-d vectors but {target.name} has {matrix.shape[1]}-d; embed "
            "both with the same model or pick the same columns.",
            code="dimension",
        )
    matrix, rows, dropped = _handle_nonfinite(matrix, target, drop_nonfinite)
    if k is not None:
        check_target_rows_for_k(matrix.shape[0], k, target.name, dropped=dropped)
    return matrix, rows, dropped
