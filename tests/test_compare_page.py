"""AppTest of the Compare page: it opens, runs the default comparison, shows the table, and explains bad input."""

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from gio_core.evaluate import comparison
from gio_core.methods import registry as baselines
from ui import session

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest
else:
    AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGE = "pages/compare.py"
TIMEOUT = 180


def _open(**state) -> "AppTest":
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["_kept"] = dict(state)  # the values a person chose, as the session keeps them
    at.run()
    at.switch_page(PAGE).run()
    _no_exception(at)
    return at


def _w(at, name: str) -> str:
    """The key of the widget showing ``name`` now (renewed when the app changes its value; ui/session.py)."""
    return session.widget_key(name, at.session_state)


def _no_exception(at) -> None:
    assert not at.exception, [item.value for item in at.exception]


def _run(at) -> "AppTest":
    at.button(key="run_comparison").click().run()
    _no_exception(at)
    return at


def _table(at):
    """The metric table (AppTest's dataframes carry no key; the table's index is the methods)."""
    tables = [frame.value for frame in at.dataframe if frame.value.index.name == "Method"]
    assert len(tables) == 1, [frame.value.columns.tolist() for frame in at.dataframe]
    return tables[0]


def _csv(rows: np.ndarray) -> bytes:
    return ("x,y\n" + "\n".join(f"{a:.6f},{b:.6f}" for a, b in rows)).encode()


def _upload(at, pool: bytes, target: bytes) -> "AppTest":
    at.segmented_control(key=_w(at, "data_source")).set_value("Upload files").run()
    at.file_uploader(key="pool_file").set_value(("pool.csv", pool, "text/csv")).run()
    at.file_uploader(key="target_file").set_value(("target.csv", target, "text/csv")).run()
    _no_exception(at)
    return at


def test_page_opens_on_the_default_demo_ready_to_run():
    at = _open()
    assert at.title[0].value == "Compare methods"
    assert not at.error
    assert list(at.pills(key=_w(at, "cmp_methods")).value) == list(comparison.DEFAULT_METHODS)
    assert at.number_input(key=_w(at, "cmp_budget")).value == 100
    run = at.button(key="run_comparison")
    assert run.label == "Run comparison" and not run.disabled
    assert any("Press **Run comparison**" in item.value for item in at.info)


def test_default_comparison_shows_the_table_the_winners_the_charts_and_a_download_per_method():
    at = _run(_open())
    assert not at.error
    table = _table(at)
    assert list(table.index) == list(comparison.DEFAULT_METHODS)
    assert {"KL ↓", "MMD² ↓", "Coverage ↑", "Best on", "Picks", "Seconds"} <= set(table.columns)
    assert (table["Picks"] == 100).all()
    record = at.session_state["cmp_result"]
    best = record.comparison.best()
    assert table.loc[best["kl"][0], "Best on"].startswith("KL")
    assert any("KL ↓ favours" in item.value for item in at.markdown)
    labels = [button.label for button in at.get("download_button")]
    assert labels == list(comparison.DEFAULT_METHODS)
    assert len(at.get("plotly_chart")) == 2  # KL curves and the map panels


def test_labelled_demo_adds_precision_and_accuracy():
    at = _run(_open(demo_key="digits-subset"))
    assert not at.error
    table = _table(at)
    assert {"Precision ↑", "Accuracy ↑"} <= set(table.columns)
    assert table["Precision ↑"].max() > table.loc["Random", "Precision ↑"]


def test_select_compare_how_it_works_select_keeps_data_parameters_and_run():
    # in the browser a page switch drops the values of widgets the next page does not draw; the session keeps
    # them (ui/session.py): Compare opens on Select's data, and Select gets its parameters and run back
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["_kept"] = {"view_live_speed": "Max"}
    at.run()
    at.selectbox(key=_w(at, "demo_key")).set_value("digits-subset").run()
    at.number_input(key=_w(at, "p_max_iter")).set_value(7).run()
    at.number_input(key=_w(at, "p_k")).set_value(4).run()
    at.button(key="run_selection").click().run()
    _no_exception(at)
    run = at.session_state["gio_run"]
    assert run.finished and run.settings.params["max_iter"] == 7
    at.switch_page(PAGE).run()
    _no_exception(at)
    assert at.selectbox(key=_w(at, "demo_key")).value == "digits-subset"
    assert at.metric[0].value == "1,647"
    at.switch_page("pages/how_it_works.py").run()
    _no_exception(at)
    at.switch_page("pages/select.py").run()
    _no_exception(at)
    assert at.selectbox(key=_w(at, "demo_key")).value == "digits-subset"
    assert at.number_input(key=_w(at, "p_max_iter")).value == 7
    assert at.number_input(key=_w(at, "p_k")).value == 4
    assert at.session_state["gio_run"] is run
    assert not [item.value for item in at.info if "parameters changed" in item.value]
    # the finished run's downloads are offered again
    assert "Download selected rows (CSV)" in [item.proto.label for item in at.get("download_button")]


