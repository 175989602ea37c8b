"""A run as the app records it: what the map and the picks table show is what the selection holds, and the
selection is the one the CLI's pipeline makes from the same files and settings."""

import numpy as np
import pandas as pd
import pytest

from gio_core.io import prepare_vectors, read_data
from gio_core.pipeline import SelectionPipeline
from ui.state import Dataset, RunRecord, RunSettings, execute

from .selection_checks import run_stages


def _files(tmp_path, rng, *, n_target: int):
    pool = np.vstack([rng.normal(0.0, 1.0, size=(600, 4)), rng.normal(8.0, 1.0, size=(600, 4))])
    target = np.vstack(
        [
            rng.normal(0.0, 1.0, size=(n_target * 3 // 4, 4)),
            rng.normal(8.0, 1.0, size=(n_target - n_target * 3 // 4, 4)),
        ]
    )
    frame = pd.DataFrame(pool, columns=list("abcd"))
    frame.insert(0, "id", [f"r{i}" for i in range(len(frame))])
    frame.to_csv(tmp_path / "pool.csv", index=False)
    pd.DataFrame(target, columns=list("abcd")).to_csv(tmp_path / "target.csv", index=False)
    return tmp_path / "pool.csv", tmp_path / "target.csv"


def _dataset(pool_path, target_path) -> Dataset:
    pool, target = read_data(pool_path), read_data(target_path)
    return Dataset(
        source="upload", pool=pool, target=target, prepared=prepare_vectors(pool, target), choice={}, key="test"
    )


def _app_run(pool_path, target_path, settings: RunSettings, *, on_step=None) -> RunRecord:
    """The app's live run (ui.state.execute, which ui.run_view._live_run draws) on a data set it has read."""
    record = RunRecord(run_id=1, data_key="test", settings=settings, dimensions=4)
    return execute(record, _dataset(pool_path, target_path), on_step=on_step)


@pytest.mark.parametrize("explode", ["target_share", "all"], ids=["share", "whole-clusters"])
def test_trace_shows_the_rows_the_selection_holds(tmp_path, rng, explode):
    settings = RunSettings(
        params=dict(n_clusters=40, stop_criterion="data_size", max_data_size=0.2, max_iter=40, explode=explode),
        seed=0,
        start="empty",
    )
    record = _app_run(*_files(tmp_path, rng, n_target=400), settings)
    selection = record.outputs.selection
    trace = record.trace()
    shown, _ = trace.picks_until(trace.n_steps - 1)
    assert record.status == "done"
    assert np.array_equal(np.sort(shown), np.sort(selection.rows))
    assert np.array_equal(record.selected_indices, selection.rows)
    if explode == "target_share":
        assert shown.size == 240
    else:  # every pick brings its whole cluster, and the map drew those rows at the step that picked it
        assert all(step.rows.size > 0 for step in record.steps if step.kept)
        labels = record.cluster_labels[record.selected_indices]
        assert set(labels.tolist()) == set(record.result.selected_candidates.tolist())


@pytest.mark.parametrize(
    "params",
    [
        dict(n_clusters=40, stop_criterion="data_size", max_data_size=0.2, max_iter=40),  # target larger than K
        dict(n_clusters=150, stop_criterion="data_size", max_data_size=0.1, max_iter=60),  # target smaller than K
        dict(max_iter=25),  # unquantised
    ],
    ids=["target>K", "target<K", "rows"],
)
def test_the_app_selects_what_the_cli_selects(tmp_path, rng, params):
    """Same files, same settings: the app's live run and ``gio-studio select`` give the same rows in the same order
    (they are one pipeline; before, the app ordered a partly taken cluster by the target rows and the CLI by the
    target's centroids)."""
    pool_path, target_path = _files(tmp_path, rng, n_target=120)
    record = _app_run(pool_path, target_path, RunSettings(params=params, seed=3, start="empty"))
    *_, selection = run_stages(SelectionPipeline(pool_path, target_path, params=params, seed=3))
    assert record.selected_indices.size > 0
    np.testing.assert_array_equal(record.selected_indices, selection.rows)


def test_a_stopped_run_keeps_and_explodes_its_picks_so_far(tmp_path, rng):
    settings = RunSettings(
        params=dict(n_clusters=40, stop_criterion="data_size", max_data_size=0.5, max_iter=40), seed=1, start="empty"
    )

    class Stop(Exception):
        """What a click on Stop raises in the script (Streamlit interrupts it at its next redraw)."""

    def stop_after_six(step) -> None:
        if step.step == 5:
            raise Stop

    record = RunRecord(run_id=2, data_key="test", settings=settings, dimensions=4)
    with pytest.raises(Stop):
        execute(record, _dataset(*_files(tmp_path, rng, n_target=200)), on_step=stop_after_six)
    assert record.status == "stopped" and record.stop_reason == "interrupted"
    clusters = set(record.cluster_labels[record.selected_indices].tolist())
    assert clusters == set(record.result.selected_candidates.tolist()) and 0 < len(clusters) <= 6
    assert record.outputs.csv_bytes().count(b"\n") == len(record.selected_indices) + 1  # header + the rows so far


def test_a_run_that_fails_before_its_first_step_is_an_error_not_a_crash():
    record = RunRecord(run_id=3, data_key="test", settings=RunSettings(params={}, seed=0, start="empty"), dimensions=4)
    record.error = "n_clusters=5000 is larger than the 1200 pool rows"
    record.finish(None)
    assert record.status == "error" and record.selected_indices.size == 0
