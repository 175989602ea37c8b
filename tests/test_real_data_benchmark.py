"""The real-data benchmark's bookkeeping: paired differences, their standard error, resumed records."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "real_data.py"


@pytest.fixture(scope="module")
def real_data():
    spec = importlib.util.spec_from_file_location("real_data_benchmark", _PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up while being defined
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def _record(method, seed, accuracy, **extra):
    return {
        "experiment": "shift",
        "task": "target footwear ('Sandal',)",
        "method": method,
        "seed": seed,
        "budget": 10,
        "n_rows": 10,
        "select_seconds": 1.0,
        "load": 1.0,
        "accuracy": accuracy,
        "clean_share": 1.0,
        "in_target": 0.5,
        **extra,
    }


def test_paired_difference_and_its_standard_error(real_data):
    random = [0.80, 0.82, 0.78]
    gio = [0.83, 0.83, 0.82]
    records = [_record("Random", seed, value) for seed, value in enumerate(random)]
    records += [_record("GIO", seed, value) for seed, value in enumerate(gio)]
    table = real_data.table(records)
    row = next(line for line in table.splitlines() if "| GIO |" in line)
    differences = np.subtract(gio, random)  # 3, 1, 4 points
    mean, error = 100 * differences.mean(), 100 * differences.std(ddof=1) / np.sqrt(3)
    assert f"+{mean:.2f} ± {error:.2f}" in row  # +2.67 ± 0.88, not the unpaired difference of the means' errors
    assert "82.67 ± 0.33" in row


def test_each_method_is_paired_with_nearest_to_target_too(real_data):
    random, nearest, gio = [0.80, 0.82, 0.78], [0.85, 0.84, 0.86], [0.83, 0.83, 0.82]
    records = [_record("Random", seed, value) for seed, value in enumerate(random)]
    records += [_record("Nearest to target", seed, value) for seed, value in enumerate(nearest)]
    records += [_record("GIO", seed, value) for seed, value in enumerate(gio)]
    rows = {line.split(" | ")[2]: line.split(" | ") for line in real_data.table(records).splitlines()[2:]}
    differences = np.subtract(gio, nearest)  # -2, -1, -4 points
    mean, error = 100 * differences.mean(), 100 * differences.std(ddof=1) / np.sqrt(3)
    assert rows["GIO"][6] == f"{mean:+.2f} ± {error:.2f}"  # -2.33 ± 0.88
    assert rows["Nearest to target"][6] == "" and rows["Random"][6] == ""


def test_a_skipped_method_says_why(real_data):
    records = [
        _record("Random", 0, 0.8),
        {
            "experiment": "shift",
            "task": "target footwear ('Sandal',)",
            "method": "Greedy k-NN KL",
            "seed": 0,
            "skipped": "not run: too big",
        },
    ]
    assert "not run: too big" in real_data.table(records)


def test_resumed_records_keep_the_last_of_each_run(real_data, tmp_path):
    log = tmp_path / "runs.jsonl"
    log.write_text(
        "\n".join(json.dumps(r) for r in [_record("GIO", 0, 0.5), _record("GIO", 0, 0.9), _record("GIO", 1, 0.7)])
        + "\n"
    )
    latest = real_data._latest_records(log)
    assert len(latest) == 2
    assert latest[("shift", "target footwear ('Sandal',)", "GIO", 0)]["accuracy"] == 0.9


def test_gio_runs_quantised_with_the_budget_in_rows(real_data):
    class _Task:
        pool_pixels = np.zeros((60_000, 1))
        budget = 15_000

    selector = real_data.make_selector("GIO", _Task(), 0)
    assert selector.n_clusters == 1000 and selector.stop_criterion == "data_size"
    assert int(selector.max_data_size * 60_000) == 15_000
    assert real_data.make_selector("Random", _Task(), 0).n_select == 15_000


def test_gio_variants_change_only_what_their_name_says(real_data):
    class _Task:
        pool_pixels = np.zeros((60_000, 1))
        budget = 6_000

    default = real_data.make_selector("GIO", _Task(), 0).get_params()
    turns = real_data.make_selector("GIO (explode=target_turns)", _Task(), 0).get_params()
    suggested = real_data.make_selector("GIO (K as suggested)", _Task(), 0).get_params()
    share = real_data.make_selector("GIO (explode=target_share)", _Task(), 0).get_params()
    assert default["explode"] == "share_turns" and turns["explode"] == "target_turns"
    assert share["explode"] == "target_share" and {key for key in default if default[key] != share[key]} == {"explode"}
    assert {key for key in default if default[key] != turns[key]} == {"explode"}
    assert suggested["n_clusters"] == suggested["max_iter"] == 1_200  # 2% of 60,000
    assert {key for key in default if default[key] != suggested[key]} == {"n_clusters", "max_iter"}
