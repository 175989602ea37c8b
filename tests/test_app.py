"""AppTest for every page: it opens, runs the demos, shows no exception, and reacts to parameter changes."""

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from gio_core import PAPER_GIO_PARAMS
from gio_core.io.demos import available_demos
from ui import session

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest
else:
    AppTest = pytest.importorskip("streamlit.testing.v1").AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 180


def _open(page: str | None = None, **state) -> "AppTest":
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    # the values a person chose: kept by the session (ui/session.py), not written into widget keys
    at.session_state["_kept"] = dict(state)
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


def _w(at, name: str) -> str:
    """The key of the widget showing ``name`` now (renewed when the app changes its value; ui/session.py)."""
    return session.widget_key(name, at.session_state)


def _no_exception(at) -> None:
    assert not at.exception, [item.value for item in at.exception]


def _exported(record):
    """The run's CSV download, as a person gets it."""
    import io

    import pandas as pd

    return pd.read_csv(io.BytesIO(record.outputs.csv_bytes()))


def _run_selection(at):
    at.button(key="run_selection").click().run()
    _no_exception(at)
    return at


def _metrics(at) -> dict:
    return {metric.label: metric.value for metric in at.metric}


def _labels(at, kind: str) -> list[str]:
    return [widget.label for widget in at.get(kind)]


def test_select_page_opens_on_the_default_demo_ready_to_run():
    at = _open()
    _no_exception(at)
    assert not at.error
    assert at.title[0].value == "GIO Studio"
    assert at.segmented_control(key=_w(at, "data_source")).value == "Demo"
    assert at.selectbox(key=_w(at, "demo_key")).value == available_demos()[0]
    assert _metrics(at)["Pool rows"] == "2,000" and _metrics(at)["Target rows"] == "200"
    run = at.button(key="run_selection")
    assert run.label == "Run selection" and not run.disabled
    assert "Download selected rows (CSV)" not in _labels(at, "download_button")


def test_default_demo_runs_and_offers_every_download():
    at = _open(view_live_speed="Max")
    _run_selection(at)
    assert not at.error
    record = at.session_state["gio_run"]
    assert record.status == "done" and len(record.selected_indices) > 0
    assert _metrics(at)["Picks"] == str(len(record.selected_indices))
    assert _labels(at, "download_button") == [
        "Download selected rows (CSV)",
        "Download run report (HTML)",
        "Download run manifest (JSON)",
    ]
    slider = at.slider(key=_w(at, f"replay_{record.run_id}"))
    assert slider.value == slider.max == len(record.steps)


@pytest.mark.parametrize("demo", available_demos(), ids=str)
def test_every_demo_runs_without_exception(demo):
    at = _open(view_live_speed="Max", demo_key=demo)
    assert at.selectbox(key=_w(at, "demo_key")).value == demo
    _run_selection(at)
    assert not at.error
    record = at.session_state["gio_run"]
    assert record.finished and record.result is not None
    # the export holds the pool file's rows in pick order, with every original column
    dataset_rows = at.session_state["gio_run"].selected_indices
    assert len(dataset_rows) > 0
    caption = " ".join(item.value for item in at.caption)
    assert "rows selected" in " ".join(item.value for item in at.markdown) or "Step" in caption
    assert _exported(record)["gio_rank"].tolist() == list(range(1, len(dataset_rows) + 1))


def test_replay_slider_shows_an_earlier_step():
    at = _open(view_live_speed="Max")
    _run_selection(at)
    record = at.session_state["gio_run"]
    at.slider(key=_w(at, f"replay_{record.run_id}")).set_value(3).run()
    _no_exception(at)
    assert any(item.value.startswith(f"Step 3 of {len(record.steps)}:") for item in at.caption)


def test_play_replays_and_returns_to_the_last_step():
    at = _open(view_live_speed="Max")
    _run_selection(at)
    record = at.session_state["gio_run"]
    at.slider(key=_w(at, f"replay_{record.run_id}")).set_value(len(record.steps) - 2).run()
    at.button(key=f"play_{record.run_id}").click().run()
    _no_exception(at)
    assert at.slider(key=_w(at, f"replay_{record.run_id}")).value == len(record.steps)


