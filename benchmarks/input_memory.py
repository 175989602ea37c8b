"""Input memory: the peak resident memory of reading a big pool, a float64 ``.npy`` and a Parquet file.

    .venv/bin/python benchmarks/input_memory.py [--rows 300000] [--dims 384] [--clusters 100]
                                                [--code PATH] [--workdir /tmp/gio_input_memory]

It writes a pool of ``rows x dims`` vectors twice, as a float64 ``.npy`` and as one Parquet file of
float32 columns (one row group, as ``DataFrame.to_parquet`` writes it, plus an ``id`` column), and a
2,000-row target beside each. Then, each in a fresh process run under ``/usr/bin/time -v``, it measures
the maximum resident set size of

* ``read + vectors``: :func:`gio_core.io.read_data` of both files and
  :func:`gio_core.io.prepare_vectors`, the input stages alone;
* ``select``: ``gio-studio select --clusters K`` end to end (K-means, GIO, export of the selected rows).

Each figure is printed beside the float32 pool matrix's size (the floor: the vectors GIO runs on) and
the load average at that moment (``os.getloadavg()``; memory does not depend on it, time would).

``--code`` runs another checkout's ``gio_core`` (a folder holding ``gio_core/``): to compare with the
code before a change, ``git archive HEAD~1 gio_core | tar -x -C /tmp/before`` and pass ``--code /tmp/before``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TARGET_ROWS = 2_000
RUNNER = "import sys; sys.path.insert(0, sys.argv.pop(1)); from gio_core.cli import main; sys.exit(main(sys.argv[1:]))"
STAGES = """
import sys
sys.path.insert(0, sys.argv[1])
import pyarrow.parquet  # loaded in every run, so the 100-row baseline counts it too
from gio_core.io import prepare_vectors, read_data
prepared = prepare_vectors(read_data(sys.argv[2]), read_data(sys.argv[3]))
print(prepared.pool.shape, prepared.pool.dtype, prepared.description)
"""


def write_inputs(folder: Path, rows: int, dims: int) -> dict[str, tuple[Path, Path]]:
    """The float64 .npy pool and the Parquet pool with their targets (written once, reused)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    names = [f"d{i}" for i in range(dims)]
    npy_pool, npy_target = folder / f"pool_{rows}x{dims}_float64.npy", folder / "target_float64.npy"
    parquet_pool, parquet_target = folder / f"pool_{rows}x{dims}.parquet", folder / "target.parquet"
    if not npy_pool.exists():
        matrix = np.lib.format.open_memmap(npy_pool, mode="w+", dtype=np.float64, shape=(rows, dims))
        for start in range(0, rows, 50_000):
            stop = min(rows, start + 50_000)
            matrix[start:stop] = rng.normal(size=(stop - start, dims))
        matrix.flush()
        del matrix
        np.save(npy_target, rng.normal(loc=0.3, size=(TARGET_ROWS, dims)))
    if not parquet_pool.exists():
        vectors = np.load(npy_pool, mmap_mode="r")
        columns = {"id": pa.array([f"r{i}" for i in range(rows)])}
        columns.update({name: pa.array(np.asarray(vectors[:, i], dtype=np.float32)) for i, name in enumerate(names)})
        pq.write_table(pa.table(columns), parquet_pool, row_group_size=rows)  # one row group, as pandas writes it
        del columns
        target = np.load(npy_target).astype(np.float32)
        pq.write_table(pa.table({name: target[:, i] for i, name in enumerate(names)}), parquet_target)
    return {"float64 .npy": (npy_pool, npy_target), "Parquet (float32 columns)": (parquet_pool, parquet_target)}


def peak_rss(command: list[str], env: dict) -> tuple[int, float, str]:
    """Maximum resident set size (bytes) and wall seconds of a command under /usr/bin/time -v, and its stderr tail."""
    result = subprocess.run(["/usr/bin/time", "-v", *command], capture_output=True, text=True, env=env)
    found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):(\d+(?:\.\d+)?)", result.stderr)
    if result.returncode != 0 or found is None:
        raise SystemExit(f"{' '.join(command[:4])} … failed ({result.returncode}):\n{result.stderr[-2000:]}")
    hours, minutes, seconds = wall.groups() if wall else (0, 0, 0)
    elapsed = 3600 * float(hours or 0) + 60 * float(minutes) + float(seconds)
    lines = [line for line in result.stderr.splitlines() if line.startswith("gio-studio: vectors")]
    return int(found.group(1)) * 1024, elapsed, (lines[0] if lines else result.stdout.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--dims", type=int, default=384)
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--code", type=Path, default=ROOT, help="folder holding the gio_core to measure")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/gio_input_memory"))
    args = parser.parse_args(argv)

    inputs = write_inputs(args.workdir, args.rows, args.dims)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    floor = args.rows * args.dims * 4
    print(
        f"gio_core from {args.code.resolve()}; pool {args.rows:,} x {args.dims}; float32 pool matrix "
        f"{floor / 2**20:,.0f} MiB"
    )
    for kind, (pool, target) in inputs.items():
        print(f"\n{kind}: {pool.name} ({pool.stat().st_size / 2**20:,.0f} MiB on disk)")
        runs = {
            "read + vectors": [sys.executable, "-c", STAGES, str(args.code), str(pool), str(target)],
            f"select --clusters {args.clusters}": [
                sys.executable,
                "-c",
                RUNNER,
                str(args.code),
                "select",
                "--pool",
                str(pool),
                "--target",
                str(target),
                "--clusters",
                str(args.clusters),
                "--out",
                str(args.workdir / "selection.csv"),
                "--seed",
                "0",
            ],
        }
        for label, command in runs.items():
            rss, seconds, said = peak_rss(command, env)
            print(
                f"  {label:<22} peak RSS {rss / 2**20:7,.0f} MiB = {rss / floor:4.2f}x the float32 matrix; "
                f"{seconds:6.1f} s wall; load average {load_average()}"
            )
            if said:
                print(f"    {said}")
        stages = json.loads((args.workdir / "selection.manifest.json").read_text())["resources"]["peak_rss_bytes"]
        print(
            "    peak RSS after each stage (manifest): "
            + ", ".join(f"{stage} {value / 2**20:,.0f}" for stage, value in stages.items())
            + " MiB"
        )
    tiny_pool, tiny_target = args.workdir / "tiny_pool.npy", args.workdir / "tiny_target.npy"
    np.save(tiny_pool, np.zeros((100, args.dims), dtype=np.float32))
    np.save(tiny_target, np.ones((20, args.dims), dtype=np.float32))
    rss, _, _ = peak_rss([sys.executable, "-c", STAGES, str(args.code), str(tiny_pool), str(tiny_target)], env)
    print(
        f"\nthe same read + vectors on a 100-row pool (Python, NumPy, pandas, pyarrow loaded): peak RSS "
        f"{rss / 2**20:,.0f} MiB; load average {load_average()}"
    )
    return 0


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
