"""Out-of-core row sources: NpyRows and ParquetRows behave like the arrays they hold."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gio_core import GIOSelector
from gio_core.io.largefiles import NpyRows, ParquetRows, to_float32


@pytest.fixture
def vectors(rng):
    return rng.normal(size=(3000, 6)).astype(np.float32)


@pytest.fixture
def npy_rows(tmp_path, vectors):
    np.save(tmp_path / "pool.npy", vectors)
    return NpyRows(tmp_path / "pool.npy")


@pytest.mark.parametrize(
    "key",
    [
        slice(10, 20),
        slice(None),
        slice(2990, 5000),
        slice(5, 5),
        slice(0, 30, 7),
        [5, 3, 4, 100, 2999],
        np.array([-1, 0]),
        17,
        -2,
    ],
    ids=["slice", "all", "past-end", "empty", "step", "list", "negative", "int", "negative-int"],
)
def test_npy_rows_index_like_an_array(npy_rows, vectors, key):
    assert np.array_equal(npy_rows[key], vectors[key])


def test_npy_rows_shape_and_conversion(npy_rows, vectors):
    assert npy_rows.shape == (3000, 6) and npy_rows.dtype == np.float32 and len(npy_rows) == 3000
    assert np.array_equal(np.asarray(npy_rows), vectors)
    assert np.array_equal(np.concatenate([chunk for _, chunk in npy_rows.iter_chunks(1000)]), vectors)
    assert np.array_equal(npy_rows[np.arange(3000) % 2 == 0], vectors[::2])


@pytest.mark.parametrize(
    "array, match",
    [
        (np.array([{"a": 1}, None], dtype=object).reshape(2, 1), "holds Python objects"),
        (np.zeros((2, 3, 4)), "save a 2-D array"),
        (np.asfortranarray(np.zeros((4, 3))), "Fortran order"),
        (np.array([["a", "b"]]), "has dtype <U1"),
    ],
    ids=["objects", "three-d", "fortran", "strings"],
)
def test_npy_rows_refuses(tmp_path, array, match):
    np.save(tmp_path / "bad.npy", array, allow_pickle=True)
    with pytest.raises(ValueError, match=match):
        NpyRows(tmp_path / "bad.npy")


def test_npy_rows_refuses_truncated(tmp_path, vectors):
    np.save(tmp_path / "pool.npy", vectors)
    data = (tmp_path / "pool.npy").read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.npy is truncated"):
        NpyRows(tmp_path / "cut.npy")


def test_parquet_rows_numeric_columns(tmp_path, vectors):
    table = pa.table({**{f"f{i}": vectors[:, i] for i in range(6)}, "label": ["x"] * 3000})
    pq.write_table(table, tmp_path / "pool.parquet", row_group_size=700)
    rows = ParquetRows(tmp_path / "pool.parquet")
    assert rows.shape == (3000, 6)
    assert np.array_equal(rows[650:1500], vectors[650:1500])
    assert np.array_equal(rows[[2999, 0, 701, 702]], vectors[[2999, 0, 701, 702]])
    assert np.array_equal(ParquetRows(tmp_path / "pool.parquet", columns=["f2", "f0"])[:], vectors[:, [2, 0]])
    with pytest.raises(ValueError, match="label are missing or not numeric"):
        ParquetRows(tmp_path / "pool.parquet", columns=["f1", "label"])


def test_parquet_rows_vector_column(tmp_path, vectors):
    table = pa.table({"vec": pa.array(list(vectors), type=pa.list_(pa.float32()))})
    pq.write_table(table, tmp_path / "pool.parquet", row_group_size=900)
    rows = ParquetRows(tmp_path / "pool.parquet", vector_column="vec")
    assert rows.shape == (3000, 6) and np.array_equal(rows[100:2000], vectors[100:2000])
    with pytest.raises(ValueError, match="has no column 'embedding'"):
        ParquetRows(tmp_path / "pool.parquet", vector_column="embedding")


def test_selector_reads_row_sources_like_arrays(npy_rows, vectors, rng):
    target = rng.normal(size=(200, 6))
    options = dict(n_clusters=40, max_iter=15, random_state=0)
    from_file = GIOSelector(**options).fit(npy_rows, target, np.zeros((0, 6)))
    from_memory = GIOSelector(**options).fit(vectors, target, np.zeros((0, 6)))
    assert np.array_equal(from_file.selected_indices_, from_memory.selected_indices_)
    unquantised = dict(max_iter=5, stop_criterion="data_size", random_state=0)
    picks = GIOSelector(**unquantised).fit(npy_rows, target, np.zeros((0, 6))).selected_indices_
    assert len(picks) == 5
    assert np.array_equal(picks, GIOSelector(**unquantised).fit(vectors, target, np.zeros((0, 6))).selected_indices_)


def test_nonfinite_rows_found_while_quantising(tmp_path, vectors, rng):
    vectors = vectors.copy()
    vectors[[7, 2500]] = np.nan
    np.save(tmp_path / "bad.npy", vectors)
    with pytest.raises(ValueError, match=r"pool has 2 row\(s\) with NaN or inf"):
        GIOSelector(n_clusters=30).fit(NpyRows(tmp_path / "bad.npy"), rng.normal(size=(100, 6)))


@pytest.mark.parametrize("dtype", [np.float64, np.int16, np.float32], ids=["float64", "int16", "float32"])
@pytest.mark.parametrize("chunk_rows", [1, 7, 3000, 10_000], ids=["one", "uneven", "exact", "larger"])
def test_to_float32_in_chunks_equals_a_whole_conversion(tmp_path, vectors, dtype, chunk_rows):
    values = (vectors * 100).astype(dtype)
    np.save(tmp_path / "values.npy", values)
    mapped = np.load(tmp_path / "values.npy", mmap_mode="r")
    converted = to_float32(mapped, chunk_rows=chunk_rows)
    assert converted.dtype == np.float32 and converted.flags.c_contiguous and converted.flags.owndata
    np.testing.assert_array_equal(converted, values.astype(np.float32), strict=True)


def test_to_float32_reads_row_sources_and_refuses_empty_chunks(tmp_path, vectors):
    np.save(tmp_path / "pool64.npy", vectors.astype(np.float64))
    np.testing.assert_array_equal(to_float32(NpyRows(tmp_path / "pool64.npy"), chunk_rows=1000), vectors, strict=True)
    assert to_float32(np.zeros((0, 3))).shape == (0, 3)
    with pytest.raises(ValueError, match="chunk_rows must be a positive number of rows; got 0"):
        to_float32(vectors, chunk_rows=0)
