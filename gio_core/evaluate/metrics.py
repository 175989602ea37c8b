"""How good is a selection? Metrics that compare the selected rows with a held-out target sample.

Every method (GIO and the baselines of :mod:`gio_core.methods.baselines`) is judged by the same numbers:

* ``kl``: the standard k-NN estimate of KL(target || selection) (Wang, Kulkarni & Verdú 2009), the
  quantity GIO sets out to minimise, on target rows the method never saw;
* ``mmd2``: the squared maximum mean discrepancy with an RBF kernel (median-heuristic bandwidth);
* ``coverage``: the share of target rows that have a selected row within their own k-NN radius;
* ``precision``: the share of picks that are in-target (their label occurs in the target) or good;
* ``accuracy``: a logistic regression trained on the picks and their labels, scored on the
  held-out target rows and their labels.

:data:`METRIC_DIRECTIONS` says which way is better for each, so a table can name the winner.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import as_matrix, as_points, check_int, check_random_state, check_same_dimension, check_target_rows
from ..gio.kl import kl_curve, knn_kl
from ..gio.neighbors import kth_neighbor_distances, squared_distances, squared_norms

__all__ = [
    "METRIC_DIRECTIONS",
    "classifier_accuracy",
    "coverage",
    "evaluate_selection",
    "in_target_precision",
    "kl_curve",
    "mmd2",
]

#: metric name -> "lower" or "higher": which direction is better.
METRIC_DIRECTIONS: dict[str, str] = {
    "kl": "lower",
    "mmd2": "lower",
    "coverage": "higher",
    "precision": "higher",
    "accuracy": "higher",
}

# Pairs of rows handled at once by the blocked loops below (memory ~ 8 bytes x this).
_BLOCK_PAIRS = 4_000_000
# The median heuristic looks at the pairwise distances of at most this many rows.
_MEDIAN_ROWS = 1_000


def _median_distance(points: NDArray) -> float:
    """Median pairwise distance of (an evenly spaced subset of) ``points``."""
    if points.shape[0] > _MEDIAN_ROWS:
        points = points[np.linspace(0, points.shape[0] - 1, _MEDIAN_ROWS).astype(np.int64)]
    squared = squared_distances(points, points)
    upper = squared[np.triu_indices(points.shape[0], k=1)]
    return float(np.sqrt(np.median(upper))) if upper.size else 0.0


def _kernel_sum(first: NDArray, second: NDArray, gamma: float, *, same: bool) -> float:
    """Sum of exp(-gamma |a - b|^2) over pairs, without the diagonal when ``same``."""
    total = 0.0
    norms = squared_norms(second)
    block = max(1, _BLOCK_PAIRS // max(second.shape[0], 1))
    for begin in range(0, first.shape[0], block):
        squared = squared_distances(first[begin : begin + block], second, norms)
        if same:
            rows = np.arange(squared.shape[0])
            squared[rows, rows + begin] = np.inf
        total += float(np.exp(-gamma * squared).sum())
    return total


def mmd2(x: ArrayLike, y: ArrayLike, *, bandwidth: float | None = None) -> float:
    """Squared maximum mean discrepancy between two samples, RBF kernel (unbiased estimate).

    Parameters
    ----------
    x : array-like of shape (n_x, d)
        At least 2 rows.
    y : array-like of shape (n_y, d)
        At least 2 rows.
    bandwidth : float, optional
        The kernel is ``exp(-|a - b|^2 / (2 bandwidth^2))``. Default: the median heuristic, the
        median pairwise distance over the rows of ``x`` and ``y`` together (an evenly spaced subset of
        at most 1,000 rows when there are more).

    Returns
    -------
    float
        The unbiased U-statistic of Gretton et al. (2012): zero in expectation when both samples
        come from the same distribution, so it can be slightly negative.

    Raises
    ------
    ValueError
        Fewer than 2 rows, dimensions differ, a bandwidth that is not positive.

    Notes
    -----
    To compare several selections against one target, pass the same ``bandwidth`` to each (for
    example the target's own median distance, as :func:`evaluate_selection` does), so that they are
    measured with the same kernel.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> same = mmd2(rng.normal(size=(200, 2)), rng.normal(size=(200, 2)))
    >>> shifted = mmd2(rng.normal(size=(200, 2)), rng.normal(2.0, 1.0, size=(200, 2)))
    >>> bool(abs(same) < 0.02 and shifted > 0.3)
    True
    """
    x = as_matrix(x, "x")
    y = as_matrix(y, "y")
    check_same_dimension(x, "x", y, "y")
    for name, values in (("x", x), ("y", y)):
        if values.shape[0] < 2:
            raise ValueError(
                f"{name} has {values.shape[0]} row; the unbiased MMD needs at least 2 rows in each sample. Add rows."
            )
    if bandwidth is None:
        bandwidth = _median_distance(np.vstack([x, y]))
        if bandwidth <= 0.0:
            return 0.0  # every row is the same point: the two samples are identical
    elif isinstance(bandwidth, bool) or not isinstance(bandwidth, (int, float, np.floating, np.integer)):
        raise TypeError(f"bandwidth must be a positive number or None; got {bandwidth!r}.")
    elif not (np.isfinite(bandwidth) and bandwidth > 0):
        raise ValueError(
            f"bandwidth must be a positive finite number; got {bandwidth}. Pass None for the median heuristic."
        )
    gamma = 1.0 / (2.0 * float(bandwidth) ** 2)
    n_x, n_y = x.shape[0], y.shape[0]
    within_x = _kernel_sum(x, x, gamma, same=True) / (n_x * (n_x - 1))
    within_y = _kernel_sum(y, y, gamma, same=True) / (n_y * (n_y - 1))
    between = _kernel_sum(x, y, gamma, same=False) / (n_x * n_y)
    return float(within_x + within_y - 2.0 * between)


def coverage(target: ArrayLike, selected: ArrayLike, *, k: int = 5) -> float:
    """Share of target rows whose nearest selected row lies within their own k-NN radius.

    Parameters
    ----------
    target : array-like of shape (n_target, d)
        At least ``k + 1`` rows.
    selected : array-like of shape (n_selected, d)
        The selected rows (zero rows gives 0.0).
    k : int, default=5
        A target row's radius is the distance to its k-th nearest other target row.

    Returns
    -------
    float
        In [0, 1]; 1 when every target row has a selected row at least as close as its k-th target
        neighbour.

    Raises
    ------
    ValueError
        Dimensions differ, too few target rows for ``k``.

    Examples
    --------
    >>> import numpy as np
    >>> target = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [12.0]])
    >>> coverage(target, np.array([[1.0]]), k=2)
    0.5
    """
    target = as_matrix(target, "target")
    k = check_int(k, "k", minimum=1)
    check_target_rows(target, k)
    selected = as_points(selected, "selected", target.shape[1])
    if selected.shape[0] == 0:
        return 0.0
    radius = kth_neighbor_distances(target, target, k, exclude_self=True)
    nearest = kth_neighbor_distances(target, selected, 1)
    return float(np.mean(nearest <= radius))


def in_target_precision(selected_labels: ArrayLike, target_labels_or_flags: Any) -> float:
    """Share of picks whose label occurs in the target (or that are flagged good).

    Parameters
    ----------
    selected_labels : array-like of shape (n_selected,)
        The label of each selected row; or, for a pool with a good/bad flag, each pick's flag.
    target_labels_or_flags : array-like or scalar
        The labels present in the target (repeats are fine), or ``True`` when ``selected_labels``
        holds good flags.

    Returns
    -------
    float
        In [0, 1]; ``nan`` when nothing is selected.

    Examples
    --------
    >>> in_target_precision([0, 1, 7, 1], [0, 1, 2])
    0.75
    >>> in_target_precision([True, False, True, True], True)
    0.75
    """
    picked = np.asarray(selected_labels).ravel()
    wanted = np.unique(np.asarray(target_labels_or_flags).ravel())
    if wanted.size == 0:
        raise ValueError(
            "target_labels_or_flags is empty; pass the labels that occur in the target, or True for good flags."
        )
    if picked.size == 0:
        return math.nan
    return float(np.isin(picked, wanted).mean())


def classifier_accuracy(
    train_x: ArrayLike,
    train_y: ArrayLike,
    test_x: ArrayLike,
    test_y: ArrayLike,
    *,
    random_state=None,
) -> float:
    """Accuracy on ``(test_x, test_y)`` of a logistic regression trained on ``(train_x, train_y)``.

    Parameters
    ----------
    train_x : array-like of shape (n_train, d)
        The selected rows.
    train_y : array-like of shape (n_train,)
        Their labels.
    test_x : array-like of shape (n_test, d)
        Held-out target rows.
    test_y : array-like of shape (n_test,)
        Their labels.
    random_state : int, Generator or None, default=None
        Passed to the solver (lbfgs is deterministic; kept for the common interface).

    Returns
    -------
    float
        Share of test rows predicted right. A selection with a single label predicts that label.

    Notes
    -----
    Features are standardised on the training rows; the model is scikit-learn's
    ``LogisticRegression(C=1.0, max_iter=2000)``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [0.2], [1.0], [1.2]])
    >>> classifier_accuracy(x, [0, 0, 1, 1], np.array([[0.1], [1.1]]), [0, 1])
    1.0
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    train_x = as_matrix(train_x, "train_x")
    test_x = as_matrix(test_x, "test_x")
    check_same_dimension(train_x, "train_x", test_x, "test_x")
    train_y = np.asarray(train_y).ravel()
    test_y = np.asarray(test_y).ravel()
    if train_y.shape[0] != train_x.shape[0]:
        raise ValueError(
            f"train_y has {train_y.shape[0]} labels for {train_x.shape[0]} rows of train_x; give one label per row."
        )
    if test_y.shape[0] != test_x.shape[0]:
        raise ValueError(
            f"test_y has {test_y.shape[0]} labels for {test_x.shape[0]} rows of test_x; give one label per row."
        )
    classes = np.unique(train_y)
    if classes.size == 1:
        return float(np.mean(test_y == classes[0]))
    seed = int(check_random_state(random_state).integers(2**31 - 1))
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000, random_state=seed))
    model.fit(train_x, train_y)
    return float(np.mean(model.predict(test_x) == test_y))


