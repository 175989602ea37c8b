"""K-means quantisation of pool and target: a seeded sample, faiss training, every row assigned.

GIO at scale (Everaert & Potts 2024, section 3.3) runs on K-means centroids instead of rows. faiss
trains K-means on a uniform sample of the rows drawn by row number and seed (:func:`draw_training_rows`,
:func:`train_on_sample`), started from k-means++ (:func:`seed_centroids`) so that separated clusters stay
apart, then every row is assigned in chunks (:func:`gio_core.scale.assign.assign_rows`),
so memory stays O(sample x d + K x d) even for memory-mapped inputs of many millions of rows.
:func:`quantise_inputs` is the quantise stage of every caller (:class:`gio_core.GIOSelector` with
``n_clusters``, the selection pipeline on either engine); :func:`compact_quantization` drops empty clusters.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from .._validation import check_int, check_random_state
from ..io.errors import DataError
from ..io.largefiles import iter_row_chunks, take_rows
from .assign import CHUNK_ROWS, Assignment, assign_in_chunks, count_nonfinite_rows
from .explode import distances_to_target, explode_rows
from .sizing import ORDER_BY_TARGET_ROWS_PAIRS
from .turns import Rooms, turns_in_batches

logger = logging.getLogger(__name__)

__all__ = [
    "ProgressCallback",
    "QuantisedInputs",
    "Quantization",
    "check_cluster_count",
    "compact_quantization",
    "draw_training_rows",
    "fills_budget_by_target_rows",
    "nonfinite_message",
    "quantise_in_process",
    "quantise_inputs",
    "quantize",
    "raw_cluster_numbers",
    "read_sample",
    "seed_centroids",
    "target_points_for_order",
    "train_centroids",
    "train_on_sample",
]

#: k-means++ seeds faiss from this many training rows per centroid (:func:`seed_centroids`; 0: faiss's own
#: random start). Chosen by ``benchmarks/quantised_quality.py --merges``.
SEEDING_POINTS_PER_CENTROID = 8

#: progress(stage, done, total): called while a long stage runs.
ProgressCallback = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Quantization:
    """The result of :func:`quantize`.

    Attributes
    ----------
    centers : ndarray of shape (n_centers, d)
        Centroids of the non-empty clusters, float64.
    labels : ndarray of shape (n_rows,) or None
        For each row, the index of its cluster in ``centers``; None when the rows live elsewhere
        (a distributed engine assigned them), which leaves ``members`` unavailable.
    counts : ndarray of shape (n_centers,)
        Rows per cluster (all at least 1).
    seconds : dict
        Time spent training and assigning.
    """

    centers: NDArray[np.float64]
    labels: NDArray[np.int64] | None
    counts: NDArray[np.int64]
    seconds: dict = field(default_factory=dict)
    if TYPE_CHECKING:  # set by __post_init__ when there are labels; not fields at run time
        _order: NDArray[np.intp] = field(init=False, repr=False, compare=False)
        _offsets: NDArray[np.int64] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.centers.ndim != 2 or (self.labels is not None and self.labels.ndim != 1):
            raise ValueError("labels must be 1-D and centers 2-D")
        if self.counts.shape[0] != self.centers.shape[0]:
            raise ValueError("counts must have one entry per center")
        if self.labels is None:
            return
        order = np.argsort(self.labels, kind="stable")
        offsets = np.concatenate([[0], np.cumsum(self.counts)])
        object.__setattr__(self, "_order", order)
        object.__setattr__(self, "_offsets", offsets)

    @property
    def n_centers(self) -> int:
        return self.centers.shape[0]

    def without_labels(self) -> Quantization:
        """The same clusters without the rows' labels (for a run that explodes them where the rows are)."""
        return Quantization(centers=self.centers, labels=None, counts=self.counts, seconds=self.seconds)

    def members(self, cluster: int) -> NDArray[np.int64]:
        """Row indices of one cluster, in increasing order."""
        if self.labels is None:
            raise ValueError(
                "this quantisation has no row labels (its rows were assigned elsewhere); explode "
                "the chosen clusters where the rows are."
            )
        return self._order[self._offsets[cluster] : self._offsets[cluster + 1]]

    def explode(
        self,
        clusters: NDArray,
        quotas: NDArray | None = None,
        *,
        seed: int = 0,
        distances_of=None,
        turns_of=None,
        keep_quotas: bool = False,
    ) -> NDArray[np.int64]:
        """Rows of the given clusters, grouped in the clusters' order; a cluster given twice counts once.

        Without ``quotas`` every row of each cluster in row order; with them, as
        :func:`gio_core.scale.explode.explode_rows` takes them (by the target's turns with ``turns_of``, else
        nearest the target first by ``distances_of``, then by the seeded priority; ``keep_quotas``: each
        cluster its quota, the rows the turns claim first).
        """
        return explode_rows(
            self.members, clusters, quotas, seed, distances_of=distances_of, turns_of=turns_of, keep_quotas=keep_quotas
        )