def test_how_gio_works_page_explains_with_formula_and_picture():
    at = _open("pages/how_it_works.py")
    _no_exception(at)
    assert at.title[0].value == "How GIO works"
    assert len(at.latex) >= 2
    assert any("arg" in item.value for item in at.latex)
    assert len(at.get("plotly_chart")) == 2
    # it says plainly where GIO does not beat random rows
    assert "When GIO helps, and when random rows are as good" in [item.value for item in at.subheader]
    assert any("ties random rows" in item.value for item in at.markdown)


def test_compare_page_opens():
    at = _open("pages/compare.py")
    _no_exception(at)
    assert at.title[0].value == "Compare methods"


def test_k_larger_than_the_target_disables_the_run_with_a_message():
    at = _open()
    at.number_input(key=_w(at, "p_k")).set_value(200).run()
    _no_exception(at)
    assert at.button(key="run_selection").disabled
    assert any("k = 200 needs at least k+1 = 201" in item.value for item in at.error)


def test_stopping_rule_shows_its_own_threshold():
    at = _open(demo_key="digits-subset")
    assert not [widget for widget in at.slider if widget.label == "Share of pool rows"]
    at.selectbox(key=_w(at, "p_stop_criterion")).set_value("data_size").run()
    _no_exception(at)
    assert [widget for widget in at.slider if widget.label == "Share of pool rows"]
    at.selectbox(key=_w(at, "p_stop_criterion")).set_value("min_difference").run()
    assert [widget for widget in at.number_input if widget.label == "Minimum KL decrease"]


def test_parameters_reach_the_engine_and_change_the_run():
    at = _open(view_live_speed="Max")
    at.number_input(key=_w(at, "p_max_iter")).set_value(7).run()
    at.selectbox(key=_w(at, "p_stop_criterion")).set_value("data_size").run()
    _run_selection(at)
    record = at.session_state["gio_run"]
    assert record.settings.params["max_iter"] == 7
    assert record.stop_reason == "max_iter" and len(record.selected_indices) == 7
    at.number_input(key=_w(at, "p_seed")).set_value(5).run()
    _no_exception(at)
    assert any("parameters changed since this run" in item.value for item in at.info)


def test_quantised_run_exports_clusters():
    at = _open(view_live_speed="Max", demo_key="digits-quality")
    at.toggle(key=_w(at, "p_quantize")).set_value(True).run()
    at.number_input(key=_w(at, "p_n_clusters")).set_value(40).run()
    at.number_input(key=_w(at, "p_max_iter")).set_value(5).run()
    _run_selection(at)
    record = at.session_state["gio_run"]
    assert record.settings.params["n_clusters"] == 40
    assert record.cluster_labels is not None and record.finished
    frame = _exported(record)
    assert list(frame.columns[-3:]) == ["gio_rank", "gio_row", "gio_cluster"]
    assert frame["gio_cluster"].nunique() <= 5


def test_bad_parameter_combination_is_a_message_not_a_traceback():
    at = _open()
    at.number_input(key=_w(at, "p_grad_desc_iter")).set_value(0).run()
    _no_exception(at)
    assert any(item.value.startswith("Descent steps = 0: v would never move") for item in at.error)
    assert at.button(key="run_selection").disabled
    at.number_input(key=_w(at, "p_grad_desc_iter")).set_value(20).run()
    assert at.number_input(key=_w(at, "p_lr")).min == 1e-4  # the box shows four decimals: nothing smaller
    at.toggle(key=_w(at, "p_quantize")).set_value(True).run()
    at.number_input(key=_w(at, "p_n_clusters")).set_value(5_000).run()
    _no_exception(at)
    assert any("more than the 2,000 pool rows" in item.value for item in at.error)


def test_reset_parameters_restores_the_defaults():
    from ui.defaults import default_params

    at = _open()
    at.number_input(key=_w(at, "p_k")).set_value(9).run()
    at.button(key="reset_parameters").click().run()
    _no_exception(at)
    assert at.number_input(key=_w(at, "p_k")).value == default_params()["k"]


