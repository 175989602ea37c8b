"""Reading every format, choosing vectors, and preparing pool and target (gio_core.io)."""

from __future__ import annotations

import codecs
import gzip
import io
import json

import numpy as np
import pandas as pd
import pytest

from gio_core.io.columns import numeric_columns, text_columns, vector_list_columns
from gio_core.io.errors import DataError
from gio_core.io.read import read_data
from gio_core.io.tables import DEFAULT_MAX_BYTES, SUPPORTED_FORMATS, LoadedData, format_bytes, parse_size
from gio_core.io.vectors import PreparedVectors, check_target_rows_for_k, extract_vectors, prepare_vectors

TABLE_FORMATS = ("csv", "tsv", "csv.gz", "tsv.gz", "parquet", "jsonl")


@pytest.fixture
def table(rng) -> pd.DataFrame:
    """Ids that look numeric, tricky text, labels, four float columns and a vector column."""
    n = 30
    texts = [f"row {i}, with a comma" for i in range(n)]
    texts[1] = 'quotes "inside" and ünïcödé'
    texts[2] = "=SUM(A1:A2)"
    texts[3] = "NA"
    texts[4] = "None"
    texts[5] = "-starts with a minus"
    frame = pd.DataFrame(
        {
            "id": [f"{i:05d}" for i in range(n)],
            "text": texts,
            "label": rng.integers(0, 3, size=n),
        }
    )
    values = rng.normal(size=(n, 4)).round(6)
    for j in range(4):
        frame[f"x{j}"] = values[:, j]
    frame["emb"] = ["[" + ", ".join(f"{v:.5f}" for v in row) + "]" for row in rng.normal(size=(n, 3))]
    return frame


def write_table(frame: pd.DataFrame, path, kind: str) -> None:
    if kind in ("csv", "csv.gz"):
        frame.to_csv(path, index=False, compression="gzip" if kind.endswith(".gz") else None)
    elif kind in ("tsv", "tsv.gz"):
        frame.to_csv(path, index=False, sep="\t", compression="gzip" if kind.endswith(".gz") else None)
    elif kind == "parquet":
        frame.to_parquet(path, index=False)
    elif kind == "jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    else:  # pragma: no cover
        raise AssertionError(kind)


def expected_emb(frame: pd.DataFrame) -> np.ndarray:
    return np.array([json.loads(cell) for cell in frame["emb"]], dtype=np.float32)


# --------------------------------------------------------------------------------------------------
# Round trips


@pytest.mark.parametrize("kind", TABLE_FORMATS, ids=TABLE_FORMATS)
@pytest.mark.parametrize("via", ["path", "bytes", "file"], ids=["path", "bytes", "file-like"])
def test_table_round_trip(tmp_path, table, kind, via):
    path = tmp_path / f"pool.{kind}"
    write_table(table, path, kind)
    if via == "path":
        data = read_data(path)
    elif via == "bytes":
        data = read_data(path.read_bytes(), name=path.name)
    else:
        handle = io.BytesIO(path.read_bytes())
        handle.name = str(path)
        data = read_data(handle)
    assert data.format == kind
    assert data.name == path.name
    assert data.n_rows == len(table)
    assert data.array is None
    assert data.columns == list(table.columns)
    assert data.frame["id"].tolist() == table["id"].tolist()  # zero-padded ids stay text
    assert data.frame["text"].tolist() == table["text"].tolist()  # "NA", "None", "=SUM" untouched
    assert data.frame["label"].tolist() == table["label"].tolist()
    np.testing.assert_allclose(
        extract_vectors(data, columns=["x0", "x1", "x2", "x3"]),
        table[["x0", "x1", "x2", "x3"]].to_numpy(),
        rtol=0,
        atol=1e-6,
    )
    np.testing.assert_allclose(extract_vectors(data, vector_column="emb"), expected_emb(table), rtol=0, atol=1e-6)
    import hashlib

    assert data.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert data.n_bytes == path.stat().st_size


