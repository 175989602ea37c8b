"""Checks the selectors' tests share: distinct rows at exactly the budget, and the seed decides the picks."""

import numpy as np


def assert_distinct_at_budget(selector, n_select: int, n_pool: int) -> None:
    """``selector`` (fitted) returned ``n_select`` distinct pool rows and says it stopped at the budget."""
    picks = selector.selected_indices_
    assert picks.shape == (n_select,)
    assert len(set(picks.tolist())) == n_select
    assert picks.min() >= 0 and picks.max() < n_pool
    assert selector.stop_reason_ == "data_size"


def assert_seed_decides(make, fit_args: tuple, seed: int, other_seed: int | None = None):
    """``make(random_state)`` twice with ``seed``: the same picks; with ``other_seed``: other picks. Returns the first."""
    first = make(seed).fit(*fit_args)
    again = make(seed).fit(*fit_args)
    np.testing.assert_array_equal(first.selected_indices_, again.selected_indices_)
    if other_seed is not None:
        assert first.selected_indices_.tolist() != make(other_seed).fit(*fit_args).selected_indices_.tolist()
    return first, again


def run_stages(pipeline):
    """A pipeline's read → vectors → quantise → select → explode stages, each given the results before it.

    Returns ``(inputs, vectors, quantised, result, selection)``.
    """
    inputs = pipeline.read()
    vectors = pipeline.vectors(inputs)
    quantised = pipeline.quantise(vectors)
    result = pipeline.select(vectors, quantised)
    return inputs, vectors, quantised, result, pipeline.explode(vectors, quantised, result)


def mapped_resident_bytes(path) -> int:
    """Resident bytes of this process's mappings of ``path`` (Linux /proc/self/smaps)."""
    total, inside = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            fields = line.split()
            if fields and "-" in fields[0] and len(fields) >= 5:  # a mapping's header line
                inside = len(fields) >= 6 and fields[-1] == str(path)
            elif inside and fields[0] == "Rss:":
                total += int(fields[1]) * 1024
    return total