def test_pca_map_option_is_honoured():
    at = _open(view_map_method="pca", demo_key="digits-subset")
    _no_exception(at)
    chart = at.get("plotly_chart")[0]
    assert "PC 1" in chart.proto.spec


def _dataset(at):
    """The Dataset the page built, rebuilt from the session's choices (the page does not store it)."""
    from gio_core.io.demos import load_demo
    from gio_core.io.vectors import prepare_vectors
    from ui.state import Dataset

    demo = load_demo(at.session_state["demo_key"])
    prepared = prepare_vectors(demo.pool, demo.target, **demo.vectors)
    labels = demo.pool.frame[demo.label_column].to_numpy() if demo.label_column else None
    return Dataset(
        source="demo",
        pool=demo.pool,
        target=demo.target,
        prepared=prepared,
        choice=demo.vectors,
        key="test",
        label_column=demo.label_column,
        pool_labels=labels,
        demo=demo,
    )


def test_export_of_a_demo_run_matches_the_selection():
    at = _open(view_live_speed="Max", demo_key="digits-subset")
    _run_selection(at)
    record = at.session_state["gio_run"]
    from ui.run_view import manifest

    dataset = _dataset(at)
    frame = _exported(record)
    assert list(frame.columns[:2]) == ["id", "label"] and list(frame.columns[-2:]) == ["gio_rank", "gio_row"]
    np.testing.assert_array_equal(frame["gio_row"], record.selected_indices)
    np.testing.assert_array_equal(frame["gio_rank"], np.arange(1, len(frame) + 1))
    np.testing.assert_array_equal(frame["id"], dataset.pool.frame["id"].to_numpy()[record.selected_indices])
    document = manifest(record, dataset)
    assert document["result"]["selected_indices"] == record.selected_indices.tolist()
    assert document["params"]["max_iter"] == record.settings.params["max_iter"] and document["seed"] == 0


def test_paper_recipe_sets_every_parameter_to_grad_info_opt_values_and_back():
    from gio_core import PAPER_GIO_PARAMS

    at = _open(view_live_speed="Max")
    assert at.selectbox(key=_w(at, "p_objective")).value == "smooth"
    at.selectbox(key=_w(at, "p_recipe")).set_value("paper").run()
    _no_exception(at)
    assert at.selectbox(key=_w(at, "p_objective")).value == "averaged"
    assert at.number_input(key=_w(at, "p_lr")).value == pytest.approx(PAPER_GIO_PARAMS["lr"])
    assert at.selectbox(key=_w(at, "p_start")).value == "uniform"
    at.number_input(key=_w(at, "p_max_iter")).set_value(6).run()
    _run_selection(at)
    params = at.session_state["gio_run"].settings.params
    assert params["objective"] == "averaged" and params["v_init"] == "mean" and params["uniform_start_size"] == 20
    at.selectbox(key=_w(at, "p_recipe")).set_value("recommended").run()
    assert at.selectbox(key=_w(at, "p_objective")).value == "smooth"
    assert at.selectbox(key=_w(at, "p_start")).value == "empty"


# ------------------------------------------------------------------ the rows behind the points, the target on the map


def _picks_table(at):
    """The table of picks (the last table of the page: AppTest does not expose a table's key)."""
    return at.dataframe[-1].value


def _picks_heading(at) -> str:
    return next(item.value for item in at.markdown if item.value.startswith("**Picks after step"))


def test_opening_demo_sets_its_budget_and_another_demo_puts_the_defaults_back():
    from ui.defaults import default_params

    at = _open()
    assert (
        at.selectbox(key=_w(at, "p_stop_criterion")).value == "data_size"
        and at.number_input(key=_w(at, "p_max_iter")).value == 80
    )
    at.selectbox(key=_w(at, "demo_key")).set_value("digits-subset").run()
    _no_exception(at)
    assert at.selectbox(key=_w(at, "p_stop_criterion")).value == default_params()["stop_criterion"]
    assert at.number_input(key=_w(at, "p_max_iter")).value == default_params()["max_iter"]
    at.selectbox(key=_w(at, "demo_key")).set_value("fashion-mnist").run()
    _no_exception(at)
    assert at.toggle(key=_w(at, "p_quantize")).value and at.number_input(key=_w(at, "p_n_clusters")).value == 200


