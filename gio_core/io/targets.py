"""A target made from the pool: rows a person chose (on a map, or by a label value) become the target and
leave the pool, so "select more like these" runs GIO like any pool and target pair."""

from __future__ import annotations

import hashlib
import logging

import numpy as np
from numpy.typing import ArrayLike

from .tables import LoadedData

logger = logging.getLogger(__name__)

__all__ = ["split_pool"]


def _subset(data: LoadedData, rows: np.ndarray, *, name: str, role: str) -> LoadedData:
    frame = data.frame.iloc[rows].reset_index(drop=True)
    array = None if data.array is None else np.asarray(data.array[rows])
    # the identity of a derived table: its source file and the rows taken from it
    digest = hashlib.sha256(f"{data.sha256}|{role}|".encode() + rows.astype("<i8").tobytes()).hexdigest()
    return LoadedData(name=name, format=data.format, frame=frame, array=array, n_rows=len(rows), sha256=digest)


def split_pool(pool: LoadedData, chosen_rows: ArrayLike, *, k: int = 5) -> tuple[LoadedData, LoadedData]:
    """Take chosen rows out of a pool file: they become the target, the rest stays the pool.

    Parameters
    ----------
    pool : LoadedData
        The pool as read (:func:`gio_core.io.read_data`).
    chosen_rows : array-like of int
        Row numbers of the pool file (from 0) that form the target; order and repeats do not matter.
    k : int, default=5
        The k-NN KL's neighbour count: the target needs at least ``k + 1`` rows.

    Returns
    -------
    rest : LoadedData
        The pool without the chosen rows, in file order (named ``<pool> (rest)``).
    target : LoadedData
        The chosen rows, in file order (named ``<pool> (chosen rows)``). Each ``sha256`` is derived from
        the pool file's hash and the row numbers, so a manifest identifies the split.

    Raises
    ------
    ValueError
        No rows, too few rows for ``k``, every row, or a row outside the pool.

    Examples
    --------
    >>> import pandas as pd
    >>> from gio_core.io import read_data
    >>> pool = read_data(pd.DataFrame({"x": range(10), "y": range(10)}).to_csv(index=False).encode(), name="p.csv")
    >>> rest, target = split_pool(pool, [0, 1, 2, 3, 4, 5])
    >>> rest.n_rows, target.n_rows
    (4, 6)
    """
    rows = np.unique(np.asarray(chosen_rows, dtype=np.int64).reshape(-1))
    if len(rows) and (rows[0] < 0 or rows[-1] >= pool.n_rows):
        bad = int(rows[0] if rows[0] < 0 else rows[-1])
        raise ValueError(
            f"chosen_rows holds row {bad}, outside {pool.name}'s {pool.n_rows:,} rows (0 to "
            f"{pool.n_rows - 1:,}); choose rows of this pool."
        )
    if len(rows) < k + 1:
        raise ValueError(
            f"{len(rows):,} rows chosen; k={k} needs a target of at least k+1={k + 1} rows. Choose "
            "more rows (a bigger box or lasso, or another label value) or lower k."
        )
    if len(rows) >= pool.n_rows:
        raise ValueError(
            f"all {pool.n_rows:,} rows of {pool.name} were chosen, which leaves no pool to select "
            "from; choose part of the pool."
        )
    rest = np.setdiff1d(np.arange(pool.n_rows, dtype=np.int64), rows)
    logger.info("split %s: %d target rows, %d pool rows", pool.name, len(rows), len(rest))
    return (
        _subset(pool, rest, name=f"{pool.name} (rest)", role="rest"),
        _subset(pool, rows, name=f"{pool.name} (chosen rows)", role="chosen"),
    )
