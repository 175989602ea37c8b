"""Spark engine benchmark: both engines end to end on 384-d Parquet shards, wall time per stage.

    .venv/bin/python benchmarks/spark.py --rows 250000 1000000 --data /work/scale_data
    .venv/bin/python benchmarks/spark.py --rate-only      # the per-core assignment rate alone

For each pool size, the same shards (:func:`benchmarks.scale_data.make_shards`: a 64-component Gaussian
mixture, 100k rows per shard, a ``list<float>`` column ``embedding``) and the 5,000-row target go through
:class:`gio_core.pipeline.SelectionPipeline` twice in this one process: the in-process engine, then the
Spark engine in ``local[2]``. Both use K = 1500 clusters and a 10% data-size budget shared by target mass
(``explode='target_share'``), and write Parquet. Printed per stage: wall seconds and the machine's 1-minute
load average when the stage ended (``os.getloadavg``), since other work on a shared machine stretches
wall time. At the end: whether the two engines selected the same rows in the same order, the
Spark / in-process ratio per size (both from this run), and each engine's time per million rows at each
size for the stages that grow with rows (linear in rows when they agree; K-means training on the
96,000-row sample and GIO on the centroids cost the same at any pool size). First, the per-core assignment rate (faiss, one thread, CPU time) the
README's cluster sizing starts from.

Spark's session start (JVM, and Python workers importing gio_core through one tiny job) is timed as its
own stage and left out of the ratio's "stages" figure, since on a cluster the session is there before
the job; the "total" ratio includes it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402
from scale_data import make as make_npy  # noqa: E402
from scale_data import make_shards  # noqa: E402

T = TypeVar("T")
PARAMS = {"n_clusters": 1500, "stop_criterion": "data_size", "max_data_size": 0.1}


def _load() -> float:
    return os.getloadavg()[0]


def run_engine(engine: str, pool: Path, target: Path, out: Path, *, spark_conf: dict) -> dict:
    """One end-to-end run; per stage ``(seconds, load)``, the quantisation's parts, the selected rows."""
    from gio_core.pipeline.backends import get_backend
    from gio_core.pipeline.backends.spark import SparkBackend
    from gio_core.pipeline.pipeline import SelectionPipeline

    stages: dict[str, tuple[float, float]] = {}
    started = time.perf_counter()
    backend = get_backend(engine, **({"master": "local[2]", "conf": spark_conf} if engine == "spark" else {}))
    if isinstance(backend, SparkBackend):  # start the JVM, the session and its Python workers now, timed on their own
        _warm_up(backend.session)
    stages["session"] = (time.perf_counter() - started, _load())
    pipeline = SelectionPipeline(pool, target, engine=backend, params=PARAMS, seed=0, vector_column="embedding")

    def timed(stage: str, call: Callable[[], T]) -> T:
        began = time.perf_counter()
        value = call()
        stages[stage] = (time.perf_counter() - began, _load())
        return value

    try:  # the stages of SelectionPipeline.run, one by one
        inputs = timed("read", pipeline.read)
        vectors = timed("vectors", lambda: pipeline.vectors(inputs))
        quantised = timed("quantise", lambda: pipeline.quantise(vectors))
        result = timed("select", lambda: pipeline.select(vectors, quantised))
        selection = timed("explode", lambda: pipeline.explode(vectors, quantised, result))
        written = timed("export", lambda: pipeline.export(vectors, selection, out))
        manifest = timed(
            "manifest",
            lambda: pipeline.manifest(
                inputs, vectors, result, selection, quantised=quantised, written=written, out=out
            ),
        )
    finally:
        pipeline.close()
    assert quantised is not None  # PARAMS quantise
    return {
        "engine": engine,
        "stages": stages,
        "quantise_parts": dict(quantised.pool.seconds),
        "total": time.perf_counter() - started,
        "rows": selection.rows,
        "n_selected": selection.n_rows,
        "stop": manifest["result"]["stop_reason"],
    }


def assignment_rate(*, clusters: int = 1500, rows: int = 65_536, repeats: int = 3) -> tuple[float, float]:
    """Rows assigned per CPU-second on one core, by ``assign_rows`` and by a bare faiss search.

    The rows are the benchmark's mixture (:mod:`scale_data`), the centroids ``clusters`` of them. Thread
    CPU time, not wall time, so other work on a shared machine does not stretch it.

    Returns
    -------
    assign_rows_rate, faiss_rate : float
        ``assign_rows`` (exact near-ties) and faiss's nearest-centroid search alone.
    """
    import faiss
    from scale_data import COMPONENTS, SEED, _draw, _mixture

    from gio_core.scale.assign import assign_rows, centroid_index

    faiss.omp_set_num_threads(1)
    means, spreads = _mixture(np.random.default_rng(SEED))
    rng = np.random.default_rng(0)
    chunk = _draw(rng, means, spreads, np.arange(COMPONENTS), rows)
    index = centroid_index(chunk[rng.choice(rows, size=clusters, replace=False)])

    def best(call) -> float:
        fastest = float("inf")
        for _ in range(repeats):
            began = time.thread_time()
            call()
            fastest = min(fastest, time.thread_time() - began)
        return rows / fastest

    rates = best(lambda: assign_rows(index, chunk)), best(lambda: index.index.search(chunk, 1))
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    return rates


