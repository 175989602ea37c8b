"""DSIRSelector: importance weights by hand, distinct rows at the budget, seeded resampling, refused inputs."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from gio_core.methods.dsir import TEXT_METHODS, DSIRSelector, hashed_ngram_counts

from .selection_checks import assert_distinct_at_budget, assert_seed_decides

CATS = [
    "the cat sat on the warm mat and the cat purred",
    "a small cat chased the cat toy across the mat",
    "my cat naps on the mat while the other cat watches",
]
MONEY = [
    "bond yields rose as the central bank raised rates",
    "stocks fell sharply after weak quarterly earnings",
    "investors sold shares and bought government bonds",
]


def _pool(copies=10):
    return [text for _ in range(copies) for text in CATS + MONEY]


def test_hashed_counts_count_unigrams_and_bigrams():
    counts = hashed_ngram_counts(["A b a", "b"], n_buckets=1000)
    assert counts.shape == (2, 1000)
    assert counts[0].sum() == 5  # a, b, a; "a b", "b a" (lower-cased)
    assert counts[1].sum() == 1
    assert hashed_ngram_counts(["a b a"], n_buckets=1000, max_ngram=1).sum() == 3


def test_importance_weights_by_hand():
    # the formula written out with dense counts: log w_i = sum_b z_ib (log g_target_b - log g_pool_b), where
    # g_b = (count_b + 1) / sum(count + 1) (Laplace's rule)
    pool, target = _pool(2), ["the cat sat", "a cat napped", "the mat"]
    selector = DSIRSelector(n_select=3, n_buckets=500, smoothing=1.0, random_state=0).fit(pool, target)
    pool_z = hashed_ngram_counts(pool, n_buckets=500).toarray()
    target_z = hashed_ngram_counts(target, n_buckets=500).toarray()
    g_pool = (pool_z.sum(axis=0) + 1.0) / (pool_z.sum() + 500)
    g_target = (target_z.sum(axis=0) + 1.0) / (target_z.sum() + 500)
    expected = [sum(z[b] * (np.log(g_target[b]) - np.log(g_pool[b])) for b in range(500)) for z in pool_z]
    assert_allclose(selector.log_importance_weights_, expected, rtol=1e-10)


def test_texts_like_the_target_are_the_ones_resampled():
    pool = _pool()
    target = ["the cat and the mat", "a cat on a mat", "the cat purred", "my cat sat on the mat"]
    selector = DSIRSelector(n_select=30, random_state=0).fit(pool, target)
    picked = [pool[row] for row in selector.selected_indices_]
    assert all(text in CATS for text in picked)


@pytest.mark.parametrize("n_select", [1, 7, 59], ids=["one", "some", "all-but-one"])
def test_distinct_rows_at_exactly_the_budget(n_select):
    pool = _pool()
    selector = DSIRSelector(n_select=n_select, random_state=0).fit(pool, CATS)
    assert_distinct_at_budget(selector, n_select, len(pool))
    assert np.isnan(selector.kl_curve_).all() and selector.kl_curve_.shape == (n_select,)


def test_a_budget_larger_than_the_pool_takes_every_text_once():
    selector = DSIRSelector(n_select=100, random_state=0).fit(_pool(1), CATS)
    assert sorted(selector.selected_indices_.tolist()) == list(range(6))
    assert selector.stop_reason_ == "pool_exhausted"


def test_same_seed_same_picks_other_seed_other_picks():
    pool = ["the same text"] * 50  # equal weights: the draw is uniform, so only the seed decides
    assert_seed_decides(lambda seed: DSIRSelector(n_select=10, random_state=seed), (pool, CATS), 1, 2)


def test_resampling_follows_the_importance_weights_not_a_top_k():
    # two texts whose weights differ by a factor e^1 (one extra bucket in log-ratio units is data dependent,
    # so read the weights back): the first pick lands on each in proportion to its weight
    pool, target = ["cat", "dog"], ["cat", "cat", "dog"]
    weights = np.exp(DSIRSelector(n_select=1, random_state=0).fit(pool, target).log_importance_weights_)
    firsts = [
        DSIRSelector(n_select=1, random_state=seed).fit(pool, target).selected_indices_[0] for seed in range(2000)
    ]
    assert_allclose(np.mean(np.asarray(firsts) == 0), weights[0] / weights.sum(), atol=0.04)
    assert 0.5 < weights[0] / weights.sum() < 0.9  # not a coin flip, not a certainty: the test can see both


def test_vectors_give_a_kl_curve():
    rng = np.random.default_rng(0)
    pool, target = _pool(), CATS * 3
    pool_vectors, target_vectors = rng.normal(size=(len(pool), 3)), rng.normal(size=(len(target), 3))
    selector = DSIRSelector(n_select=12, random_state=0).fit(
        pool, target, pool_vectors=pool_vectors, target_vectors=target_vectors
    )
    assert np.isnan(selector.kl_curve_[:4]).all() and np.isfinite(selector.kl_curve_[4:]).all()


def test_the_text_methods_registry_binds_the_texts():
    rng = np.random.default_rng(0)
    pool = _pool()
    estimator = TEXT_METHODS["DSIR"](5, 3, pool_texts=pool, target_texts=CATS * 2)
    fitted = estimator.fit(rng.normal(size=(len(pool), 2)), rng.normal(size=(6, 2)))
    assert isinstance(fitted, DSIRSelector) and fitted.random_state == 3
    assert fitted.selected_indices_.shape == (5,)
    assert np.isfinite(fitted.kl_curve_[-1])


@pytest.mark.parametrize(
    "pool, target, kwargs, error, match",
    [
        ("just one string", CATS, {}, TypeError, r"pool is a single str; pass a list of strings"),
        (CATS + [None], CATS, {}, TypeError, r"pool has 1 entry that are not strings \(the first at row 3: None"),
        (CATS, [], {}, ValueError, r"target is empty; pass at least one text"),
        (CATS, None, {}, TypeError, r"target is None; pass a list of strings"),
        (CATS, CATS, {"init": ["x"]}, ValueError, r"init is not used by DSIR.*leave it as None"),
        (CATS, CATS, {"pool_vectors": np.zeros((3, 2))}, ValueError, r"pass both pool_vectors and target_vectors"),
        (
            CATS,
            CATS,
            {"pool_vectors": np.zeros((2, 2)), "target_vectors": np.zeros((3, 2))},
            ValueError,
            r"pool_vectors has 2 rows but there are 3 texts",
        ),
        (
            CATS,
            CATS,
            {"pool_vectors": np.zeros((3, 2)), "target_vectors": np.zeros((3, 4))},
            ValueError,
            r"pool_vectors has 2 dimensions but target_vectors has 4",
        ),
        (
            CATS,
            CATS,
            {"pool_vectors": np.zeros((3, 2)), "target_vectors": np.zeros((3, 2))},
            ValueError,
            r"target_vectors has 3 rows; k=5 needs at least k\+1=6 rows",
        ),
    ],
    ids=[
        "pool-string",
        "pool-none-entry",
        "target-empty",
        "target-none",
        "init-given",
        "one-vector-set",
        "vector-rows",
        "vector-dimensions",
        "too-few-target-vectors",
    ],
)
def test_bad_inputs_are_refused_with_a_message(pool, target, kwargs, error, match):
    with pytest.raises(error, match=match):
        DSIRSelector(n_select=2).fit(pool, target, **kwargs)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"n_buckets": 0}, ValueError, r"n_buckets must be at least 1; got 0"),
        ({"max_ngram": 0}, ValueError, r"max_ngram must be at least 1; got 0"),
        ({"smoothing": 0.0}, ValueError, r"smoothing must be greater than 0.0; got 0.0"),
        ({"smoothing": "one"}, TypeError, r"smoothing must be a number; got 'one'"),
        ({"n_select": 0}, ValueError, r"n_select must be at least 1; got 0"),
    ],
    ids=["buckets-zero", "ngram-zero", "smoothing-zero", "smoothing-text", "budget-zero"],
)
def test_bad_parameters_are_refused_with_a_message(params, error, match):
    with pytest.raises(error, match=match):
        DSIRSelector(**params).fit(CATS, CATS)