def test_parquet_list_column_round_trip(tmp_path, rng):
    vectors = rng.normal(size=(20, 5)).astype(np.float32)
    frame = pd.DataFrame({"id": range(20), "vec": list(vectors)})
    path = tmp_path / "lists.parquet"
    frame.to_parquet(path, index=False)
    data = read_data(path)
    assert vector_list_columns(data) == ["vec"]
    np.testing.assert_array_equal(extract_vectors(data, vector_column="vec"), vectors)
    np.testing.assert_array_equal(extract_vectors(data), vectors)  # the only vector column is the default


def test_jsonl_list_column_round_trip(tmp_path, rng):
    vectors = rng.normal(size=(10, 4)).round(5)
    lines = "\n".join(json.dumps({"id": i, "v": row.tolist(), "text": f"t{i}"}) for i, row in enumerate(vectors))
    data = read_data(lines.encode(), name="x.jsonl")
    assert data.format == "jsonl"
    np.testing.assert_allclose(extract_vectors(data, vector_column="v"), vectors, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16], ids=["float32", "float64", "int16"])
def test_npy_round_trip(tmp_path, rng, dtype):
    vectors = (rng.normal(size=(40, 6)) * 10).astype(dtype)
    path = tmp_path / "vectors.npy"
    np.save(path, vectors)
    data = read_data(path)
    assert data.format == "npy" and data.n_rows == 40
    assert isinstance(data.array, np.memmap)  # read from a path: memory-mapped, not loaded
    assert data.frame.shape == (40, 0)
    extracted = extract_vectors(data)
    assert extracted.dtype == np.float32 and extracted.shape == (40, 6)
    np.testing.assert_array_equal(extracted, vectors.astype(np.float32))
    if dtype == np.float32:
        assert np.shares_memory(extracted, data.array)  # no copy
    from_bytes = read_data(path.read_bytes(), name="vectors.npy")
    np.testing.assert_array_equal(extract_vectors(from_bytes), vectors.astype(np.float32))


def test_npz_round_trip_with_side_columns(tmp_path, rng):
    vectors = rng.normal(size=(15, 3)).astype(np.float32)
    ids = np.arange(100, 115)
    labels = np.array(["a", "b", "c"] * 5)
    path = tmp_path / "bundle.npz"
    np.savez_compressed(path, vectors=vectors, ids=ids, labels=labels, unrelated=np.zeros(4))
    data = read_data(path)
    assert data.format == "npz"
    np.testing.assert_array_equal(extract_vectors(data), vectors)
    assert data.columns == ["ids", "labels"]  # 1-D arrays of the right length travel as columns
    assert data.frame["labels"].tolist() == labels.tolist()


def test_npz_single_array_any_name(tmp_path, rng):
    path = tmp_path / "one.npz"
    np.savez(path, rng.normal(size=(5, 2)))
    assert extract_vectors(read_data(path)).shape == (5, 2)


def test_supported_formats_contract():
    assert SUPPORTED_FORMATS == ("csv", "tsv", "csv.gz", "tsv.gz", "parquet", "jsonl", "npy", "npz")
    assert DEFAULT_MAX_BYTES >= 3 * 1024**3  # a million 768-d float32 vectors fit


# --------------------------------------------------------------------------------------------------
# Format detection and text decoding


@pytest.mark.parametrize(
    "name,content,kind",
    [
        ("data.txt", b"a,b\n1,2\n", "csv"),
        ("data.txt", b"a\tb\n1\t2\n", "tsv"),
        ("data.csv", b"a\tb\n1\t2\n", "tsv"),  # the content wins over the name
        ("data", b'{"a": 1}\n{"a": 2}\n', "jsonl"),
        ("data.json", b'{"a": 1}\n', "jsonl"),
        ("upload", gzip.compress(b"a\tb\n1\t2\n"), "tsv.gz"),
        ("data.tsv.gz", gzip.compress(b"a\tb\n1\t2\n"), "tsv.gz"),
        ("data.gz", gzip.compress(b"a,b\n1,2\n"), "csv.gz"),
    ],
    ids=["txt-csv", "txt-tsv", "csv-named-tsv", "no-ext-jsonl", "json-lines", "gz-tsv", "tsv.gz", "gz-csv"],
)
def test_format_detected_by_content_and_name(name, content, kind):
    assert read_data(content, name=name).format == kind