def test_a_target_too_small_to_hold_rows_out_gets_a_message_and_no_run():
    rng = np.random.default_rng(0)
    at = _upload(_open(), _csv(rng.normal(size=(60, 2))), _csv(rng.normal(size=(8, 2))))
    assert at.button(key="run_comparison").disabled
    assert any("The target has 8 rows" in item.value and "at least 12 target rows" in item.value for item in at.error)


def test_an_uploaded_pair_runs():
    rng = np.random.default_rng(1)
    at = _upload(_open(), _csv(rng.normal(size=(120, 2))), _csv(rng.normal(size=(40, 2))))
    assert at.number_input(key=_w(at, "cmp_budget")).value == 60  # half of a small pool
    _run(at)
    assert not at.error
    assert (_table(at)["Picks"] == 60).all()
    assert [button.label for button in at.get("download_button")] == list(comparison.DEFAULT_METHODS)


def test_uploads_outlive_a_page_switch_until_forgotten():
    rng = np.random.default_rng(2)
    at = _upload(_open(), _csv(rng.normal(size=(120, 2))), _csv(rng.normal(size=(40, 2))))
    at.switch_page("pages/how_it_works.py").run()
    at.switch_page("pages/select.py").run()
    _no_exception(at)
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Pool rows"] == "120" and metrics["Target rows"] == "40"
    assert any("Using **pool.csv**" in item.value for item in at.caption)
    at.button(key="forget_upload_pool").click().run()
    _no_exception(at)
    assert not any("Using **pool.csv**" in item.value for item in at.caption)
    assert "Pool rows" not in [metric.label for metric in at.metric]


def test_fewer_than_two_methods_is_refused_with_a_message():
    at = _open()
    at.pills(key=_w(at, "cmp_methods")).set_value(["GIO"]).run()
    _no_exception(at)
    assert at.button(key="run_comparison").disabled
    assert any("Choose at least two methods" in item.value for item in at.error)
    assert not any("Press **Run comparison**" in item.value for item in at.info)


def test_greedy_kl_is_left_out_with_the_reason_when_the_pool_is_too_large(monkeypatch):
    from gio_core.evaluate import plan

    monkeypatch.setattr(plan, "GREEDY_KL_MAX_PAIRS", 10_000)  # the demo's 2,000 x 140 pairs exceed it
    at = _open()
    assert any(
        "Greedy k-NN KL is left out" in item.value and "pool x 140 target rows (at most 10,000 pairs)" in item.value
        for item in at.warning
    )
    _run(at)
    assert "Greedy k-NN KL" not in list(_table(at).index)
    assert len(_table(at)) == len(comparison.DEFAULT_METHODS) - 1


def test_a_failing_method_is_an_error_message_and_the_others_are_shown(monkeypatch):
    def broken(budget, random_state):
        raise MemoryError("not enough memory for this pool; use a smaller one.")

    monkeypatch.setitem(baselines.METHODS, "Random", broken)
    at = _run(_open())
    assert any(item.value == "Random failed: not enough memory for this pool; use a smaller one." for item in at.error)
    table = _table(at)
    assert table.loc["Random", "Picks"] == 0 and table.loc["GIO", "Picks"] == 100
    assert "Random" not in [button.label for button in at.get("download_button")]


def test_changed_settings_keep_the_last_result_and_say_so():
    at = _run(_open())
    at.number_input(key=_w(at, "cmp_budget")).set_value(50).run()
    _no_exception(at)
    assert any("settings changed since this comparison" in item.value for item in at.info)
    assert (_table(at)["Picks"] == 100).all()
    _run(at)
    assert (_table(at)["Picks"] == 50).all()


def test_the_methods_are_pills_in_the_main_area_with_a_line_each_on_what_they_optimise():
    at = _open()
    pills = at.pills(key=_w(at, "cmp_methods"))
    assert {"TSDS", "GTP-style pursuit", "GIO", "Random"} <= set(pills.options)
    assert "DSIR" not in pills.options  # the demo's vectors are numbers, not text
    # nothing of the method picker is left in the narrow sidebar
    assert "cmp_methods" not in [widget.key for widget in at.sidebar.get("button_group")]
    assert "cmp_methods" in [widget.key for widget in at.main.get("button_group")]
    summary = next(item.value for item in at.markdown if item.value.startswith("- **"))
    lines = summary.split("\n")
    assert len(lines) == len(pills.options)
    assert any(line.startswith("- **TSDS**: Optimal-transport alignment") for line in lines)
    assert any(line.startswith("- **GTP-style pursuit**: A sparse non-negative sum") for line in lines)
    assert any("DSIR reads raw text" in item.value for item in at.caption)


