"""Gaussian-mixture pools for the scale benchmark, written in chunks (never whole in memory).

    .venv/bin/python benchmarks/scale_data.py --rows 1000000 --out benchmarks/out/scale

Writes ``pool_<rows>.npy`` (float32, rows x 384) and ``target.npy`` (5,000 rows drawn from a few of the
pool's components) unless they already exist with the right shape. The 10M-row pool is 15.4 GB.
:func:`make_shards` writes the same rows as a folder of Parquet shards (``id`` and a ``list<float>``
column ``embedding``), for the Spark benchmark.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

DIMENSION = 384
COMPONENTS = 64
TARGET_COMPONENTS = 8
TARGET_ROWS = 5_000
CHUNK_ROWS = 200_000
SEED = 20240116


def _mixture(rng: np.random.Generator):
    means = rng.normal(0.0, 1.0, size=(COMPONENTS, DIMENSION)).astype(np.float32)
    spreads = rng.uniform(0.2, 0.5, size=COMPONENTS).astype(np.float32)
    return means, spreads


def _draw(rng, means, spreads, components, rows):
    labels = rng.choice(components, size=rows)
    noise = rng.standard_normal((rows, DIMENSION), dtype=np.float32)
    noise *= spreads[labels, None]
    noise += means[labels]
    return noise


def _write_npy(path: Path, rows: int, make_chunk) -> None:
    header = {
        "descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)),
        "fortran_order": False,
        "shape": (rows, DIMENSION),
    }
    partial = path.with_suffix(".partial")
    with open(partial, "wb") as handle:
        np.lib.format.write_array_header_2_0(handle, header)
        for start in range(0, rows, CHUNK_ROWS):
            handle.write(make_chunk(min(CHUNK_ROWS, rows - start)).tobytes())
    partial.rename(path)


def _has_shape(path: Path, shape: tuple[int, int]) -> bool:
    if not path.exists():
        return False
    try:
        return np.load(path, mmap_mode="r").shape == shape
    except ValueError:
        return False


def make(rows: int, out: Path) -> tuple[Path, Path]:
    """Create (or reuse) the pool of ``rows`` rows and the shared 5,000-row target."""
    out.mkdir(parents=True, exist_ok=True)
    means, spreads = _mixture(np.random.default_rng(SEED))
    target_path = out / "target.npy"
    if not _has_shape(target_path, (TARGET_ROWS, DIMENSION)):
        rng = np.random.default_rng(SEED + 1)
        _write_npy(
            target_path, TARGET_ROWS, lambda count: _draw(rng, means, spreads, np.arange(TARGET_COMPONENTS), count)
        )
    pool_path = out / f"pool_{rows}.npy"
    if not _has_shape(pool_path, (rows, DIMENSION)):
        rng = np.random.default_rng(SEED + rows)
        started = time.perf_counter()
        _write_npy(pool_path, rows, lambda count: _draw(rng, means, spreads, np.arange(COMPONENTS), count))
        print(f"wrote {pool_path} ({pool_path.stat().st_size / 1e9:.1f} GB) in {time.perf_counter() - started:.0f} s")
    return pool_path, target_path


def make_shards(rows: int, out: Path, *, shard_rows: int = 100_000, row_group_rows: int = 16_384) -> Path:
    """Create (or reuse) ``pool_<rows>_shards/``: the rows of ``pool_<rows>.npy``, as Parquet shards.

    Returns
    -------
    Path
        The folder; ``part-00000.parquet`` … hold ``shard_rows`` rows each, in row order.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    folder = out / f"pool_{rows}_shards"
    done = folder / "_COMPLETE"
    if done.exists():
        return folder
    means, spreads = _mixture(np.random.default_rng(SEED))
    rng = np.random.default_rng(SEED + rows)
    folder.mkdir(exist_ok=True)
    started = time.perf_counter()
    for shard, start in enumerate(range(0, rows, shard_rows)):
        count = min(shard_rows, rows - start)
        vectors = _draw(rng, means, spreads, np.arange(COMPONENTS), count)
        offsets = pa.array(np.arange(0, vectors.size + 1, DIMENSION, dtype=np.int32))
        table = pa.table(
            {
                "id": [f"row{start + row}" for row in range(count)],
                "embedding": pa.ListArray.from_arrays(offsets, pa.array(vectors.reshape(-1))),
            }
        )
        pq.write_table(table, folder / f"part-{shard:05d}.parquet", row_group_size=row_group_rows)
    done.write_text("")
    size = sum(path.stat().st_size for path in folder.glob("*.parquet"))
    print(f"wrote {folder} ({size / 1e9:.2f} GB) in {time.perf_counter() - started:.0f} s")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out" / "scale")
    args = parser.parse_args()
    for rows in args.rows:
        print(*make(rows, args.out))


if __name__ == "__main__":
    main()