def test_semicolon_csv():
    data = read_data(b"a;b\n1,5;2\n", name="european.csv")
    assert data.columns == ["a", "b"]


def test_headerless_numeric_csv():
    data = read_data(b"0.1,0.2,0.3\n0.4,0.5,0.6\n", name="plain.csv")
    assert data.n_rows == 2  # the first row is data, not a header
    assert data.headerless and not data.has_column_names and data.columns == ["0", "1", "2"]
    assert read_data(b"x,y\n1,2\n", name="named.csv").has_column_names
    np.testing.assert_allclose(extract_vectors(data), [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], rtol=1e-6)


@pytest.mark.parametrize(
    "encoded",
    [
        codecs.BOM_UTF8 + "id,text\n1,café\n".encode(),
        "id\ttext\n1\tcafé\n".encode("utf-16"),
    ],
    ids=["utf-8-bom", "utf-16-bom"],
)
def test_byte_order_marks(encoded):
    data = read_data(encoded, name="bom.csv")
    assert data.columns == ["id", "text"]
    assert data.frame["text"].tolist() == ["café"]


def test_explicit_encoding_reads_latin1():
    raw = "id,text\n1,crème brûlée\n".encode("cp1252")
    with pytest.raises(DataError, match=r"not UTF-8 text.*encoding='cp1252'"):
        read_data(raw, name="latin.csv")
    assert read_data(raw, name="latin.csv", encoding="cp1252").frame["text"].tolist() == ["crème brûlée"]


def test_unknown_encoding_is_a_value_error():
    with pytest.raises(ValueError, match="encoding='nope' is not a known text encoding"):
        read_data(b"a\n1\n", name="x.csv", encoding="nope")


def test_column_that_turns_to_text_late_is_read_as_text():
    rows = "\n".join(f"{i},{i * 0.5}" for i in range(2500))
    data = read_data(f"id,x\n{rows}\n2500,oops\n".encode(), name="late.csv")
    assert data.n_rows == 2501
    assert "x" not in numeric_columns(data)
    assert data.frame["x"].iloc[-1] == "oops"


def test_many_float_columns_are_float32_few_are_float64(rng):
    wide = pd.DataFrame(rng.normal(size=(5, 40)), columns=[f"d{i}" for i in range(40)])
    narrow = pd.DataFrame({"price": [1234567.891, 2.5]})
    assert read_data(wide.to_csv(index=False).encode(), name="w.csv").frame.dtypes.unique().tolist() == [np.float32]
    narrow_data = read_data(narrow.to_csv(index=False).encode(), name="n.csv")
    assert narrow_data.frame["price"].tolist() == [1234567.891, 2.5]  # exact: float64


def test_uploaded_file_like_object():
    class Upload(io.BytesIO):  # what Streamlit's UploadedFile offers: name, size, getvalue
        name = "my upload.csv"

        @property
        def size(self):
            return len(self.getvalue())

    data = read_data(Upload(b"a,b\n1,2\n"))
    assert data.name == "my upload.csv" and data.n_rows == 1 and data.path is None


def test_text_mode_file_is_a_type_error():
    with pytest.raises(TypeError, match="binary mode"):
        read_data(io.StringIO("a,b\n1,2\n"))


def test_wrong_source_type():
    with pytest.raises(TypeError, match="source must be a path, bytes or a binary file; got int"):
        read_data(3)


def test_missing_path_and_folder(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_data(tmp_path / "absent.csv")
    with pytest.raises(DataError, match="is a folder"):
        read_data(tmp_path)


def test_size_limit_and_none(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 100)
    with pytest.raises(DataError, match=r"over the 100 bytes limit") as caught:
        read_data(path, max_bytes=100)
    assert caught.value.code == "too_large"
    assert read_data(path, max_bytes=None).n_rows == 100


@pytest.mark.parametrize("bad", [0, -5, 1.5, "10MB", True], ids=["zero", "negative", "float", "text", "bool"])
def test_max_bytes_validation(bad):
    with pytest.raises(ValueError, match="max_bytes must be a positive number of bytes or None"):
        read_data(b"a\n1\n", name="x.csv", max_bytes=bad)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("500MB", 500 * 1024**2),
        ("2G", 2 * 1024**3),
        ("1.5 GiB", int(1.5 * 1024**3)),
        ("1000000", 1_000_000),
        ("10kb", 10 * 1024),
    ],
    ids=["MB", "G", "GiB", "bytes", "kb"],
)
def test_parse_size(text, expected):
    assert parse_size(text) == expected


