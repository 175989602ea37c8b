"""A GIO run as the pictures draw it: :class:`RunTrace` holds every step (as
:meth:`gio_core.GIOSelector.iter_fit` yields it), and :func:`map_overlay` places one step of it on a map
(:class:`gio_core.plots.projection.MapProjection`): the picks so far, the descent path of ``v``, the row it
snapped to and, when quantised, the centroids and the rows of the current pick's cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..gio.kl import format_kl
from .projection import MapPlacer

__all__ = ["STOP_LABELS", "MapOverlay", "RunTrace", "map_overlay"]

#: Short stop reasons for a chart; the stop message says the rest.
STOP_LABELS = {
    "increase": "stopped: the KL rose",
    "max_iter": "stopped: maximum picks",
    "min_difference": "stopped: KL gain below threshold",
    "min_kl": "stopped: KL below the floor",
    "data_size": "stopped: data-size budget",
    "sequential_increase_tolerance": "stopped: repeated KL rises",
    "max_resets": "stopped: resets used up",
    "pool_exhausted": "stopped: nothing left to pick",  # every pool row, or every cluster near the target
    "interrupted": "stopped by the user",
}


@dataclass(frozen=True)
class RunTrace:
    """A GIO run step by step, in the original space.

    Attributes
    ----------
    kl, kept, reset : ndarray, shape (n_steps,)
        KL with the step's row added, whether it was kept, whether the pool was reset.
    n_selected : ndarray of int, shape (n_steps,)
        Picks in the selection after each step.
    candidate : ndarray of int, shape (n_steps,)
        The row (or centroid, when quantised) each step snapped to.
    v : ndarray of float32, shape (n_steps, d)
        Each step's gradient-descent optimum.
    rows : tuple of ndarray of int
        Pool rows each step added (empty when not kept).
    paths : tuple of (ndarray or None)
        Each step's gradient-descent path, when recorded.
    initial_kl : float
        KL of the start set alone (``inf`` for an empty start).
    stop_reason, stop_message : str or None
        Why the run ended, when it has.
    cluster_centers : ndarray or None
        Pool centroids, when the run was quantised and they are known (a live run learns them at the end).
    quantized : bool
        Whether ``candidate`` numbers centroids rather than pool rows.
    """

    kl: NDArray[np.float64] = field(repr=False)
    kept: NDArray[np.bool_] = field(repr=False)
    reset: NDArray[np.bool_] = field(repr=False)
    n_selected: NDArray[np.int64] = field(repr=False)
    candidate: NDArray[np.int64] = field(repr=False)
    v: NDArray[np.float32] = field(repr=False)
    rows: tuple = field(repr=False)
    paths: tuple = field(repr=False)
    initial_kl: float = float("inf")
    stop_reason: str | None = None
    stop_message: str | None = None
    cluster_centers: NDArray | None = field(default=None, repr=False)
    quantized: bool = False

    @property
    def n_steps(self) -> int:
        return len(self.kl)

    @classmethod
    def from_steps(
        cls,
        steps: Sequence,
        *,
        initial_kl: float,
        dimensions: int,
        stop_reason: str | None = None,
        stop_message: str | None = None,
        cluster_centers: ArrayLike | None = None,
        quantized: bool | None = None,
    ) -> RunTrace:
        """Build a trace from :class:`gio_core.GIOStep` objects (or anything with the same attributes).

        Parameters
        ----------
        steps : sequence of GIOStep
        initial_kl : float
        dimensions : int
            Vector dimensions (needed when there are no steps yet).
        stop_reason, stop_message : str, optional
            Default: the last step's ``stop_reason``.
        cluster_centers : array-like, optional
        quantized : bool, optional
            Default: whether ``cluster_centers`` is given.
        """
        steps = list(steps)
        if stop_reason is None and steps:
            stop_reason = steps[-1].stop_reason
        v = np.array([np.asarray(step.v, dtype=np.float32) for step in steps], dtype=np.float32).reshape(-1, dimensions)
        return cls(
            kl=np.array([step.kl for step in steps], dtype=np.float64),
            kept=np.array([step.kept for step in steps], dtype=bool),
            reset=np.array([getattr(step, "reset", False) for step in steps], dtype=bool),
            n_selected=np.array([step.n_selected for step in steps], dtype=np.int64),
            candidate=np.array([step.candidate for step in steps], dtype=np.int64),
            v=v,
            rows=tuple(np.asarray(step.rows, dtype=np.int64) for step in steps),
            paths=tuple(getattr(step, "path", None) for step in steps),
            initial_kl=float(initial_kl),
            stop_reason=stop_reason,
            stop_message=stop_message,
            cluster_centers=None if cluster_centers is None else np.asarray(cluster_centers),
            quantized=bool(cluster_centers is not None if quantized is None else quantized),
        )

    def picks_until(self, step: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Pool rows in the selection after ``step`` and their pick numbers (1-based), in pick order.

        Picks dropped at the end of a run (``'sequential_increase_tolerance'`` returns the selection at
        its lowest KL) are left out at the step that drops them.
        """
        if step < 0 or self.n_steps == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        step = min(step, self.n_steps - 1)
        chunks, ranks = [], []
        for index in range(step + 1):
            if self.kept[index] and len(self.rows[index]):
                chunks.append(self.rows[index])
                ranks.append(np.full(len(self.rows[index]), self.n_selected[index], dtype=np.int64))
        if not chunks:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        rows, rank = np.concatenate(chunks), np.concatenate(ranks)
        keep = rank <= self.n_selected[step]
        return rows[keep], rank[keep]


