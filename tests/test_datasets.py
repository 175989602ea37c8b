"""Fashion-MNIST readers: the IDX parser, the Debian package loader, the bundled subset."""

import gzip

import numpy as np
import pytest

from gio_core.io.datasets import (
    FASHION_MNIST_CLASSES,
    FASHION_MNIST_DIR,
    fashion_mnist_sample,
    load_fashion_mnist,
    read_idx,
)
from gio_core.io.errors import DataError


def _idx_bytes(values: np.ndarray, type_code: int = 0x08) -> bytes:
    header = bytes([0, 0, type_code, values.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in values.shape)
    return header + values.tobytes()


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
def test_read_idx_round_trip(tmp_path, compressed):
    values = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / ("x.idx.gz" if compressed else "x.idx")
    content = _idx_bytes(values)
    path.write_bytes(gzip.compress(content) if compressed else content)
    np.testing.assert_array_equal(read_idx(path), values)


def test_read_idx_big_endian_int32(tmp_path):
    values = np.array([1, -2, 70000], dtype=">i4")
    path = tmp_path / "x.idx"
    path.write_bytes(_idx_bytes(values, 0x0C))
    np.testing.assert_array_equal(read_idx(path), [1, -2, 70000])


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x01\x02\x08\x01" + (3).to_bytes(4, "big") + b"abc", "bad magic number"),
        (b"\x00\x00\x08\x02" + (3).to_bytes(4, "big"), "header is damaged"),
        (b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + b"abc", "truncated or damaged"),
    ],
    ids=["magic", "short-header", "truncated"],
)
def test_read_idx_refuses_damaged_files(tmp_path, content, message):
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(DataError, match=message):
        read_idx(path)


def test_read_idx_bad_gzip(tmp_path):
    path = tmp_path / "bad.idx.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="cannot be read as gzip IDX"):
        read_idx(path)


def test_missing_package_names_it(tmp_path):
    with pytest.raises(DataError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist("train", directory=tmp_path)


def test_bad_split():
    with pytest.raises(ValueError, match="split='valid'"):
        load_fashion_mnist("valid")


def test_bundled_sample_is_balanced_images():
    images, labels = fashion_mnist_sample()
    assert images.shape == (4000, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), np.full(10, 400))
    assert len(FASHION_MNIST_CLASSES) == 10
    assert images.mean() > 20  # real pictures, not an empty array


@pytest.mark.skipif(
    not (FASHION_MNIST_DIR / "t10k-images-idx3-ubyte.gz").is_file(), reason="dataset-fashion-mnist is not installed"
)
def test_debian_package_test_split():
    images, labels = load_fashion_mnist("test")
    assert images.shape == (10000, 28, 28)
    np.testing.assert_array_equal(np.bincount(labels), np.full(10, 1000))