def _text_demo(at) -> "AppTest":
    from gio_core.io import demos

    if "text-spelling" not in demos.available_demos():
        pytest.skip("the text demo's assets are not present")
    at.selectbox(key=_w(at, "demo_key")).set_value("text-spelling").run()
    source = next(radio for radio in at.radio if radio.key and radio.key.startswith("vector_source_"))
    source.set_value("text_column").run()
    model = next(box for box in at.selectbox if box.key and box.key.startswith("text_model_"))
    model.set_value("tfidf").run()
    _no_exception(at)
    return at


def test_a_text_column_offers_dsir_and_runs_it_on_the_texts():
    at = _text_demo(_open())
    pills = at.pills(key=_w(at, "cmp_methods"))
    assert "DSIR" in pills.options
    pills.set_value(["GIO", "DSIR", "Random"]).run()
    at.number_input(key=_w(at, "cmp_budget")).set_value(60).run()
    _run(at)
    assert not at.error
    table = _table(at)
    assert list(table.index) == ["GIO", "DSIR", "Random"] and (table["Picks"] == 60).all()
    # the demo's label says whether a pool sentence is clean: DSIR's picks are mostly clean, Random's about half
    assert table.loc["DSIR", "Precision ↑"] > table.loc["Random", "Precision ↑"]


def test_dsir_is_dropped_from_the_choice_when_the_data_has_no_text_column():
    at = _text_demo(_open())
    at.pills(key=_w(at, "cmp_methods")).set_value(["GIO", "DSIR"]).run()
    source = next(radio for radio in at.radio if radio.key and radio.key.startswith("vector_source_"))
    source.set_value("vector_column").run()
    _no_exception(at)
    pills = at.pills(key=_w(at, "cmp_methods"))
    assert "DSIR" not in pills.options and list(pills.value) == ["GIO"]
    assert any("Choose at least two methods" in item.value for item in at.error)


def test_a_big_pool_runs_each_method_on_its_stated_plan_within_the_operators_memory(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    np.save(tmp_path / "pool.npy", rng.normal(size=(100_000, 64)).astype(np.float32))
    np.save(tmp_path / "target.npy", rng.normal(0.5, 1.0, size=(300, 64)).astype(np.float32))
    monkeypatch.setenv("GIO_STUDIO_DATA_ROOT", str(tmp_path))
    monkeypatch.setenv("GIO_STUDIO_COMPARE_MEMORY_MB", "64")  # gio-studio app --compare-memory-mb 64
    # 1,000 centroids (half the 2% suggested), so that the plan's words are known: K-means then samples 64,000 of
    # the rows, which fits the 64 MB where GIO on every row would not (test_compare_plan checks the plan's own count)
    monkeypatch.setattr("gio_core.evaluate.plan.suggested_clusters", lambda n_pool: 1_000)
    at = _open(data_source="Upload files", cmp_methods=["Random", "TSDS", "GIO"])
    at.text_input(key=_w(at, "pool_path")).input("pool.npy").run()
    at.text_input(key=_w(at, "target_path")).input("target.npy").run()
    _no_exception(at)
    plan = next(frame.value for frame in at.dataframe if "Runs on" in frame.value.columns).set_index("Method")
    assert (
        plan.loc["TSDS", "Runs on"].startswith("random sample of ") and "of 100,000 rows" in plan.loc["TSDS", "Runs on"]
    )
    assert plan.loc["GIO", "Runs on"] == "K-means: 1,000 centroids of all 100,000 rows"
    assert any("64 MB of working memory" in item.value for item in at.markdown)
    _run(at)
    assert not at.error
    table = _table(at)
    assert table.loc["TSDS", "Ran on"] == plan.loc["TSDS", "Runs on"]
    assert (table["Picks"] == at.number_input(key=_w(at, "cmp_budget")).value).all()


def test_one_comparison_at_a_time_per_server():
    from ui import compare_view

    at = _open()
    with compare_view._RUNNING:  # another session's comparison is running
        _run(at)
    assert any("Another comparison is running on this server" in item.value for item in at.warning)
    assert "cmp_result" not in at.session_state
    _run(at)  # once it is over, this one runs
    assert len(_table(at)) == len(comparison.DEFAULT_METHODS)