def quantize(
    points: NDArray,
    n_clusters: int,
    *,
    random_state=None,
    n_iter: int = 20,
    max_points_per_centroid: int = 64,
    name: str = "pool",
    progress: ProgressCallback | None = None,
) -> Quantization:
    """Quantise rows with faiss K-means: train on a seeded sample, assign every row in chunks.

    Parameters
    ----------
    points : ndarray of shape (n_rows, d) or RowSource
        Any float array, a read-only memory map or a :class:`gio_core.io.largefiles.RowSource`; it is
        read in chunks, never copied whole.
    n_clusters : int
        Number of centroids K; at most ``n_rows``.
    random_state : int, Generator or None
        Seeds the training sample and faiss.
    n_iter : int, default=20
        K-means iterations.
    max_points_per_centroid : int, default=64
        Training uses at most ``K x max_points_per_centroid`` rows, drawn uniformly without replacement.
    name : str, default="pool"
        Used in error messages and progress stages.
    progress : callable, optional
        ``progress(stage, done, total)``.

    Returns
    -------
    Quantization
        Empty clusters are dropped, so ``n_centers`` can be below ``n_clusters``.

    Raises
    ------
    ValueError
        ``n_clusters`` larger than the number of rows; rows with NaN or inf (a
        :class:`gio_core.io.DataError` with ``code='nonfinite'``).

    Examples
    --------
    >>> import numpy as np
    >>> rows = np.random.default_rng(0).normal(size=(500, 4))
    >>> q = quantize(rows, 10, random_state=0)
    >>> q.centers.shape, int(q.counts.sum())
    ((10, 4), 500)
    """
    n_clusters = check_int(n_clusters, "n_clusters", minimum=1)
    centers, seconds = train_on_sample(
        points.shape[0],
        n_clusters,
        lambda rows: read_sample(points, rows),
        random_state=random_state,
        name=name,
        n_iter=n_iter,
        max_points_per_centroid=max_points_per_centroid,
        count_nonfinite=lambda: count_nonfinite_rows(points),
        progress=progress,
    )
    assigning = time.perf_counter()
    assignment = assign_in_chunks(points, centers, progress=progress, name=name)
    seconds["assign"] = time.perf_counter() - assigning
    _refuse_nonfinite(name, assignment.nonfinite_rows)
    return compact_quantization(centers, assignment.counts, assignment.labels, name=name, seconds=seconds)


def read_sample(points, rows: NDArray[np.int64] | None) -> NDArray:
    """The training rows of an in-process input: ``rows`` (sorted), or every row when None."""
    if rows is not None:
        return take_rows(points, rows)
    return np.concatenate([chunk for _, chunk in iter_row_chunks(points, CHUNK_ROWS)])


