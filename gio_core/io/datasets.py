"""Real data sets: Fashion-MNIST from Debian's ``dataset-fashion-mnist`` package, and its bundled subset.

Fashion-MNIST (Xiao, Rasul & Vollgraf 2017; MIT/Expat licence) is the image set of the paper's own
self-selection experiment (Everaert & Potts 2024, section 5). The files are IDX: a big-endian header
(two zero bytes, a type code, the number of dimensions, one 4-byte size per dimension) followed by
the raw values, here gzip-compressed. They are parsed with NumPy alone (no pickle).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ._assets import assets_folder
from .errors import DataError

__all__ = ["FASHION_MNIST_CLASSES", "FASHION_MNIST_DIR", "fashion_mnist_sample", "load_fashion_mnist", "read_idx"]

#: The ten classes, in label order.
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

#: Where Debian's ``dataset-fashion-mnist`` package puts the files.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")

_SPLIT_PREFIX = {"train": "train", "test": "t10k"}
_IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
# sizes beyond this are a damaged header, not an image set (the full train set is 47 MB)
_MAX_IDX_VALUES = 1 << 31


def read_idx(path: str | Path) -> NDArray:
    """Read one IDX file (gzip-compressed when its name ends in ``.gz``).

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    ndarray
        Shape and type from the header (``uint8`` images of shape (n, 28, 28), ``uint8`` labels of shape (n,)).

    Raises
    ------
    DataError
        The file is missing, truncated, or not IDX.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            content = handle.read()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file.") from None
    except (OSError, EOFError) as error:  # gzip.BadGzipFile is an OSError
        raise DataError(
            f"{path}: cannot be read as {'gzip ' if opener is gzip.open else ''}IDX ({error}); "
            "download or reinstall the file."
        ) from None
    if len(content) < 4 or content[0] != 0 or content[1] != 0 or content[2] not in _IDX_TYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number); pass the -idx3-ubyte or -idx1-ubyte file.")
    dimensions = content[3]
    header_size = 4 + 4 * dimensions
    if dimensions == 0 or len(content) < header_size:
        raise DataError(f"{path}: the IDX header is damaged ({dimensions} dimensions); reinstall the file.")
    shape = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(dimensions))
    dtype = np.dtype(_IDX_TYPES[content[2]])
    count = int(np.prod(shape, dtype=np.int64))
    if count > _MAX_IDX_VALUES or len(content) - header_size != count * dtype.itemsize:
        raise DataError(
            f"{path}: holds {len(content) - header_size} bytes of data where its header {shape} needs "
            f"{count * dtype.itemsize}; the file is truncated or damaged, reinstall it."
        )
    values = np.frombuffer(content, dtype=dtype, offset=header_size).reshape(shape)
    return values.astype(dtype.newbyteorder("="), copy=True)


def load_fashion_mnist(split: str = "train", *, directory: str | Path | None = None) -> tuple[NDArray, NDArray]:
    """Fashion-MNIST images and labels from Debian's ``dataset-fashion-mnist`` package.

    Parameters
    ----------
    split : {'train', 'test'}, default='train'
        60,000 training or 10,000 test images.
    directory : str or Path, optional
        Folder holding ``{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz``; default
        ``/usr/share/datasets/fashion-mnist``.

    Returns
    -------
    images : ndarray of uint8, shape (n, 28, 28)
    labels : ndarray of int64, shape (n,)
        Indices into :data:`FASHION_MNIST_CLASSES`.

    Raises
    ------
    DataError
        The files are missing (the message names the Debian package) or damaged.

    Examples
    --------
    >>> images, labels = load_fashion_mnist("test")  # doctest: +SKIP
    >>> images.shape, labels.shape  # doctest: +SKIP
    ((10000, 28, 28), (10000,))
    """
    if split not in _SPLIT_PREFIX:
        raise ValueError(f"split={split!r} is not one of 'train', 'test'; pass one of them.")
    folder = Path(directory) if directory is not None else FASHION_MNIST_DIR
    prefix = _SPLIT_PREFIX[split]
    images_path = folder / f"{prefix}-images-idx3-ubyte.gz"
    labels_path = folder / f"{prefix}-labels-idx1-ubyte.gz"
    missing = [path for path in (images_path, labels_path) if not path.is_file()]
    if missing:
        raise DataError(
            f"Fashion-MNIST is not installed ({missing[0]} is missing); install Debian's package: "
            "`apt-get install dataset-fashion-mnist`, or pass directory= a folder with those files."
        )
    return _images_and_labels(images_path, labels_path)


def fashion_mnist_sample() -> tuple[NDArray, NDArray]:
    """The bundled Fashion-MNIST subset (``assets/fashion_mnist``), for demos on a machine without the package.

    Returns
    -------
    images : ndarray of uint8, shape (n, 28, 28)
    labels : ndarray of int64, shape (n,)
    """
    folder = assets_folder() / "fashion_mnist"
    return _images_and_labels(folder / "sample-images-idx3-ubyte.gz", folder / "sample-labels-idx1-ubyte.gz")


def _images_and_labels(images_path: Path, labels_path: Path) -> tuple[NDArray, NDArray]:
    images = read_idx(images_path)
    labels = read_idx(labels_path)
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise DataError(
            f"{images_path} ({images.shape}) and {labels_path} ({labels.shape}) do not describe the same "
            "images; pass matching image and label files."
        )
    if labels.size and labels.max() >= len(FASHION_MNIST_CLASSES):
        raise DataError(f"{labels_path}: label {int(labels.max())} is not a Fashion-MNIST class (0-9).")
    return images, labels.astype(np.int64)