def test_opening_demo_shows_the_first_defined_kl_not_an_infinite_start():
    at = _open(view_live_speed="Max")
    _run_selection(at)
    metrics = _metrics(at)
    assert "KL start" not in metrics and metrics["KL at pick 5"] not in ("∞", "inf")
    assert float(metrics["KL at pick 5"]) > float(metrics["KL final"])
    shares = next(item.value for item in at.caption if item.value.startswith("Picks by `cluster`"))
    assert "A " in shares and "(45%)" in shares


def test_picks_table_follows_the_step_slider_and_the_search():
    at = _open(view_live_speed="Max")
    _run_selection(at)
    record = at.session_state["gio_run"]
    table = _picks_table(at)
    assert len(table) == 80 and table["pick"].tolist() == list(range(1, 81))
    assert list(table.columns[:3]) == ["pick", "KL after the pick", "cluster"]
    at.slider(key=_w(at, f"replay_{record.run_id}")).set_value(12).run()
    _no_exception(at)
    assert _picks_heading(at).startswith("**Picks after step 12** · 12 rows")
    assert len(_picks_table(at)) == 12
    first_id = table["id"].iloc[0]
    at.text_input(key=f"picks_search_{record.run_id}").set_value(first_id).run()
    shown = _picks_table(at)
    assert shown["id"].tolist() == [first_id]


def test_text_demo_puts_its_sentences_in_the_map_hover_and_the_picks_table():
    at = _open(view_live_speed="Max", demo_key="text-spelling", view_map_method="pca")
    spec = at.get("plotly_chart")[0].proto.spec
    from gio_core.io.demos import load_demo

    first = " ".join(load_demo("text-spelling").pool.frame["text"].iloc[0].split())
    assert first[:30] in spec
    at.number_input(key=_w(at, "p_max_iter")).set_value(8).run()
    _run_selection(at)
    assert at.session_state["gio_run"].finished
    table = _picks_table(at)
    assert "text" in table.columns and table["text"].str.len().min() > 20


def test_image_demo_shows_a_gallery_and_an_image_column():
    at = _open(view_live_speed="Max", demo_key="fashion-mnist", view_map_method="pca")
    at.number_input(key=_w(at, "p_max_iter")).set_value(10).run()
    _run_selection(at)
    assert at.session_state["gio_run"].finished
    table = _picks_table(at)
    assert table["image"].str.startswith("data:image/png;base64,").all()
    gallery = next(item.value for item in at.markdown if item.value.startswith("**Picked images**"))
    assert f"the first {min(60, len(table))} of {len(table):,}" in gallery