def _refuse_nonfinite(name: str, bad_rows: int) -> None:
    if bad_rows:
        raise DataError(nonfinite_message(name, bad_rows), code="nonfinite", nonfinite_rows=bad_rows)


def train_on_sample(
    n_rows: int,
    n_clusters: int,
    read_rows: Callable[[NDArray[np.int64] | None], NDArray],
    *,
    random_state=None,
    name: str = "pool",
    n_iter: int = 20,
    max_points_per_centroid: int = 64,
    count_nonfinite: Callable[[], int] | None = None,
    progress: ProgressCallback | None = None,
) -> tuple[NDArray[np.float32], dict]:
    """The K-means centroids of ``n_rows`` rows: a seeded sample drawn by row number, read, checked, trained on.

    The one sample-then-train of every engine: :func:`quantize` reads the sample from an array here, the
    selection pipeline's backends read it where the rows are (Parquet shards, a Spark cluster).

    Parameters
    ----------
    n_rows : int
        Rows of the input, numbered 0 … n_rows-1.
    n_clusters : int
        K, at most ``n_rows``.
    read_rows : callable
        ``read_rows(rows)`` returns the vectors of the sorted row numbers ``rows`` (every row when None).
    random_state : int, Generator or None
        Consumed as :func:`draw_training_rows` does.
    name : str, default='pool'
        Names the input in messages and progress stages.
    n_iter, max_points_per_centroid : int
        As :func:`train_centroids`.
    count_nonfinite : callable, optional
        Counts the input's rows with NaN or inf, for the message when the sample holds one.
    progress : callable, optional
        ``progress(stage, done, total)``.

    Returns
    -------
    centers : ndarray of float32, shape (n_clusters, d)
    seconds : dict
        ``{'sample': ..., 'train': ...}``.

    Raises
    ------
    ValueError
        ``n_clusters`` above ``n_rows``; a :class:`gio_core.io.DataError` (``code='nonfinite'``) when the
        sample holds NaN or inf.
    """
    check_cluster_count(n_clusters, n_rows, name)
    rng = check_random_state(random_state)
    faiss_seed, sample_rows = draw_training_rows(
        n_rows, n_clusters, rng, max_points_per_centroid=max_points_per_centroid
    )
    started = time.perf_counter()
    if progress:
        progress(f"reading the K-means sample of the {name}", 0, 1)
    training = read_rows(sample_rows)
    if not np.isfinite(training).all():  # count them all, as an assignment would, then stop
        _refuse_nonfinite(
            name, count_nonfinite() if count_nonfinite is not None else int((~np.isfinite(training)).any(axis=1).sum())
        )
    sampled = time.perf_counter()
    if progress:
        progress(f"training K-means on the {name}", 0, 1)
    centers = train_centroids(
        training, n_clusters, seed=faiss_seed, n_iter=n_iter, max_points_per_centroid=max_points_per_centroid
    )
    if progress:
        progress(f"training K-means on the {name}", 1, 1)
    return centers, {"sample": sampled - started, "train": time.perf_counter() - sampled}


