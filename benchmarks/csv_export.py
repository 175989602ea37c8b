"""CSV export speed: gio-studio's writer against ``pyarrow.csv.write_csv`` on the same selected rows.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/csv_export.py --rows 1000000 --select 110000 --data /work/scale_data

The pool is the scale benchmark's 1M x 384 float32 ``.npy`` (:mod:`benchmarks.scale_data`), the selection
``--select`` rows in a random order (what a quantised run exports: about 10% of the pool). Each writer
runs in its own process (its peak RSS is its own), measured in one run so the ratio is not skewed by
the machine's load changing between separate runs:

``pyarrow``
    The reference: the selected rows already in memory as an Arrow table (``dim_i`` float32 columns,
    ``gio_rank``, ``gio_row``), written by ``pyarrow.csv.write_csv``. Reading the rows is not timed.
``gio-studio``
    :func:`gio_core.io.export.write_selection_rows` from the memory-mapped pool file: reading the rows,
    formula-safe text, the temporary file and its rename all timed.
``gio-studio-1``
    The same with ``EXPORT_THREADS = 1``.
``gio-studio-table``
    The writer alone: :func:`gio_core.io.export.write_selection_table` on pyarrow's in-memory table (what
    the export does with rows already read, e.g. from Parquet shards).
``pandas`` (``--with-pandas``)
    What the export did before (``DataFrame.to_csv`` of the selection), for the record.

Goal (issue 13): gio-studio within 1.5x of pyarrow's time. The rows written are checked to be the same
bytes as pyarrow's (after the header line). The load average is printed beside every timing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _selection(rows: int, select: int) -> np.ndarray:
    return np.random.default_rng(7).permutation(rows)[:select]


def run_writer(writer: str, pool_path: Path, select: int, out: Path) -> dict:
    """One writer, in this process; returns seconds and this process's peak RSS."""
    from gio_core.io import export
    from gio_core.io.largefiles import take_rows
    from gio_core.io.read import read_data

    pool = read_data(pool_path)
    picks = _selection(pool.n_rows, select)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    if writer in ("pyarrow", "gio-studio-table"):
        import pyarrow as pa
        import pyarrow.csv as pa_csv

        vectors = np.ascontiguousarray(take_rows(pool.array, picks).T)
        columns = [pa.array(column) for column in vectors]
        columns += [pa.array(np.arange(1, select + 1, dtype=np.int64)), pa.array(picks.astype(np.int64))]
        table = pa.Table.from_arrays(
            columns, names=[f"dim_{i}" for i in range(vectors.shape[0])] + ["gio_rank", "gio_row"]
        )
        del vectors
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu_before = usage.ru_utime + usage.ru_stime
        started = time.perf_counter()
        if writer == "pyarrow":
            pa_csv.write_csv(table, str(out))
        else:
            export.write_selection_table(table, out)
    elif writer == "pandas":
        frame = export.selection_frame(pool, picks)
        frame.to_csv(out, index=False, lineterminator="\n")
    else:
        if writer == "gio-studio-1":
            export.EXPORT_THREADS = 1
        export.write_selection_rows(pool, picks, out)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "writer": writer,
        "seconds": seconds,
        "bytes": out.stat().st_size,
        "cpu_seconds": usage.ru_utime + usage.ru_stime - cpu_before,
        "peak_rss_bytes": usage.ru_maxrss * 1024,
    }


def _child(writer: str, pool_path: Path, select: int, out: Path) -> dict:
    load = os.getloadavg()[0]
    command = [
        sys.executable,
        __file__,
        "--child",
        writer,
        "--pool",
        str(pool_path),
        "--select",
        str(select),
        "--out",
        str(out),
    ]
    result = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    result["load_average"] = load
    return result


def _body(path: Path) -> bytes:
    data = path.read_bytes()
    return data[data.index(b"\n") + 1 :]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--select", type=int, default=110_000)
    parser.add_argument("--data", type=Path, default=Path("/work/scale_data"))
    parser.add_argument("--with-pandas", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each writer, interleaved; medians reported")
    parser.add_argument("--child")
    parser.add_argument("--pool", type=Path)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_writer(args.child, args.pool, args.select, args.out)))
        return

    subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve().parent / "scale_data.py"),
            "--rows",
            str(args.rows),
            "--out",
            str(args.data),
        ],
        check=True,
    )
    pool_path = args.data / f"pool_{args.rows}.npy"
    writers = ["pyarrow", "gio-studio-table", "gio-studio", "gio-studio-1"] + (["pandas"] if args.with_pandas else [])
    runs: dict[str, list[dict]] = {writer: [] for writer in writers}
    with tempfile.TemporaryDirectory(prefix="gio-csv-", dir=args.data) as folder:
        outputs = {writer: Path(folder) / f"{writer}.csv" for writer in writers}
        for repeat in range(args.repeat):
            for writer in [writer for writer in writers if writer != "pandas" or repeat == 0]:
                result = _child(writer, pool_path, args.select, outputs[writer])
                runs[writer].append(result)
                print(
                    f"run {repeat + 1}, {writer}: {result['seconds']:.2f} s wall, {result['cpu_seconds']:.2f} s CPU "
                    f"(load {result['load_average']:.1f})",
                    flush=True,
                )
        same = _body(outputs["gio-studio"]) == _body(outputs["gio-studio-table"]) == _body(outputs["pyarrow"])
    results = {
        writer: {key: float(np.median([run[key] for run in found])) for key in found[0] if key != "writer"}
        for writer, found in runs.items()
    }
    reference = results["pyarrow"]["seconds"]
    print(
        f"\n{args.select:,} selected rows x 384 float32 of a {args.rows:,}-row pool; {os.cpu_count()} cores; "
        f"medians of {args.repeat} interleaved runs (pandas: 1)\n"
    )
    print("| writer | wall s | vs pyarrow | CPU s | MB written | peak RSS | load |")
    print("|---|---|---|---|---|---|---|")
    for writer, result in results.items():
        print(
            f"| {writer} | {result['seconds']:.2f} | {result['seconds'] / reference:.2f}x | "
            f"{result['cpu_seconds']:.2f} | {result['bytes'] / 1e6:.0f} | {result['peak_rss_bytes'] / 1e9:.2f} GB | "
            f"{result['load_average']:.1f} |"
        )
    print(f"\nrows written identical to pyarrow's (after the header line): {'yes' if same else 'NO'}")
    for writer in ("gio-studio-table", "gio-studio"):
        ratio = results[writer]["seconds"] / reference
        print(f"goal {writer} <= 1.5x pyarrow: {'met' if ratio <= 1.5 else 'MISSED'} ({ratio:.2f}x)")


if __name__ == "__main__":
    main()