def test_a_target_filtered_by_label_from_a_pool_runs_and_is_recorded(tmp_path, monkeypatch, capsys):
    import pandas as pd

    from gio_core.io.demos import load_demo
    from ui.run_view import manifest

    pool_path = tmp_path / "pool.csv"
    load_demo("clusters-2d").pool.frame.to_csv(pool_path, index=False)
    monkeypatch.setenv("GIO_STUDIO_DATA_ROOT", str(tmp_path))  # the path box reads only inside the data root
    at = _open(view_live_speed="Max", data_source="Upload files", target_mode="map")
    at.text_input(key="pool_path").set_value(str(pool_path)).run()
    _no_exception(at)
    assert at.button(key="confirm_target").disabled  # nothing chosen yet
    column = next(widget for widget in at.selectbox if str(widget.key).startswith("target_filter_column"))
    column.set_value("cluster").run()
    values = next(widget for widget in at.multiselect if str(widget.key).startswith("target_filter_values"))
    values.set_value(["D"]).run()
    assert at.button(key="confirm_target").label.startswith("Select more like these (400 rows)")
    at.button(key="confirm_target").click().run()
    _no_exception(at)
    assert _metrics(at)["Target rows"] == "400" and _metrics(at)["Pool rows"] == "1,600"
    _run_selection(at)
    record = at.session_state["gio_run"]
    assert record.finished and len(record.selected_indices) > 0
    # the chosen cluster left the pool with the target: the default rule stops after a few picks, and says what to do
    assert record.stop_reason == "sequential_increase_tolerance" and len(record.selected_indices) <= 20
    assert any(
        caption.value.startswith(f"Only {len(record.selected_indices):,} rows: the KL stopped falling early")
        and "Stop at a budget" in caption.value
        for caption in at.caption
    )
    dataset = _dataset_from_page(at, pool_path)
    document = manifest(record, dataset)
    origin = document["app"]["target_from_pool"]
    assert origin["how"] == "with cluster in {D}" and len(origin["rows"]) == 400
    frame = _exported(record)
    original = pd.read_csv(pool_path)
    # gio_row numbers rows of the file the person gave, not of the pool left after the split
    assert (original.loc[frame["gio_row"], "id"].to_numpy() == frame["id"].to_numpy()).all()
    assert not set(frame["gio_row"]) & set(origin["rows"])
    # the CLI reruns it from the manifest alone: the same 400 rows are taken out of the pool file again
    import json

    from gio_core.cli import main

    (tmp_path / "run").mkdir()
    manifest_path = tmp_path / "run" / "app.manifest.json"
    manifest_path.write_text(json.dumps(document))
    status = main(["select", "--manifest", str(manifest_path), "--out", str(tmp_path / "run" / "again.csv")])
    err = capsys.readouterr().err
    assert status == 0 and "reproduced the manifest's selection exactly" in err, err
    again = pd.read_csv(tmp_path / "run" / "again.csv")
    assert again["gio_row"].tolist() == frame["gio_row"].tolist() and again["id"].tolist() == frame["id"].tolist()
    rerun = json.loads((tmp_path / "run" / "again.manifest.json").read_text())
    assert rerun["target_from_pool"]["rows"] == origin["rows"] and rerun["inputs"]["target"]["rows"] == 400


def test_choosing_every_row_as_the_target_is_a_message():
    import pandas as pd

    from gio_core.io.read import read_data
    from gio_core.io.targets import split_pool

    pool = read_data(pd.DataFrame({"x": range(8), "kind": ["a"] * 8}).to_csv(index=False).encode(), name="p.csv")
    with pytest.raises(ValueError, match=r"all 8 rows of p\.csv were chosen"):
        split_pool(pool, range(8))


def _dataset_from_page(at, pool_path):
    """The Dataset of a pool-only upload with the target the session chose, rebuilt as the page builds it."""
    from gio_core.io.read import read_data
    from gio_core.io.targets import split_pool
    from gio_core.io.vectors import prepare_vectors
    from ui.state import Dataset

    pool_file = read_data(pool_path)
    chosen = at.session_state[f"_chosen_target_{pool_file.sha256[:16]}"]
    pool, target = split_pool(pool_file, chosen.rows)
    choice = {"columns": ["x", "y"]}
    prepared = prepare_vectors(pool, target, **choice)
    return Dataset(
        source="upload",
        pool=pool,
        target=target,
        prepared=prepared,
        choice=choice,
        key="test",
        target_origin=chosen.record(pool_file),
    )


def test_a_pool_whose_vectors_cannot_be_made_is_a_message_on_the_map_chooser(tmp_path, monkeypatch):
    import pandas as pd

    pool_path = tmp_path / "pool.csv"
    pd.DataFrame({"x": [1.0, float("nan"), 3.0] * 10, "y": range(30)}).to_csv(pool_path, index=False)
    monkeypatch.setenv("GIO_STUDIO_DATA_ROOT", str(tmp_path))
    at = _open(data_source="Upload files", target_mode="map")
    at.text_input(key="pool_path").set_value(str(pool_path)).run()
    _no_exception(at)
    assert any("NaN" in item.value or "missing" in item.value for item in at.error), [e.value for e in at.error]


