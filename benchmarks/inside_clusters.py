"""Rows inside the chosen clusters: today's distance order against GIO at row level (Fashion-MNIST target shift).

Usage::

    .venv/bin/python benchmarks/inside_clusters.py                         # tuning groups, seeds 0 1 2
    .venv/bin/python benchmarks/inside_clusters.py --groups bag+sandal tops --seeds 0

The tasks, vectors and classifier are those of ``benchmarks/real_data.py`` (target shift: 1,000 unlabeled test
images of a group, the 60,000 training images as pool, keep 10%). Three ways to fill the 6,000-row budget:

``A``  GIO as shipped: quantised (K = 1,000), the budget shared over the chosen clusters by target mass, each
       cluster's rows nearest the target first (:mod:`gio_core.scale.explode`).
``B``  GIO at row level (unquantised ``GIOSelector``, data-size budget) on every row of A's chosen clusters.
``C``  GIO at row level on the union of each target row's 20 nearest pool rows (no quantisation at all).
``D``  A's chosen clusters, filled by target rows taking turns at their nearest unused row of those clusters
       (nearest-to-target's rule inside GIO's clusters; a faiss search, so it scales as A does). The engine's
       ``explode='target_turns'`` (gio_core/scale/turns.py) is this rule, with conflicts settled round by round.
``E``  A's clusters and quotas; inside a cluster, rows take turns by their nearest target row: each target row's
       nearest rows of the cluster first, then each one's second nearest… (a key per row, as A's distance is).
``F``  A's clusters and quotas; inside a partly taken cluster, the target rows whose nearest chosen centroid it is
       (those that set its quota) take turns at their nearest unused row of the cluster (one cluster at a time,
       so a distributed engine can do it per cluster).

Prints per task and seed: candidate rows, in-group share, seconds, and the classifier's accuracy on the group's
other test images, then the paired differences from A (mean ± standard error over tasks and seeds),
with the load average beside. Results: benchmarks/results/inside_clusters.md.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import real_data as rd

from gio_core import GIOSelector
from gio_core.methods.baselines import NearestToTargetSelector

NEAREST_PER_TARGET_ROW = 20


def row_level_gio(pool: np.ndarray, target: np.ndarray, candidates: np.ndarray, budget: int, seed: int):
    """Row-level GIO with a data-size budget of ``budget`` rows on the given candidate rows of ``pool``."""
    selector = GIOSelector(
        stop_criterion="data_size",
        max_data_size=min(1.0, (budget + 0.5) / len(candidates)),
        max_iter=budget + 10,
        random_state=seed,
    ).fit(pool[candidates], target)
    return candidates[np.asarray(selector.selected_indices_, dtype=np.int64)]


def turns_in_clusters(pool: np.ndarray, target: np.ndarray, candidates: np.ndarray, budget: int, seed: int):
    """Target rows take turns at their nearest unused row among ``candidates``."""
    selector = NearestToTargetSelector(n_select=budget, random_state=seed).fit(pool[candidates], target)
    return candidates[np.asarray(selector.selected_indices_, dtype=np.int64)]


def voronoi_turns(pool: np.ndarray, target: np.ndarray, selector: GIOSelector, seed: int) -> np.ndarray:
    """A's clusters and quotas, each cluster's rows ordered by (turn of its nearest target row, distance)."""
    import faiss

    from gio_core.scale.explode import distinct_in_order, row_priority

    chosen = distinct_in_order(np.asarray(selector.selected_clusters_))
    quotas = np.asarray(selector.result_.row_quotas)
    labels = np.asarray(selector.cluster_labels_)
    index = faiss.IndexFlatL2(target.shape[1])
    index.add(np.ascontiguousarray(target, dtype=np.float32))
    parts = []
    for cluster, quota in zip(chosen, quotas):
        rows = np.flatnonzero(labels == cluster)
        if quota >= rows.size:
            parts.append(rows)
            continue
        distance, nearest = index.search(np.ascontiguousarray(pool[rows], dtype=np.float32), 1)
        distance, nearest = distance[:, 0], nearest[:, 0]
        by_owner = np.lexsort((distance, nearest))
        turn = np.empty(rows.size, dtype=np.int64)
        owners = nearest[by_owner]
        starts = np.r_[0, np.flatnonzero(owners[1:] != owners[:-1]) + 1]
        group_start = np.repeat(starts, np.diff(np.r_[starts, rows.size]))
        turn[by_owner] = np.arange(rows.size) - group_start
        order = np.lexsort((row_priority(rows, seed), distance, turn))
        parts.append(rows[order[: int(quota)]])
    return np.concatenate(parts)


def take_turns(rows: np.ndarray, target: np.ndarray, amount: int, seed: int) -> np.ndarray:
    """Target rows, in a seeded random order, take turns at their nearest unused row of ``rows``."""
    import faiss

    index = faiss.IndexFlatL2(rows.shape[1])
    index.add(np.ascontiguousarray(rows, dtype=np.float32))
    _, neighbours = index.search(np.ascontiguousarray(target, dtype=np.float32), min(len(rows), amount))
    order = np.random.default_rng(seed).permutation(len(target))
    used = np.zeros(len(rows), dtype=bool)
    cursor = np.zeros(len(target), dtype=np.int64)
    picks: list[int] = []
    while len(picks) < amount:
        for row in order:
            while cursor[row] < neighbours.shape[1] and used[neighbours[row, cursor[row]]]:
                cursor[row] += 1
            if cursor[row] < neighbours.shape[1] and len(picks) < amount:
                used[neighbours[row, cursor[row]]] = True
                picks.append(int(neighbours[row, cursor[row]]))
    return np.asarray(picks, dtype=np.int64)


def turns_by_owners(pool: np.ndarray, target: np.ndarray, selector: GIOSelector, seed: int) -> np.ndarray:
    """A's clusters and quotas; each partly taken cluster filled by its own target rows taking turns."""
    import faiss

    from gio_core.scale.explode import distinct_in_order

    chosen = distinct_in_order(np.asarray(selector.selected_clusters_))
    quotas = np.asarray(selector.result_.row_quotas)
    labels = np.asarray(selector.cluster_labels_)
    centers = np.asarray(selector.cluster_centers_)[chosen]
    index = faiss.IndexFlatL2(centers.shape[1])
    index.add(np.ascontiguousarray(centers, dtype=np.float32))
    owner = index.search(np.ascontiguousarray(target, dtype=np.float32), 1)[1][:, 0]
    parts = []
    for position, (cluster, quota) in enumerate(zip(chosen, quotas)):
        rows = np.flatnonzero(labels == cluster)
        if quota >= rows.size:
            parts.append(rows)
            continue
        own = target[owner == position]
        if len(own) == 0:
            own = target
        parts.append(rows[take_turns(pool[rows], own, int(quota), seed)])
    return np.concatenate(parts)