@dataclass(frozen=True)
class QuantisedInputs:
    """What the quantise stage returns: the pool's and the target's K-means, and the pool's assignment.

    Attributes
    ----------
    pool : Quantization
        The pool's non-empty clusters; ``labels`` when the rows are in this process and were kept.
    target : Quantization or None
        The target's clusters when it has more rows than K (GIO then runs on its centroids); None otherwise.
    assignment : Assignment
        Every pool row's raw cluster, as the engine holds it (``labels`` None on Spark).
    raw_clusters : ndarray of int64
        The raw cluster number of each of ``pool``'s clusters.
    target_points : ndarray or None
        The points a data-size budget's rows are chosen by (None when the run takes whole clusters): the
        target's rows, or, past :data:`gio_core.scale.sizing.ORDER_BY_TARGET_ROWS_PAIRS`, its centroids; each
        cluster's share of the budget gives its rows nearest them first.
    fills_by_turns : bool
        ``explode='target_turns'`` with the target's rows as ``target_points``: they take turns at the chosen
        clusters' rows instead (:mod:`gio_core.scale.turns`).
    turns_keep_quotas : bool
        ``explode='share_turns'``: with :attr:`fills_by_turns`, each cluster still gives its quota of the budget,
        the rows the target's turns claim first.
    generator : numpy.random.Generator or None
        The run's random generator after quantising, which the select stage goes on drawing from (so the
        same seed gives the same run in one stage or in several).
    """

    pool: Quantization
    target: Quantization | None
    assignment: Assignment
    raw_clusters: NDArray[np.int64]
    target_points: NDArray[np.float64] | None = None
    fills_by_turns: bool = False
    turns_keep_quotas: bool = False
    generator: np.random.Generator | None = field(default=None, repr=False, compare=False)

    def explode(self, picks: NDArray, quotas: NDArray | None, *, seed: int, matrix=None) -> NDArray[np.int64]:
        """The explode stage in this process: rows of the chosen clusters (``picks``, indices into ``pool``).

        With ``quotas`` (a data-size budget) and the pool's vectors (``matrix``): with :attr:`fills_by_turns`
        the target's rows take turns at the chosen clusters' rows (:mod:`gio_core.scale.turns`); otherwise (or
        when the turns' lists would be too big) each cluster gives its quota, the rows nearest
        :attr:`target_points` first, then by the seeded priority (:func:`gio_core.scale.explode.explode_rows`).
        """
        distances_of = turns_of = None
        if quotas is not None and self.target_points is not None and matrix is not None:
            distances_of = distances_to_target(matrix, self.target_points)  # the quotas' order, if turns give up
            if self.fills_by_turns:
                turns_of = turns_over(matrix, self.target_points, seed)
        return self.pool.explode(
            picks, quotas, seed=seed, distances_of=distances_of, turns_of=turns_of, keep_quotas=self.turns_keep_quotas
        )


def turns_over(matrix, target_rows: NDArray, seed: int):
    """``turns_of(rows, amount, rooms=None)`` for :func:`gio_core.scale.explode.explode_rows`: the target's rows
    take turns at ``rows`` of ``matrix`` (read :data:`CHUNK_ROWS` at a time, again for a deeper search)."""

    def turns_of(rows: NDArray[np.int64], amount: int, rooms: Rooms | None = None) -> NDArray[np.int64] | None:
        def batches():
            for start in range(0, rows.size, CHUNK_ROWS):
                chunk = rows[start : start + CHUNK_ROWS]
                yield chunk, take_rows(matrix, chunk)

        return turns_in_batches(batches, target_rows, amount, seed, n_candidates=rows.size, rooms=rooms)

    return turns_of


def quantise_in_process(
    points,
    target: NDArray,
    n_clusters: int,
    *,
    random_state,
    order_by_target: bool = False,
    by_turns: bool = False,
    keep_quotas: bool = False,
    progress: ProgressCallback | None = None,
) -> QuantisedInputs:
    """:func:`quantise_inputs` with the pool's rows in this process (an array, a memory map or a row source)."""
    return quantise_inputs(
        points.shape[0],
        target,
        n_clusters,
        random_state=random_state,
        read_rows=lambda rows: read_sample(points, rows),
        assign=lambda centers, _points: assign_in_chunks(points, centers, progress=progress),
        order_by_target=order_by_target,
        by_turns=by_turns,
        keep_quotas=keep_quotas,
        progress=progress,
    )


