"""Every file of the bad-input corpus gives its one-line message, in the API and in the CLI.

The corpus and the table of expected messages are in ``tests/bad_inputs/`` (``make_corpus.py``
writes both).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gio_core.cli.main import in_cli_words, main
from gio_core.io.errors import DataError
from gio_core.io.read import read_data
from gio_core.io.vectors import prepare_vectors

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
CASES = json.loads((CORPUS / "expected.json").read_text())


def test_corpus_is_large_and_complete():
    files = {case["file"] for case in CASES}
    assert len(files) >= 25
    for case in CASES:
        assert (CORPUS / case["file"]).is_file(), case["file"]
        if case["partner"]:
            assert (CORPUS / case["partner"]).is_file(), case["partner"]
    # every problem named in the issue has at least one case
    codes = {case["code"] for case in CASES}
    assert {
        "empty",
        "header_only",
        "not_a_table",
        "binary",
        "truncated",
        "unsupported",
        "dimension",
        "ragged",
        "nonfinite",
        "too_few_target_rows",
        "empty_text",
        "encoding",
        "too_large",
        "pickle",
    } <= codes


def _run(case):
    options = dict(case["options"])
    max_bytes = options.pop("max_bytes", None)
    read_options = {"max_bytes": max_bytes} if max_bytes else {}
    data = read_data(CORPUS / case["file"], **read_options)
    if case["stage"] == "read":
        return data
    partner = read_data(CORPUS / case["partner"])
    pool, target = (partner, data) if case["role"] == "target" else (data, partner)
    return prepare_vectors(pool, target, **options)


@pytest.mark.parametrize("case", CASES, ids=[case["file"] for case in CASES])
def test_api_message(case):
    with pytest.raises(DataError) as caught:
        _run(case)
    message = str(caught.value)
    assert caught.value.code == case["code"], message
    assert "\n" not in message
    assert case["file"] in message
    # the engine names Python parameters (drop_nonfinite=True), never the CLI's flags; the CLI says them as flags
    assert " --" not in message and "(--" not in message, message
    for fragment in case["contains"]:
        assert fragment in in_cli_words(message), f"{fragment!r} not in {in_cli_words(message)!r}"
    if case["stage"] == "read":  # raw bytes give the same message, with the upload's name
        content = (CORPUS / case["file"]).read_bytes()
        options = {"max_bytes": case["options"]["max_bytes"]} if "max_bytes" in case["options"] else {}
        with pytest.raises(DataError) as again:
            read_data(content, name=case["file"], **options)
        assert again.value.code == case["code"]


def _cli_arguments(case, tmp_path) -> list[str]:
    bad, partner = str(CORPUS / case["file"]), str(CORPUS / (case["partner"] or "good.csv"))
    pool, target = (partner, bad) if case["role"] == "target" else (bad, partner)
    arguments = ["select", "--pool", pool, "--target", target, "--out", str(tmp_path / "out.csv"), "--quiet"]
    options = case["options"]
    if "max_bytes" in options:
        arguments += ["--max-bytes", str(options["max_bytes"])]
    if "vector_column" in options:
        arguments += ["--vector-column", options["vector_column"]]
    if "text_column" in options:
        arguments += ["--text-column", options["text_column"]]
    if "text_model" in options:
        arguments += ["--text-model", options["text_model"]]
    if "k" in options:
        arguments += ["--k", str(options["k"])]
    return arguments


@pytest.mark.parametrize("case", CASES, ids=[case["file"] for case in CASES])
def test_cli_message(case, tmp_path, capsys):
    status = main(_cli_arguments(case, tmp_path))
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("gio-studio: error: ")
    assert case["file"] in lines[0]
    for fragment in case["contains"]:
        assert fragment in lines[0]
    assert "Traceback" not in captured.err
    assert not (tmp_path / "out.csv").exists()
