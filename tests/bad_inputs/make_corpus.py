"""Write the corpus of bad input files and ``expected.json``, the messages they must give.

Each case names a file (and, for problems that need two files, a partner), the stage where the problem
is found (``read``: :func:`gio_core.io.read_data`; ``prepare``: :func:`gio_core.io.prepare_vectors`),
the options, the :class:`gio_core.io.DataError` code, and fragments the one-line message must contain
(besides the file name). The files are committed; run this again only to change the corpus:
``.venv/bin/python tests/bad_inputs/make_corpus.py``.
"""

from __future__ import annotations

import gzip
import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
CASES: list[dict] = []


def case(
    file: str,
    code: str,
    contains: list[str],
    *,
    stage: str = "read",
    partner: str | None = None,
    role: str = "pool",
    options: dict | None = None,
) -> None:
    CASES.append(
        {
            "file": file,
            "code": code,
            "contains": contains,
            "stage": stage,
            "partner": partner,
            "role": role,
            "options": options or {},
        }
    )


def write(name: str, content: bytes) -> None:
    (HERE / name).write_bytes(content)


def npy_bytes(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def main() -> None:
    # partners: good files the bad ones are paired with
    rng = np.random.default_rng(0)
    good = pd.DataFrame(rng.normal(size=(12, 2)).round(4), columns=["x", "y"])
    write("good.csv", good.to_csv(index=False).encode())
    write(
        "good_text.csv",
        pd.DataFrame({"text": [f"sentence number {i} about cats" for i in range(12)]}).to_csv(index=False).encode(),
    )

    # --- empty / header only -------------------------------------------------------------------
    write("empty.csv", b"")
    case("empty.csv", "empty", ["empty", "0 bytes"])
    write("blank_lines.csv", b"\n\n   \n\t\n")
    case("blank_lines.csv", "empty", ["blank"])
    write("header_only.csv", b"id,x,y\n")
    case("header_only.csv", "header_only", ["header", "no rows"])
    write("header_only.tsv", b"id\tx\ty\n")
    case("header_only.tsv", "header_only", ["header", "no rows"])
    write("empty_objects.jsonl", b"{}\n{}\n")
    case("empty_objects.jsonl", "empty", ["empty JSON objects"])
    write("zero_rows.npy", npy_bytes(np.zeros((0, 3), dtype=np.float32)))
    case("zero_rows.npy", "empty", ["0 rows"])
    write("zero_rows.parquet", parquet_bytes(pd.DataFrame({"x": pd.Series([], dtype=float)})))
    case("zero_rows.parquet", "header_only", ["no rows"])

    # --- not a table -----------------------------------------------------------------------------
    write(
        "prose.txt",
        b"This is a plain text file with a sentence on each line and no header at all.\n"
        b"Another sentence follows it here, and then the file ends without a table.\n",
    )
    case("prose.txt", "not_a_table", ["does not look like a table", "header"])
    write("json_array.json", b'[{"x": 1, "y": 2}, {"x": 3, "y": 4}]\n')
    case("json_array.json", "not_a_table", ["JSON array", "JSON Lines"])
    write("web_page.csv", b"<!DOCTYPE html>\n<html><body><table><tr><td>1</td></tr></table></body></html>\n")
    case("web_page.csv", "not_a_table", ["HTML"])
    write("broken_line.jsonl", b'{"x": 1, "y": 2}\n{"x": 3, "y": \n{"x": 5, "y": 6}\n')
    case("broken_line.jsonl", "not_a_table", ["line 2", "not valid JSON"])
    write("list_lines.jsonl", b'{"x": 1, "y": 2}\n[3, 4]\n')
    case("list_lines.jsonl", "not_a_table", ["line 2", "list"])
    write("one_d.npy", npy_bytes(np.arange(10, dtype=np.float32)))
    case("one_d.npy", "not_a_table", ["1-D", "reshape"])
    write("three_d.npy", npy_bytes(np.zeros((2, 3, 4), dtype=np.float32)))
    case("three_d.npy", "not_a_table", ["shape (2, 3, 4)", "2-D"])
    write("strings.npy", npy_bytes(np.array([["a", "b"], ["c", "d"]])))
    case("strings.npy", "not_a_table", ["not numbers"])
    buffer = io.BytesIO()
    np.savez(buffer, a=np.zeros((3, 2)), b=np.ones((4, 2)))
    write("two_matrices.npz", buffer.getvalue())
    case("two_matrices.npz", "not_a_table", ["several 2-D arrays", "vectors"])

    # --- binary, unsupported, pickles ------------------------------------------------------------
    write("random.bin", bytes(np.random.default_rng(1).integers(0, 256, size=512, dtype=np.uint8)))
    case("random.bin", "binary", ["binary file", "supported formats"])
    write("picture.csv", b"\x89PNG\r\n\x1a\n" + bytes(64))
    case("picture.csv", "unsupported", ["PNG image"])
    write("model.pkl", pickle.dumps({"vectors": [[1.0, 2.0]]}, protocol=4))
    case("model.pkl", "pickle", ["pickle", "never"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    write("sheet.xlsx", buffer.getvalue())
    case("sheet.xlsx", "unsupported", ["Excel", "CSV"])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    write("archive.zip", buffer.getvalue())
    case("archive.zip", "unsupported", ["zip archive"])
    write("objects.npy", npy_bytes(np.array([{"a": 1}, None], dtype=object), allow_pickle=True))
    case("objects.npy", "pickle", ["Python objects", "unpickling"])
    buffer = io.BytesIO()
    np.savez(buffer, vectors=np.array([[1, 2]], dtype=object))
    write("objects.npz", buffer.getvalue())
    case("objects.npz", "pickle", ["Python objects", "unpickling"])
    write("damaged.parquet", bytes(np.random.default_rng(2).integers(0, 256, size=300, dtype=np.uint8)))
    case("damaged.parquet", "binary", ["not a valid Parquet"])

    # --- truncated -------------------------------------------------------------------------------
    full = npy_bytes(np.ones((100, 8), dtype=np.float32))
    write("truncated.npy", full[: len(full) // 2])
    case("truncated.npy", "truncated", ["truncated", "100 rows"])
    write("truncated_header.npy", full[:20])
    case("truncated_header.npy", "truncated", ["header"])
    table = parquet_bytes(pd.DataFrame({"x": np.arange(100.0), "y": np.arange(100.0)}))
    write("truncated.parquet", table[: len(table) // 2])
    case("truncated.parquet", "truncated", ["truncated", "Parquet"])
    compressed = gzip.compress(("x,y\n" + "\n".join(f"{i},{i}" for i in range(2000))).encode())
    write("truncated.csv.gz", compressed[: len(compressed) // 2])
    case("truncated.csv.gz", "truncated", ["truncated", "gzip"])
    buffer = io.BytesIO()
    np.savez(buffer, vectors=np.ones((100, 8), dtype=np.float32))
    npz = buffer.getvalue()
    write("truncated.npz", npz[: len(npz) // 2])
    case("truncated.npz", "truncated", ["truncated"])
    write("unclosed_quote.csv", b'id,text,x\n1,"fine",0.5\n2,plain,0.7\n3,"this quote never closes,0.1\n')
    case("unclosed_quote.csv", "truncated", ["quoted cell", "quote"])

    # --- ragged ----------------------------------------------------------------------------------
    write("ragged_rows.csv", b"x,y\n1,2\n3,4\n5,6,7\n")
    case("ragged_rows.csv", "ragged", ["line 4", "3 fields", "header has 2"])
    write("ragged_vectors.tsv", b"id\tvec\n1\t[0.1, 0.2, 0.3]\n2\t[0.4, 0.5]\n3\t[0.6, 0.7, 0.8]\n")
    case(
        "ragged_vectors.tsv",
        "ragged",
        ["different lengths", "row 2 has 2"],
        stage="prepare",
        partner="ragged_vectors.tsv",
        options={"vector_column": "vec"},
    )
    write("ragged_lists.jsonl", b'{"v": [1, 2, 3]}\n{"v": [1, 2]}\n')
    case(
        "ragged_lists.jsonl",
        "ragged",
        ["different lengths"],
        stage="prepare",
        partner="ragged_lists.jsonl",
        options={"vector_column": "v"},
    )
    write("vector_not_number.tsv", b"id\tvec\n1\t[0.1, 0.2]\n2\t[0.4, abc]\n")
    case(
        "vector_not_number.tsv",
        "column",
        ["row 2", "not a number"],
        stage="prepare",
        partner="vector_not_number.tsv",
        options={"vector_column": "vec"},
    )

    # --- encodings -------------------------------------------------------------------------------
    write("latin1.csv", "id,text\n1,café au lait\n2,crème brûlée\n".encode("latin-1"))
    case("latin1.csv", "encoding", ["not UTF-8", "cp1252"])
    write(
        "late_latin1.csv",
        ("id,text\n" + "".join(f"{i},plain ascii row\n" for i in range(3000))).encode()
        + "3000,naïve\n".encode("latin-1"),
    )
    case("late_latin1.csv", "encoding", ["not UTF-8"])

    # --- values ----------------------------------------------------------------------------------
    write("nan_rows.csv", b"x,y\n1,2\nnan,4\n5,inf\n7,8\n9,10\n11,12\n13,14\n")
    case("nan_rows.csv", "nonfinite", ["2 of 7 rows", "NaN", "--drop-nonfinite"], stage="prepare", partner="good.csv")
    inf_array = np.ones((10, 2), dtype=np.float32)
    inf_array[3, 1] = np.inf
    write("inf_rows.npy", npy_bytes(inf_array))
    case("inf_rows.npy", "nonfinite", ["1 of 10 rows", "first: row 4"], stage="prepare", partner="good_as_array.npy")
    write("good_as_array.npy", npy_bytes(good.to_numpy(dtype=np.float32)))
    write("missing_cells.csv", b"x,y\n1,2\n3\n5,6\n7,8\n9,10\n11,12\n")
    case("missing_cells.csv", "nonfinite", ["1 of 6 rows", "missing"], stage="prepare", partner="good.csv")
    write("empty_text.csv", b"id,text\n1,\n2,\n3,   \n")
    case(
        "empty_text.csv",
        "empty_text",
        ["text column `text` is empty"],
        stage="prepare",
        partner="good_text.csv",
        options={"text_column": "text", "text_model": "tfidf"},
    )
    write(
        "three_dims.csv",
        pd.DataFrame(rng.normal(size=(12, 3)).round(4), columns=["x", "y", "z"]).to_csv(index=False).encode(),
    )
    case("three_dims.csv", "dimension", ["lacks column(s) z", "--columns"], stage="prepare", partner="good.csv")
    write("three_dims.npy", npy_bytes(rng.normal(size=(12, 3)).astype(np.float32)))
    case(
        "three_dims.npy",
        "dimension",
        ["3-d vectors", "good_as_array.npy has 2-d", "same model"],
        stage="prepare",
        partner="good_as_array.npy",
    )
    write("tiny_target.csv", b"x,y\n1,2\n3,4\n5,6\n")
    case(
        "tiny_target.csv",
        "too_few_target_rows",
        ["3 target row", "k=5", "k+1=6"],
        stage="prepare",
        partner="good.csv",
        role="target",
        options={"k": 5},
    )
    write("no_such_column.csv", b"a,b\n1,2\n3,4\n")
    case(
        "no_such_column.csv",
        "column",
        ["no column `text`"],
        stage="prepare",
        partner="no_such_column.csv",
        options={"text_column": "text"},
    )

    # --- size limit ------------------------------------------------------------------------------
    write("too_large.csv", ("x,y\n" + "\n".join(f"{i},{i}" for i in range(200))).encode())
    case("too_large.csv", "too_large", ["over the", "limit", "--max-bytes"], options={"max_bytes": 1000})
    write("expands.csv.gz", gzip.compress(b"x,y\n" + b"1,1\n" * 100_000))
    case("expands.csv.gz", "too_large", ["decompresses to more than"], options={"max_bytes": 20_000})

    (HERE / "expected.json").write_text(json.dumps(CASES, indent=1) + "\n")
    print(f"{len(CASES)} cases written to {HERE}")


if __name__ == "__main__":
    main()