def test_parse_size_rejects_nonsense():
    with pytest.raises(ValueError, match="is not understood"):
        parse_size("lots")


def test_format_bytes():
    assert format_bytes(512) == "512 bytes"
    assert format_bytes(1536) == "1.5 KB"
    assert format_bytes(3 * 1024**3) == "3.0 GB"


def test_data_error_is_one_line_value_error():
    error = DataError("first line\nsecond   line", code="x", nonfinite_rows=3)
    assert str(error) == "first line second line"
    assert isinstance(error, ValueError) and error.code == "x" and error.nonfinite_rows == 3


# --------------------------------------------------------------------------------------------------
# Choosing columns


def test_column_helpers(table):
    data = read_data(table.to_csv(index=False).encode(), name="t.csv")
    assert numeric_columns(data) == ["x0", "x1", "x2", "x3"]  # label is left out by name
    assert numeric_columns(data, include_ids=True) == ["label", "x0", "x1", "x2", "x3"]
    assert vector_list_columns(data) == ["emb"]
    assert text_columns(data) == ["text", "id"]  # `text` first, then by length


def test_counting_integer_column_is_an_id():
    data = read_data(b"row_number,a,b\n0,1.5,2\n1,2.5,3\n2,3.5,4\n", name="x.csv")
    assert "row_number" not in numeric_columns(data)
    data = read_data(b"Unnamed: 0,a\n7,1.5\n9,2.5\n", name="x.csv")
    assert numeric_columns(data) == ["a"]


def test_whitespace_separated_vector_strings():
    data = read_data(b"id,v\n1,[0.5 1.5 -2]\n2,[1 2 3]\n", name="numpy-style.csv")
    assert vector_list_columns(data) == ["v"]
    np.testing.assert_array_equal(extract_vectors(data), [[0.5, 1.5, -2], [1, 2, 3]])


def test_missing_vector_becomes_a_nan_row():
    data = read_data(b"id\tv\n1\t[1, 2]\n2\t\n3\t[3, 4]\n", name="gap.tsv")
    vectors = extract_vectors(data, vector_column="v")
    assert np.isnan(vectors[1]).all() and np.isfinite(vectors[[0, 2]]).all()


def test_extract_vectors_errors(table):
    data = read_data(table.to_csv(index=False).encode(), name="t.csv")
    with pytest.raises(DataError, match=r"t.csv has no column `nope` \(for the vector columns\)"):
        extract_vectors(data, columns=["nope"])
    with pytest.raises(DataError, match=r"column\(s\) text are not numeric"):
        extract_vectors(data, columns=["x0", "text"])
    with pytest.raises(DataError, match="the list of columns is empty"):
        extract_vectors(data, columns=[])
    with pytest.raises(ValueError, match="pass columns= or vector_column=, not both"):
        extract_vectors(data, columns=["x0"], vector_column="emb")
    with pytest.raises(DataError, match=r"row 1 holds 'row 0, with a comma', not a vector"):
        extract_vectors(data, vector_column="text")


def test_extract_vectors_array_has_no_columns(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((3, 2), dtype=np.float32))
    with pytest.raises(DataError, match="its vectors have no columns to choose"):
        extract_vectors(read_data(tmp_path / "a.npy"), columns=["0"])


def test_text_only_file_points_to_text_column():
    data = read_data(b"text\nhello there\ngood bye\n", name="words.csv")
    with pytest.raises(DataError, match=r"no numeric or vector columns; embed its text column \(text_column='text'\)"):
        extract_vectors(data)


