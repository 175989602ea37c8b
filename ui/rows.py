"""The rows behind the points: what each pool and target row holds (text, label, image), for the map's
hover labels, the table of picks that follows the step slider, the gallery of picked images, and the
panel of rows chosen on the map.

Plotly's hover labels are SVG text: they show a sentence and a label but cannot hold an image. Image rows
therefore say so in their hover label, and a click (or a box or lasso) on the map shows the chosen rows'
thumbnails below it; the table and the gallery show the picks' images too.
"""

from __future__ import annotations

import base64
import html
import io
import threading
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from gio_core.io import LoadedData, text_columns
from gio_core.plots import RunTrace

from .state import Dataset

_TEXT_CHARS = 140  # a sentence is cut to this many characters on the map
_LINE_CHARS = 60  # hover lines wrap here
_TABLE_TEXT_CHARS = 200
_GALLERY_IMAGES = 60  # picked images shown at most (in pick order)
_GALLERY_SCALE = 3  # 28 x 28 images are drawn at 84 x 84, pixels kept sharp
_SELECTED_SHOWN = 24  # rows chosen on the map shown at most
_MAX_TABLE_ROWS = 5_000  # the picks table shows at most this many rows (quantised runs pick many)
IMAGE_COLUMN = "image"
RANK_COLUMN = "pick"
KL_COLUMN = "KL after the pick"
ROW_COLUMN = "pool row"


@dataclass(frozen=True)
class RowContent:
    """What the rows of a data set hold, aligned with the prepared vectors.

    Attributes
    ----------
    pool_hover, target_hover : HoverText or None
        Hover content of prepared pool rows / target rows (HTML-escaped, shortened), made on request;
        None when the files hold nothing to show (arrays).
    text_column : str or None
        The column shown as the rows' text.
    columns : list of str
        Columns of the pool file shown in tables (vectors left out).
    pool_images, target_images : ndarray of uint8 (n, h, w) or None
        Images of the rows, for image data.
    """

    pool_hover: HoverText | None = field(repr=False)
    target_hover: HoverText | None = field(repr=False)
    text_column: str | None
    columns: list
    pool_images: np.ndarray | None = field(default=None, repr=False)
    target_images: np.ndarray | None = field(default=None, repr=False)

    @property
    def has_images(self) -> bool:
        return self.pool_images is not None


def content_text_column(dataset: Dataset) -> str | None:
    """The column that says what a row is: the embedded text column, else a text column of the pool file."""
    return _text_column(dataset.pool, dataset.choice, exclude={dataset.label_column}, shared_with=dataset.target)


def _text_column(pool: LoadedData, choice: dict, *, exclude: set, shared_with: LoadedData | None = None) -> str | None:
    if choice.get("text_column"):
        return choice["text_column"]
    vectors = set(choice.get("columns") or []) | {choice.get("vector_column")}
    candidates = [
        name
        for name in text_columns(pool)
        if name not in exclude and name not in vectors and (shared_with is None or name in shared_with.columns)
    ]
    # ids are text too: prefer a column whose values are long enough to be prose
    prose = [name for name in candidates if pool.frame[name].head(200).astype(str).str.len().mean() >= 20]
    return prose[0] if prose else None


def _id_column(pool: LoadedData, other: LoadedData | None = None) -> str | None:
    return next(
        (name for name in ("id", "ID", "Id") if name in pool.columns and (other is None or name in other.columns)), None
    )


def pool_hover(pool: LoadedData, prepared_rows: np.ndarray, choice: dict, label_column: str | None):
    """Hover content of a pool's rows (id, label, text), for a map of the pool alone (None: nothing to say)."""
    fields = dict(
        id_column=_id_column(pool),
        label_column=label_column,
        text_column=_text_column(pool, choice, exclude={label_column}),
        images=False,
    )
    if not _describable(pool.frame, fields["id_column"], label_column, fields["text_column"]):
        return None
    return HoverText(pool.frame, prepared_rows, **fields)


def _vector_columns(dataset: Dataset) -> set:
    return set(dataset.choice.get("columns") or []) | {dataset.choice.get("vector_column")}