def _warm_up(session) -> None:
    """One tiny mapInArrow job: Python workers start and import gio_core and faiss (they are then reused)."""

    def touch(batches):
        import gio_core.scale.quantize  # noqa: F401

        yield from batches

    session.range(4, numPartitions=2).mapInArrow(touch, "id long").collect()


ROW_STAGES = ("sample", "assign")  # parts of quantise that grow with the pool; explode and export too


def row_seconds(run: dict) -> float:
    """Seconds of the stages that grow with the pool's rows (K-means training and GIO on the centroids do not)."""
    parts = run["quantise_parts"]
    return sum(parts[name] for name in ROW_STAGES) + run["stages"]["explode"][0] + run["stages"]["export"][0]


def print_run(rows: int, run: dict) -> None:
    print(f"\n{run['engine']} engine, {rows:,} rows: {run['n_selected']:,} selected (stop: {run['stop']})")
    for stage, (seconds, load) in run["stages"].items():
        print(f"  {stage:<9} {seconds:8.1f} s   load {load:5.2f}")
    parts = ", ".join(f"{name} {value:.1f} s" for name, value in run["quantise_parts"].items())
    print(f"  (quantise: {parts})")
    print(f"  total     {run['total']:8.1f} s   load {_load():5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[250_000, 1_000_000])
    parser.add_argument("--data", type=Path, default=Path("/work/scale_data"), help="where the shards are written")
    parser.add_argument("--shuffle-partitions", type=int, default=8)
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "out" / "spark.json")
    parser.add_argument("--rate-only", action="store_true", help="only the per-core assignment rate")
    parser.add_argument(
        "--format",
        choices=("parquet", "csv"),
        default="parquet",
        help="what the selection is exported as (a folder of part files on Spark)",
    )
    args = parser.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as the CLI does: faiss threads do not spin
    spark_conf = {
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": str(args.shuffle_partitions),
        "spark.driver.memory": args.driver_memory,
    }
    print(f"{os.cpu_count()} cores; load at start {_load():.2f}; spark conf {spark_conf}")
    rate, bare = assignment_rate()
    print(
        f"assignment on one core (K=1500, d=384): assign_rows {rate:,.0f} rows per CPU-second, a bare faiss "
        f"search {bare:,.0f} (load {_load():.2f})"
    )
    if args.rate_only:
        return
    results = []
    for rows in args.rows:
        pool = make_shards(rows, args.data)
        target = _target(args.data)
        out_dir = args.data / "spark_bench_out"
        shutil.rmtree(out_dir, ignore_errors=True)
        out_dir.mkdir(parents=True)
        runs = {}
        for engine in ("inprocess", "spark"):
            runs[engine] = run_engine(engine, pool, target, out_dir / f"{engine}.{args.format}", spark_conf=spark_conf)
            print_run(rows, runs[engine])
        same = np.array_equal(runs["inprocess"]["rows"], runs["spark"]["rows"])
        stage_seconds = {
            engine: sum(seconds for stage, (seconds, _) in run["stages"].items() if stage != "session")
            for engine, run in runs.items()
        }
        results.append(
            {
                "rows": rows,
                "same_rows": bool(same),
                "ratio_total": runs["spark"]["total"] / runs["inprocess"]["total"],
                "ratio_stages": stage_seconds["spark"] / stage_seconds["inprocess"],
                "runs": {
                    engine: {key: value for key, value in run.items() if key != "rows"} for engine, run in runs.items()
                },
                "stage_seconds": stage_seconds,
                "row_seconds": {engine: row_seconds(run) for engine, run in runs.items()},
            }
        )
        print(
            f"\n{rows:,} rows: same rows in the same order: {same}; Spark / in-process: "
            f"{results[-1]['ratio_total']:.2f}x total, {results[-1]['ratio_stages']:.2f}x without the session start"
        )
        shutil.rmtree(out_dir, ignore_errors=True)
    if len(results) > 1:
        print("\nstages that grow with rows (sample read, assign, explode, export), seconds per million rows:")
        for engine in ("inprocess", "spark"):
            per_million = [
                f"{result['rows']:,}: {result['row_seconds'][engine] / result['rows'] * 1e6:.1f} s"
                for result in results
            ]
            print(f"  {engine:<9} " + "; ".join(per_million))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=float))
    print(f"\nload at end {_load():.2f}; wrote {args.json}")


def _target(data: Path) -> Path:
    """The scale benchmark's 5,000-row target (``target.npy``), written once."""
    path = data / "target.npy"
    if not path.exists():
        make_npy(1, data)  # writes target.npy (and a one-row pool, removed here)
        (data / "pool_1.npy").unlink(missing_ok=True)
    return path


if __name__ == "__main__":
    main()