def test_several_vector_columns_need_a_choice():
    data = read_data(b"a\tb\n[1, 2]\t[3, 4]\n", name="two.tsv")
    with pytest.raises(DataError, match=r"several vector columns \(a, b\); choose one"):
        extract_vectors(data)


# --------------------------------------------------------------------------------------------------
# prepare_vectors


def test_prepare_defaults_and_description(table):
    data = read_data(table.to_csv(index=False).encode(), name="t.csv")
    prepared = prepare_vectors(data, data)
    assert isinstance(prepared, PreparedVectors)
    assert prepared.source == "vector_column" and prepared.vector_column == "emb"
    assert prepared.description == "vector column `emb` (3-d)"
    assert prepared.pool.dtype == np.float32 and prepared.pool.shape == (30, 3)
    np.testing.assert_array_equal(prepared.pool_rows, np.arange(30))
    numeric = prepare_vectors(data, data, columns=["x0", "x1", "x2", "x3"])
    assert numeric.description == "4 numeric columns (x0, x1, x2, x3)"
    assert numeric.choice() == {
        "columns": ["x0", "x1", "x2", "x3"],
        "vector_column": None,
        "text_column": None,
        "text_model": None,
    }


def test_prepare_describes_many_columns(rng):
    frame = pd.DataFrame(rng.normal(size=(8, 12)), columns=[f"f{i}" for i in range(12)])
    data = read_data(frame.to_csv(index=False).encode(), name="f.csv")
    assert prepare_vectors(data, data).description == "12 numeric columns (f0 … f11)"


def test_prepare_drop_nonfinite_keeps_row_numbers():
    pool = read_data(b"x,y\n1,2\nnan,4\n5,6\n7,inf\n9,10\n", name="pool.csv")
    target = read_data(b"x,y\n" + b"".join(f"{i},{i}\n".encode() for i in range(8)) + b"nan,1\n", name="target.csv")
    with pytest.raises(
        DataError, match=r"pool.csv: 2 of 5 rows have NaN, inf or missing values \(first: row 2\)"
    ) as caught:
        prepare_vectors(pool, target)
    assert caught.value.code == "nonfinite" and caught.value.nonfinite_rows == 2
    prepared = prepare_vectors(pool, target, drop_nonfinite=True, k=5)
    np.testing.assert_array_equal(prepared.pool_rows, [0, 2, 4])
    np.testing.assert_array_equal(prepared.pool, [[1, 2], [5, 6], [9, 10]])
    assert (prepared.pool_nonfinite_rows, prepared.target_nonfinite_rows) == (2, 1)
    assert prepared.target.shape == (8, 2)


def test_prepare_all_rows_nonfinite():
    pool = read_data(b"x\nnan\ninf\n", name="bad.csv")
    with pytest.raises(DataError, match="all 2 rows have NaN"):
        prepare_vectors(pool, pool, drop_nonfinite=True)


def test_prepare_k_check_counts_dropped_rows():
    pool = read_data(b"x\n" + b"1\n" * 10, name="pool.csv")
    target = read_data(b"x\n1\n2\n3\n4\n5\nnan\n", name="target.csv")
    with pytest.raises(DataError, match=r"target.csv has 5 target row\(s\) after dropping 1 with NaN/inf; k=5"):
        prepare_vectors(pool, target, drop_nonfinite=True, k=5)
    assert prepare_vectors(pool, target, drop_nonfinite=True, k=4).target.shape == (5, 1)


def test_check_target_rows_for_k():
    check_target_rows_for_k(6, 5, "t.csv")
    with pytest.raises(DataError, match=r"t.csv has 2 target row\(s\); k=2 needs at least k\+1=3"):
        check_target_rows_for_k(2, 2, "t.csv")


