"""Quality of quantised GIO on mixtures with known centres: K-means merges, own stop, row budget.

Every pool past a few thousand rows is quantised with K-means and GIO runs on the centroids, so the
quantised path is the product's quality at scale. The mixtures have known structure: ``--centres`` centres
in ``--dim`` dimensions, rows = centre + N(0, 1); the target is drawn from ``--target-centres`` of them, and
``--target-share`` of the pool comes from those. Three kinds:

- ``separated``: centres drawn N(0, 1) per coordinate (centre gaps ~1.4x a row's distance to its centre);
- ``overlapping``: centres N(0, 0.35²), so neighbouring clusters share rows' neighbourhoods;
- ``rounded``: ``separated`` with every value rounded to 3 significant digits (a CSV written by hand).

Two studies:

``--merges``: K-means alone, each start (faiss's random training rows, k-means++ from 8 or 16 rows a
centroid: ``gio_core.scale.quantize.seed_centroids``), K as the app suggests: the share of clusters that hold
two or more true centres (each at least 10% of the cluster), the true centres with no cluster of their own,
and the training time.

default: selection, K as the app suggests (``gio_core.scale.suggested_clusters``), beside nearest-to-target
at the same row count: GIO's own stop (the defaults), and GIO with a row budget of 90% of the target centres'
pool rows (``stop_criterion='data_size'``). Precision (share of the selected rows from target centres),
recall (share of the target centres' pool rows selected), target centres covered (at least 10% of a centre's
rows selected), rows, picks, why the run stopped, seconds.

    PYTHONPATH=. .venv/bin/python benchmarks/quantised_quality.py --merges --rows 30000 --seeds 0 1 2 --faiss-settings
    PYTHONPATH=. .venv/bin/python benchmarks/quantised_quality.py --rows 30000 300000 --seeds 0 1
    PYTHONPATH=. .venv/bin/python benchmarks/quantised_quality.py --cost --rows 1000000   # now vs before

Timings come with the machine's load average (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gio_core.gio import GIOSelector
from gio_core.methods.baselines import NearestToTargetSelector
from gio_core.scale import suggested_clusters
from gio_core.scale.assign import assign_in_chunks
from gio_core.scale.explode import EXPLODE_MODES
from gio_core.scale.quantize import SEEDING_POINTS_PER_CENTROID, draw_training_rows, train_centroids

KINDS = ("separated", "overlapping", "rounded")
CENTRE_SCALE = {"separated": 1.0, "overlapping": 0.35, "rounded": 1.0}


@dataclass
class Mixture:
    pool: NDArray[np.float32]
    target: NDArray[np.float32]
    centre_of_row: NDArray[np.int64]  # true centre of each pool row
    target_centres: NDArray[np.int64]

    @property
    def in_target(self) -> NDArray[np.bool_]:
        return np.isin(self.centre_of_row, self.target_centres)


def round_significant(values: NDArray, digits: int = 3) -> NDArray:
    """Every value rounded to ``digits`` significant digits."""
    magnitude = np.floor(np.log10(np.maximum(np.abs(values), 1e-30)))
    scale = 10.0 ** (digits - 1 - magnitude)
    return np.round(values * scale) / scale


def make_mixture(
    n_rows: int,
    kind: str,
    seed: int,
    *,
    n_centres: int = 200,
    dim: int = 384,
    n_target_centres: int = 20,
    target_share: float = 0.1,
    n_target_rows: int = 2000,
) -> Mixture:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, CENTRE_SCALE[kind], size=(n_centres, dim))
    target_centres = np.sort(rng.choice(n_centres, size=n_target_centres, replace=False))
    others = np.setdiff1d(np.arange(n_centres), target_centres)
    n_in = round(target_share * n_rows)
    centre_of_row = np.concatenate(
        [rng.choice(target_centres, size=n_in), rng.choice(others, size=n_rows - n_in)]
    ).astype(np.int64)
    rng.shuffle(centre_of_row)
    pool = np.empty((n_rows, dim), dtype=np.float32)
    for start in range(0, n_rows, 50_000):  # in chunks: a 1M x 384 float64 temporary would be 3 GB
        rows = centre_of_row[start : start + 50_000]
        pool[start : start + rows.size] = centres[rows] + rng.normal(size=(rows.size, dim))
    target = (centres[rng.choice(target_centres, size=n_target_rows)] + rng.normal(size=(n_target_rows, dim))).astype(
        np.float32
    )
    if kind == "rounded":
        for start in range(0, n_rows, 50_000):
            pool[start : start + 50_000] = round_significant(pool[start : start + 50_000])
        target = round_significant(target).astype(np.float32)
    return Mixture(pool=pool, target=target, centre_of_row=centre_of_row, target_centres=target_centres)


def load_text() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} on {os.cpu_count()} cores"


def merge_figures(labels: NDArray, centre_of_row: NDArray, n_centres: int) -> tuple[float, int]:
    """Share of non-empty clusters holding two or more true centres (each >= 10% of the cluster), and the true
    centres that are the majority of no cluster."""
    n_clusters = int(labels.max()) + 1
    table = np.zeros((n_clusters, n_centres), dtype=np.int64)
    np.add.at(table, (labels, centre_of_row), 1)
    sizes = table.sum(axis=1)
    nonempty = sizes > 0
    major = (table >= 0.1 * sizes[:, None]) & (table > 0)
    merged = (major.sum(axis=1) >= 2)[nonempty].mean()
    owners = np.unique(table[nonempty].argmax(axis=1))
    return float(merged), int(n_centres - owners.size)


def mixtures(args):
    """Each mixture the arguments name: ``(rows, kind, seed, K as the app suggests, Mixture)``."""
    for n_rows in args.rows:
        for kind in args.kinds:
            for seed in args.seeds:
                mix = make_mixture(
                    n_rows,
                    kind,
                    seed,
                    n_centres=args.centres,
                    dim=args.dim,
                    n_target_centres=args.target_centres,
                    target_share=args.target_share,
                )
                yield n_rows, kind, seed, args.clusters or suggested_clusters(n_rows), mix


def merges_study(args) -> None:
    print("# K-means merges: share of clusters holding >= 2 true centres; centres owning no cluster; train s")
    print(f"# {args.centres} centres, {args.dim}-d, K as the app suggests; {load_text()}")
    print("| rows | kind | seed | K | start | merged clusters | centres lost | train s |")
    print("|---|---|---|---|---|---|---|---|")
    for n_rows, kind, seed, k, mix in mixtures(args):
        faiss_seed, sample = draw_training_rows(n_rows, k, np.random.default_rng(seed))
        training = mix.pool if sample is None else mix.pool[sample]
        figures: dict[str, tuple[float, int, float]] = {}
        for start in args.starts:
            began = time.perf_counter()
            centres = train_centroids(training, k, seed=faiss_seed, seeding_points_per_centroid=start)
            seconds = time.perf_counter() - began
            labels = assign_in_chunks(mix.pool, centres).labels
            assert labels is not None  # assigned in this process
            merged, lost = merge_figures(labels, mix.centre_of_row, args.centres)
            figures["faiss random" if start == 0 else f"k-means++ x{start}"] = (merged, lost, seconds)
        if args.faiss_settings:
            figures.update(faiss_variants(mix, k, faiss_seed, seed, args.centres))
        for name, (merged, lost, seconds) in figures.items():
            print(
                f"| {n_rows:,} | {kind} | {seed} | {k} | {name} | {merged:.3f} | {lost} | {seconds:.1f} |", flush=True
            )
    print(f"# end: {load_text()}")


def faiss_variants(
    mix: Mixture, k: int, faiss_seed: int, seed: int, n_centres: int
) -> dict[str, tuple[float, int, float]]:
    """faiss's own random start with more iterations, restarts (``nredo``, the best objective kept) or a larger
    training sample: merged share, centres lost, seconds."""
    import faiss

    n_rows = mix.pool.shape[0]
    variants = {
        "faiss random, 60 iterations": dict(niter=60),
        "faiss random, nredo=3": dict(nredo=3),
        "faiss random, 256 rows a centroid": dict(max_points_per_centroid=256),
    }
    figures = {}
    for name, settings in variants.items():
        per_centroid = int(settings.get("max_points_per_centroid", 64))
        _, sample = draw_training_rows(n_rows, k, np.random.default_rng(seed), max_points_per_centroid=per_centroid)
        training = np.ascontiguousarray(mix.pool if sample is None else mix.pool[sample], dtype=np.float32)
        began = time.perf_counter()
        kmeans = faiss.Kmeans(
            training.shape[1],
            k,
            niter=int(settings.get("niter", 20)),
            nredo=int(settings.get("nredo", 1)),
            seed=faiss_seed,
            max_points_per_centroid=per_centroid,
            min_points_per_centroid=1,
        )
        kmeans.train(training)
        seconds = time.perf_counter() - began
        labels = assign_in_chunks(mix.pool, np.asarray(kmeans.centroids, dtype=np.float32)).labels
        assert labels is not None
        merged, lost = merge_figures(labels, mix.centre_of_row, n_centres)
        figures[name] = (merged, lost, seconds)
    return figures


def scores(selected: NDArray, mix: Mixture) -> tuple[float, float, int]:
    in_target = mix.in_target
    chosen = np.zeros(in_target.size, dtype=bool)
    chosen[selected] = True
    precision = float(in_target[chosen].mean()) if chosen.any() else 0.0
    recall = float(chosen[in_target].mean())
    covered = 0
    for centre in mix.target_centres:
        rows = mix.centre_of_row == centre
        covered += int(chosen[rows].mean() >= 0.1)
    return precision, recall, covered


def selection_study(args) -> None:
    print("# Quantised GIO against nearest-to-target, K as the app suggests; budget = 90% of the target rows")
    print(
        f"# {args.centres} centres, {args.dim}-d, {args.target_centres} target centres, {args.target_share:g} of the "
        f"pool from them; {load_text()}"
    )
    print(
        "| rows | kind | seed | K | method | rows selected | precision | recall | centres covered | picks | stop | s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n_rows, kind, seed, k, mix in mixtures(args):
        n_target_rows = int(mix.in_target.sum())
        budget = int(0.9 * n_target_rows)
        common: dict[str, Any] = dict(k=args.k) if args.k else {}
        if args.patience:
            common["max_sequential_increases"] = args.patience
        runs = [("GIO own stop", dict(common, max_iter=args.max_iter) if args.max_iter else common)]
        runs.append(
            (
                "GIO budget",
                dict(
                    common, stop_criterion="data_size", max_data_size=budget / n_rows, max_iter=k, explode=args.explode
                ),
            )
        )
        for name, params in runs:
            began = time.perf_counter()
            selector = GIOSelector(n_clusters=k, random_state=seed, **params).fit(mix.pool, mix.target)
            seconds = time.perf_counter() - began
            selected = selector.selected_indices_
            assert selected is not None  # the rows are in this process
            precision, recall, covered = scores(selected, mix)
            print(
                f"| {n_rows:,} | {kind} | {seed} | {k} | {name} | {selected.size:,} | {precision:.3f} | "
                f"{recall:.3f} | {covered}/{mix.target_centres.size} | {len(selector.kl_curve_)} | "
                f"{selector.stop_reason_} | {seconds:.1f} |",
                flush=True,
            )
            if name == "GIO own stop":
                own_rows = selected.size
        for name, amount in (
            () if args.no_nearest else (("nearest, own-stop rows", own_rows), ("nearest, budget", budget))
        ):
            began = time.perf_counter()
            nearest = NearestToTargetSelector(n_select=amount, random_state=seed).fit(mix.pool, mix.target)
            seconds = time.perf_counter() - began
            precision, recall, covered = scores(nearest.selected_indices_, mix)
            print(
                f"| {n_rows:,} | {kind} | {seed} | {k} | {name} | {amount:,} | {precision:.3f} | "
                f"{recall:.3f} | {covered}/{mix.target_centres.size} | | | {seconds:.1f} |",
                flush=True,
            )
    print(f"# end: {load_text()}")


def cost_study(args) -> None:
    """The time of a quantised run at the largest ``--rows``, today's defaults against the settings before
    this study (faiss's random start, every centroid a candidate, 100 picks), in one run."""
    from unittest import mock

    n_rows = max(args.rows)
    mix = make_mixture(
        n_rows, "separated", args.seeds[0], n_centres=args.centres, dim=args.dim, n_target_centres=args.target_centres
    )
    k = suggested_clusters(n_rows)
    print(f"# time of one quantised run, {n_rows:,} x {args.dim} separated mixture, K = {k}; {load_text()}")
    print("| settings | K-means s | GIO s | total s | picks | rows | precision | recall | stop | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    settings: dict[str, tuple[int | None, dict[str, Any]]] = {
        "before (faiss start, candidates='all', max_iter=100)": (0, dict(candidates="all", max_iter=100)),
        "now (k-means++ start, candidates='near_target', max_iter=None)": (None, {}),
    }
    for repeat in range(args.repeats):
        for name, (seeding, params) in settings.items():
            start = SEEDING_POINTS_PER_CENTROID if seeding is None else seeding
            with mock.patch("gio_core.scale.quantize.SEEDING_POINTS_PER_CENTROID", start):
                began = time.perf_counter()
                selector = GIOSelector(n_clusters=k, random_state=repeat, **params).fit(mix.pool, mix.target)
                total = time.perf_counter() - began
            seconds = selector.result_.seconds
            selected = selector.selected_indices_
            assert selected is not None
            precision, recall, _ = scores(selected, mix)
            print(
                f"| {name} | {seconds.get('quantize_pool', 0) + seconds.get('quantize_target', 0):.1f} | "
                f"{seconds.get('select', 0):.1f} | {total:.1f} | {len(selector.kl_curve_)} | {selected.size:,} | "
                f"{precision:.3f} | {recall:.3f} | {selector.stop_reason_} | {os.getloadavg()[0]:.1f} |",
                flush=True,
            )
    print(f"# end: {load_text()}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--merges", action="store_true", help="K-means merges only (no selection)")
    parser.add_argument("--cost", action="store_true", help="time of one run at the largest --rows: now vs before")
    parser.add_argument("--repeats", type=int, default=1, help="--cost: pairs of runs")
    parser.add_argument("--rows", type=int, nargs="+", default=[30_000])
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--starts", type=int, nargs="+", default=[0, 8, 16], help="k-means++ rows a centroid; 0: faiss")
    parser.add_argument(
        "--faiss-settings", action="store_true", help="--merges: also faiss's start with more iterations, nredo, sample"
    )
    parser.add_argument("--centres", type=int, default=200)
    parser.add_argument("--target-centres", type=int, default=20)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--target-share", type=float, default=0.1, help="share of the pool from the target centres")
    parser.add_argument("--k", type=int, default=0, help="GIO's k (0: the default)")
    parser.add_argument("--max-iter", type=int, default=0, help="own stop's max_iter (0: the default)")
    parser.add_argument("--patience", type=int, default=0, help="max_sequential_increases (0: the default)")
    parser.add_argument("--no-nearest", action="store_true", help="leave nearest-to-target out")
    parser.add_argument("--clusters", type=int, default=0, help="K (0: as the app suggests)")
    parser.add_argument(
        "--explode",
        default=GIOSelector().explode,
        choices=EXPLODE_MODES,
        help="the budget run's explode (default: the engine's)",
    )
    args = parser.parse_args(argv)
    (merges_study if args.merges else cost_study if args.cost else selection_study)(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
