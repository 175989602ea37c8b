"""Checks made once, at the public edge of the engine.

Every message names the parameter, the rule, what was received and what to do, so the app and the
CLI can show it to a user as it is.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray


def as_matrix(
    values: Any, name: str, *, dtype: type = np.float64, allow_empty: bool = False, copy: bool = False
) -> NDArray[np.floating]:
    """Return ``values`` as a finite 2-D float array, or raise a message that says what to fix."""
    if values is None:
        raise TypeError(f"{name} is None; pass a 2-D array of shape (rows, dimensions).")
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} is a {type(values).__name__}; pass a 2-D numeric array, not a file name or text.")
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as error:  # ragged nested lists end up here
        raise ValueError(
            f"{name} could not be read as a 2-D numeric array ({error}); make every row the same length."
        ) from error
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} has dtype {array.dtype}; pass numbers (float or int), one row per example.")
    if np.iscomplexobj(array):
        raise TypeError(f"{name} holds complex numbers; pass real-valued vectors.")
    if array.ndim == 1 and array.size and not allow_empty:
        raise ValueError(
            f"{name} is 1-D with {array.size} values; pass a 2-D array (rows, dimensions), "
            "for example values.reshape(-1, 1) for one dimension or values[None, :] for one row."
        )
    if array.ndim != 2:
        if array.ndim == 1 and array.size == 0 and allow_empty:
            return np.empty((0, 0), dtype=dtype)
        raise ValueError(
            f"{name} has {array.ndim} dimensions (shape {array.shape}); pass a 2-D array of shape (rows, dimensions)."
        )
    if array.shape[1] == 0:
        raise ValueError(f"{name} has shape {array.shape}: no columns. Pass at least one vector dimension.")
    if array.shape[0] == 0 and not allow_empty:
        raise ValueError(f"{name} is empty (0 rows); pass at least one row.")
    array = np.array(array, dtype=dtype, copy=copy) if copy else np.asarray(array, dtype=dtype)
    if not np.isfinite(array).all():
        _refuse_nonfinite(name, int((~np.isfinite(array)).any(axis=1).sum()))
    return array


def _refuse_nonfinite(name: str, bad_rows: int) -> None:
    raise ValueError(f"{name} has {bad_rows} row(s) with NaN or inf values; drop or fill those rows first.")


class _Shaped(Protocol):
    """An array, or anything with an array's ``shape`` (a RowSource)."""

    @property
    def shape(self) -> tuple[int, ...]: ...


def check_same_dimension(first: _Shaped, first_name: str, second: _Shaped, second_name: str) -> None:
    if first.shape[1] != second.shape[1]:
        raise ValueError(
            f"{first_name} has {first.shape[1]} dimensions but {second_name} has {second.shape[1]}; "
            "embed both with the same model (or pick the same columns) so their vectors match."
        )


def check_int(value: Any, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {value!r} ({type(value).__name__}).")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}; got {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}; got {value}.")
    return value


def check_float(
    value: Any,
    name: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {value!r} ({type(value).__name__}).")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value}.")
    if minimum is not None:
        if exclusive_minimum and value <= minimum:
            raise ValueError(f"{name} must be greater than {minimum}; got {value}.")
        if not exclusive_minimum and value < minimum:
            raise ValueError(f"{name} must be at least {minimum}; got {value}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}; got {value}.")
    return value


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        listed = ", ".join(repr(choice) for choice in choices)
        raise ValueError(f"{name}={value!r} is not one of {listed}; pick one of those.")
    return value


def check_target_rows(target: NDArray, k: int, name: str = "target") -> None:
    if target.shape[0] < k + 1:
        raise ValueError(
            f"{name} has {target.shape[0]} rows; k={k} needs at least k+1={k + 1} rows. Lower k or add {name} rows."
        )


def check_random_state(random_state: Any) -> np.random.Generator:
    """One ``np.random.Generator`` from a seed, a Generator or None (fresh entropy)."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)):
        if random_state is not None and int(random_state) < 0:
            raise ValueError(f"random_state must be a non-negative integer; got {random_state}.")
        return np.random.default_rng(None if random_state is None else int(random_state))
    raise TypeError(f"random_state must be None, a non-negative integer or a numpy Generator; got {random_state!r}.")


def as_points(values: ArrayLike, name: str, dimension: int) -> NDArray[np.floating]:
    """A start set: a 2-D finite array with ``dimension`` columns; zero rows allowed."""
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[0] == 0:
        if array.shape[1] not in (0, dimension):
            raise ValueError(
                f"{name} has {array.shape[1]} columns but {dimension} are needed; "
                "give points with the same dimensions as the pool and target."
            )
        return np.empty((0, dimension))
    matrix = as_matrix(array, name)
    if matrix.shape[1] != dimension:
        raise ValueError(
            f"{name} has {matrix.shape[1]} dimensions but {dimension} are needed; "
            "give points with the same dimensions as the pool and target."
        )
    return matrix


_FINITE_BLOCK_ROWS = 65_536


def as_pool_matrix(pool: ArrayLike, *, release: Callable[[Any], None] | None = None) -> NDArray[np.floating]:
    """The pool as a 2-D float array without copying a float32 or float64 array (or memory map, which stays
    one): checked in blocks, so a million-row pool is never held twice. ``release`` is called with each block
    once it is checked (``gio_core.io.largefiles.release_pages`` keeps a memory map's pages out of the
    resident set)."""
    array = np.asanyarray(pool)
    if type(array) is not np.ndarray and not isinstance(array, np.memmap):
        array = np.asarray(array)  # a matrix or other subclass: a plain array
    if array.ndim != 2 or array.dtype.kind not in "f":
        return as_matrix(array, "pool")  # small, odd or integer input: the checks and the float64 copy
    as_matrix(array[:1], "pool")  # the shape and dtype messages
    bad_rows = 0
    for begin in range(0, array.shape[0], _FINITE_BLOCK_ROWS):
        block = array[begin : begin + _FINITE_BLOCK_ROWS]
        bad_rows += int((~np.isfinite(block)).any(axis=1).sum())
        if release is not None:
            release(block)
    if bad_rows:
        _refuse_nonfinite("pool", bad_rows)
    return array
