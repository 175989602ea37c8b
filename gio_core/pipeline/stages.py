"""What the pipeline's stages hand on, and the events they send while they run.

Each stage of :class:`gio_core.pipeline.SelectionPipeline` returns a frozen value (:class:`Inputs`,
:class:`Vectors`, a :class:`gio_core.scale.quantize.QuantisedInputs`, a :class:`gio_core.GIOResult`, a
:class:`gio_core.pipeline.backends.Selection`) that the next stage takes as an argument; nothing is left
on the pipeline to be read later. While a stage runs it sends :class:`StageEvent` values to the caller's
``on_event``: when it starts, its progress, each GIO step, and when it is done (with its result, time and
memory). The CLI's progress bar and the app's progress read the same events; :class:`StageLog` keeps the
times and peaks of a run for its manifest.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["STAGES", "Inputs", "PoolVectors", "StageEvent", "StageLog", "Vectors"]

#: The stages, in the order they run.
STAGES = ("read", "vectors", "quantise", "select", "explode", "export", "manifest")


@dataclass(frozen=True)
class StageEvent:
    """Something a stage reports while it runs.

    Attributes
    ----------
    stage : str
        One of :data:`STAGES`.
    kind : {'start', 'progress', 'step', 'done'}
    detail : str
        What is happening, in words ("training K-means on the pool").
    done, total : int
        Progress within ``detail`` (``total`` 0 or 1 when it cannot be counted).
    seconds : float
        Since the stage started; on ``'done'``, the stage's time.
    step : GIOStep or None
        On ``'step'`` (the select stage): the step.
    result : object
        On ``'done'``: the stage's result.
    peak_rss_bytes, cpu_seconds : int, float
        On ``'done'``: the process's peak resident memory and CPU time so far.
    """

    stage: str
    kind: str
    detail: str = ""
    done: int = 0
    total: int = 0
    seconds: float = 0.0
    step: Any = None
    result: Any = None
    peak_rss_bytes: int = 0
    cpu_seconds: float = 0.0

    @property
    def fraction(self) -> float | None:
        """``done / total`` when the progress can be counted."""
        return min(self.done / self.total, 1.0) if self.total > 1 else None


EventCallback = Callable[[StageEvent], object]


def usage() -> tuple[int, float]:
    """This process's peak resident memory (bytes) and CPU time (seconds) so far."""
    measured = resource.getrusage(resource.RUSAGE_SELF)
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
    return int(measured.ru_maxrss) * scale, float(measured.ru_utime + measured.ru_stime)


class StageLog:
    """The times and peaks of one run's stages, kept from its ``'done'`` events (the manifest's ``timings`` and
    ``resources``); call it as an ``on_event`` callback, or hand events to :meth:`add`."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.seconds: dict[str, float] = {}
        self.peak_rss_bytes: dict[str, int] = {}
        self.cpu_seconds: dict[str, float] = {}

    def __call__(self, event: StageEvent) -> None:
        self.add(event)

    def add(self, event: StageEvent) -> None:
        if event.kind != "done":
            return
        self.seconds[event.stage] = self.seconds.get(event.stage, 0.0) + event.seconds
        self.peak_rss_bytes[event.stage] = event.peak_rss_bytes
        self.cpu_seconds[event.stage] = event.cpu_seconds

    def mark(self, stage: str) -> None:
        """Record the peak memory and CPU time now under ``stage`` (without adding time)."""
        self.peak_rss_bytes[stage], self.cpu_seconds[stage] = usage()

    @property
    def total_seconds(self) -> float:
        return time.perf_counter() - self.started


@dataclass(frozen=True)
class Inputs:
    """What the read stage returns.

    Attributes
    ----------
    pool : LoadedData or ParquetDataset
        The pool as given (with ``target_from_pool``: the whole file).
    target : LoadedData
    rest : LoadedData or None
        With ``target_from_pool``: the pool file without the target's rows (what GIO selects from).
    """

    pool: Any
    target: Any
    rest: Any = None


@dataclass(frozen=True)
class PoolVectors:
    """The pool as the backends see it.

    Attributes
    ----------
    data : LoadedData or ParquetDataset
        The pool as read (its columns are exported untouched).
    matrix : ndarray, memory map, RowSource or None
        The vectors, read in chunks in process; None for a backend that reads the shards itself.
    vectors : ShardVectors or None
        Where a ParquetDataset's vectors are.
    kept_rows : ndarray of int64 or None
        File row of each vector row when rows were dropped (NaN/inf) or taken out (the target's rows); None
        when the vectors are the file's rows one for one.
    n_rows : int
        Vector rows.
    """

    data: Any
    matrix: Any = field(repr=False)
    vectors: Any
    kept_rows: NDArray[np.int64] | None = field(repr=False)
    n_rows: int

    @classmethod
    def of_file(cls, data, prepared, *, taken_rows=None) -> PoolVectors:
        """The pool vectors of one file, from :func:`gio_core.io.prepare_vectors`'s result.

        Parameters
        ----------
        data : LoadedData
            The pool file as given (the whole file when the target's rows were taken out of it).
        prepared : PreparedVectors
            The vectors of the pool's rows (without the target's rows, when ``taken_rows`` is given).
        taken_rows : array-like of int, optional
            Rows of the file that became the target (``target_from_pool``).
        """
        if taken_rows is None:
            kept = None if prepared.pool_nonfinite_rows == 0 else np.asarray(prepared.pool_rows, dtype=np.int64)
        else:
            rest = np.setdiff1d(np.arange(data.n_rows, dtype=np.int64), np.asarray(taken_rows, dtype=np.int64))
            kept = rest[prepared.pool_rows]
        return cls(data=data, matrix=prepared.pool, vectors=None, kept_rows=kept, n_rows=int(prepared.pool.shape[0]))

    def file_rows(self, rows: NDArray) -> NDArray[np.int64]:
        """Pool file rows (``gio_row``) of vector rows."""
        rows = np.asarray(rows, dtype=np.int64)
        return rows if self.kept_rows is None else self.kept_rows[rows]

    def vector_rows(self, file_rows: NDArray) -> NDArray[np.int64]:
        """Vector rows of pool file rows (the inverse of :meth:`file_rows`; every one must be kept)."""
        file_rows = np.asarray(file_rows, dtype=np.int64)
        return file_rows if self.kept_rows is None else np.searchsorted(self.kept_rows, file_rows).astype(np.int64)


@dataclass(frozen=True)
class Vectors:
    """What the vectors stage returns.

    Attributes
    ----------
    pool : PoolVectors
    target : ndarray of shape (n_target, d)
    description : str
        Where the vectors came from, in words.
    text_model : str or None
        The model that embedded a text column.
    dropped : tuple of int
        Pool and target rows left out for NaN/inf.
    prepared : PreparedVectors or None
        A single file's vectors (the manifest's record, with vector hashes, is made from them when asked).
    record : dict or None
        A folder of shards' record for the manifest.
    """

    pool: PoolVectors
    target: NDArray = field(repr=False)
    description: str = ""
    text_model: str | None = None
    dropped: tuple[int, int] = (0, 0)
    prepared: Any = field(default=None, repr=False)
    record: dict | None = None
