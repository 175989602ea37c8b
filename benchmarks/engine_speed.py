"""Engine speed: gio_core against grad-info-opt 0.1.2's recorded wall times, and the paper-scale run.

    .venv/bin/python benchmarks/engine_speed.py [--repeats 15] [--skip-paper-scale]

For every recorded reference case (tests/reference and ../shared/reference) it runs GIOSelector with
the case's parameters (grad-info-opt's values elsewhere) and prints our median time beside the
reference's seconds and the ratio (goal: at least 2,000x on every case).

Then the paper-scale run: 1,500 pool and 1,500 target points in 768 dimensions, 300 picks with 50
gradient steps each (stop_criterion='data_size', max_data_size=1.0, max_iter=300); goal at most 5 s.
Its memory is measured with tracemalloc: the peak of NumPy allocations during the run, next to the
size of the inputs (pool + target) x d x 8 bytes, to show nothing of size pool x target x d is built.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gio_core import PAPER_GIO_PARAMS, GIOSelector  # noqa: E402

REFERENCE_DIRS = [ROOT / "tests" / "reference", ROOT.parent / "shared" / "reference"]


def reference_cases() -> dict[str, dict]:
    cases = {}
    for folder in REFERENCE_DIRS:
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            if path.stem != "estimator":
                cases[path.stem] = json.loads(path.read_text())
    return cases


def time_case(case: dict, repeats: int) -> float:
    pool, target, start = (np.array(case[key]) for key in ("pool", "target", "D"))
    params = {**PAPER_GIO_PARAMS, **case["params"]}
    GIOSelector(**params).fit(pool, target, init=start)  # warm-up
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        GIOSelector(**params).fit(pool, target, init=start)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def paper_scale(repeats: int) -> None:
    rng = np.random.default_rng(0)
    pool = rng.normal(size=(1500, 768))
    target = rng.normal(0.1, 1.0, size=(1500, 768))
    params = dict(
        PAPER_GIO_PARAMS, stop_criterion="data_size", max_data_size=1.0, max_iter=300, grad_desc_iter=50, random_state=0
    )
    empty = np.zeros((0, 768))
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        selector = GIOSelector(**params).fit(pool, target, init=empty)
        timings.append(time.perf_counter() - started)
    tracemalloc.start()
    GIOSelector(**params).fit(pool, target, init=empty)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    inputs = pool.nbytes + target.nbytes
    print()
    print("Paper scale: 1,500 pool x 1,500 target x 768 d, 300 picks x 50 gradient steps (first pick 150)")
    assert selector.selected_indices_ is not None  # rows, not a Quantization
    print(f"  picks: {len(selector.selected_indices_)}   stop: {selector.stop_reason_}")
    print(
        f"  wall time: median {statistics.median(timings):.2f} s, min {min(timings):.2f} s "
        f"over {repeats} runs (goal <= 5 s)"
    )
    print(
        f"  peak traced allocations during fit: {peak / 2**20:.1f} MiB; inputs (pool + target) x d x 8 B = "
        f"{inputs / 2**20:.1f} MiB; a pool x target x d array would be {1500 * 1500 * 768 * 8 / 2**30:.1f} GiB"
    )
    started = time.perf_counter()
    ours = GIOSelector(stop_criterion="data_size", max_data_size=1.0, max_iter=300, random_state=0).fit(pool, target)
    print(
        f"  our defaults (smooth objective, {ours.get_params()['grad_desc_iter']} steps, snap to best of "
        f"{ours.get_params()['snap_candidates']}), same 300 picks: {time.perf_counter() - started:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--paper-repeats", type=int, default=3)
    parser.add_argument("--skip-paper-scale", action="store_true")
    args = parser.parse_args()

    print(f"{'case':24s} {'kind':8s} {'ours (median)':>14s} {'grad-info-opt':>14s} {'ratio':>10s}")
    ratios = []
    for name, case in reference_cases().items():
        ours = time_case(case, args.repeats)
        ratio = case["seconds"] / ours
        ratios.append(ratio)
        print(f"{name:24s} {case['kind']:8s} {ours * 1e3:11.2f} ms {case['seconds']:12.1f} s {ratio:9.0f}x")
    print(f"lowest ratio: {min(ratios):.0f}x (goal >= 2,000x on every case)")
    if not args.skip_paper_scale:
        paper_scale(args.paper_repeats)


if __name__ == "__main__":
    main()
