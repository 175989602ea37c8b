"""Which rows fill a chosen cluster's quota: the study behind ``explode='target_share'`` (README "Real data").

Usage::

    .venv/bin/python benchmarks/explode_variants.py --experiment self --seeds 0 1 2
    .venv/bin/python benchmarks/explode_variants.py --experiment shift --group shirt+coat --seeds 0

One GIO run per seed (as in ``benchmarks/real_data.py``: quantised with 1,000 clusters, a data-size budget)
gives the chosen clusters and their quotas; each variant then fills the quotas its own way, and the same
classifier is trained on each. Variants:

- ``random``: random rows of the whole pool (the reference);
- ``hash``: a cluster's rows in the order of the seeded hash (:func:`gio_core.scale.explode.row_priority`):
  stratified random sampling;
- ``near-target`` (the default): rows nearest the target first, ties by the hash;
- ``medoids``: k-means with ``quota`` centres inside the cluster, the row nearest each centre (spread
  within the cluster; costs O(cluster rows x quota) per cluster, so it does not scale to big clusters).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_data

from gio_core.scale.explode import distinct_in_order, explode_rows, nearest_target_distances

VARIANTS = ("random", "hash", "near-target", "medoids")


def _medoids(vectors: np.ndarray, members: np.ndarray, quota: int, seed: int) -> np.ndarray:
    import faiss

    if quota >= members.size:
        return members
    if quota == 0:
        return np.empty(0, dtype=np.int64)
    points = np.ascontiguousarray(vectors[members], dtype=np.float32)
    kmeans = faiss.Kmeans(points.shape[1], quota, niter=20, seed=seed, verbose=False, min_points_per_centroid=1)
    kmeans.train(points)
    assert kmeans.centroids is not None  # set by train
    taken: list[int] = []
    used = np.zeros(members.size, dtype=bool)
    for center in kmeans.centroids:
        distance = ((points - center) ** 2).sum(axis=1)
        distance[used] = np.inf
        nearest = int(np.argmin(distance))
        used[nearest] = True
        taken.append(int(members[nearest]))
    return np.array(taken, dtype=np.int64)


def variant_rows(name: str, task, vectors, selector, seed: int) -> np.ndarray:
    pool_vectors, target_vectors = vectors
    result = selector.result_
    quantization = result.pool_quantization
    if name == "random":
        return np.random.default_rng(seed).choice(len(pool_vectors), size=task.budget, replace=False)
    if name == "hash":
        return explode_rows(quantization.members, result.selected_candidates, result.row_quotas, result.explode_seed)
    if name == "near-target":
        return explode_rows(
            quantization.members,
            result.selected_candidates,
            result.row_quotas,
            result.explode_seed,
            distances_of=lambda rows: nearest_target_distances(pool_vectors[rows], target_vectors),
        )
    if name == "medoids":
        chosen = distinct_in_order(result.selected_candidates)
        return np.concatenate(
            [
                _medoids(pool_vectors, quantization.members(int(cluster)), int(quota), seed)
                for cluster, quota in zip(chosen, result.row_quotas)
            ]
        )
    raise ValueError(name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--experiment", choices=["self", "shift", "quality"], default="self")
    parser.add_argument("--group", default="shirt+coat", help="target-shift group (see real_data.py)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    args = parser.parse_args(argv)
    groups = {**real_data.TUNING_GROUPS, **real_data.UNSEEN_GROUPS}
    data = real_data._load()
    differences: dict[str, list[float]] = {name: [] for name in args.variants}
    for seed in args.seeds:
        task = real_data.tasks(args.experiment, seed, data, {args.group: groups[args.group]})[0]
        vectors = real_data.embed(task)
        selector = real_data.make_selector("GIO", task, seed).fit(*vectors)
        scores = {}
        for name in args.variants:
            started, load = time.perf_counter(), os.getloadavg()[0]
            rows = variant_rows(name, task, vectors, selector, seed)
            scores[name] = real_data.accuracy(task, rows, seed)
            share = (
                np.isin(task.pool_labels[rows], task.group).mean()
                if task.group
                else (task.pool_kind[rows] == "clean").mean()
            )
            print(
                f"{args.experiment} seed {seed} {name}: {rows.size} rows, accuracy {100 * scores[name]:.2f}%, "
                f"in-target/clean share {share:.3f} ({time.perf_counter() - started:.0f} s, load {load:.1f})",
                flush=True,
            )
        for name in args.variants:
            if "random" in scores:
                differences[name].append(scores[name] - scores["random"])
    for name, values in differences.items():
        if values and name != "random":
            gains = np.array(values)
            error = gains.std(ddof=1) / np.sqrt(gains.size) if gains.size > 1 else float("nan")
            print(f"{name}: {100 * gains.mean():+.2f} ± {100 * error:.2f} points vs random over seeds {args.seeds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