@dataclass(frozen=True)
class MapOverlay:
    """What one step of a run adds to the map (positions are map coordinates).

    Attributes
    ----------
    picks_xy : ndarray, shape (n, 2)
        The picks so far that are drawn, in pick order.
    picks_rank : ndarray of int, shape (n,)
        Their pick numbers.
    picks_rows : ndarray of int, shape (n,)
        Their pool rows.
    n_picks_total : int
        Rows in the selection so far (drawn or not).
    v_xy : ndarray of shape (2,) or None
        The current step's optimum.
    path_xy : ndarray of shape (m, 2) or None
        Its gradient-descent path.
    snapped_xy : ndarray of shape (2,) or None
        The row (or centroid) it snapped to.
    snapped_kept : bool
    cluster_xy : ndarray of shape (r, 2) or None
        Drawn rows of the current pick's cluster (quantised runs).
    centroids_xy : ndarray of shape (c, 2) or None
        Every pool centroid (quantised runs).
    step : int
        The step shown (0-based), or -1 before the first step.
    caption : str
        One line about the step.
    """

    picks_xy: NDArray[np.float32]
    picks_rank: NDArray[np.int64]
    picks_rows: NDArray[np.int64]
    n_picks_total: int = 0
    v_xy: NDArray | None = None
    path_xy: NDArray | None = None
    snapped_xy: NDArray | None = None
    snapped_kept: bool = True
    cluster_xy: NDArray | None = None
    centroids_xy: NDArray | None = None
    step: int = -1
    caption: str = ""


def empty_xy() -> NDArray[np.float32]:
    return np.empty((0, 2), dtype=np.float32)


def map_overlay(
    trace: RunTrace,
    step: int,
    placer: MapPlacer,
    *,
    centroids_xy: NDArray | None = None,
    max_placed: int = 5000,
    max_drawn: int | None = None,
    show_path: bool = True,
) -> MapOverlay:
    """Put step ``step`` of a run on the map.

    Parameters
    ----------
    trace : RunTrace
    step : int
        0-based step; clipped to the run. -1 shows no step.
    placer : MapPlacer
    centroids_xy : ndarray, optional
        Map positions of the pool centroids (``placer.place(trace.cluster_centers)``), computed once
        by the caller; placed here when not given.
    max_placed : int, default=5000
        Picks outside a sampled map placed at most (a uniform sample is what the map shows anyway).
    max_drawn : int, optional
        Picks drawn at most: above this, evenly spaced picks in pick order (the first and the last among
        them); the caption says how many are drawn. Default: every pick that is placed.
    show_path : bool, default=True
        Place the gradient-descent path of ``v``.

    Returns
    -------
    MapOverlay
    """
    if trace.cluster_centers is not None and centroids_xy is None:
        centroids_xy = placer.place(trace.cluster_centers)
    if trace.n_steps == 0 or step < 0:
        return MapOverlay(
            empty_xy(), np.empty(0, np.int64), np.empty(0, np.int64), centroids_xy=centroids_xy, caption="No step yet."
        )
    step = min(int(step), trace.n_steps - 1)
    rows, rank = trace.picks_until(step)
    quantized = trace.quantized
    if quantized:  # exploded clusters can hold millions of rows: draw the ones on the map
        shown, picks_xy = placer.projection.shown_positions(rows)
        kept_positions = np.flatnonzero(shown)
    else:
        kept_positions, picks_xy = placer.pool_positions(rows, max_placed=max_placed)
    if max_drawn is not None and len(kept_positions) > max_drawn:
        spaced = np.unique(np.linspace(0, len(kept_positions) - 1, max(int(max_drawn), 1)).round().astype(np.int64))
        kept_positions, picks_xy = kept_positions[spaced], picks_xy[spaced]
    v_xy = placer.place(trace.v[step])[0]
    path_xy = None
    path = trace.paths[step]
    if show_path and path is not None and len(path) > 1:
        every = max(1, len(path) // 40)
        path_xy = placer.place(np.asarray(path)[::every])
        path_xy = np.vstack([path_xy, v_xy[None, :]])
    cluster_xy = None
    if quantized:
        if trace.kept[step] and len(trace.rows[step]):
            _, cluster_xy = placer.projection.shown_positions(trace.rows[step])
        if centroids_xy is not None:
            snapped_xy = centroids_xy[trace.candidate[step]]
        else:  # centroids not known yet (a live run): the middle of the cluster's drawn rows
            snapped_xy = cluster_xy.mean(axis=0) if cluster_xy is not None and len(cluster_xy) else None
    else:
        snapped_xy = placer.pool_positions([trace.candidate[step]])[1][0]
    what = "centroid" if quantized else "pool row"
    verdict = "kept" if trace.kept[step] else ("pool reset" if trace.reset[step] else "rejected")
    drawn = f" ({len(kept_positions):,} drawn on the map)" if len(kept_positions) < len(rows) else ""
    caption = (
        f"Step {step + 1} of {trace.n_steps}: v snapped to {what} {int(trace.candidate[step])} "
        f"({verdict}); KL {format_kl(trace.kl[step])}; {int(trace.n_selected[step])} picks"
        + (f", {len(rows):,} rows" if quantized else "")
        + drawn
        + "."
    )
    return MapOverlay(
        picks_xy=picks_xy,
        picks_rank=rank[kept_positions],
        picks_rows=rows[kept_positions],
        n_picks_total=len(rows),
        v_xy=v_xy,
        path_xy=path_xy,
        snapped_xy=snapped_xy,
        snapped_kept=bool(trace.kept[step]),
        cluster_xy=cluster_xy,
        centroids_xy=centroids_xy,
        step=step,
        caption=caption,
    )
