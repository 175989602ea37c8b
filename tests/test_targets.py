"""A target made of pool rows: they leave the pool, and every bad choice is a clear message."""

import numpy as np
import pandas as pd
import pytest

from gio_core.io.read import read_data
from gio_core.io.targets import split_pool


@pytest.fixture
def pool():
    frame = pd.DataFrame({"id": [f"p{i}" for i in range(20)], "x": np.arange(20.0), "kind": ["a", "b"] * 10})
    return read_data(frame.to_csv(index=False).encode(), name="pool.csv")


def test_chosen_rows_become_the_target_and_leave_the_pool(pool):
    rest, target = split_pool(pool, [7, 3, 3, 11, 15, 0, 19])
    assert target.frame["id"].tolist() == ["p0", "p3", "p7", "p11", "p15", "p19"]  # file order, repeats once
    assert rest.n_rows == 14 and target.n_rows == 6
    assert not set(rest.frame["id"]) & set(target.frame["id"])
    assert set(rest.frame["id"]) | set(target.frame["id"]) == set(pool.frame["id"])
    assert target.name == "pool.csv (chosen rows)" and rest.name == "pool.csv (rest)"


def test_the_split_has_its_own_identity_tied_to_the_file_and_the_rows(pool):
    rest, target = split_pool(pool, range(6))
    again_rest, again_target = split_pool(pool, range(6))
    _, other_target = split_pool(pool, range(1, 7))
    assert (rest.sha256, target.sha256) == (again_rest.sha256, again_target.sha256)
    assert len({target.sha256, other_target.sha256, rest.sha256, pool.sha256}) == 4


def test_arrays_are_split_too():
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.arange(30.0).reshape(10, 3))
    pool = read_data(buffer.getvalue(), name="pool.npy")
    rest, target = split_pool(pool, [0, 2, 4, 6, 8, 9])
    np.testing.assert_array_equal(target.array[:, 0], [0.0, 6.0, 12.0, 18.0, 24.0, 27.0])
    assert rest.array.shape == (4, 3)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], r"0 rows chosen; k=5 needs a target of at least k\+1=6 rows"),
        ([1, 2, 3], r"3 rows chosen; k=5 needs"),
        (range(20), r"all 20 rows of pool.csv were chosen, which leaves no pool"),
        ([0, 1, 2, 3, 4, 20], r"chosen_rows holds row 20, outside pool.csv's 20 rows \(0 to 19\)"),
        ([-1, 1, 2, 3, 4, 5], r"chosen_rows holds row -1"),
    ],
    ids=["none", "fewer-than-k-plus-one", "everything", "past-the-end", "negative"],
)
def test_bad_choices_are_refused_with_what_to_do(pool, rows, message):
    with pytest.raises(ValueError, match=message):
        split_pool(pool, rows)


def test_a_smaller_k_accepts_a_smaller_target(pool):
    _, target = split_pool(pool, [1, 2, 3], k=2)
    assert target.n_rows == 3