def quantise_inputs(
    n_pool_rows: int,
    target: NDArray,
    n_clusters: int,
    *,
    random_state,
    read_rows: Callable[[NDArray[np.int64] | None], NDArray],
    assign: Callable[[NDArray, NDArray | None], Assignment],
    order_by_target: bool = False,
    by_turns: bool = False,
    keep_quotas: bool = False,
    progress: ProgressCallback | None = None,
) -> QuantisedInputs:
    """The quantise stage: train on the pool's sample, quantise the target (when larger than K), assign the pool.

    :class:`gio_core.GIOSelector` (``n_clusters``) and the selection pipeline both run this, so the same
    inputs and seed give the same centroids and labels; an engine supplies ``read_rows`` and ``assign``.

    Parameters
    ----------
    n_pool_rows : int
    target : ndarray of shape (n_target, d)
    n_clusters : int
    random_state : Generator
        Consumed in a fixed order: the pool's sample and faiss seed, then the target's.
    read_rows : callable
        ``read_rows(rows)``: the pool vectors of the sorted row numbers (every row when None).
    assign : callable
        ``assign(centers, target_points)``: every pool row's nearest centre as an :class:`Assignment`
        (``target_points`` for an engine that measures each row's distance to the target while it assigns).
    order_by_target : bool, default=False
        A data-size budget will take part of the chosen clusters' rows, chosen by the target: set
        ``target_points`` (:func:`target_points_for_order`).
    by_turns : bool, default=False
        With ``order_by_target``, fill the budget by the target's rows taking turns
        (``explode='target_turns'``; :attr:`QuantisedInputs.fills_by_turns`, when the target's rows are at hand).
    keep_quotas : bool, default=False
        With ``by_turns``, each chosen cluster keeps its quota (``explode='share_turns'``).
    progress : callable, optional

    Returns
    -------
    QuantisedInputs
    """
    rng = check_random_state(random_state)
    width = target.shape[1]
    centers, seconds = train_on_sample(
        n_pool_rows,
        n_clusters,
        read_rows,
        random_state=rng,
        name="pool",
        progress=progress,
        count_nonfinite=lambda: assign(np.zeros((1, width), dtype=np.float32), None).nonfinite_rows,
    )
    target_quantization = None
    if target.shape[0] > n_clusters:
        target_quantization = quantize(target, n_clusters, random_state=rng, name="target", progress=progress)
    points = None
    if order_by_target:
        points = target_points_for_order(target, target_quantization, n_pool_rows)
    assigning = time.perf_counter()
    assignment = assign(centers, points)
    seconds["assign"] = time.perf_counter() - assigning
    _refuse_nonfinite("pool", assignment.nonfinite_rows)
    pool = compact_quantization(centers, assignment.counts, assignment.labels, name="pool", seconds=seconds)
    return QuantisedInputs(
        pool=pool,
        target=target_quantization,
        assignment=assignment,
        raw_clusters=raw_cluster_numbers(assignment.counts),
        target_points=points,
        fills_by_turns=by_turns
        and order_by_target
        and fills_budget_by_target_rows(target.shape[0], target_quantization is not None, n_pool_rows),
        turns_keep_quotas=keep_quotas,
        generator=rng,
    )


def target_points_for_order(target: NDArray, target_quantization: Quantization | None, n_pool_rows: int) -> NDArray:
    """The points a partly taken cluster's rows are ordered by: the target's rows, or its centroids when it was
    quantised and pool rows x target rows exceeds :data:`gio_core.scale.sizing.ORDER_BY_TARGET_ROWS_PAIRS`.

    A function of the shapes alone, so every engine orders by the same points.

    Examples
    --------
    >>> rows = np.zeros((5, 2))
    >>> target_points_for_order(rows, None, 10**9).shape
    (5, 2)
    """
    if target_quantization is None or fills_budget_by_target_rows(target.shape[0], True, n_pool_rows):
        return np.asarray(target, dtype=np.float64)
    return target_quantization.centers


