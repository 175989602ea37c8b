"""Pool and target as two float32 matrices in one space (:func:`prepare_vectors`): numeric columns, one column
holding a vector per row (``"[0.1, -0.5]"``, as grad-info-opt's CSV/TSV reader takes), a text column embedded
by :mod:`gio_core.io.embeddings`, or a bare array. A file without column names (a bare array, a headerless
CSV) is matched to a named one by position; rows with NaN or inf are refused or, when asked, dropped; the
target must hold at least ``k + 1`` rows. Every problem raises a one-line :class:`gio_core.io.DataError`.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from .columns import _check_column, _is_texty, _names, numeric_columns, text_columns, vector_list_columns
from .errors import DataError
from .tables import LoadedData

logger = logging.getLogger(__name__)

__all__ = ["PreparedVectors", "check_target_rows_for_k", "extract_vectors", "prepare_vectors"]

_PARSE_CHUNK_ROWS = 20_000


@dataclass(frozen=True)
class PreparedVectors:
    """Pool and target vectors in one space, ready for :class:`gio_core.GIOSelector`.

    Attributes
    ----------
    pool, target : ndarray of float32, shapes (n_pool, d) and (n_target, d)
        Only the rows kept (see ``pool_rows``/``target_rows``).
    description : str
        Where the vectors came from, for people: ``"12 numeric columns (x0 … x11)"``,
        ``"vector column `_c2` (768-d)"``, ``"text column `text` embedded with tfidf (1024-d)"``.
    text_model : str or None
        The text model used, when a text column was embedded.
    pool_nonfinite_rows, target_nonfinite_rows : int
        Rows with NaN or inf that were dropped (``drop_nonfinite=True``); 0 otherwise.
    pool_rows, target_rows : ndarray of int64
        Row numbers (0-based, in the files) of the rows kept: ``pool[i]`` is file row ``pool_rows[i]``.
        Map selected indices back with ``pool_rows[selected_indices]``.
    source : str
        ``'array'``, ``'columns'``, ``'vector_column'`` or ``'text_column'``.
    columns : tuple of str
        The numeric columns used (``source='columns'``).
    vector_column, text_column : str or None
        The column used (``source='vector_column'`` / ``'text_column'``).
    matched_by_position : bool, default=False
        One file had no column names (a bare ``.npy``/``.npz`` array or a CSV without a header) and the
        other had: its columns were matched to the other file's vector columns by position, in order.
        :attr:`description` says so.
    target_choice : dict or None, default=None
        With a bare pool matched by position: the ``columns``/``vector_column`` named in the target, as
        given (None when the target's default columns were used), so that :meth:`choice` repeats them.
    """

    pool: NDArray[np.float32] = field(repr=False)
    target: NDArray[np.float32] = field(repr=False)
    description: str
    text_model: str | None
    pool_nonfinite_rows: int
    target_nonfinite_rows: int
    pool_rows: NDArray[np.int64] = field(repr=False)
    target_rows: NDArray[np.int64] = field(repr=False)
    source: str = "columns"
    columns: tuple[str, ...] = ()
    vector_column: str | None = None
    text_column: str | None = None
    matched_by_position: bool = False
    target_choice: dict | None = None

    @property
    def dimensions(self) -> int:
        return int(self.pool.shape[1])

    def choice(self) -> dict:
        """The vector choice as keyword arguments of :func:`prepare_vectors` (for a run manifest)."""
        if self.target_choice is not None:  # a bare pool: the columns were named in the target
            return {
                "columns": self.target_choice.get("columns"),
                "vector_column": self.target_choice.get("vector_column"),
                "text_column": None,
                "text_model": None,
            }
        return {
            "columns": list(self.columns) if self.source == "columns" else None,
            "vector_column": self.vector_column,
            "text_column": self.text_column,
            "text_model": self.text_model,
        }


def extract_vectors(
    data: LoadedData, *, columns: Sequence[str] | None = None, vector_column: str | None = None
) -> NDArray[np.float32]:
    """The vectors of one file as a float32 matrix (NaN/inf are kept; :func:`prepare_vectors` checks them).

    Parameters
    ----------
    data : LoadedData
    columns : sequence of str, optional
        Numeric columns forming the vector.
    vector_column : str, optional
        A column holding a whole vector per row (``"[0.1, -0.5]"`` strings or lists).

    Without either: a ``.npy``/``.npz`` array; else the only vector column; else every numeric column
    (:func:`numeric_columns`).

    Returns
    -------
    ndarray of float32, shape (n_rows, d)
        For a float32 ``.npy`` read from a path, the memory map itself (no copy); for another dtype, a
        float32 copy converted chunk by chunk (the file is never held whole in its own dtype). For the
        float columns of a wide Parquet table, their shared float32 block, read-only (no copy).

    Raises
    ------
    DataError
        A column is missing or not numeric, vectors have different lengths or hold non-numbers, or
        the file holds no vectors (text only: embed it with ``prepare_vectors(text_column=...)``).
    """
    if columns is not None and vector_column is not None:
        raise ValueError("pass columns= or vector_column=, not both; they are two ways to say where the vectors are.")
    if data.array is not None:
        if columns is not None or vector_column is not None:
            raise DataError(
                f"{data.name} is a {data.format} array: its vectors have no columns to choose; leave "
                "columns/vector column empty.",
                code="column",
            )
        return _as_float32(data.array)
    if vector_column is not None:
        _check_column(data, vector_column, "the vector column")
        return _parse_vector_column(data, vector_column)
    if columns is not None:
        columns = [str(column) for column in columns]
        if not columns:
            raise DataError(
                f"{data.name}: the list of columns is empty; name at least one numeric column.", code="column"
            )
        for column in columns:
            _check_column(data, column, "the vector columns")
        allowed = set(numeric_columns(data, include_ids=True))
        bad = [column for column in columns if column not in allowed]
        if bad:
            raise DataError(
                f"{data.name}: column(s) {_names(bad)} are not numeric; choose numeric columns "
                f"({_names(numeric_columns(data), 12) or 'none'}) or use a vector or text column.",
                code="column",
            )
        return _columns_to_float32(data, columns)
    vectors = vector_list_columns(data)
    if len(vectors) == 1:
        return _parse_vector_column(data, vectors[0])
    if len(vectors) > 1:
        raise DataError(
            f"{data.name} has several vector columns ({_names(vectors)}); choose one (vector_column=).", code="column"
        )
    numeric = numeric_columns(data)
    if numeric:
        return _columns_to_float32(data, numeric)
    texts = text_columns(data)
    hint = f"; embed its text column (text_column='{texts[0]}')" if texts else ""
    raise DataError(f"{data.name} has no numeric or vector columns{hint}.", code="column")


def _as_float32(array) -> NDArray[np.float32]:
    if isinstance(array, np.ndarray) and array.dtype == np.float32:
        return array
    from .largefiles import to_float32

    # chunk by chunk: a float64 .npy is never held whole as float64 beside its float32 copy
    return to_float32(array)


def _columns_to_float32(data: LoadedData, columns: list[str]) -> NDArray[np.float32]:
    """Numeric columns as a float32 matrix: the Parquet float block itself (read-only, no copy) when the columns
    are exactly its columns, else a copy."""
    if data.column_block is not None:
        names, block = data.column_block
        if tuple(columns) == tuple(names):
            view = block.view()
            view.flags.writeable = False  # the frame's columns share this memory
            return view
        where = {name: position for position, name in enumerate(names)}
        if all(column in where for column in columns):
            return np.ascontiguousarray(block[:, [where[column] for column in columns]])
    return _frame_to_float32(data.frame, columns)


def _frame_to_float32(frame: pd.DataFrame, columns: list[str]) -> NDArray[np.float32]:
    out = np.empty((len(frame), len(columns)), dtype=np.float32)
    for position, column in enumerate(columns):
        out[:, position] = frame[column].to_numpy(dtype=np.float32, na_value=np.nan)
    return out


def _parse_vector_column(data: LoadedData, column: str) -> NDArray[np.float32]:
    series = data.frame[column]
    values = series.tolist()
    width = None
    for row, value in enumerate(values):
        if isinstance(value, str) and not value.strip():
            continue
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        width = _vector_width(value, data.name, column, row)
        first_row = row
        break
    if width is None:
        raise DataError(
            f"{data.name}: column `{column}` holds no vectors (every cell is empty); choose another column.",
            code="empty",
        )
    if width == 0:
        raise DataError(
            f"{data.name}: column `{column}` holds empty vectors ([]); write the vectors' values.", code="ragged"
        )
    out = np.empty((len(values), width), dtype=np.float32)
    for start in range(0, len(values), _PARSE_CHUNK_ROWS):
        chunk = values[start : start + _PARSE_CHUNK_ROWS]
        fast = _parse_vector_chunk_fast(chunk, width)
        if fast is None:  # something is off in this chunk: the row-by-row parser says what and where
            fast = _parse_vector_chunk(chunk, width, data.name, column, start, first_row)
        out[start : start + len(chunk)] = fast
    return out


def _is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _parse_vector_chunk_fast(chunk: list, width: int) -> NDArray[np.float32] | None:
    """Parse a chunk of well-formed vectors in C; None when any row needs the careful parser."""
    first = next((value for value in chunk if not _is_missing(value)), None)
    if first is None:
        return None
    if isinstance(first, (np.ndarray, list, tuple)):
        try:
            rows = [np.full(width, np.nan) if _is_missing(value) else value for value in chunk]
            if any(len(row) != width for row in rows):
                return None
            stacked = np.asarray(np.stack(rows), dtype=np.float32) if rows else np.empty((0, width), np.float32)
        except (TypeError, ValueError):
            return None
        return stacked if stacked.shape == (len(chunk), width) else None
    if not isinstance(first, str):
        return None
    inner = []
    for value in chunk:
        if _is_missing(value):
            inner.append("")
            continue
        if not isinstance(value, str):
            return None
        text = value.strip()
        if not text:
            inner.append("")
            continue
        if text[0] != "[" or text[-1] != "]":
            return None
        body = text[1:-1]
        if body.count(",") != width - 1:  # whitespace-separated, trailing commas, ragged: careful parser
            return None
        inner.append(body)
    try:
        parsed = pd.read_csv(
            io.StringIO("\n".join(inner)),
            header=None,
            sep=",",
            dtype=np.float32,
            engine="c",
            skip_blank_lines=False,
            skipinitialspace=True,
            keep_default_na=False,
            na_values=["", "nan", "NaN", "NAN", "-nan", "null", "None"],
        )
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        return None
    values = parsed.to_numpy(dtype=np.float32)
    return values if values.shape == (len(chunk), width) else None


def _vector_width(value, name, column, row) -> int:
    if isinstance(value, str):
        inner = value.strip().removeprefix("[").removesuffix("]").strip().rstrip(",")
        if not inner:
            return 0
        return len(inner.split(",")) if "," in inner else len(inner.split())
    if isinstance(value, (list, tuple, np.ndarray)):
        return len(value)
    raise DataError(
        f"{name}: column `{column}` row {row + 1} holds {type(value).__name__} {str(value)[:30]!r}, not a "
        "vector; choose a column of vectors like [0.1, -0.5].",
        code="column",
    )


def _parse_vector_chunk(chunk: list, width: int, name: str, column: str, offset: int, first_row: int):
    rows = np.full((len(chunk), width), np.nan, dtype=np.float32)
    for position, value in enumerate(chunk):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue  # a missing vector is a NaN row, counted with the others
        if isinstance(value, str):
            inner = value.strip()
            if not inner:
                continue
            if not (inner.startswith("[") and inner.endswith("]")):
                raise DataError(
                    f"{name}: column `{column}` row {offset + position + 1} holds {inner[:30]!r}, not a "
                    "vector like [0.1, -0.5]; fix that cell.",
                    code="column",
                )
            inner = inner[1:-1].strip().rstrip(",")
            parts = inner.split(",") if "," in inner else inner.split()
            parsed = _floats(parts)
        elif isinstance(value, (list, tuple, np.ndarray)):
            parsed = _floats(list(value))
        else:
            raise DataError(
                f"{name}: column `{column}` row {offset + position + 1} holds {type(value).__name__} "
                f"{str(value)[:30]!r}, not a vector; fix that cell.",
                code="column",
            )
        if parsed is None:
            raise DataError(
                f"{name}: column `{column}` row {offset + position + 1} holds a value that is not a number; "
                "fix that cell.",
                code="column",
            )
        if len(parsed) != width:
            raise DataError(
                f"{name}: vectors in column `{column}` have different lengths: row {first_row + 1} has "
                f"{width} values, row {offset + position + 1} has {len(parsed)}; make them all the same "
                "length.",
                code="ragged",
            )
        rows[position] = parsed
    return rows


def _floats(parts: list):
    try:
        return np.asarray([float(part) if part is not None else np.nan for part in parts], dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _finite_rows(matrix) -> NDArray[np.bool_]:
    from .largefiles import release_pages

    keep = np.empty(matrix.shape[0], dtype=bool)
    chunk = 65_536
    for start in range(0, matrix.shape[0], chunk):
        view = matrix[start : start + chunk]
        keep[start : start + chunk] = np.isfinite(view).all(axis=1)
        release_pages(view)  # a memory-mapped pool stays out of the resident set
    return keep


def default_vector_source(data: LoadedData) -> tuple[str, Any]:
    """Where a file's vectors are when nothing is chosen: ``('array', None)``, ``('vector_column', name)``,
    ``('columns', names)`` (its numeric columns, ids and labels left out) or ``('text_column', name)``."""
    if data.array is not None:
        return "array", None
    vectors = vector_list_columns(data)
    if len(vectors) == 1:
        return "vector_column", vectors[0]
    if len(vectors) > 1:
        raise DataError(
            f"{data.name} has several vector columns ({_names(vectors)}); choose one (vector_column=).", code="column"
        )
    numeric = numeric_columns(data)
    if numeric:
        return "columns", tuple(numeric)
    texts = text_columns(data)
    if texts:
        return "text_column", texts[0]
    raise DataError(
        f"{data.name} has no numeric, vector or text columns to build vectors from; check the file.", code="column"
    )


def prepare_vectors(
    pool: LoadedData,
    target: LoadedData,
    *,
    columns: Sequence[str] | None = None,
    vector_column: str | None = None,
    text_column: str | None = None,
    text_model: str | None = None,
    drop_nonfinite: bool = False,
    k: int | None = None,
    progress: Callable[[str, int, int], object] | None = None,
) -> PreparedVectors:
    """Pool and target vectors in one space, checked.

    Parameters
    ----------
    pool, target : LoadedData
    columns : sequence of str, optional
        Numeric columns forming the vector, in both files.
    vector_column : str, optional
        A column holding a vector per row, in both files.
    text_column : str, optional
        A text column to embed (both files share one embedding space).
    text_model : {'tfidf', 'minilm'}, optional
        Text model for ``text_column`` (default: :func:`gio_core.io.embeddings.default_text_model`).
    drop_nonfinite : bool, default=False
        Drop rows with NaN or inf (counted in the result) instead of raising.
    k : int, optional
        When given, check that the target keeps at least ``k + 1`` rows.
    progress : callable, optional
        ``progress(stage, done, total)`` while embedding text.

    Without ``columns``/``vector_column``/``text_column`` the pool decides: its array, its only vector
    column, its numeric columns, else its best text column; the target must have the same.

    When exactly one of the two files has column names and the other has none (a bare ``.npy``/``.npz``
    array, or a CSV without a header line), the nameless file's columns are matched to the named file's
    vector columns by position, in order: the named file's ``columns``/``vector_column`` when it has
    them, else its default choice (numeric columns without ids and labels, or its only vector column).
    The widths must agree. :attr:`PreparedVectors.description` says so ("target columns matched to the
    pool's by position"), and the module's logger logs it at INFO.

    Returns
    -------
    PreparedVectors

    Raises
    ------
    DataError
        Dimension mismatch (also of a file matched by position), NaN/inf rows (unless
        ``drop_nonfinite``), empty text column, missing columns, too few target rows for ``k``, an
        unavailable text model, a text-only table against a file without column names.

    Examples
    --------
    >>> import io
    >>> pool = read_data(b"id,f0,f1\\na,0.1,0.2\\nb,0.3,0.4\\nc,0.5,0.6\\n", name="pool.csv")
    >>> buffer = io.BytesIO(); np.save(buffer, np.ones((2, 2), dtype=np.float32))
    >>> prepare_vectors(pool, read_data(buffer.getvalue(), name="target.npy")).description
    "2 numeric columns (f0, f1); target columns matched to the pool's by position (target.npy has no column names)"
    """
    given = [option for option in (columns, vector_column, text_column) if option is not None]
    if len(given) > 1:
        raise ValueError(
            "pass only one of columns=, vector_column= and text_column=; they are different ways to "
            "say where the vectors are."
        )
    text_used = None
    matched = text_column is None and pool.has_column_names != target.has_column_names
    target_choice = None
    if matched and not pool.has_column_names and (columns is not None or vector_column is not None):
        target_choice = {
            "columns": None if columns is None else [str(column) for column in columns],
            "vector_column": vector_column,
        }
    if matched:
        pool_vectors, target_vectors, source, choice, description = _vectors_by_position(
            pool, target, columns=columns, vector_column=vector_column
        )
        columns = choice if source == "columns" else None
        vector_column = choice if source == "vector_column" else None
    else:
        if text_column is None and columns is None and vector_column is None:
            source, choice = default_vector_source(pool)
            if source == "columns":
                columns = list(choice)
                missing = [column for column in columns if column not in target.columns]
                if missing:
                    raise DataError(
                        f"{target.name} lacks column(s) {_names(missing)} that {pool.name} uses as vector "
                        f"dimensions ({_describe_columns(columns)} in the pool, "
                        f"{len(numeric_columns(target))} in the target); name the shared columns "
                        "(columns=) or give both files the same columns.",
                        code="dimension",
                    )
            elif source == "vector_column":
                vector_column = choice
            elif source == "text_column":
                text_column = choice
        if text_column is not None:
            pool_vectors, target_vectors, text_used, description = _embed(
                pool, target, text_column, text_model, progress
            )
            source = "text_column"
        else:
            pool_vectors = extract_vectors(pool, columns=columns, vector_column=vector_column)
            target_vectors = extract_vectors(target, columns=columns, vector_column=vector_column)
            if vector_column is not None:
                source = "vector_column"
                description = f"vector column `{vector_column}` ({pool_vectors.shape[1]}-d)"
            elif columns is not None:
                source = "columns"
                description = _describe_columns(list(columns))
            else:
                source = "array"
                description = f"{pool.format} array ({pool_vectors.shape[1]}-d)"
    if pool_vectors.shape[1] != target_vectors.shape[1]:
        raise DataError(
            f"{pool.name} has {pool_vectors.shape[1]}-d vectors but {target.name} has "
            f"{target_vectors.shape[1]}-d; embed both with the same model or pick the same columns.",
            code="dimension",
        )
    pool_vectors, pool_rows, pool_bad = _handle_nonfinite(pool_vectors, pool, drop_nonfinite)
    target_vectors, target_rows, target_bad = _handle_nonfinite(target_vectors, target, drop_nonfinite)
    if k is not None:
        check_target_rows_for_k(target_vectors.shape[0], k, target.name, dropped=target_bad)
    return PreparedVectors(
        pool=pool_vectors,
        target=target_vectors,
        description=description,
        text_model=text_used,
        pool_nonfinite_rows=pool_bad,
        target_nonfinite_rows=target_bad,
        pool_rows=pool_rows,
        target_rows=target_rows,
        source=source,
        columns=tuple(columns) if source == "columns" and columns is not None else (),
        vector_column=vector_column if source == "vector_column" else None,
        text_column=text_column if source == "text_column" else None,
        matched_by_position=matched,
        target_choice=target_choice,
    )


#: What the description of vectors matched by position says (the CLI prints it; the app shows it).
_POSITION_NOTE = "target columns matched to the pool's by position"


def _holds_choice(data: LoadedData, columns, vector_column) -> bool:
    """The file has every column asked for (``columns`` or ``vector_column``)."""
    if data.array is not None:
        return False
    if columns is not None:
        return all(str(column) in data.columns for column in columns)
    return vector_column is not None and vector_column in data.columns


def _side_choice(data: LoadedData, columns, vector_column) -> tuple[str, Any]:
    """Where one file's vectors are when it is matched by position: the columns asked for when it has them all,
    else its default (:func:`default_vector_source`)."""
    if data.array is not None:
        return "array", None
    if _holds_choice(data, columns, vector_column):
        return (
            ("columns", tuple(str(column) for column in columns))
            if columns is not None
            else ("vector_column", vector_column)
        )
    return default_vector_source(data)


def _side_vectors(data: LoadedData, source: str, choice) -> tuple[NDArray[np.float32], str]:
    """One side's vectors and their description, for a choice from :func:`_side_choice`."""
    if source == "text_column":
        raise DataError(
            f"{data.name} has no numeric or vector columns (only text, such as `{choice}`), so it cannot "
            "be matched by position to a file without column names; give it its vectors as numeric columns "
            "or a vector column, or give both files as tables with the text column.",
            code="column",
        )
    if source == "array":
        vectors = extract_vectors(data)
        return vectors, f"{data.format} array ({vectors.shape[1]}-d)"
    if source == "vector_column":
        vectors = extract_vectors(data, vector_column=choice)
        return vectors, f"vector column `{choice}` ({vectors.shape[1]}-d)"
    return extract_vectors(data, columns=list(choice)), _describe_columns(list(choice))


def _width_fix(
    named_name: str, bare_name: str, named_width: int, bare_width: int, *, by_columns: bool, can_choose: bool = True
) -> str:
    """What to do when a file without column names is not as wide as the other file's vectors."""
    save = f"save {bare_name} with {named_width} columns"
    if not by_columns:
        return f"give both files vectors of the same dimension (the same embedding model), or {save}"
    if can_choose:
        return f"name {bare_width} of {named_name}'s numeric columns, in {bare_name}'s order (columns=), or {save}"
    return save


def _vectors_by_position(pool: LoadedData, target: LoadedData, *, columns, vector_column):
    """Pool and target vectors when exactly one of the two files has column names: the other file's columns are
    matched to the named file's vector columns (its chosen or default ones) by position, in order.

    Returns ``(pool_vectors, target_vectors, source, choice, description)``, ``source`` and ``choice`` saying
    where the pool's vectors are.
    """
    named, bare = (pool, target) if pool.has_column_names else (target, pool)
    if (columns is not None or vector_column is not None) and not any(
        _holds_choice(data, columns, vector_column) for data in (named, bare)
    ):
        # neither file has the columns asked for: extract_vectors names the missing ones and lists those there are
        extract_vectors(named, columns=columns, vector_column=vector_column)
    sides = {}
    for data in (named, bare):
        source, choice = _side_choice(data, columns, vector_column)
        sides[id(data)] = (source, choice, *_side_vectors(data, source, choice))
    pool_source, pool_choice, pool_vectors, pool_description = sides[id(pool)]
    _, _, target_vectors, target_description = sides[id(target)]
    named_width, bare_width = sides[id(named)][2].shape[1], sides[id(bare)][2].shape[1]
    what = "a bare array" if bare.array is not None else "a table without a header line"
    if named_width != bare_width:
        fix = _width_fix(
            named.name,
            bare.name,
            named_width,
            bare_width,
            by_columns=sides[id(named)][0] == "columns",
            can_choose=len(numeric_columns(named, include_ids=True)) >= bare_width,
        )
        raise DataError(
            f"{bare.name} is {what} with {bare_width} columns, matched by position to the {named_width} "
            f"vector dimensions of {named.name} ({sides[id(named)][3]}), so the widths must agree; {fix}.",
            code="dimension",
        )
    logger.info(
        "%s is %s: its %d columns are matched to %s's vector columns (%s) by position",
        bare.name,
        what,
        bare_width,
        named.name,
        sides[id(named)][3],
    )
    if bare is target:
        description = f"{pool_description}; {_POSITION_NOTE} ({target.name} has no column names)"
    else:
        description = f"{pool_description}; {_POSITION_NOTE} ({target.name}: {target_description})"
    return pool_vectors, target_vectors, pool_source, pool_choice, description


def _describe_columns(columns: list[str]) -> str:
    if len(columns) == 1:
        return f"1 numeric column ({columns[0]})"
    if len(columns) <= 4:
        return f"{len(columns)} numeric columns ({', '.join(columns)})"
    return f"{len(columns)} numeric columns ({columns[0]} … {columns[-1]})"


def _texts(data: LoadedData, column: str) -> list[str]:
    _check_column(data, column, "the text column")
    series = data.frame[column]
    if not _is_texty(series):
        raise DataError(
            f"{data.name}: column `{column}` holds {series.dtype} values, not text; choose a text column "
            f"({_names(text_columns(data)) or 'none'}).",
            code="column",
        )
    values = [
        "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
        for value in series.tolist()
    ]
    if not any(value.strip() for value in values):
        raise DataError(
            f"{data.name}: text column `{column}` is empty (every cell is blank); choose the column that "
            "holds the text.",
            code="empty_text",
        )
    return values


def _embed(pool, target, column, text_model, progress):
    from . import embeddings as embed

    pool_texts = _texts(pool, column)
    target_texts = _texts(target, column)
    try:
        pool_vectors, target_vectors, model = embed.embed_texts(
            pool_texts, target_texts, model=text_model, progress=progress
        )
    except DataError:
        raise
    except ValueError as error:
        raise DataError(str(error), code="text_model") from error
    description = f"text column `{column}` embedded with {model} ({pool_vectors.shape[1]}-d)"
    return pool_vectors, target_vectors, model, description


def _handle_nonfinite(vectors, data: LoadedData, drop: bool):
    keep = _finite_rows(vectors)
    bad = int((~keep).sum())
    if bad == 0:
        return vectors, np.arange(vectors.shape[0], dtype=np.int64), 0
    if not drop:
        first = int(np.flatnonzero(~keep)[0]) + 1
        raise DataError(
            f"{data.name}: {bad:,} of {vectors.shape[0]:,} rows have NaN, inf or missing values (first: "
            f"row {first}); drop them (drop_nonfinite=True) or fix the file.",
            code="nonfinite",
            nonfinite_rows=bad,
        )
    rows = np.flatnonzero(keep).astype(np.int64)
    if len(rows) == 0:
        raise DataError(
            f"{data.name}: all {vectors.shape[0]:,} rows have NaN, inf or missing values; fix the file.",
            code="nonfinite",
            nonfinite_rows=bad,
        )
    return np.ascontiguousarray(vectors[rows], dtype=np.float32), rows, bad


def check_target_rows_for_k(n_target: int, k: int, name: str, *, dropped: int = 0) -> None:
    """Raise a :class:`DataError` when a target of ``n_target`` rows is too small for ``k``.

    The k-NN estimator needs ``k + 1`` target rows (each target row's k-th neighbour among the others).
    """
    if n_target < k + 1:
        after = f" after dropping {dropped} with NaN/inf" if dropped else ""
        raise DataError(
            f"{name} has {n_target} target row(s){after}; k={k} needs at least k+1={k + 1}. Lower k "
            "or add target rows.",
            code="too_few_target_rows",
        )