def nearest_rows(pool: np.ndarray, target: np.ndarray, per_row: int) -> np.ndarray:
    import faiss

    index = faiss.IndexFlatL2(pool.shape[1])
    index.add(np.ascontiguousarray(pool, dtype=np.float32))
    _, neighbours = index.search(np.ascontiguousarray(target, dtype=np.float32), per_row)
    return np.unique(neighbours)


def one_way(way: str, pool, target, budget: int, seed: int, shipped: GIOSelector, chosen: np.ndarray):
    """The rows of way ``way`` (B to F; see the module's docstring) and how many candidate rows it chose from."""
    if way == "B":
        return row_level_gio(pool, target, chosen, budget, seed), len(chosen)
    if way == "C":
        near = nearest_rows(pool, target, NEAREST_PER_TARGET_ROW)
        return row_level_gio(pool, target, near, budget, seed), len(near)
    if way == "D":
        return turns_in_clusters(pool, target, chosen, budget, seed), len(chosen)
    if way == "E":
        return voronoi_turns(pool, target, shipped, seed), len(chosen)
    return turns_by_owners(pool, target, shipped, seed), len(chosen)


def _mean_se(values: list[float]) -> str:
    mean = float(np.mean(values))
    se = float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else float("nan")
    return f"{mean:+.2f} ± {se:.2f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", nargs="+", default=list(rd.TUNING_GROUPS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--ways", default="BCDEF", help="ways besides A (default: BCDEF)")
    args = parser.parse_args(argv)
    every = {**rd.TUNING_GROUPS, **rd.UNSEEN_GROUPS}
    unknown = [name for name in args.groups if name not in every]
    if unknown:
        parser.error(f"unknown group(s) {unknown}; choose from {sorted(every)}")
    groups = {name: every[name] for name in args.groups}
    data = rd._load()
    ways = [way for way in "BCDEF" if way in args.ways]
    differences: dict[str, list[float]] = {f"{way} - A": [] for way in ways}
    print("| task | seed | way | candidate rows | in group | s | accuracy | load |")
    print("|---|---|---|---|---|---|---|---|")
    for seed in args.seeds:
        for task in rd.tasks("shift", seed, data, groups):
            pool, target = rd.embed(task)
            runs = {}
            started = time.perf_counter()
            shipped = rd.make_selector("GIO", task, seed).fit(pool, target)
            runs["A"] = (np.asarray(shipped.selected_indices_), len(pool), time.perf_counter() - started)
            chosen = np.flatnonzero(np.isin(shipped.cluster_labels_, np.unique(shipped.selected_clusters_)))
            for way in ways:
                started = time.perf_counter()
                rows, n_candidates = one_way(way, pool, target, task.budget, seed, shipped, chosen)
                runs[way] = (rows, n_candidates, time.perf_counter() - started)
            accuracy = {}
            for way, (rows, n_candidates, seconds) in runs.items():
                accuracy[way] = rd.accuracy(task, rows, seed)
                in_group = float(np.isin(task.pool_labels[rows], list(task.group or ())).mean())
                print(
                    f"| {task.name} | {seed} | {way} | {n_candidates:,} | {in_group:.3f} | {seconds:.1f} | "
                    f"{accuracy[way]:.4f} | {os.getloadavg()[0]:.2f} |",
                    flush=True,
                )
            for way in ways:
                differences[f"{way} - A"].append(100 * (accuracy[way] - accuracy["A"]))
    for name, values in differences.items():
        print(f"{name}, accuracy points, mean ± SE over {len(values)} task-seeds: {_mean_se(values)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