def fills_budget_by_target_rows(n_target_rows: int, target_quantised: bool, n_pool_rows: int) -> bool:
    """Whether a data-size budget is filled by the target's rows taking turns (:mod:`gio_core.scale.turns`):
    unless the target was quantised and pool rows x target rows exceeds
    :data:`gio_core.scale.sizing.ORDER_BY_TARGET_ROWS_PAIRS` (then its centroids order each cluster's quota).

    Examples
    --------
    >>> fills_budget_by_target_rows(1_000, True, 60_000), fills_budget_by_target_rows(10**6, True, 10**6)
    (True, False)
    """
    return not target_quantised or n_pool_rows * n_target_rows <= ORDER_BY_TARGET_ROWS_PAIRS


def check_cluster_count(n_clusters: int, n_rows: int, name: str = "pool") -> None:
    """Raise ``ValueError`` when there are fewer rows than clusters."""
    if n_clusters > n_rows:
        raise ValueError(
            f"n_clusters={n_clusters} is larger than the {n_rows} rows of the {name}; "
            f"use at most {n_rows} clusters, or turn quantisation off for data this small."
        )


def nonfinite_message(name: str, bad_rows: int) -> str:
    """The one-line error for rows with NaN or inf, the same from every engine."""
    return f"{name} has {bad_rows} row(s) with NaN or inf values; drop or fill those rows first."


def draw_training_rows(
    n_rows: int, n_clusters: int, random_state=None, *, max_points_per_centroid: int = 64
) -> tuple[int, NDArray[np.int64] | None]:
    """The K-means training sample as global row numbers, and the seed faiss trains with.

    Every engine draws the sample here, from the row count alone, so a distributed engine and the
    in-process one train on the very same rows.

    Parameters
    ----------
    n_rows : int
        Rows of the input, numbered 0 … n_rows-1 in file order.
    n_clusters : int
    random_state : int, Generator or None
        Consumed in a fixed order: first the faiss seed, then the sample.
    max_points_per_centroid : int, default=64
        The sample holds at most ``n_clusters x max_points_per_centroid`` rows.

    Returns
    -------
    faiss_seed : int
    rows : ndarray of int64 (sorted) or None
        None when every row is used for training.

    Examples
    --------
    >>> seed, rows = draw_training_rows(1000, 2, 0, max_points_per_centroid=5)
    >>> rows.size, bool((rows[1:] > rows[:-1]).all())
    (10, True)
    """
    rng = check_random_state(random_state)
    faiss_seed = int(rng.integers(0, 2**31 - 1))
    sample_size = min(n_rows, n_clusters * max_points_per_centroid)
    if sample_size >= n_rows:
        return faiss_seed, None
    return faiss_seed, np.sort(rng.choice(n_rows, size=sample_size, replace=False)).astype(np.int64)


def train_centroids(
    training: NDArray,
    n_clusters: int,
    *,
    seed: int,
    n_iter: int = 20,
    max_points_per_centroid: int = 64,
    seeding_points_per_centroid: int | None = None,
) -> NDArray[np.float32]:
    """faiss K-means on the training rows (all finite), on this machine, started from k-means++
    (:func:`seed_centroids`).

    Parameters
    ----------
    training : ndarray of shape (n_sample, d)
        The rows :func:`draw_training_rows` named, in increasing row order.
    n_clusters : int
    seed : int
        faiss's seed (from :func:`draw_training_rows`).
    n_iter : int, default=20
    max_points_per_centroid : int, default=64
    seeding_points_per_centroid : int or None, default=None
        As :func:`seed_centroids` (0: faiss's random start; None: :data:`SEEDING_POINTS_PER_CENTROID`).

    Returns
    -------
    ndarray of float32, shape (n_clusters, d)
    """
    import faiss

    training = np.ascontiguousarray(training, dtype=np.float32)
    if seeding_points_per_centroid is None:
        seeding_points_per_centroid = SEEDING_POINTS_PER_CENTROID
    init = seed_centroids(training, n_clusters, seed=seed, points_per_centroid=seeding_points_per_centroid)
    kmeans = faiss.Kmeans(
        training.shape[1],
        n_clusters,
        niter=n_iter,
        seed=int(seed),
        verbose=False,
        max_points_per_centroid=max(max_points_per_centroid, 1),
        min_points_per_centroid=1,
    )
    kmeans.train(training, init_centroids=init)
    return np.array(kmeans.centroids, dtype=np.float32)


