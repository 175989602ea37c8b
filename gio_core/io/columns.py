"""What a table's columns hold: numbers, vectors as lists, text, ids and labels."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .errors import DataError
from .tables import LoadedData

__all__ = ["numeric_columns", "text_columns", "vector_list_columns"]

_NA_TOKENS = ["", "NA", "N/A", "n/a", "NaN", "nan", "NAN", "null", "NULL", "None", "none", "-nan", "-NaN"]

# Columns that name rows or carry labels are not vector dimensions unless asked for by name.
_ID_NAMES = {
    "id",
    "ids",
    "index",
    "idx",
    "row",
    "row_id",
    "rowid",
    "uid",
    "uuid",
    "key",
    "label",
    "labels",
    "class",
    "gio_rank",
    "gio_row",
    "gio_cluster",
}


def _is_number(text: str) -> bool:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return False
    return np.isfinite(value) and bool(text.strip())


def _cell_kind(values: pd.Series) -> str:
    """'float', 'int' or 'text' for a sample of raw cells."""
    present = [value for value in values.tolist() if isinstance(value, str) and value.strip() not in _NA_TOKENS]
    if not present:
        return "text"
    integer = True
    for value in present:
        stripped = value.strip()
        if re.fullmatch(r"[-]?(0|[1-9]\d{0,17})", stripped):
            continue
        integer = False
        try:
            float(stripped)
        except ValueError:
            return "text"
        if re.fullmatch(r"[+-]?0\d+", stripped):  # zero-padded codes stay text
            return "text"
    return "int" if integer else "float"


def _looks_like_prose(header: str) -> bool:
    """A header cell that reads like a sentence (column names are short)."""
    header = header.strip().strip('"')
    return len(header) > 80 or len(header.split()) >= 6


def _names(columns, limit: int = 6) -> str:
    columns = [str(column) for column in columns]
    shown = ", ".join(columns[:limit])
    return shown + (f", … ({len(columns)} columns)" if len(columns) > limit else "")


def _short(error: BaseException, limit: int = 160) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_texty(series: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series)


def _looks_like_id(name: str, series: pd.Series) -> bool:
    lowered = name.strip().lower()
    if lowered in _ID_NAMES or lowered.endswith("_id") or lowered.startswith("unnamed:"):
        return True
    if pd.api.types.is_integer_dtype(series) and len(series) > 1:
        values = series.to_numpy()
        steps = np.diff(values)
        return bool(len(steps) and (steps == 1).all() and values[0] in (0, 1))
    return False


def numeric_columns(data: LoadedData, *, include_ids: bool = False) -> list[str]:
    """Columns that can be vector dimensions: numeric (float or int, not bool), in file order.

    Parameters
    ----------
    data : LoadedData
    include_ids : bool, default=False
        Also list columns that name rows or carry labels (``id``, ``*_id``, ``index``, ``label``,
        ``class``, ``Unnamed: 0``, ``gio_*``, or integers counting 0, 1, 2, …), which are left out by
        default so that "all numeric columns" means the features.

    Returns
    -------
    list of str
    """
    names = []
    for column in data.frame.columns:
        series = data.frame[column]
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
            continue
        if not include_ids and _looks_like_id(str(column), series):
            continue
        names.append(str(column))
    return names


def _first_values(series: pd.Series, amount: int = 20) -> list:
    values = []
    for value in series.head(max(amount * 5, 100)).tolist():
        if value is None or (isinstance(value, float) and np.isnan(value)):
            continue
        if isinstance(value, str) and not value.strip():
            continue
        values.append(value)
        if len(values) >= amount:
            break
    return values


_VECTOR_STRING = re.compile(r"\s*\[\s*[-+0-9.eEinfatyINFATY]+(?:\s*,?\s*[-+0-9.eEinfatyINFATY]+)*\s*,?\s*\]\s*")


def _is_vector_value(value) -> bool:
    if isinstance(value, str):
        return bool(_VECTOR_STRING.fullmatch(value))
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            array = np.asarray(value)
        except (ValueError, TypeError):
            return False
        return array.ndim == 1 and array.size > 0 and array.dtype.kind in "fiu"
    return False


def vector_list_columns(data: LoadedData) -> list[str]:
    """Columns holding one vector per row: ``"[0.1, -0.5, ...]"`` strings or lists/arrays of numbers.

    Judged from the first non-empty values of each column.
    """
    names = []
    for column in data.frame.columns:
        series = data.frame[column]
        if not _is_texty(series):
            continue
        values = _first_values(series)
        if values and all(_is_vector_value(value) for value in values):
            names.append(str(column))
    return names


def text_columns(data: LoadedData) -> list[str]:
    """Columns of text (strings that are not vectors), in file order, best guess for prose first.

    A column named ``text`` comes first; the others follow by their mean length in the first rows,
    longest first, so sentences come before ids and labels.
    """
    vectors = set(vector_list_columns(data))
    scored = []
    for position, column in enumerate(data.frame.columns):
        series = data.frame[column]
        if str(column) in vectors or not _is_texty(series):
            continue
        values = [value for value in _first_values(series, 200) if isinstance(value, str)]
        if not values:
            continue
        mean_length = float(np.mean([len(value) for value in values]))
        scored.append((str(column).lower() != "text", -mean_length, position, str(column)))
    return [column for *_, column in sorted(scored)]


def _check_column(data: LoadedData, column: str, role: str) -> None:
    if column not in data.columns:
        raise DataError(
            f"{data.name} has no column `{column}` (for {role}); its columns are {_names(data.columns, 12)}.",
            code="column",
        )


def _looks_like_id_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in _ID_NAMES or lowered.endswith("_id") or lowered.startswith("unnamed:")
