"""The app reads files by path only inside the operator's data root: the policy (``ui/data_root.py``) and
the page that applies it (the path box is absent without a root, and refuses paths outside it)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from ui.data_root import DATA_ROOT_VARIABLE, check_path, data_root

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest
else:
    AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


@pytest.fixture
def layout(tmp_path):
    """``root/`` holding a pool (also in a subfolder) and symlinks in and out; ``outside/`` beside it."""
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    frame = pd.DataFrame({"x": np.arange(10.0), "y": np.arange(10.0) ** 2})
    frame.to_csv(root / "pool.csv", index=False)
    frame.to_csv(root / "sub" / "pool.csv", index=False)
    frame.to_csv(outside / "secret.csv", index=False)
    (root / "link_in.csv").symlink_to(root / "sub" / "pool.csv")
    (root / "link_out.csv").symlink_to(outside / "secret.csv")
    (root / "folder_out").symlink_to(outside, target_is_directory=True)
    (root / "notes.xlsx").write_bytes(b"PK\x03\x04")
    return root.resolve(), outside.resolve()


# -- the policy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("pool.csv", "pool.csv"),
        ("sub/pool.csv", "sub/pool.csv"),
        ("  'sub/pool.csv'  ", "sub/pool.csv"),
        ("./sub/./pool.csv", "sub/pool.csv"),
        ("link_in.csv", "sub/pool.csv"),
    ],
    ids=["relative", "relative-subfolder", "quoted", "dots", "symlink-inside"],
)
def test_a_file_inside_the_root_is_accepted_and_resolved(layout, typed, expected):
    root, _ = layout
    assert check_path(typed, root) == (root / expected, None)


def test_an_absolute_path_inside_the_root_is_accepted(layout):
    root, _ = layout
    assert check_path(str(root / "sub" / "pool.csv"), root) == (root / "sub" / "pool.csv", None)


def test_an_absolute_path_through_the_configured_symlinked_root_is_accepted(layout, tmp_path):
    root, _ = layout
    alias = tmp_path / "alias"
    alias.symlink_to(root, target_is_directory=True)
    path, message = check_path(str(alias / "pool.csv"), alias.resolve(), configured_root=alias)
    assert message is None and path == root / "pool.csv"
    refused, message = check_path(str(alias / "pool.csv"), alias.resolve())  # not configured that way: refused
    assert refused is None and "outside the data root" in message


@pytest.mark.parametrize(
    "typed",
    ["../outside/secret.csv", "sub/../../outside/secret.csv", "sub/../pool.csv", "{root}/../outside/secret.csv"],
    ids=["up", "down-and-up", "up-staying-inside", "absolute-up"],
)
def test_dot_dot_is_refused_naming_the_root(layout, typed):
    root, _ = layout
    typed = typed.format(root=root)
    path, message = check_path(typed, root)
    assert path is None
    assert (
        message == f"{typed} goes up a folder ('..'); give a path inside {root}, such as "
        f"{Path(typed).name if Path(typed).name != '..' else 'pool.npy'}."
    )


def test_an_absolute_path_outside_the_root_is_refused_without_saying_whether_it_exists(layout):
    root, outside = layout
    existing = check_path(str(outside / "secret.csv"), root)
    missing = check_path(str(outside / "no_such.csv"), root)
    assert existing[0] is None and missing[0] is None
    assert existing[1] == (
        f"{outside / 'secret.csv'} is outside the data root {root}; only files inside it can "
        "be read. Give a path inside it, such as secret.csv."
    )
    assert missing[1] == existing[1].replace("secret.csv", "no_such.csv")  # the same words: no existence oracle
    assert check_path("/etc/passwd", root)[1].startswith(f"/etc/passwd is outside the data root {root};")


@pytest.mark.parametrize(
    "typed",
    ["link_out.csv", "folder_out/secret.csv", "{root}/link_out.csv"],
    ids=["file-link", "folder-link", "absolute"],
)
def test_a_symlink_pointing_out_of_the_root_is_refused(layout, typed):
    root, outside = layout
    typed = typed.format(root=root)
    path, message = check_path(typed, root)
    assert path is None
    assert message == (
        f"{typed} leads outside the data root {root} (through a symbolic link); only files inside it can be read."
    )
    assert str(outside) not in message  # where the link points is not told


def test_a_missing_file_names_where_it_was_looked_for(layout):
    root, _ = layout
    assert check_path("absent.npy", root) == (
        None,
        f"No file at {root / 'absent.npy'}; check the path (relative paths are read from {root}).",
    )


@pytest.mark.parametrize(
    "typed, message",
    [
        ("sub", "is a folder; give the path of a file inside it"),
        ("notes.xlsx", "notes.xlsx: .xlsx is not a supported format"),
    ],
    ids=["folder", "unsupported"],
)
def test_a_folder_or_unsupported_file_inside_the_root_says_what_is_wrong(layout, typed, message):
    root, _ = layout
    path, text = check_path(typed, root)
    assert path is None and message in text


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_an_unreadable_file_says_permission_denied(layout):
    root, _ = layout
    (root / "private.csv").write_text("x\n1\n")
    (root / "private.csv").chmod(0)
    path, message = check_path("private.csv", root)
    assert path is None and "permission denied" in message


def test_nothing_typed_is_neither_accepted_nor_an_error(layout):
    root, _ = layout
    assert check_path("   ", root) == (None, None)
    assert check_path("", None) == (None, None)


def test_without_a_root_every_path_is_refused_saying_how_to_turn_it_on(layout):
    root, _ = layout
    path, message = check_path(str(root / "pool.csv"), None)
    assert path is None
    assert message == (
        "Reading files by path is off on this server; upload the file, or ask the operator to start "
        f"the app with a data root (gio-studio app --data-root DIR, or {DATA_ROOT_VARIABLE}=DIR)."
    )


def test_the_data_root_comes_from_the_environment_resolved(layout, tmp_path):
    root, _ = layout
    alias = tmp_path / "alias"
    alias.symlink_to(root, target_is_directory=True)
    assert data_root({DATA_ROOT_VARIABLE: str(alias)}) == (root, None)


@pytest.mark.parametrize("value", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_no_data_root_means_reading_by_path_is_off(value):
    environ = {} if value is None else {DATA_ROOT_VARIABLE: value}
    assert data_root(environ) == (None, None)


def test_a_data_root_that_is_missing_or_a_file_turns_reading_by_path_off_with_a_reason(layout):
    root, _ = layout
    missing = data_root({DATA_ROOT_VARIABLE: str(root / "gone")})
    assert missing == (
        None,
        f"{DATA_ROOT_VARIABLE}={root / 'gone'} does not exist on the server, so reading files "
        "by path is off; the operator should give an existing folder.",
    )
    a_file = data_root({DATA_ROOT_VARIABLE: str(root / "pool.csv")})
    assert a_file == (
        None,
        f"{DATA_ROOT_VARIABLE}={root / 'pool.csv'} is not a folder, so reading files by path is "
        "off; the operator should give a folder.",
    )


def test_the_app_and_the_command_name_the_same_variable():
    from gio_core.cli import app as app_command

    assert app_command.DATA_ROOT_VARIABLE == DATA_ROOT_VARIABLE


# -- the page --------------------------------------------------------------------------------------


def _upload_page(target_mode: str = "file") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["data_source"] = "Upload files"
    at.session_state["target_mode"] = target_mode
    at.run()
    assert not at.exception, [item.value for item in at.exception]
    return at


def _path_boxes(at) -> list[str]:
    return [str(widget.key) for widget in at.text_input if str(widget.key).endswith("_path")]


def _errors(at) -> list[str]:
    return [item.value for item in at.error]


def test_without_a_data_root_the_page_has_no_path_box_and_says_how_to_enable_it(monkeypatch):
    monkeypatch.delenv(DATA_ROOT_VARIABLE, raising=False)
    at = _upload_page()
    assert _path_boxes(at) == []
    captions = [item.value for item in at.caption]
    assert any("gio-studio app --data-root DIR" in caption and "MB per file" in caption for caption in captions), (
        captions
    )
    assert not any("path" in item.value for item in at.info), [item.value for item in at.info]


def test_a_data_root_that_is_not_a_folder_is_a_warning_and_no_path_box(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ROOT_VARIABLE, str(tmp_path / "gone"))
    at = _upload_page()
    assert _path_boxes(at) == []
    assert any("does not exist on the server" in item.value for item in at.warning), [item.value for item in at.warning]


def test_with_a_data_root_the_page_reads_inside_it_and_refuses_outside(monkeypatch, layout):
    root, outside = layout
    monkeypatch.setenv(DATA_ROOT_VARIABLE, str(root))
    at = _upload_page()
    assert _path_boxes(at) == ["pool_path", "target_path"]
    assert any(f"inside `{root}`" in item.value for item in at.caption), [item.value for item in at.caption]

    for typed, expected in (
        (str(outside / "secret.csv"), "is outside the data root"),
        ("../outside/secret.csv", "goes up a folder"),
        ("link_out.csv", "leads outside the data root"),
    ):
        at.text_input(key="pool_path").set_value(typed).run()
        assert not at.exception
        assert any(expected in error and str(root) in error for error in _errors(at)), (typed, _errors(at))
        assert not any(metric.label == "Pool rows" for metric in at.metric)

    at.text_input(key="pool_path").set_value("pool.csv").run()
    at.text_input(key="target_path").set_value("link_in.csv").run()
    assert not at.exception and not _errors(at), _errors(at)
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Pool rows"] == "10" and metrics["Target rows"] == "10"


@pytest.mark.parametrize("with_root", [False, True], ids=["no-root", "root"])
def test_an_upload_over_the_limit_is_a_message_saying_what_to_do(monkeypatch, tmp_path, with_root):
    """Streamlit refuses an upload over ``server.maxUploadSize`` in the browser and at its endpoint (the
    browser test shows that); the reader applies the same limit, which also stops a small .gz that
    decompresses past it. AppTest sends the bytes whatever their size, so this reaches the reader."""
    import gzip

    from ui import data_panel

    if with_root:
        monkeypatch.setenv(DATA_ROOT_VARIABLE, str(tmp_path))
    else:
        monkeypatch.delenv(DATA_ROOT_VARIABLE, raising=False)
    monkeypatch.setattr(data_panel, "upload_limit_mb", lambda: 1)
    at = _upload_page()
    assert any(item.value.startswith("Up to 1 MB per file") for item in at.caption), [c.value for c in at.caption]
    text = b"x,y\n" + b"1.0,2.0\n" * 200_000  # 1.5 MB of text, a few KB compressed
    at.file_uploader(key="pool_file").upload("big.csv.gz", gzip.compress(text), "application/gzip").run()
    assert not at.exception, [item.value for item in at.exception]
    advice = (
        f"Give its path on the server instead (inside {tmp_path.resolve()}), or ask the operator to raise the "
        "limit (gio-studio app --max-upload-mb N)."
        if with_root
        else "Ask the operator to raise the limit (gio-studio app --max-upload-mb N), or to start the app with a "
        "data root (gio-studio app --data-root DIR) so that files inside it can be given by path."
    )
    assert _errors(at) == [
        "big.csv.gz is too large for this app: uploads are limited to 1 MB (a compressed file's "
        f"text included). {advice}"
    ]
    at.file_uploader(key="pool_file").set_value(("small.csv", text[:400_000], "text/csv")).run()
    assert not _errors(at), _errors(at)  # under the limit: read


def test_the_upload_limit_is_streamlits_server_max_upload_size(monkeypatch):
    from ui import data_panel

    monkeypatch.setattr(data_panel.st, "get_option", {"server.maxUploadSize": 3}.__getitem__)
    assert data_panel.upload_limit_mb() == 3
