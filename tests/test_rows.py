"""The rows behind the points (ui/rows.py): hover content, the picks table, search, label shares."""

import numpy as np
import pandas as pd
import pytest

from gio_core import GIOSelector
from gio_core.io.demos import load_demo
from gio_core.io.vectors import prepare_vectors
from gio_core.plots.trace import RunTrace
from ui import rows
from ui.run_view import label_shares
from ui.state import Dataset


def _dataset(key: str) -> Dataset:
    demo = load_demo(key)
    prepared = prepare_vectors(demo.pool, demo.target, **demo.vectors)
    labels = demo.label_column
    return Dataset(
        source="demo",
        pool=demo.pool,
        target=demo.target,
        prepared=prepared,
        choice=demo.vectors,
        key=key,
        label_column=labels,
        pool_labels=demo.pool.frame[labels].to_numpy(),
        target_labels=demo.target.frame[labels].to_numpy(),
        demo=demo,
    )


def _trace(dataset: Dataset, **params) -> RunTrace:
    selector = GIOSelector(random_state=0, **params)
    steps = list(selector.iter_fit(dataset.prepared.pool, dataset.prepared.target))
    return RunTrace.from_steps(
        steps, initial_kl=selector.initial_kl_, dimensions=dataset.dimensions, cluster_centers=selector.cluster_centers_
    )


def test_hover_content_holds_the_id_the_label_and_the_sentence_escaped_and_shortened():
    dataset = _dataset("text-spelling")
    content = rows._content(dataset)
    assert content.text_column == "text" and not content.has_images
    hover = content.pool_hover(np.arange(dataset.n_pool))
    first = hover[0]
    assert first.startswith("<b>p0000 · is_clean: ")
    words = " ".join(dataset.pool.frame["text"].iloc[0].split()).split()
    assert " ".join(first.split("<br>", 1)[1].replace("<br>", " ").split()).startswith(" ".join(words[:5]))
    assert max(len(line) for text in hover for line in text.split("<br>")[1:]) <= 70
    frame = pd.DataFrame({"text": ["<script>alert(1)</script> " * 20]})
    hover = rows._hover(frame, np.array([0]), id_column=None, label_column=None, text_column="text", images=False)[0]
    assert "<script>" not in hover and "&lt;script&gt;" in hover and "…" in hover


def test_image_rows_say_their_image_is_a_click_away():
    content = rows._content(_dataset("fashion-mnist"))
    assert content.has_images and content.pool_images.shape[1:] == (28, 28)
    assert all(text.endswith("click the point to see its image</i>") for text in content.pool_hover(range(5)))


def test_picks_table_is_in_pick_order_with_the_kl_after_each_pick():
    dataset = _dataset("clusters-2d")
    trace = _trace(dataset, stop_criterion="data_size", max_iter=12)
    content = rows._content(dataset)
    table = rows.picks_table(dataset, content, trace, 11)
    assert table["pick"].tolist() == list(range(1, 13))
    assert table["KL after the pick"].iloc[:4].isna().all()  # undefined until k=5 picks
    np.testing.assert_allclose(table["KL after the pick"].iloc[4:], trace.kl[4:12])
    picked, _ = trace.picks_until(11)
    assert table["pool row"].tolist() == dataset.prepared.pool_rows[picked].tolist()
    assert table["id"].tolist() == dataset.pool.frame["id"].to_numpy()[picked].tolist()
    assert len(rows.picks_table(dataset, content, trace, 2)) == 3
    assert len(rows.picks_table(dataset, content, trace, -1)) == 0


def test_image_thumbnails_are_png_data_uris():
    image = (np.arange(28 * 28) % 256).astype(np.uint8).reshape(28, 28)
    uri = rows.thumbnail_uri(image)
    assert uri.startswith("data:image/png;base64,")
    import base64
    import io

    from PIL import Image

    decoded = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))
    np.testing.assert_array_equal(decoded, image)


@pytest.mark.parametrize(
    ("query", "expected"),
    [("", 3), ("ALPHA", 1), ("b", 2), ("zzz", 0), ("  2 ", 1)],
    ids=["empty", "case", "substring", "none", "number"],
)
def test_search_keeps_rows_with_the_text_in_any_cell(query, expected):
    table = pd.DataFrame({"pick": [1, 2, 3], "text": ["alpha", "beta", "Bravo"], "image": ["b", "b", "b"]})
    assert len(rows.filter_rows(table, query)) == expected


def test_label_shares_compare_the_picks_with_the_target():
    assert label_shares(["A", "A", "C", "D"], ["A"] * 2 + ["C", "D"]) == "A 50% (50%) · C 25% (25%) · D 25% (25%)"
    assert label_shares(["A"], ["A"] * 4) is None  # one label says nothing
    assert label_shares(list("ABCDEFGH"), list("ABCDEFGH")) is None  # too many to list


def test_hover_is_made_for_the_rows_asked_only_and_not_at_all_for_arrays(monkeypatch):
    import io

    from gio_core.io.read import read_data

    dataset = _dataset("clusters-2d")
    content = rows._content(dataset)
    asked = []
    made = rows._hover
    monkeypatch.setattr(
        rows,
        "_hover",
        lambda frame, file_rows, **fields: asked.append(len(file_rows)) or made(frame, file_rows, **fields),
    )
    sample = np.array([5, 9, 1999])
    assert content.pool_hover(sample)[2].startswith(f"<b>{dataset.pool.frame['id'].iloc[1999]} · cluster: ")
    content.pool_hover(sample)  # a redraw asks for the same rows again: kept
    assert asked == [3]
    buffer = io.BytesIO()
    np.save(buffer, np.random.default_rng(0).normal(size=(50, 3)))
    array = read_data(buffer.getvalue(), name="pool.npy")
    prepared = prepare_vectors(array, array, drop_nonfinite=False)
    plain = Dataset(source="upload", pool=array, target=array, prepared=prepared, choice={}, key="npy")
    content = rows._content(plain)
    assert content.pool_hover is None and content.target_hover is None
