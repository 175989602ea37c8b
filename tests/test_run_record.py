"""A run as the app records it: what the map and the picks table show is what the selection holds."""

import numpy as np
import pytest

from ui.state import RunRecord, RunSettings


@pytest.mark.parametrize("explode", ["target_share", "all"], ids=["share", "whole-clusters"])
def test_trace_shows_the_rows_the_selection_holds(rng, explode):
    pool = np.vstack([rng.normal(0.0, 1.0, size=(600, 4)), rng.normal(8.0, 1.0, size=(600, 4))])
    target = np.vstack([rng.normal(0.0, 1.0, size=(300, 4)), rng.normal(8.0, 1.0, size=(100, 4))])
    settings = RunSettings(params=dict(n_clusters=40, stop_criterion="data_size", max_data_size=0.2, max_iter=40,
                                       explode=explode), seed=0, start="empty")
    record = RunRecord(run_id=1, data_key="test", settings=settings, dimensions=4)
    selector = settings.selector()
    for step in selector.iter_fit(pool, target, settings.init(4)):
        record.add(step)
    record.finish(selector)
    trace = record.trace()
    shown, _ = trace.picks_until(trace.n_steps - 1)
    assert np.array_equal(np.sort(shown), np.sort(selector.selected_indices_))
    if explode == "target_share":
        assert shown.size == 240