def test_a_quantised_run_in_the_app_is_what_the_cli_reruns_from_its_manifest(tmp_path, monkeypatch, capsys):
    """Files given by path, K-means with fewer clusters than target rows and a data-size budget (where the app's
    own orchestration used to order a cluster's rows differently from the CLI): the manifest the app offers is
    rerun by ``gio-studio select --manifest`` to the very same rows."""
    import json

    import pandas as pd

    from gio_core.cli import main
    from gio_core.io.demos import load_demo
    from gio_core.io.read import read_data
    from gio_core.io.vectors import prepare_vectors
    from ui.run_view import manifest
    from ui.state import Dataset

    demo = load_demo("clusters-2d")
    pool_path, target_path = tmp_path / "pool.csv", tmp_path / "target.csv"
    demo.pool.frame.to_csv(pool_path, index=False)
    demo.target.frame.to_csv(target_path, index=False)
    monkeypatch.setenv("GIO_STUDIO_DATA_ROOT", str(tmp_path))
    at = _open(view_live_speed="Max", data_source="Upload files")
    at.text_input(key="pool_path").set_value(str(pool_path)).run()
    at.text_input(key="target_path").set_value(str(target_path)).run()
    at.toggle(key=_w(at, "p_quantize")).set_value(True).run()
    at.number_input(key=_w(at, "p_n_clusters")).set_value(60).run()
    at.selectbox(key=_w(at, "p_stop_criterion")).set_value("data_size").run()
    at.slider(key=_w(at, "p_max_data_size")).set_value(0.08).run()
    at.number_input(key=_w(at, "p_max_iter")).set_value(60).run()
    _no_exception(at)
    _run_selection(at)
    record = at.session_state["gio_run"]
    assert record.finished and record.settings.params["n_clusters"] == 60 and len(record.selected_indices) == 160

    pool, target = read_data(pool_path), read_data(target_path)
    choice = {"columns": ["x", "y"]}
    dataset = Dataset(
        source="upload",
        pool=pool,
        target=target,
        prepared=prepare_vectors(pool, target, **choice),
        choice=choice,
        key="test",
    )
    manifest_path = tmp_path / "app.manifest.json"
    manifest_path.write_text(json.dumps(manifest(record, dataset)))
    status = main(["select", "--manifest", str(manifest_path), "--out", str(tmp_path / "again.csv")])
    err = capsys.readouterr().err
    assert status == 0 and "reproduced the manifest's selection exactly" in err, err
    again = pd.read_csv(tmp_path / "again.csv")
    assert again["gio_row"].tolist() == _exported(record)["gio_row"].tolist()


def _finished_record(stop_reason, rows, *, message=None, kls=()):
    """A finished run's record with ``rows`` selected, its stop, and kept steps with the KL values ``kls``."""
    from types import SimpleNamespace

    from ui.state import RunRecord, RunSettings

    record = RunRecord(
        run_id=1,
        data_key="test",
        settings=RunSettings(params={"k": 5}, seed=0, start="empty"),
        dimensions=2,
        stop_reason=stop_reason,
        stop_message=message,
        selected=np.arange(rows),
    )
    record.steps = [SimpleNamespace(kl=value, kept=True) for value in kls]
    return record


@pytest.mark.parametrize(
    "stop_reason, rows, shown",
    [
        ("sequential_increase_tolerance", 8, True),
        ("increase", 20, True),
        ("min_difference", 21, False),
        ("data_size", 8, False),
        ("max_iter", 8, False),
        ("interrupted", 3, False),
        ("min_kl", 8, False),
    ],
    ids=["repeated-rises", "kl-rose-at-k+15", "past-k+15", "budget", "max-picks", "stopped", "floor"],
)
def test_an_early_stop_of_the_kls_own_rule_gets_a_hint(stop_reason, rows, shown):
    from ui.run_view import early_stop_hint

    hint = early_stop_hint(_finished_record(stop_reason, rows))
    assert (hint is not None) == shown
    if shown:
        assert hint.startswith(f"Only {rows} rows") and "Stop at a budget" in hint


def _drawn_defaults_differ(at) -> list[str]:
    """Widgets whose own default (what the browser shows when it mounts the widget afresh) is not the value the
    session gives them."""
    odd = []
    for widget in list(at.number_input) + list(at.slider):
        default = np.atleast_1d(np.asarray(widget.proto.default, dtype=float))
        if widget.value is not None and default.size and not np.allclose(default, np.atleast_1d(widget.value)):
            odd.append(f"{widget.label}: default {default} but shows {widget.value}")
    for widget in at.selectbox:
        if widget.options and widget.value is not None and widget.proto.default != widget.index:
            odd.append(f"{widget.label}: default option {widget.proto.default} but shows {widget.index}")
    return odd


