"""Gradient Information Optimization (Everaert & Potts, ICLR 2024): the selector.

Each step runs gradient descent on a free point ``v`` to lower an estimate of KL(target || D u V), snaps ``v``
to a nearby unused pool row, adds that row, and applies the stopping rule (the loop is
:mod:`gio_core.gio.run`). With ``n_clusters`` the pool and the target are first quantised with K-means and GIO
runs on the centroids; the chosen centroids are then exploded to their rows, by the same stage functions the
selection pipeline runs (:func:`gio_core.scale.quantize.quantise_in_process`,
:meth:`gio_core.scale.quantize.QuantisedInputs.explode`).

The parameter names are those of grad-info-opt 0.1.2's ``GIOKL.fit`` and ``GIOKL.__init__``. The differences
from that implementation (all of them fixes) are listed in the README and in :class:`GIOSelector`'s Notes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import fields, replace

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator

from .._validation import (
    as_matrix,
    check_random_state,
    check_same_dimension,
    check_target_rows,
)
from ..io.largefiles import RowSource, is_row_source
from ..scale.explode import budget_quotas, distinct_in_order
from ..scale.quantize import (
    ProgressCallback,
    QuantisedInputs,
    Quantization,
    fills_budget_by_target_rows,
    quantise_in_process,
)
from .config import GIOConfig, GIOResult, GIOStep
from .run import _Run, _start_set

__all__ = ["GIOSelector", "select"]


class GIOSelector(BaseEstimator):
    """Select pool rows whose union with a start set best matches a target sample (GIO).

    The defaults are those the quality study chose (``benchmarks/gio_variants.py``, README "Defaults");
    ``GIOSelector(**PAPER_GIO_PARAMS)`` is the paper's GIO with every parameter at grad-info-opt
    0.1.2's value.

    Parameters
    ----------
    k : int, default=5
        Neighbour rank of the k-NN KL estimator.
    max_iter : int or None, default=None
        At most this many picks (GIO steps that keep a row). None: 100, or a fifth of the centroids when
        quantised (:func:`gio_core.scale.suggested_max_picks`; grad-info-opt's fixed 100 stopped a run on
        2,000 centroids with the KL still falling).
    stop_criterion : {'increase', 'min_difference', 'min_kl', 'data_size', \
'sequential_increase_tolerance', 'max_resets'}, default='sequential_increase_tolerance'
        When to stop: the KL rises; it falls by less than ``min_difference``; it falls below
        ``min_kl``; the selection reaches ``max_data_size`` of the pool; ``max_sequential_increases``
        rises in a row (the selection at its lowest KL is returned); or a rise after ``max_resets``
        pool resets. grad-info-opt's default is ``'increase'``.
    min_difference : float, default=0.0
        Threshold of ``'min_difference'``.
    resets_allowed : bool, default=False
        When the rule fires, make the whole pool available again (duplicates become possible) instead
        of stopping, up to ``max_resets`` times.
    max_resets : int, default=2
    max_data_size : float, default=1.0
        Fraction of pool rows for ``'data_size'``.
    min_kl : float, default=0.0
        Threshold of ``'min_kl'``.
    max_sequential_increases : int, default=3
        Threshold of ``'sequential_increase_tolerance'``.
    random_init_pct : float, default=0.0
        Without ``init``, start from this fraction of the pool chosen at random (instead of the
        uniform start). Those rows are not picked again.
    random_restart_prob : float, default=0.0
        Chance that a step runs three times as many gradient steps.
    scale_factor : float or 'auto', default='auto'
        Multiplies the gradient with ``step_rule='plain'``; ``'auto'`` is ``|v0| / |grad(v0)|`` as in
        grad-info-opt. Unused by ``'preconditioned'`` steps, which are scale-free.
    v_init : {'mean', 'prev_opt', 'jump', 'cycle'}, default='cycle'
        Where each gradient descent starts: the target mean, the previous optimum, a random target
        row, or a random target row visiting every row once per round ('cycle', ours).
        grad-info-opt's default is ``'mean'``.
    grad_desc_iter : int, default=20
        Gradient steps per pick (three times as many on the first). grad-info-opt's default is 50.
    discard_nearest_for_xy : bool, default=False
        Estimator variant that leaves out each target row's nearest sample point (``objective='averaged'``).
    lr : float, default=0.5
        Learning rate: with ``'plain'`` steps, the step is ``lr x scale_factor x gradient``
        (grad-info-opt's default lr is 0.01); with ``'preconditioned'`` steps, the fraction of the way
        to the fixed point.
    uniform_low, uniform_high : float, default=-1.0, 1.0
        Range of the uniform start set (used when neither ``init`` nor ``random_init_pct`` is given).
    uniform_start_size : int, default=0
        Points in the uniform start set; 0 starts from an empty set. grad-info-opt's default is 20.
    normalize : bool, default=True
        Scale each uniform start point to unit length.
    objective : {'smooth', 'averaged'}, default='smooth'
        What the descent lowers. ``'averaged'``: the paper's rank-averaged k-NN estimate, whose
        gradient ignores the points already chosen. ``'smooth'`` (ours): a smooth relaxation of the
        standard k-NN estimate, whose gradient stops pulling towards target rows that the selection
        already covers (:class:`gio_core.gio.objectives.SmoothKNNKL`). The KL reported and used by the
        stopping rules is the objective's own estimate (the standard estimator for ``'smooth'``,
        ``inf`` while the selection has fewer than ``k`` rows).
    step_rule : {'preconditioned', 'plain'}, default='preconditioned'
        ``'plain'``: ``v <- v - lr x scale x gradient`` (the paper). ``'preconditioned'`` (ours): a
        step of ``lr`` towards the fixed point of the gradient (a Weiszfeld step), independent of the
        data's units.
    sharpness : float, default=4.0
        Exponent of the soft minimum in ``objective='smooth'``.
    trust_radius : float or None, default=0.25
        Keep each descent within this many median target k-NN radii of its start (None: no limit).
    snap_candidates : int, default=5
        Snap ``v`` to the best, by the objective's estimate, of this many nearest unused pool rows
        (1: the nearest row, as the paper).
    explode : {'share_turns', 'target_share', 'target_turns', 'all'}, default='share_turns'
        How chosen centroids become rows when quantised. ``'all'``: every row of each chosen cluster
        (the paper; ``'data_size'`` then stops once the chosen clusters hold the budget). The others are
        ours: with ``stop_criterion='data_size'`` the run over centroids stops where its KL stops falling
        (``max_sequential_increases`` rises in a row, ``max_iter``, or no centroid left), and the budget of
        ``max_data_size`` x pool rows is then taken from the chosen clusters. ``'target_share'``: shared
        among them by the target rows nearest each centroid (each cluster's quota), a cluster giving its rows
        nearest the target, ties broken by a seeded hash (:mod:`gio_core.scale.explode`).
        ``'share_turns'``: the same quotas, but the target's rows take turns (in a seeded order, each its
        nearest untaken row of a cluster with room left; one search of each target row's nearest rows,
        :mod:`gio_core.scale.turns`) and what they leave of a quota goes nearest the target: every target
        row gets rows near it (on Fashion-MNIST target shift +0.3 to +1.7 accuracy points over
        ``'target_share'`` on all six groups, ten seeds) while the centroids decide how much each cluster gives (as
        many rows in the target as ``'target_share'`` on overlapping mixtures). ``'target_turns'``: the
        turns without quotas until the budget is spent (it takes more rows that are not the target's on
        overlapping clusters: README "Quality at scale"). Other stopping rules take every row, as ``'all'``.
    candidates : {'near_target', 'all'}, default='near_target'
        Which centroids a quantised run may pick. ``'all'``: any (the paper). ``'near_target'`` (ours): the
        nearest centroid of each target row (of each target centroid when the rows are not at hand or more than
        200,000; ``target_rows`` gives them to a run on a given quantisation), widened to
        the second, third… nearest until they hold the data-size budget and more than ``k`` centroids. With
        few centroids per target mode the k-NN estimate keeps falling as far clusters are added, so GIO over
        every centroid took 2–4x the target's rows from clusters with no target row in them
        (``benchmarks/quantised_quality.py``); a run that has taken every allowed centroid stops
        (``stop_reason_ == 'pool_exhausted'``). Unquantised runs ignore it.
    n_clusters : int or None, default=None
        Quantise pool and target with K-means into this many clusters and run on the centroids.
    random_state : int, Generator or None, default=None
        Seeds every random choice; the same seed gives bit-identical results.

    Attributes
    ----------
    selected_indices_ : ndarray of int or None
        Pool rows in pick order (grouped by cluster when quantised); None when the pool came as a
        :class:`Quantization` without labels.
    kl_curve_ : ndarray of float
        KL after each kept pick.
    initial_kl_ : float
    stop_reason_ : str
        Why the run ended (see :data:`STOP_REASONS`); ``stop_message_`` says it in a sentence.
    selected_clusters_ : ndarray of int or None
        Chosen pool centroids in pick order, when quantised.
    cluster_labels_ : ndarray of int or None
        Cluster of each pool row, when quantised.
    cluster_centers_ : ndarray or None
        Pool centroids, when quantised.
    result_ : GIOResult

    Notes
    -----
    Everaert & Potts, "GIO: Gradient Information Optimization for Training Dataset Selection",
    ICLR 2024. Differences from grad-info-opt 0.1.2: ``max_iter`` keeps at most ``max_iter`` picks
    (not ``max_iter + 1``); ``'data_size'`` keeps ``int(max_data_size x pool rows)`` (not one more);
    ``'min_kl'`` keeps the pick that reached the floor; ``'sequential_increase_tolerance'`` and
    ``'max_resets'`` work (they never fired there); a run stops cleanly when the pool runs out; all
    randomness comes from ``random_state``; computation is in float64.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> pool, target = rng.normal(size=(300, 2)), rng.normal(size=(100, 2))
    >>> selector = GIOSelector(random_state=0).fit(pool, target)
    >>> selector.stop_reason_
    'sequential_increase_tolerance'
    >>> paper = GIOSelector(**PAPER_GIO_PARAMS, random_state=0).fit(pool, target, init=pool[:5])
    >>> paper.stop_reason_ in ("increase", "max_iter")
    True
    """

    def __init__(
        self,
        *,
        k: int = 5,
        max_iter: int | None = None,
        stop_criterion: str = "sequential_increase_tolerance",
        min_difference: float = 0.0,
        resets_allowed: bool = False,
        max_resets: int = 2,
        max_data_size: float = 1.0,
        min_kl: float = 0.0,
        max_sequential_increases: int = 3,
        random_init_pct: float = 0.0,
        random_restart_prob: float = 0.0,
        scale_factor: float | str = "auto",
        v_init: str = "cycle",
        grad_desc_iter: int = 20,
        discard_nearest_for_xy: bool = False,
        lr: float = 0.5,
        uniform_low: float = -1.0,
        uniform_high: float = 1.0,
        uniform_start_size: int = 0,
        normalize: bool = True,
        objective: str = "smooth",
        step_rule: str = "preconditioned",
        sharpness: float = 4.0,
        trust_radius: float | None = 0.25,
        snap_candidates: int = 5,
        explode: str = "share_turns",
        candidates: str = "near_target",
        n_clusters: int | None = None,
        random_state=None,
    ):
        self.k = k
        self.max_iter = max_iter
        self.stop_criterion = stop_criterion
        self.min_difference = min_difference
        self.resets_allowed = resets_allowed
        self.max_resets = max_resets
        self.max_data_size = max_data_size
        self.min_kl = min_kl
        self.max_sequential_increases = max_sequential_increases
        self.random_init_pct = random_init_pct
        self.random_restart_prob = random_restart_prob
        self.scale_factor = scale_factor
        self.v_init = v_init
        self.grad_desc_iter = grad_desc_iter
        self.discard_nearest_for_xy = discard_nearest_for_xy
        self.lr = lr
        self.uniform_low = uniform_low
        self.uniform_high = uniform_high
        self.uniform_start_size = uniform_start_size
        self.normalize = normalize
        self.objective = objective
        self.step_rule = step_rule
        self.sharpness = sharpness
        self.trust_radius = trust_radius
        self.snap_candidates = snap_candidates
        self.explode = explode
        self.candidates = candidates
        self.n_clusters = n_clusters
        self.random_state = random_state

    def config(self) -> GIOConfig:
        """The validated parameters (raises ``ValueError``/``TypeError`` on bad ones)."""
        names = {f.name for f in fields(GIOConfig)}
        return GIOConfig(**{name: value for name, value in self.get_params().items() if name in names})

    def fit(
        self,
        pool: ArrayLike | Quantization,
        target: ArrayLike | Quantization,
        init: ArrayLike | None = None,
        *,
        callback: Callable[[GIOStep], object] | None = None,
        progress: ProgressCallback | None = None,
        target_rows: ArrayLike | None = None,
    ) -> GIOSelector:
        """Run GIO to the stopping rule.

        Parameters
        ----------
        pool : array-like of shape (n_pool, d), RowSource or Quantization
            The candidates G. Float arrays and memory maps are used without a copy; a
            :class:`gio_core.io.largefiles.RowSource` is read in chunks when quantised. A
            :class:`Quantization` is a pool quantised already (``n_clusters`` is then not used); its
            ``labels`` may be None when the rows live elsewhere (a Spark engine), and
            ``selected_indices_`` is then None: explode with ``result_.row_quotas``.
        target : array-like of shape (n_target, d), or Quantization
            The target sample X; at least ``k + 1`` rows (centroids when quantised).
        init : array-like of shape (n0, d), optional
            The start set D (never part of the selection). Zero rows is an empty start. Without it,
            ``random_init_pct`` or the uniform start applies, as in the paper.
        callback : callable, optional
            Called with each :class:`GIOStep`.
        progress : callable, optional
            ``progress(stage, done, total)`` during quantisation.
        target_rows : array-like of shape (n_target, d), optional
            With ``target`` given as a :class:`Quantization`: the target rows behind it, so that
            ``explode='target_share'`` shares the budget by rows (without them, by centroids weighted
            by their counts, a coarser split).

        Returns
        -------
        self
        """
        for step in self.iter_fit(pool, target, init, progress=progress, target_rows=target_rows):
            if callback is not None:
                callback(step)
        return self

    def iter_fit(
        self,
        pool: ArrayLike | Quantization,
        target: ArrayLike | Quantization,
        init: ArrayLike | None = None,
        *,
        record_path: bool = False,
        progress: ProgressCallback | None = None,
        target_rows: ArrayLike | None = None,
    ) -> Generator[GIOStep, None, None]:
        """Run GIO step by step: a generator of :class:`GIOStep`.

        The fitted attributes are set when the generator finishes, or, if it is closed early (a
        Stop button), with the picks so far and ``stop_reason_ == 'interrupted'``.

        Parameters
        ----------
        pool, target, init, progress, target_rows
            As in :meth:`fit`.
        record_path : bool, default=False
            Attach each step's gradient-descent path of ``v``.

        Yields
        ------
        GIOStep
        """
        config = self.config()
        started = time.perf_counter()
        rng = check_random_state(self.random_state)
        seconds: dict = {}
        pool_quantization: Quantization | None
        target_quantization: Quantization | None
        target_row_matrix: NDArray | None  # the target's rows, when at hand
        pool_rows: NDArray | RowSource | None
        rows_per_candidate: NDArray | None
        quantised: QuantisedInputs | None
        if isinstance(pool, Quantization):  # quantised elsewhere (the pipeline's stage, a Spark engine)
            pool_quantization, target_quantization, target_points = _given_quantizations(pool, target, config)
            if target_quantization is None:
                target_row_matrix = target_points
            elif target_rows is not None:
                target_row_matrix = as_matrix(target_rows, "target_rows")
                check_same_dimension(target_row_matrix, "target_rows", target_points, "target")
            else:
                target_row_matrix = None
            pool_rows = None  # the vectors live elsewhere: whoever explodes orders rows by distance there
            candidates = pool_quantization.centers
            rows_per_candidate = pool_quantization.counts
            n_pool_rows = int(pool_quantization.counts.sum())
            quantised = None
        else:
            quantised, target_points, pool_rows, target_row_matrix = self._quantize(
                pool, target, config, rng, progress, seconds
            )
            if quantised is None:
                assert isinstance(pool_rows, np.ndarray)  # an unquantised run has every row in memory
                pool_quantization, target_quantization = None, None
                candidates = pool_rows
                rows_per_candidate = None
            else:
                pool_quantization, target_quantization = quantised.pool, quantised.target
                candidates = pool_quantization.centers
                rows_per_candidate = pool_quantization.counts
            n_pool_rows = pool_rows.shape[0]
        row_budget = int(config.max_data_size * n_pool_rows)

        start, excluded = _start_set(init, candidates, config, rng, dimension=candidates.shape[1])
        restricted = False
        if rows_per_candidate is not None and config.candidates == "near_target":
            by_rows = target_row_matrix is not None and target_row_matrix.shape[0] <= NEAR_TARGET_POINTS
            near_points = target_row_matrix if target_row_matrix is not None and by_rows else target_points
            allowed = clusters_near_target(
                candidates,
                rows_per_candidate,
                near_points,
                min_clusters=config.k + 1,
                min_rows=row_budget if config.stop_criterion == "data_size" else 0,
                target_weights=None if by_rows or target_quantization is None else target_quantization.counts,
            )
            if allowed.size < candidates.shape[0]:
                restricted = True
                others = np.setdiff1d(np.arange(candidates.shape[0]), allowed)
                excluded = others if excluded is None else np.union1d(excluded, others)
        run = _Run(
            candidates,
            target_points,
            start,
            config,
            rng,
            rows_per_candidate=rows_per_candidate,
            row_budget=row_budget,
            excluded=excluded,
            record_path=record_path,
            target_rows=target_row_matrix,
            near_target_only=restricted,
        )
        seconds["prepare"] = time.perf_counter() - started
        selection_started = time.perf_counter()
        finished = False
        try:
            for step in run.steps():
                if step.kept:
                    step = replace(step, rows=_rows_of_pick(step.candidate, run.picks[:-1], pool_quantization))
                yield step
            finished = True
        finally:
            if not finished:
                run._stop("interrupted", "stopped before the end of the run.")
            seconds["select"] = time.perf_counter() - selection_started
            self._store(run, pool_quantization, target_quantization, seconds, quantised=quantised, pool_rows=pool_rows)

    @staticmethod
    def _quantize(
        pool: ArrayLike, target: ArrayLike | Quantization, config: GIOConfig, rng, progress, seconds: dict
    ) -> tuple[QuantisedInputs | None, NDArray[np.float64], NDArray | RowSource, NDArray[np.floating]]:
        """Check the inputs and, with ``n_clusters``, run the quantise stage on them (the pipeline's own,
        in this process): the quantised inputs (None without ``n_clusters``), the target points GIO runs on,
        and the checked pool and target rows."""
        pool_matrix, target_matrix = _check_data(pool, target, config, quantized=config.n_clusters is not None)
        if config.n_clusters is None:
            return None, np.asarray(target_matrix, dtype=np.float64), pool_matrix, target_matrix
        quantised = quantise_in_process(
            pool_matrix,
            target_matrix,
            config.n_clusters,
            random_state=rng,
            order_by_target=config.orders_rows_by_target,
            by_turns=config.fills_by_turns,
            keep_quotas=config.turns_keep_quotas,
            progress=progress,
        )
        seconds["quantize_pool"] = sum(quantised.pool.seconds.values())
        if quantised.target is not None:
            seconds["quantize_target"] = sum(quantised.target.seconds.values())
            target_points = quantised.target.centers
        else:
            target_points = np.asarray(target_matrix, dtype=np.float64)
        check_target_rows(target_points, config.k, "target (after quantisation)")
        return quantised, target_points, pool_matrix, target_matrix

    def _store(
        self,
        run: _Run,
        pool_quantization,
        target_quantization,
        seconds: dict,
        *,
        quantised: QuantisedInputs | None = None,
        pool_rows=None,
    ) -> None:
        picks = np.asarray(run.picks, dtype=np.int64)
        quotas, explode_seed, message = None, None, run.stop_message
        if pool_quantization is not None:
            explode_seed = int(run.rng.integers(0, 2**62))
            if run.shares_budget and picks.size:
                quotas, message = _shared_quotas(run, pool_quantization, target_quantization, picks)
            if quantised is not None:  # the rows are here: the explode stage, as the pipeline runs it in process
                rows = quantised.explode(picks, quotas, seed=explode_seed, matrix=pool_rows)
            elif pool_quantization.labels is not None:  # quantised elsewhere, labels at hand (the app's live map)
                rows = pool_quantization.explode(picks, quotas, seed=explode_seed)
            else:
                rows = None
        else:
            rows = picks
        self.result_ = GIOResult(
            selected_indices=rows,
            selected_candidates=picks,
            kl_curve=np.asarray(run.kl_curve, dtype=np.float64),
            initial_kl=float(run.initial_kl),
            stop_reason=run.stop_reason or "interrupted",
            stop_message=message,
            n_steps=run.n_steps,
            scale_factor=float(run.scale_factor),
            start_points=run.start,
            pool_quantization=pool_quantization,
            target_quantization=target_quantization,
            seconds=seconds,
            row_quotas=quotas,
            explode_seed=explode_seed,
        )
        self.selected_indices_ = self.result_.selected_indices
        self.kl_curve_ = self.result_.kl_curve
        self.initial_kl_ = self.result_.initial_kl
        self.stop_reason_ = self.result_.stop_reason
        self.stop_message_ = self.result_.stop_message
        self.n_steps_ = self.result_.n_steps
        self.scale_factor_ = self.result_.scale_factor
        quantized = pool_quantization is not None
        self.selected_clusters_ = picks if quantized else None
        self.cluster_labels_ = pool_quantization.labels if quantized else None
        self.cluster_centers_ = pool_quantization.centers if quantized else None


#: ``candidates='near_target'`` looks up the nearest centroids of the target's rows when there are at most this
#: many of them at hand, else of the target's centroids.
NEAR_TARGET_POINTS = 200_000


#: ``candidates='near_target'``: a cluster nearest some target point is a candidate only if the target's share
#: of points nearest it is at least this times the pool's share of rows in it. On mixtures of overlapping modes
#: a target row's nearest centroid is often a cluster of another mode (one or two target rows of 2,000 in a
#: cluster of 50 pool rows); taking such clusters whole put 0.33-0.60 of the own stop's rows in the target
#: with 50 target modes, 0.91-0.96 without them (``benchmarks/quantised_quality.py``, README "Quality at
#: scale"). Half, not one: where the target is drawn like the pool, noise alone puts a cluster's ratio below
#: one half the time, and those clusters are the target's too.
MIN_TARGET_DENSITY_RATIO = 0.5


def clusters_near_target(
    centers: NDArray,
    counts: NDArray,
    target: NDArray,
    *,
    min_clusters: int = 1,
    min_rows: int = 0,
    max_rank: int = 8,
    target_weights: NDArray | None = None,
    min_density_ratio: float = MIN_TARGET_DENSITY_RATIO,
) -> NDArray[np.int64]:
    """The centroids a quantised run may pick (``candidates='near_target'``): each target point's nearest, where
    the target is at least ``min_density_ratio`` times as dense as the pool.

    A cluster's density ratio is the share of the target's points (weighted by ``target_weights``) whose nearest
    centroid it is, over its share of the pool's rows. If the clusters that pass do not hold ``min_rows`` rows or
    are fewer than ``min_clusters``, every nearest cluster is allowed, widened rank by rank (each point's second
    nearest, third…, up to ``max_rank``) until they are more than ``min_clusters`` - 1 and hold ``min_rows``
    rows; past ``max_rank``, every centroid.

    Parameters
    ----------
    centers : ndarray of shape (n_clusters, d)
    counts : ndarray of shape (n_clusters,)
        Rows per cluster.
    target : ndarray of shape (n_target, d)
        The target's rows, or its centroids.
    min_clusters, min_rows : int
    max_rank : int, default=8
    target_weights : ndarray of shape (n_target,), optional
        Rows behind each target point (its cluster size, when ``target`` holds centroids); default 1 each.
    min_density_ratio : float, default=MIN_TARGET_DENSITY_RATIO
        0 allows every nearest cluster.

    Returns
    -------
    ndarray of int64
        Sorted cluster indices.

    Examples
    --------
    >>> import numpy as np
    >>> centers = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> clusters_near_target(centers, np.array([5, 5, 5, 5]), np.array([[0.2], [10.4]])).tolist()
    [0, 2]
    >>> clusters_near_target(centers, np.array([5, 5, 5, 5]), np.array([[0.2]]), min_rows=10).tolist()
    [0, 1]
    >>> # cluster 2 is the nearest of one target point of ten, but holds half the pool: not the target's
    >>> clusters_near_target(centers, np.array([5, 5, 40, 30]), np.array([[0.1]] * 5 + [[0.9]] * 4 + [[9.9]])).tolist()
    [0, 1]
    """
    import faiss

    n_clusters = centers.shape[0]
    if n_clusters <= min_clusters:
        return np.arange(n_clusters, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    index = faiss.IndexFlatL2(centers.shape[1])
    index.add(np.ascontiguousarray(centers, dtype=np.float32))
    _, nearest = index.search(np.ascontiguousarray(target, dtype=np.float32), min(max_rank, n_clusters))
    if min_density_ratio > 0:
        weights = np.ones(len(target)) if target_weights is None else np.asarray(target_weights, dtype=np.float64)
        target_share = np.bincount(nearest[:, 0], weights=weights, minlength=n_clusters) / weights.sum()
        pool_share = counts / max(int(counts.sum()), 1)
        dense = np.flatnonzero((target_share > 0) & (target_share >= min_density_ratio * pool_share))
        if dense.size >= min_clusters and counts[dense].sum() >= min_rows:
            return dense.astype(np.int64)
    allowed = np.zeros(n_clusters, dtype=bool)
    for rank in range(nearest.shape[1]):
        allowed[nearest[:, rank][nearest[:, rank] >= 0]] = True
        if allowed.sum() >= min_clusters and counts[allowed].sum() >= min_rows:
            return np.flatnonzero(allowed).astype(np.int64)
    return np.arange(n_clusters, dtype=np.int64)


def _shared_quotas(
    run: _Run, pool_quantization: Quantization, target_quantization: Quantization | None, picks: NDArray
) -> tuple[NDArray, str]:
    """explode='target_share': the data-size budget shared over the chosen clusters by target mass."""
    chosen = distinct_in_order(picks)
    # each target row goes to its nearest chosen centroid; with only target centroids at hand (quantised
    # elsewhere), each centroid carries its rows, a coarser split
    if run.target_rows is not None:
        points, weights = run.target_rows, None
    else:
        assert target_quantization is not None  # the target's rows are at hand unless it came quantised
        points, weights = run.target, target_quantization.counts
    quotas = budget_quotas(
        pool_quantization.centers[chosen], pool_quantization.counts[chosen], points, weights, run.row_budget
    )
    held = int(pool_quantization.counts[chosen].sum())
    n_pool_rows = int(pool_quantization.counts.sum())
    if (
        run.config.fills_by_turns
        and run.target_rows is not None
        and fills_budget_by_target_rows(run.target_rows.shape[0], target_quantization is not None, n_pool_rows)
    ):
        how = (
            "shared among them by the target mass nearest each, each cluster's share the rows the target's rows "
            "claim first as they take turns at their nearest rows, then those nearest the target"
            if run.config.turns_keep_quotas
            else "the target's rows take turns at their nearest rows of those clusters"
        )
    else:
        how = "shared among them by the target mass nearest each, each cluster's rows nearest the target first"
    message = (
        f"{run.stop_message} The budget of {run.row_budget:,} rows is filled from the {chosen.size} chosen "
        f"clusters: {how}."
    )
    if held < run.row_budget:
        message += f" They hold only {held:,} rows, all taken; raise max_iter or lower max_data_size to fill it."
    return quotas, message


def _given_quantizations(
    pool: Quantization, target: ArrayLike | Quantization, config: GIOConfig
) -> tuple[Quantization, Quantization | None, NDArray[np.float64]]:
    """Check a precomputed pool quantisation and the target beside it (rows or a Quantization)."""
    target_quantization: Quantization | None
    target_points: NDArray[np.floating]
    if isinstance(target, Quantization):
        target_quantization, target_points = target, target.centers
    else:
        target_quantization, target_points = None, as_matrix(target, "target")
    check_same_dimension(pool.centers, "pool centroids", target_points, "target")
    check_target_rows(target_points, config.k, "target (after quantisation)")
    return pool, target_quantization, np.asarray(target_points, dtype=np.float64)


def _rows_of_pick(candidate: int, earlier_picks: list[int], quantization: Quantization | None) -> NDArray:
    if quantization is None:
        return np.array([candidate], dtype=np.int64)
    if quantization.labels is None:  # the rows live elsewhere (a Spark engine): this process cannot name them
        return np.empty(0, dtype=np.int64)
    if candidate in earlier_picks:  # picked again after a pool reset: its rows are already in
        return np.empty(0, dtype=np.int64)
    return quantization.members(candidate)


def _check_data(
    pool: ArrayLike, target: ArrayLike | Quantization, config: GIOConfig, *, quantized: bool
) -> tuple[NDArray | RowSource, NDArray[np.floating]]:
    if is_row_source(pool) and not quantized:
        pool = np.asarray(pool)  # an unquantised run needs every row in memory
    pool_matrix: NDArray | RowSource
    if isinstance(pool, RowSource) or (isinstance(pool, np.ndarray) and _is_float_matrix(pool)):
        # large float pools, memory maps and row sources are used as they are, never copied to float64;
        # when quantised, K-means checks for NaN/inf on its single pass over the rows
        pool_matrix = pool
        if not quantized:
            _check_finite_in_chunks(pool_matrix, "pool")
    else:
        pool_matrix = as_matrix(pool, "pool")
    target_matrix = as_matrix(target, "target")  # a Quantization beside a pool of rows is refused here
    check_same_dimension(pool_matrix, "pool", target_matrix, "target")
    if not quantized or target_matrix.shape[0] <= (config.n_clusters or 0):
        check_target_rows(target_matrix, config.k)
    # n_clusters against the pool's rows: checked once, by the quantise stage (gio_core.scale.quantize)
    return pool_matrix, target_matrix


def _is_float_matrix(values) -> bool:
    return (
        isinstance(values, np.ndarray)
        and values.ndim == 2
        and values.dtype in (np.float32, np.float64)
        and values.shape[0] > 0
        and values.shape[1] > 0
    )


def _check_finite_in_chunks(matrix: NDArray | RowSource, name: str, chunk_rows: int = 262_144) -> None:
    bad_rows = 0
    for start in range(0, matrix.shape[0], chunk_rows):
        bad_rows += int((~np.isfinite(matrix[start : start + chunk_rows])).any(axis=1).sum())
    if bad_rows:
        raise ValueError(f"{name} has {bad_rows} row(s) with NaN or inf values; drop or fill those rows first.")


def select(pool: ArrayLike, target: ArrayLike, init: ArrayLike | None = None, **params) -> GIOResult:
    """Run GIO and return its :class:`GIOResult`; ``params`` are :class:`GIOSelector`'s.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> result = select(rng.normal(size=(200, 2)), rng.normal(size=(50, 2)), init=np.zeros((0, 2)),
    ...                 random_state=0)
    >>> len(result.selected_indices) == len(result.kl_curve)
    True
    """
    return GIOSelector(**params).fit(pool, target, init).result_