def test_prepare_text_column_with_tfidf():
    pool = read_data(b"id,text\n1,the cat sat on the mat\n2,a dog ran in the park\n3,\n", name="p.csv")
    target = read_data(b"id,text\n1,the cat sat\n", name="t.csv")
    prepared = prepare_vectors(pool, target, text_column="text", text_model="tfidf")
    assert prepared.source == "text_column" and prepared.text_model == "tfidf"
    assert prepared.description.startswith("text column `text` embedded with tfidf (")
    assert prepared.pool.shape[1] == prepared.target.shape[1]
    cosine = prepared.pool @ prepared.target[0]
    assert cosine[0] > cosine[1]  # the cat sentence is nearer the cat target
    assert np.all(prepared.pool[2] == 0)  # an empty cell is the zero vector, not an error


def test_prepare_defaults_to_text_for_text_only_files():
    pool = read_data(b"id,text\na,one sentence here\nb,another one\n", name="p.csv")
    prepared = prepare_vectors(pool, pool, text_model="tfidf")
    assert prepared.text_column == "text"


def test_prepare_text_column_must_be_text():
    data = read_data(b"text,x\nhello,1\n", name="p.csv")
    with pytest.raises(DataError, match=r"column `x` holds .* not text"):
        prepare_vectors(data, data, text_column="x")


def test_prepare_rejects_two_choices():
    data = read_data(b"x\n1\n", name="p.csv")
    with pytest.raises(ValueError, match="pass only one of columns=, vector_column= and text_column="):
        prepare_vectors(data, data, columns=["x"], text_column="x")


def test_prepare_unknown_text_model_is_a_data_error():
    data = read_data(b"text\nhello\n", name="p.csv")
    with pytest.raises(DataError, match="text model 'bert' is not known") as caught:
        prepare_vectors(data, data, text_column="text", text_model="bert")
    assert caught.value.code == "text_model"


def test_prepare_uses_memory_map_without_copy(tmp_path, rng):
    np.save(tmp_path / "pool.npy", rng.normal(size=(50, 4)).astype(np.float32))
    np.save(tmp_path / "target.npy", rng.normal(size=(10, 4)).astype(np.float32))
    pool, target = read_data(tmp_path / "pool.npy"), read_data(tmp_path / "target.npy")
    prepared = prepare_vectors(pool, target)
    assert prepared.source == "array" and prepared.description == "npy array (4-d)"
    assert np.shares_memory(prepared.pool, pool.array)


def test_loaded_data_is_frozen():
    data = read_data(b"x\n1\n", name="p.csv")
    assert isinstance(data, LoadedData)
    with pytest.raises(AttributeError):  # dataclasses.FrozenInstanceError
        data.name = "other"


def test_fast_and_careful_vector_parsers_agree(monkeypatch, rng):
    """Well-formed chunks are parsed in C; a chunk with an odd row goes row by row; results agree."""
    import gio_core.io.vectors as data_module

    vectors = rng.normal(size=(23, 5)).astype(np.float32)
    cells = ["[" + ", ".join(repr(float(v)) for v in row) + "]" for row in vectors]
    cells[17] = "[" + " ".join(repr(float(v)) for v in vectors[17]) + "]"  # whitespace-separated: careful parser
    cells[4] = ""  # missing: NaN row in both parsers
    frame = pd.DataFrame({"v": cells})
    monkeypatch.setattr(data_module, "_PARSE_CHUNK_ROWS", 6)
    data = read_data(frame.to_csv(index=False, sep="\t").encode(), name="v.tsv")
    parsed = extract_vectors(data, vector_column="v")
    expected = vectors.copy()
    expected[4] = np.nan
    np.testing.assert_array_equal(parsed, expected)
    assert data_module._parse_vector_chunk_fast(cells[12:18], 5) is None
    np.testing.assert_array_equal(data_module._parse_vector_chunk_fast(cells[6:12], 5), vectors[6:12])


def test_fast_list_parser_falls_back_on_ragged_lists(monkeypatch):
    import gio_core.io.vectors as data_module

    monkeypatch.setattr(data_module, "_PARSE_CHUNK_ROWS", 2)
    frame = pd.DataFrame({"v": [np.array([1.0, 2.0]), np.array([3.0, 4.0]), np.array([5.0])]})
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    data = read_data(buffer.getvalue(), name="lists.parquet")
    with pytest.raises(DataError, match="row 1 has 2 values, row 3 has 1"):
        extract_vectors(data, vector_column="v")