def seed_centroids(
    training: NDArray[np.float32], n_clusters: int, *, seed: int, points_per_centroid: int = 8
) -> NDArray[np.float32] | None:
    """k-means++ starting centroids for faiss, drawn from a seeded subset of the training rows.

    faiss starts from K random training rows, so a well-separated cluster that draws no starting row is merged
    into a neighbour and stays merged: on 200 separated centres in 384-d, 3.0–3.7% of 300 clusters held two or
    more of them and 13–18 centres owned no cluster (``benchmarks/quantised_quality.py --merges``; 0% and 0 from
    k-means++). k-means++ (scikit-learn's ``kmeans_plusplus``, greedy,
    2 + log K trials a centre) spreads the starting rows by squared distance; seeding from
    ``points_per_centroid x K`` rows rather than the whole sample keeps its cost (K x trials x subset x d)
    to seconds at K = 2,000.

    Parameters
    ----------
    training : ndarray of float32, shape (n_sample, d)
    n_clusters : int
    seed : int
        The run's faiss seed; the same seed gives the same start on every engine.
    points_per_centroid : int, default=8
        Rows of the seeding subset per centroid; 0 leaves the start to faiss (random training rows).

    Returns
    -------
    ndarray of float32, shape (n_clusters, d), or None
        None (faiss's own start) when ``points_per_centroid`` is 0 or there are no more rows than K.
    """
    from sklearn.cluster import kmeans_plusplus

    n_rows = training.shape[0]
    if points_per_centroid <= 0 or n_rows <= n_clusters:
        return None
    rng = np.random.default_rng(seed)
    size = min(n_rows, n_clusters * points_per_centroid)
    subset = training if size >= n_rows else training[np.sort(rng.choice(n_rows, size=size, replace=False))]
    subset = np.asarray(subset, dtype=np.float64)  # float32 squared distances lose the small gaps
    centers, _ = kmeans_plusplus(subset, n_clusters, random_state=int(rng.integers(0, 2**31 - 1)))
    return np.ascontiguousarray(centers, dtype=np.float32)


def compact_quantization(
    centers: NDArray, counts: NDArray, labels: NDArray | None = None, *, name: str = "pool", seconds: dict | None = None
) -> Quantization:
    """A :class:`Quantization` from raw centroids and counts: empty clusters dropped, labels renumbered.

    Parameters
    ----------
    centers : ndarray of shape (n_clusters, d)
    counts : ndarray of int, shape (n_clusters,)
        Rows assigned to each raw cluster.
    labels : ndarray of int, optional
        Raw cluster per row; None when the rows live elsewhere.
    name : str, default="pool"
    seconds : dict, optional

    Returns
    -------
    Quantization
        ``kept_clusters(q)`` gives the raw number of each of its clusters.
    """
    counts = np.asarray(counts, dtype=np.int64)
    kept = np.flatnonzero(counts)
    if kept.size < counts.size:
        logger.info("%s: %d of %d clusters were empty and are dropped", name, counts.size - kept.size, counts.size)
        if labels is not None:
            remap = np.full(counts.size, -1, dtype=np.int64)
            remap[kept] = np.arange(kept.size)
            labels = remap[labels]
    return Quantization(
        centers=np.asarray(np.asarray(centers)[kept], dtype=np.float64),
        labels=labels,
        counts=counts[kept],
        seconds=dict(seconds or {}),
    )


def raw_cluster_numbers(counts: NDArray) -> NDArray[np.int64]:
    """For each cluster of :func:`compact_quantization`'s result, its raw number (the non-empty ones, in order)."""
    return np.flatnonzero(np.asarray(counts)).astype(np.int64)
