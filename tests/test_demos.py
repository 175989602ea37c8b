"""The bundled demos: offline, seeded, read like uploads, and the tasks they claim."""

import numpy as np
import pytest

from gio_core.io.demos import DEMOS, available_demos, load_demo, text_assets_folder
from gio_core.io.vectors import prepare_vectors


def test_at_least_three_demos_are_available_offline():
    keys = available_demos()
    assert {"clusters-2d", "gaussian-2d", "digits-subset", "digits-quality", "fashion-mnist"} <= set(keys)
    assert keys[0] == "clusters-2d"  # the app opens on the first


@pytest.mark.parametrize("key", available_demos(), ids=str)
def test_demo_prepares_vectors_and_labels(key):
    demo = load_demo(key)
    prepared = prepare_vectors(demo.pool, demo.target, **demo.vectors)
    assert prepared.pool.shape[0] == demo.pool.n_rows
    assert prepared.target.shape[0] == demo.target.n_rows
    assert prepared.pool.shape[1] == prepared.target.shape[1]
    assert demo.info.key == key and demo.info.title == DEMOS[key].title
    if demo.label_column is not None:
        assert demo.label_column in demo.pool.columns and demo.label_column in demo.target.columns
        # a label must never be a vector dimension
        assert demo.label_column not in demo.vectors.get("columns", [])


@pytest.mark.parametrize(
    "key", ["clusters-2d", "gaussian-2d", "digits-subset", "digits-quality", "fashion-mnist"], ids=str
)
def test_same_seed_gives_same_files(key):
    assert load_demo(key, random_state=3).pool.sha256 == load_demo(key, random_state=3).pool.sha256
    assert load_demo(key, random_state=3).pool.sha256 != load_demo(key, random_state=4).pool.sha256


def test_gaussian_target_and_pool_share_one_distribution():
    demo = load_demo("gaussian-2d")
    pool = demo.pool.frame[["x", "y"]].to_numpy()
    target = demo.target.frame[["x", "y"]].to_numpy()
    np.testing.assert_allclose(pool.mean(axis=0), target.mean(axis=0), atol=0.25)
    np.testing.assert_allclose(np.cov(pool.T), np.cov(target.T), atol=0.3)


def test_digits_subset_target_holds_three_classes_and_is_held_out():
    demo = load_demo("digits-subset")
    assert set(demo.target.frame["label"]) == set(demo.good_labels) == {0, 3, 7}
    assert set(demo.pool.frame["label"]) == set(range(10))
    assert demo.pool.n_rows + demo.target.n_rows == 1797
    assert not set(demo.pool.frame["id"]) & set(demo.target.frame["id"])


def test_digits_quality_pool_is_half_corrupted_and_target_clean():
    demo = load_demo("digits-quality")
    assert set(demo.target.frame["is_clean"]) == {1}
    share_clean = demo.pool.frame["is_clean"].mean()
    assert 0.45 < share_clean < 0.55
    pixels = demo.vectors["columns"]
    clean = demo.pool.frame.loc[demo.pool.frame["is_clean"] == 1, pixels].to_numpy()
    noisy = demo.pool.frame.loc[demo.pool.frame["is_clean"] == 0, pixels].to_numpy()
    # noise fills the digits' blank border pixels, which clean images leave at 0
    assert (noisy[:, 0] > 0).mean() > 0.2 > (clean[:, 0] > 0).mean()


@pytest.mark.skipif(text_assets_folder() is None, reason="assets/text is not built here")
def test_text_demo_uses_precomputed_minilm_vectors():
    demo = load_demo("text-spelling")
    prepared = prepare_vectors(demo.pool, demo.target, **demo.vectors)
    assert prepared.dimensions == 384
    assert set(demo.target.frame["is_clean"]) == {1}
    assert set(demo.pool.frame["is_clean"]) == {0, 1}


def test_unknown_demo_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="demo 'nope' is not known; choose one of clusters-2d"):
        load_demo("nope")


def test_opening_demo_target_is_three_of_the_five_pool_clusters_with_a_budget():
    demo = load_demo("clusters-2d")
    assert demo.pool.frame["cluster"].value_counts().to_dict() == dict.fromkeys("ABCDE", 400)
    assert demo.target.frame["cluster"].value_counts().to_dict() == {"A": 90, "C": 60, "D": 50}
    assert demo.params == {"stop_criterion": "data_size", "max_iter": 80}


def test_opening_demo_run_covers_every_target_cluster_and_the_kl_falls():
    from gio_core import GIOSelector

    demo = load_demo("clusters-2d")
    prepared = prepare_vectors(demo.pool, demo.target, **demo.vectors)
    selector = GIOSelector(**demo.params, random_state=0).fit(prepared.pool, prepared.target)
    clusters = demo.pool.frame["cluster"].to_numpy()[selector.selected_indices_]
    shares = {name: float(np.mean(clusters == name)) for name in "ABCDE"}
    assert shares["B"] == shares["E"] == 0.0, shares
    assert min(shares["A"], shares["C"], shares["D"]) > 0.15, shares
    assert selector.kl_curve_[-1] < selector.kl_curve_[4] - 1.0  # from the first defined KL (pick k=5)


def test_fashion_demo_target_is_footwear_held_out_with_images_and_quantised():
    from gio_core.io.demos import FASHION_TARGET_CLASSES

    demo = load_demo("fashion-mnist")
    assert set(demo.target.frame["label"]) <= set(FASHION_TARGET_CLASSES) == set(demo.good_labels)
    assert demo.pool.frame["label"].nunique() == 10
    assert demo.pool.n_rows + demo.target.n_rows == 4_000
    assert not set(demo.pool.frame["id"]) & set(demo.target.frame["id"])
    assert demo.pool_images.shape == (demo.pool.n_rows, 28, 28) and demo.pool_images.dtype == np.uint8
    assert demo.target_images.shape == (demo.target.n_rows, 28, 28)
    assert len(demo.vectors["columns"]) == 32 and demo.params["n_clusters"] == 200


def test_pixel_pca_scores_are_uncorrelated_and_ordered_by_variance(rng):
    from gio_core.io.demos import pixel_pca

    images = rng.integers(0, 256, size=(300, 6, 6)).astype(np.uint8)
    scores = pixel_pca(images, 5)
    assert scores.shape == (300, 5)
    covariance = np.cov(scores.T)
    np.testing.assert_allclose(covariance - np.diag(np.diag(covariance)), 0.0, atol=1e-10)
    assert np.all(np.diff(np.diag(covariance)) <= 1e-12)
