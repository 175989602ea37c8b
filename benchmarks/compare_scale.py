"""Compare at scale: every default method on a big memory-mapped pool, with the plan, time and peak memory of each.

The pool is what a user brings: a float32 ``.npy`` of ``--rows`` x 384 read as a memory map (as the app reads a
file by path), a mixture of 200 well-separated centres; the target is 2,000 rows from 20 of them; labels are the
centres (so precision and accuracy are reported). Per method it prints what the comparison ran it on
(:func:`gio_core.evaluate.plan.plan_methods`), its seconds, the process's peak resident memory while it ran and
the growth over the memory before it, then the whole comparison's time and peak, with the load average.

    python benchmarks/compare_scale.py --rows 1000000            # the issue's case
    python benchmarks/compare_scale.py --rows 200000 --calibrate  # every method on every row: the cost models
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from gio_core.evaluate import DEFAULT_METHODS, compare_methods
from gio_core.evaluate.plan import COST_MODELS


def _rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class PeakWatch:
    """Samples this process's resident memory every 20 ms; ``mark()`` starts a new window."""

    def __init__(self):
        self.peak = self.window_peak = self.window_start = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self):
        while not self._stop.wait(0.02):
            now = _rss()
            self.peak = max(self.peak, now)
            self.window_peak = max(self.window_peak, now)

    def mark(self) -> tuple[int, int]:
        """The last window's peak and its start, then a new window from now."""
        last = (self.window_peak, self.window_start)
        self.window_start = self.window_peak = _rss()
        return last

    def stop(self):
        self._stop.set()
        self._thread.join()


def make_pool(path: Path, rows: int, dimensions: int = 384, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A float32 mixture of 200 centres written to ``path`` in blocks; its centre labels."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (200, dimensions)).astype(np.float32) * 4.0
    labels = rng.integers(0, 200, rows)
    pool = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(rows, dimensions))
    for begin in range(0, rows, 100_000):
        part = labels[begin : begin + 100_000]
        pool[begin : begin + len(part)] = centres[part] + rng.normal(0, 1, (len(part), dimensions)).astype(np.float32)
    pool.flush()
    del pool
    return labels, centres


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--budget", type=int, default=100)
    parser.add_argument("--memory-mb", type=int, default=None, help="the comparison's memory budget")
    parser.add_argument("--calibrate", action="store_true", help="every method on every row (no budgets)")
    parser.add_argument("--methods", nargs="*", default=list(DEFAULT_METHODS))
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pool.npy"
        started = time.perf_counter()
        labels, centres = make_pool(path, arguments.rows)
        rng = np.random.default_rng(1)
        target_labels = rng.integers(0, 20, 2_000)
        target = centres[target_labels] + rng.normal(0, 1, (2_000, centres.shape[1])).astype(np.float32)
        pool = np.load(path, mmap_mode="r")
        print(
            f"pool {arguments.rows:,} x {pool.shape[1]} float32 memory map, made in {time.perf_counter() - started:.1f} s"
        )
        watch = PeakWatch()
        before = _rss()
        marks: list[tuple[str, float]] = []
        peaks: list[tuple[int, int]] = []

        def progress_with_peaks(name: str, done: int, total: int) -> None:
            peaks.append(watch.mark())
            marks.append((name, time.perf_counter()))

        memory_budget: int | None = None if arguments.memory_mb is None else arguments.memory_mb << 20
        seconds_budget: float | None = None
        if arguments.calibrate:
            memory_budget, seconds_budget = 1 << 40, 1e9
        load = os.getloadavg()
        started = time.perf_counter()
        comparison = compare_methods(
            pool,
            target,
            methods=arguments.methods,
            budget=arguments.budget,
            pool_labels=labels,
            target_labels=target_labels,
            random_state=0,
            progress=progress_with_peaks,
            memory_budget_bytes=memory_budget,
            seconds_per_method=seconds_budget,
        )
        total = time.perf_counter() - started
        peaks.append(watch.mark())
        watch.stop()
    print(
        f"load before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; after {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(
        f"{'method':<20} {'ran on':<46} {'s':>7} {'peak GB':>8} {'growth MB':>10} {'B/value':>8} {'us/value':>9} "
        f"{'precision':>9} {'kl':>7}"
    )
    for result, plan, (peak, start) in zip(comparison.results, comparison.plans, peaks[1:], strict=True):
        values = max(plan.rows, 1) * pool.shape[1]
        growth = max(peak - start, 0)
        model = COST_MODELS.get(result.name)
        precision = result.metrics.get("precision", float("nan"))
        kl = result.metrics.get("kl", float("nan"))
        print(
            f"{result.name:<20} {(result.ran_on if result.ok or result.error else 'left out'):<46} {result.seconds:7.1f} "
            f"{peak / 2**30:8.2f} {growth / 2**20:10.0f} {growth / values:8.1f} {1e6 * result.seconds / values:9.3f} "
            f"{precision:9.3f} {kl:7.3f}"
            + (f"   model {model.bytes_per_value:.0f} B, {model.microseconds_per_value:.2f} us" if model else "")
        )
        if result.skipped or result.error:
            print(f"    {result.skipped or result.error}")
    print(f"comparison: {total:.1f} s, process peak {watch.peak / 2**30:.2f} GB (before it {before / 2**30:.2f} GB)")


if __name__ == "__main__":
    main()