def evaluate_selection(
    pool: ArrayLike,
    selected_indices: ArrayLike,
    heldout_target: ArrayLike,
    *,
    k: int = 5,
    pool_labels: ArrayLike | None = None,
    target_labels: ArrayLike | None = None,
    good_flags: ArrayLike | None = None,
    random_state=None,
) -> dict[str, float]:
    """Every metric that applies to one selection, against a held-out target sample.

    Parameters
    ----------
    pool : array-like of shape (n_pool, d)
    selected_indices : array-like of int, shape (n_selected,)
        Pool rows chosen (any order; repeats are used as given).
    heldout_target : array-like of shape (n_heldout, d)
        Target rows the method did not see; at least ``k + 1``.
    k : int, default=5
        Neighbour rank for ``kl`` and ``coverage``.
    pool_labels : array-like of shape (n_pool,), optional
        A class label per pool row. With ``target_labels``: ``accuracy``, and ``precision`` (share of
        picks whose label occurs in ``target_labels``) unless ``good_flags`` is given.
    target_labels : array-like of shape (n_heldout,), optional
        The held-out target rows' labels.
    good_flags : array-like of bool, shape (n_pool,), optional
        Which pool rows are good (for example clean rather than corrupted): ``precision`` is the
        share of good picks.
    random_state : int, Generator or None, default=None
        For the classifier.

    Returns
    -------
    dict
        ``n_selected`` and whichever of ``kl``, ``mmd2``, ``coverage``, ``precision``, ``accuracy``
        apply (see :data:`METRIC_DIRECTIONS`). ``kl`` is ``nan`` with fewer than ``k`` picks and
        ``mmd2`` with fewer than 2.

    Raises
    ------
    ValueError
        Indices out of range, label or flag arrays of the wrong length, dimension mismatch.

    Notes
    -----
    ``mmd2`` uses one bandwidth per target (the held-out target's median pairwise distance), so
    that selections compared on the same target are measured with the same kernel.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> pool, target = rng.normal(size=(100, 2)), rng.normal(size=(30, 2))
    >>> sorted(evaluate_selection(pool, np.arange(20), target))
    ['coverage', 'kl', 'mmd2', 'n_selected']
    """
    pool = as_matrix(pool, "pool")
    heldout_target = as_matrix(heldout_target, "heldout_target")
    check_same_dimension(pool, "pool", heldout_target, "heldout_target")
    k = check_int(k, "k", minimum=1)
    check_target_rows(heldout_target, k, "heldout_target")
    indices = np.asarray(selected_indices)
    if indices.size == 0:
        indices = indices.astype(np.int64)
    if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(
            f"selected_indices must be a 1-D array of integers; got dtype {indices.dtype} and shape {indices.shape}."
        )
    if indices.size and (indices.min() < 0 or indices.max() >= pool.shape[0]):
        raise ValueError(
            f"selected_indices must lie in [0, {pool.shape[0] - 1}] (pool rows); got values from "
            f"{indices.min()} to {indices.max()}."
        )
    selected = pool[indices]
    results: dict[str, float] = {"n_selected": float(indices.size)}
    results["kl"] = knn_kl(heldout_target, selected, k=k) if indices.size >= k else math.nan
    results["mmd2"] = (
        mmd2(heldout_target, selected, bandwidth=max(_median_distance(heldout_target), 1e-12))
        if indices.size >= 2
        else math.nan
    )
    results["coverage"] = coverage(heldout_target, selected, k=k)
    labels = _per_row(pool_labels, "pool_labels", pool.shape[0])
    flags = _per_row(good_flags, "good_flags", pool.shape[0])
    heldout_labels = _per_row(target_labels, "target_labels", heldout_target.shape[0])
    if flags is not None:
        results["precision"] = in_target_precision(flags[indices].astype(bool), True)
    elif labels is not None and heldout_labels is not None:
        results["precision"] = in_target_precision(labels[indices], heldout_labels)
    if labels is not None and heldout_labels is not None:
        results["accuracy"] = (
            classifier_accuracy(selected, labels[indices], heldout_target, heldout_labels, random_state=random_state)
            if indices.size
            else math.nan
        )
    return results


def _per_row(values: ArrayLike | None, name: str, n_rows: int) -> NDArray | None:
    if values is None:
        return None
    array = np.asarray(values).ravel()
    if array.shape[0] != n_rows:
        raise ValueError(f"{name} has {array.shape[0]} entries but there are {n_rows} rows; give one per row.")
    return array
