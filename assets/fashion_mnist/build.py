"""Rebuild the bundled Fashion-MNIST subset from Debian's dataset-fashion-mnist package.

    python assets/fashion_mnist/build.py

Takes 400 training images of each class (4,000 in all), the first ones in file order after a seeded
shuffle, and writes them in the package's own IDX format, gzip-compressed.
"""

import gzip
from pathlib import Path

import numpy as np

from gio_core.io.datasets import load_fashion_mnist

PER_CLASS = 400
SEED = 20171025  # the data set's release date


def _write_idx(path: Path, values: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, values.ndim]) + b"".join(int(size).to_bytes(4, "big") for size in values.shape)
    with gzip.GzipFile(path, "wb", mtime=0) as handle:  # mtime=0: the same bytes on every rebuild
        handle.write(header + values.astype(np.uint8).tobytes())


def main() -> None:
    images, labels = load_fashion_mnist("train")
    order = np.random.default_rng(SEED).permutation(labels.size)
    chosen = np.sort(np.concatenate([order[labels[order] == label][:PER_CLASS] for label in range(10)]))
    folder = Path(__file__).resolve().parent
    _write_idx(folder / "sample-images-idx3-ubyte.gz", images[chosen])
    _write_idx(folder / "sample-labels-idx1-ubyte.gz", labels[chosen])
    print(f"wrote {chosen.size} images to {folder}")


if __name__ == "__main__":
    main()