@pytest.mark.parametrize("page", [None, "pages/compare.py"])
def test_every_widget_is_drawn_with_the_value_it_shows_as_its_default(page):
    # A widget drawn without a default while its value sits in session state carries its minimum as default;
    # the browser showed that (k = 1, maximum picks 1, learning rate 0.0000, descent steps 0) when it mounted
    # the widget afresh (tests/test_browser_defaults.py drives fifty sessions for it).
    at = _open(page, view_live_speed="Max")
    assert _drawn_defaults_differ(at) == []
    if page is None:
        at.number_input(key=_w(at, "p_max_iter")).set_value(150).run()
        at.selectbox(key=_w(at, "p_recipe")).set_value("paper").run()
        assert _drawn_defaults_differ(at) == []
        at.segmented_control(key=_w(at, "data_source")).set_value("Upload files").run()
        assert _drawn_defaults_differ(at) == []
        assert at.number_input(key=_w(at, "p_max_iter")).value == PAPER_GIO_PARAMS["max_iter"]


def test_an_npy_pair_reads_as_arrays_in_one_line_each_and_the_panel_folds_away(tmp_path, monkeypatch):
    rng = np.random.default_rng(5)
    np.save(tmp_path / "pool.npy", rng.normal(size=(3_000, 16)).astype(np.float32))
    np.save(tmp_path / "target.npy", rng.normal(size=(50, 16)).astype(np.float32))
    monkeypatch.setenv("GIO_STUDIO_DATA_ROOT", str(tmp_path))
    at = _open(data_source="Upload files")
    assert at.expander[0].proto.expanded  # files missing: the panel is open
    at.text_input(key=_w(at, "pool_path")).input("pool.npy").run()
    at.text_input(key=_w(at, "target_path")).input("target.npy").run()
    _no_exception(at)
    captions = [item.value for item in at.caption]
    assert any("pool.npy** · npy · 192.1 KB · 3,000 rows × 16 values (an array)" in text for text in captions)
    assert not any("0 columns" in text for text in captions)
    assert sum(text.startswith("Vectors:") for text in captions) == 1
    assert not at.expander[0].proto.expanded  # both files read: folded, the map comes first


def test_the_picks_table_says_why_the_first_kl_values_are_missing():
    at = _open(view_live_speed="Max")
    _run_selection(at)
    table = next(frame for frame in at.dataframe if "KL after the pick" in frame.value.columns)
    assert table.value["KL after the pick"].iloc[:4].isna().all()  # undefined until k = 5 rows
    # the browser draws a missing number as "None" whatever the table's styling: a line above the table says why
    assert table.proto.arrow_data.styler.display_values == b""  # no Styler (0.2-0.9 s a rerun at 5,000 rows)
    notes = [item.value for item in at.caption if "reads None" in item.value]
    assert notes == [
        "*KL after the pick* reads None for 4 rows, picked before the selection held k = 5 picks: the k-NN KL is "
        "undefined until then."
    ]


def test_the_tab_icon_is_a_file_of_the_app():
    from ui import navigation

    assert navigation.FAVICON.is_file() and navigation.FAVICON.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_run_cut_short_by_maximum_picks_or_near_target_clusters_says_what_to_change():
    from ui.run_view import early_stop_hint

    def record(reason, kls, message=None):
        return _finished_record(reason, 500, message=message, kls=kls)

    falling = [float("inf")] * 4 + [10.0 - 0.1 * i for i in range(40)]
    assert "raise it" in early_stop_hint(record("max_iter", falling))
    assert early_stop_hint(record("max_iter", [float("inf")] * 4 + [5.0] * 40)) is None  # flat: no hint
    near = "every cluster nearest a target row has been picked (candidates='near_target'; ...)"
    assert "Stop at a budget" in early_stop_hint(record("pool_exhausted", falling, near))
    assert early_stop_hint(record("pool_exhausted", falling, "every pool row has been picked.")) is None