def _shorten(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _wrapped(text: str) -> str:
    """HTML-escaped text broken into hover lines of about ``_LINE_CHARS`` characters."""
    words, lines, line = _shorten(text, _TEXT_CHARS).split(" "), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > _LINE_CHARS:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "<br>".join(html.escape(part) for part in lines)


def _hover(
    frame: pd.DataFrame,
    rows: np.ndarray,
    *,
    id_column: str | None,
    label_column: str | None,
    text_column: str | None,
    images: bool,
) -> np.ndarray:
    parts = []
    if id_column:
        parts.append(frame[id_column].to_numpy()[rows].astype(str))
    if label_column:
        labels = frame[label_column].to_numpy()[rows].astype(str)
        parts.append(np.char.add(f"{label_column}: ", labels.astype(str)))
    heads = (
        np.array([" · ".join(html.escape(str(part[i])) for part in parts) for i in range(len(rows))], dtype=object)
        if parts
        else np.full(len(rows), "", dtype=object)
    )
    if text_column:
        texts = frame[text_column].to_numpy()[rows]
        bodies = np.array([_wrapped(text) for text in texts], dtype=object)
        heads = np.array(
            [f"<b>{head}</b><br>{body}" if head else body for head, body in zip(heads, bodies)], dtype=object
        )
    elif heads.size:
        heads = np.array([f"<b>{head}</b>" for head in heads], dtype=object)
    if images:
        heads = np.array([f"{head}<br><i>click the point to see its image</i>" for head in heads], dtype=object)
    return heads


class HoverText:
    """Hover content of a file's rows, made when a map asks for it (a callable: prepared rows -> strings).

    A pool may hold millions of rows while a map draws at most 20,000 of them and the picks: only those
    are described, and the last few requests are kept (each redraw of a live run asks for the same
    sample again).

    One is cached for all the sessions on a data set, so calls are taken one at a time: two sessions'
    script threads changing the memo at once raised KeyError or "dictionary changed size during
    iteration" in the middle of a redraw (tests/test_concurrent_sessions.py).
    """

    _KEPT = 4

    def __init__(self, frame: pd.DataFrame, file_rows: np.ndarray, **fields):
        self._frame, self._file_rows, self._fields = frame, file_rows, fields
        self._memo: dict = {}
        self._lock = threading.Lock()

    def __call__(self, rows) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        key = hash(rows.tobytes())
        with self._lock:
            if key not in self._memo:
                if len(self._memo) >= self._KEPT:
                    self._memo.pop(next(iter(self._memo)))
                self._memo[key] = _hover(self._frame, self._file_rows[rows], **self._fields)
            return self._memo[key]


def _describable(frame: pd.DataFrame, *names) -> bool:
    return any(name and name in frame.columns for name in names)


def _content(dataset: Dataset) -> RowContent:
    text_column = content_text_column(dataset)
    id_column = _id_column(dataset.pool, dataset.target)
    label = dataset.label_column
    demo = dataset.demo
    pool_images = demo.pool_images if demo is not None else None
    target_images = demo.target_images if demo is not None else None
    images = pool_images is not None
    fields = dict(id_column=id_column, label_column=label, text_column=text_column, images=images)
    # a file with nothing to say about its rows (an array) keeps Plotly's plain hover
    described = images or _describable(dataset.pool.frame, id_column, label, text_column)
    vectors = _vector_columns(dataset)
    columns = [name for name in dataset.pool.columns if name not in vectors]
    return RowContent(
        pool_hover=HoverText(dataset.pool.frame, dataset.prepared.pool_rows, **fields) if described else None,
        target_hover=HoverText(dataset.target.frame, dataset.prepared.target_rows, **fields) if described else None,
        text_column=text_column,
        columns=columns,
        pool_images=pool_images[dataset.prepared.pool_rows] if pool_images is not None else None,
        target_images=target_images[dataset.prepared.target_rows] if images and target_images is not None else None,
    )


@st.cache_resource(max_entries=8, show_spinner=False)
def _cached_content(key: str, label_column: str | None, _dataset: Dataset) -> RowContent:
    return _content(_dataset)


def row_content(dataset: Dataset) -> RowContent:
    """The content of a data set's rows (computed once per data set and label column)."""
    return _cached_content(dataset.key, dataset.label_column, dataset)


def thumbnail_uri(image: np.ndarray) -> str:
    """A grey-scale image as a PNG data URI (for a table's image column)."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG", optimize=False)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _enlarged(image: np.ndarray) -> np.ndarray:
    """An image scaled up by whole pixels, so a browser shows it sharp rather than blurred."""
    return np.kron(np.asarray(image, dtype=np.uint8), np.ones((_GALLERY_SCALE, _GALLERY_SCALE), dtype=np.uint8))


def picks_table(dataset: Dataset, content: RowContent, trace: RunTrace, step: int) -> pd.DataFrame:
    """The picks after ``step`` in pick order: rank, KL after the pick, the label, the text, other columns.

    Parameters
    ----------
    dataset : Dataset
    content : RowContent
    trace : RunTrace
    step : int
        0-based step; -1 gives an empty table.

    Returns
    -------
    pandas.DataFrame
        Columns ``pick``, ``KL after the pick``, the label column, the text column, ``image`` (PNG data
        URIs, for image data), the pool file's other non-vector columns, ``pool row``.
    """
    rows, rank = trace.picks_until(step)
    rows, rank = rows[:_MAX_TABLE_ROWS], rank[:_MAX_TABLE_ROWS]
    # every row a step brought (a whole cluster's share, when quantised) gets that step's KL; an undefined KL
    # (fewer than k rows picked) is left blank rather than shown as infinity
    kept = np.asarray(trace.kept, dtype=bool)
    counts = np.asarray(trace.n_selected, dtype=np.int64)[kept]
    step_kl = np.asarray(trace.kl, dtype=float)[kept]
    step_kl = np.append(np.where(np.isfinite(step_kl), step_kl, np.nan), np.nan)
    by_step = step_kl[np.searchsorted(counts, np.asarray(rank, dtype=np.int64), side="left")]
    file_rows = dataset.prepared.pool_rows[rows]
    table = pd.DataFrame({RANK_COLUMN: rank, KL_COLUMN: by_step})
    if content.pool_images is not None:
        table[IMAGE_COLUMN] = [thumbnail_uri(content.pool_images[row]) for row in rows]
    first = [name for name in (dataset.label_column, content.text_column) if name]
    for name in first + [name for name in content.columns if name not in first]:
        values = dataset.pool.frame[name].to_numpy()[file_rows]
        table[name] = (
            [_shorten(value, _TABLE_TEXT_CHARS) for value in values] if name == content.text_column else values
        )
    table[ROW_COLUMN] = dataset.pool_file_rows(rows)
    return table


def filter_rows(table: pd.DataFrame, query: str) -> pd.DataFrame:
    """Rows of ``table`` with ``query`` in any of their cells (case-insensitive; images left out)."""
    query = (query or "").strip().lower()
    if not query:
        return table
    searchable = table.drop(columns=[IMAGE_COLUMN], errors="ignore").astype(str)
    hit = np.zeros(len(table), dtype=bool)
    for name in searchable.columns:
        hit |= searchable[name].str.lower().str.contains(query, regex=False).to_numpy()
    return table[hit]


def undefined_kl_note(table: pd.DataFrame, k: int | None = None) -> str | None:
    """What the blank KL cells of a picks table mean, or None when it has none.

    Streamlit's table draws a missing number as *None* whatever its format: a pandas Styler's ``na_rep`` reached
    the page's data but not its cells, and cost 0.2-0.9 s a rerun at 5,000 rows, so a line above the table says
    what the blanks mean."""
    blank = int(table[KL_COLUMN].isna().sum()) if len(table) else 0
    if not blank:
        return None
    needs = f"k = {k}" if k else "k"
    return (
        f"*{KL_COLUMN}* reads None for {blank:,} row{'s' * (blank != 1)}, picked before the selection held {needs} "
        "picks: the k-NN KL is undefined until then."
    )


def show_picks(dataset: Dataset, trace: RunTrace, step: int, *, key: str, k: int | None = None) -> None:
    """Below the map: the picks so far as a table (searchable, sortable) and, for images, a gallery."""
    content = row_content(dataset)
    table = picks_table(dataset, content, trace, step)
    with st.container(key=f"picks_panel_{key}"):
        left, right = st.columns([3, 2], vertical_alignment="bottom")
        left.markdown(
            f"**Picks after step {max(step, -1) + 1}** · {len(table):,} row{'s' * (len(table) != 1)} in "
            "pick order" + (" (the first 5,000)" if len(table) == _MAX_TABLE_ROWS else "")
        )
        query = right.text_input(
            "Search the picks",
            key=f"picks_search_{key}",
            placeholder="a word, a label, an id",
            help="Shows only picks with this text in any column. Click a column's header to sort by it.",
        )
        shown = filter_rows(table, query)
        if query:
            st.caption(f"{len(shown):,} of {len(table):,} picks contain “{query}”.")
        config = {
            KL_COLUMN: st.column_config.NumberColumn(
                KL_COLUMN,
                format="%.4f",
                help="KL(target ‖ start ∪ picks) once this pick was "
                "added; undefined while fewer than k rows are picked "
                "(the k-NN estimate is undefined there)",
            ),
            RANK_COLUMN: st.column_config.NumberColumn(RANK_COLUMN, help="Pick order (1 = first pick)"),
            ROW_COLUMN: st.column_config.NumberColumn(ROW_COLUMN, help="Row number in the pool file, from 0"),
        }
        if content.has_images:
            config[IMAGE_COLUMN] = st.column_config.ImageColumn(IMAGE_COLUMN, width="small")
        if content.text_column:
            config[content.text_column] = st.column_config.TextColumn(content.text_column, width="large")
        note = undefined_kl_note(shown, k)
        if note:  # a blank KL reads "None" in the table: the first picks (fewer than k) say why
            st.caption(note)
        # rows of 35 px and a header: no blank rows under a short table, a scrolling one for a long table
        st.dataframe(
            shown,
            hide_index=True,
            column_config=config,
            height=min(36 * (len(shown) + 1) + 3, 360),
            key=f"picks_table_{key}",
            width="stretch",
        )
        if content.has_images and len(table):
            _gallery(table, trace.picks_until(step)[0], content, dataset)


def _gallery(table: pd.DataFrame, picked: np.ndarray, content: RowContent, dataset: Dataset) -> None:
    """Thumbnails of the first picks, in pick order (``picked``: their prepared rows, as in ``table``)."""
    assert content.pool_images is not None  # shown for image data only
    shown = table.head(_GALLERY_IMAGES)
    rows = picked[: len(shown)]
    label = dataset.label_column
    captions = [
        f"#{rank} {value}" if label else f"#{rank}"
        for rank, value in zip(shown[RANK_COLUMN], shown[label] if label else shown[RANK_COLUMN])
    ]
    st.markdown(f"**Picked images** · the first {len(shown):,} of {len(table):,}, in pick order")
    with st.container(key="picks_gallery"):
        st.image(
            [_enlarged(content.pool_images[row]) for row in rows],
            caption=captions,
            width=_GALLERY_SCALE * content.pool_images.shape[2],
        )


def selected_on_map(dataset: Dataset, event, figure) -> None:
    """The rows a person clicked, boxed or lassoed on the map: their content (and images)."""
    points = list(getattr(getattr(event, "selection", None), "points", None) or [])
    if not points:
        return
    content = row_content(dataset)
    pool_rows, target_rows = _selected_rows(points, figure)
    if not len(pool_rows) and not len(target_rows):
        return
    with st.container(key="map_selection_panel"):
        st.markdown(
            f"**Chosen on the map** · {len(pool_rows):,} pool and {len(target_rows):,} target rows "
            "(click a point, or draw a box or lasso; double-click the map to clear)"
        )
        frames = []
        for role, rows, data, prepared_rows in (
            ("pool", pool_rows, dataset.pool, dataset.prepared.pool_rows),
            ("target", target_rows, dataset.target, dataset.prepared.target_rows),
        ):
            if not len(rows):
                continue
            file_rows = prepared_rows[rows]
            frame = pd.DataFrame({"role": role, "row": file_rows})
            for name in content.columns:
                if name in data.columns:
                    frame[name] = [
                        _shorten(value, _TABLE_TEXT_CHARS) if name == content.text_column else value
                        for value in data.frame[name].to_numpy()[file_rows]
                    ]
            frames.append(frame)
        table = pd.concat(frames, ignore_index=True)
        st.dataframe(
            table,
            hide_index=True,
            height=min(36 * (len(table) + 1) + 3, 250),
            width="stretch",
            key="map_selection_table",
        )
        if content.pool_images is not None and content.target_images is not None:
            images = [content.pool_images[row] for row in pool_rows] + [
                content.target_images[row] for row in target_rows
            ]
            roles = ["pool"] * len(pool_rows) + ["target"] * len(target_rows)
            labels = (
                [dataset.pool_labels[row] for row in pool_rows] + [dataset.target_labels[row] for row in target_rows]
                if dataset.pool_labels is not None and dataset.target_labels is not None
                else [""] * len(roles)
            )
            st.image(
                [_enlarged(image) for image in images[:_SELECTED_SHOWN]],
                caption=[f"{role}: {label}".strip(": ") for role, label in zip(roles, labels)][:_SELECTED_SHOWN],
                width=_GALLERY_SCALE * images[0].shape[1],
            )


def _selected_rows(points: list, figure) -> tuple[np.ndarray, np.ndarray]:
    """Prepared pool rows and target rows of selected points (the traces say which is which)."""
    pool, target = [], []
    for point in points:
        curve = point.get("curve_number")
        index = point.get("point_index", point.get("point_number"))
        if curve is None or index is None or curve >= len(figure.data):
            continue
        trace = figure.data[curve]
        customdata = trace.customdata
        if customdata is None or index >= len(customdata):
            continue
        value = customdata[index]
        if trace.name == "pool":
            pool.append(int(value))
        elif trace.name == "picks":
            pool.append(int(value[1]))
        elif str(trace.name).startswith("target"):
            target.append(int(value))
    return np.unique(np.asarray(pool, dtype=np.int64)), np.unique(np.asarray(target, dtype=np.int64))
