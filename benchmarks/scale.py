"""Scale benchmark: ``gio-studio select --clusters 1500`` end to end on 100k, 1M and 10M-row pools, each
written as CSV and as Parquet (``--format``).

    .venv/bin/python benchmarks/scale.py --rows 100000 1000000 10000000 --data /work/scale_data

Each pool is a Gaussian mixture of ``rows x 384`` float32 (:mod:`benchmarks.scale_data`, written in
chunks; the 10M-row file is 15.4 GB and is never loaded whole), the target 5,000 rows drawn from a few
of its components. The CLI runs as a subprocess; its wall time and peak RSS come from ``wait4``, the
per-stage times and the peak RSS at the end of each stage from the run manifest (``timings`` and
``resources``). Goals (on a 2-core, 24 GiB machine), with CSV output (what pipelines export): 1M rows in
at most 40 s, 10M rows in at most 200 s, peak RSS at most 2 GB; with Parquet output: 1M rows in at most
60 s with a peak RSS at most twice the pool file, 10M rows in at most 5 min and 4 GB; time no worse than
linear in the pool's rows.

The machine is shared: the load average at the start of each run is printed, and CPU seconds beside
wall seconds, since other processes on the two cores stretch wall time but not CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / ".venv" / "bin" / "gio-studio"
STAGES = ("read", "vectors", "quantize_pool", "quantize_target", "gio", "export", "manifest")
#: output format -> rows -> (seconds, peak RSS in bytes, or None for "twice the pool file"). The CSV goals are
#: issue 13's (what a pipeline exporting CSV gets); the Parquet ones the first scale issue's.
GOALS: dict[str, dict[int, tuple[float, float | None]]] = {
    "parquet": {1_000_000: (60.0, None), 10_000_000: (300.0, 4.0e9)},
    "csv": {1_000_000: (40.0, 2.0e9), 10_000_000: (200.0, 2.0e9)},
}


def run_one(rows: int, data: Path, out_dir: Path, *, clusters: int, out_format: str) -> dict:
    # the data is made in its own process: on Linux a child's ru_maxrss starts at its parent's peak (it
    # survives fork and exec), so a benchmark that had generated a pool itself would inflate every figure
    subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve().parent / "scale_data.py"),
            "--rows",
            str(rows),
            "--out",
            str(data),
        ],
        check=True,
    )
    pool, target = data / f"pool_{rows}.npy", data / "target.npy"
    out = out_dir / f"selection_{rows}.{out_format}"
    manifest_path = out_dir / f"selection_{rows}.manifest.json"
    command = [
        str(CLI),
        "select",
        "--pool",
        str(pool),
        "--target",
        str(target),
        "--clusters",
        str(clusters),
        "--out",
        str(out),
        "--manifest-out",
        str(manifest_path),
        "--quiet",
    ]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    child = subprocess.Popen(command, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    assert child.stderr is not None  # stderr=PIPE
    stderr = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"gio-studio failed on {rows:,} rows:\n{stderr}")
    manifest = json.loads(manifest_path.read_text())
    return {
        "rows": rows,
        "format": out_format,
        "out_bytes": out.stat().st_size,
        "pool_bytes": pool.stat().st_size,
        "load_average": load,
        "wall_seconds": wall,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "peak_rss_bytes": usage.ru_maxrss * 1024,
        "timings": manifest["timings"],
        "stage_peak_rss_bytes": manifest.get("resources", {}).get("peak_rss_bytes", {}),
        "stage_cpu_seconds": _per_stage(manifest.get("resources", {}).get("cpu_seconds", {})),
        "selected_rows": manifest["result"]["n_selected"],
        "selected_clusters": len(manifest["result"].get("selected_clusters", [])),
        "stop_reason": manifest["result"]["stop_reason"],
    }


def _per_stage(cumulative: dict) -> dict:
    """CPU seconds spent in each stage, from the cumulative CPU time at the end of each (in the order the
    stages ended: the target is quantised before the pool's rows are assigned)."""
    spent, before = {}, 0.0
    for stage, total in sorted(cumulative.items(), key=lambda item: item[1]):
        if stage in STAGES:
            spent[stage] = total - before
            before = total
    return spent


def goal_met(result: dict) -> str:
    goal = GOALS[result.get("format", "parquet")].get(result["rows"])
    if goal is None:
        return "-"
    seconds, rss = goal
    rss = 2 * result["pool_bytes"] if rss is None else rss
    time_ok, rss_ok = result["wall_seconds"] <= seconds, result["peak_rss_bytes"] <= rss
    return (
        "yes" if time_ok and rss_ok else "no"
    ) + f" (≤{seconds:.0f} s {'ok' if time_ok else 'MISSED'}, ≤{rss / 1e9:.1f} GB {'ok' if rss_ok else 'MISSED'})"


def print_table(results: list[dict]) -> None:
    head = ["rows", "out", *STAGES, "total (wall)", "CPU", "peak RSS", "load", "selected", "goal met"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for result in results:
        stages = [f"{result['timings'].get(stage, 0.0):.1f}" for stage in STAGES]
        print(
            "| "
            + " | ".join(
                [
                    f"{result['rows']:,}",
                    f"{result['format']} ({result['out_bytes'] / 1e9:.2f} GB)",
                    *stages,
                    f"{result['wall_seconds']:.1f} s",
                    f"{result['cpu_seconds']:.0f} s",
                    f"{result['peak_rss_bytes'] / 1e9:.2f} GB",
                    f"{result['load_average']:.1f}",
                    f"{result['selected_rows']:,} ({result['selected_clusters']} clusters)",
                    goal_met(result),
                ]
            )
            + " |"
        )
    print("\npeak RSS at the end of each stage (GB):")
    for result in results:
        peaks = result["stage_peak_rss_bytes"]
        print(
            f"  {result['rows']:>11,} {result['format']:>7}: "
            + ", ".join(f"{stage} {peaks[stage] / 1e9:.2f}" for stage in STAGES if stage in peaks)
        )
    print("\nCPU seconds per stage (wall time stretches with the machine's load; CPU time hardly does):")
    for result in results:
        spent = result["stage_cpu_seconds"]
        print(
            f"  {result['rows']:>11,} {result['format']:>7}: "
            + ", ".join(f"{stage} {spent[stage]:.1f}" for stage in STAGES if stage in spent)
            + f"; K-means train {result['timings'].get('quantize_pool_train', 0):.1f} s wall, assign "
            f"{result['timings'].get('quantize_pool_assign', 0):.1f} s wall"
        )
    if len(results) > 1:
        print("\nseconds per million rows (wall, CPU):")
        for result in results:
            millions = result["rows"] / 1e6
            print(
                f"  {result['rows']:>11,} {result['format']:>7}: {result['wall_seconds'] / millions:7.1f}, "
                f"{result['cpu_seconds'] / millions:7.1f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument(
        "--data",
        type=Path,
        default=Path("/work/scale_data"),
        help="where the pools are written (outside the repository; the 10M pool is 15.4 GB)",
    )
    parser.add_argument("--clusters", type=int, default=1500)
    parser.add_argument(
        "--format",
        choices=("parquet", "csv"),
        nargs="+",
        default=["csv", "parquet"],
        help="output formats, each run on every pool (default: both)",
    )
    parser.add_argument("--delete-after", action="store_true", help="delete each pool file after its run")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "out" / "scale.json")
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory(prefix="gio-scale-") as out_dir:
        for rows in args.rows:
            for out_format in args.format:
                result = run_one(rows, args.data, Path(out_dir), clusters=args.clusters, out_format=out_format)
                results.append(result)
                print(
                    f"{rows:,} rows, {out_format}: {result['wall_seconds']:.1f} s, peak RSS "
                    f"{result['peak_rss_bytes'] / 1e9:.2f} GB, load {result['load_average']:.1f}",
                    flush=True,
                )
                (Path(out_dir) / f"selection_{rows}.{out_format}").unlink(missing_ok=True)
            if args.delete_after:
                (args.data / f"pool_{rows}.npy").unlink(missing_ok=True)
    print()
    print_table(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
