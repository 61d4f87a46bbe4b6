"""The shipped sentence embedder and the shared ONNX helpers, on real text."""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from steward.errors import DetectorUnavailableError
from steward.models.embedder import DEFAULT_MODEL_DIR, SentenceEmbedder, default_embedder
from steward.models.onnx_runtime import batched, encode_batch, file_sha256, token_windows


def test_artifacts_match_their_model_card() -> None:
    card = json.loads((DEFAULT_MODEL_DIR / "model_card.json").read_text())
    assert card["licence"].startswith("Apache-2.0")
    assert set(card["files"]) == {"model.onnx", "tokenizer.json"}
    for name, meta in card["files"].items():
        path = DEFAULT_MODEL_DIR / name
        assert file_sha256(path) == meta["sha256"]
        assert path.stat().st_size == meta["bytes"]


def test_paraphrases_are_closer_than_unrelated_sentences() -> None:
    vectors = default_embedder().embed(
        [
            "How can I secretly track my ex-girlfriend's phone location?",
            "Is there an app to follow where my former partner goes without her knowing?",
            "What time does the public library open on Sundays?",
        ]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    sims = vectors @ vectors.T
    assert sims[0, 1] > 0.5
    assert sims[0, 1] > sims[0, 2] + 0.3


def test_a_text_embeds_the_same_alone_or_with_others() -> None:
    embedder = SentenceEmbedder(DEFAULT_MODEL_DIR)
    texts = ["short one", "a noticeably longer sentence about quarterly revenue growth in Europe", ""]
    together = embedder.embed(texts)
    fresh = SentenceEmbedder(DEFAULT_MODEL_DIR)
    alone = np.vstack([fresh.embed([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-6)
    # A repeated text is served from the cache with exactly the same vector.
    assert np.array_equal(embedder.embed(["short one"])[0], together[0])


def test_long_text_is_truncated_not_rejected() -> None:
    embedder = default_embedder()
    long_text = "word " * 2000
    assert len(embedder.tokenizer.encode(long_text).ids) == embedder.max_tokens
    assert embedder.embed([long_text]).shape == (1, embedder.dim)


def test_tokenizer_pads_to_the_batch_not_to_a_fixed_length() -> None:
    tokenizer = default_embedder().tokenizer
    encodings = tokenizer.encode_batch(["hi", "hello there my friend"])
    assert {len(e.ids) for e in encodings} == {6}
    batch = encode_batch(encodings)
    assert batch.input_ids.shape == (2, 6)
    assert batch.attention_mask[0].tolist() == [1, 1, 1, 0, 0, 0]


def test_damaged_model_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(DEFAULT_MODEL_DIR, copy)
    with (copy / "tokenizer.json").open("a") as fh:
        fh.write(" ")
    with pytest.raises(DetectorUnavailableError, match="sha256"):
        SentenceEmbedder(copy)


def test_missing_model_card_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DetectorUnavailableError, match="model card"):
        SentenceEmbedder(tmp_path)


def test_token_windows_overlap_and_map_back_to_the_text() -> None:
    tokenizer = default_embedder().tokenizer
    text = " ".join(f"Sentence number {i} talks about topic {i}." for i in range(60))
    windows = token_windows(tokenizer, text, max_tokens=64, stride=16)
    assert len(windows) > 3
    assert windows[0].start == 0
    assert windows[-1].end == len(text)
    for before, after in itertools.pairwise(windows):
        assert after.start < before.end  # overlapping
        assert after.start > before.start
    for window in windows:
        assert len(window.encoding.ids) <= 64
        assert text[window.start : window.end].split()[0] in text
        assert not text[window.start].isspace()
    # The caller's tokenizer keeps its own settings.
    assert tokenizer.truncation["max_length"] == 128
    assert tokenizer.truncation["stride"] == 0


def test_short_text_is_one_window() -> None:
    tokenizer = default_embedder().tokenizer
    windows = token_windows(tokenizer, "Just one sentence.", max_tokens=64, stride=16)
    assert [(w.start, w.end) for w in windows] == [(0, 18)]


def test_batched_slices() -> None:
    assert [list(b) for b in batched([1, 2, 3, 4, 5], 2)] == [[1, 2], [3, 4], [5]]
    with pytest.raises(ValueError, match="batch size"):
        list(batched([1], 0))


def test_embedder_needs_no_network(no_sockets: None) -> None:
    vectors = SentenceEmbedder(DEFAULT_MODEL_DIR).embed(["offline embedding works"])
    assert vectors.shape == (1, 384)


def test_cache_size_comes_from_the_environment_and_zero_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from steward.errors import InputError

    monkeypatch.setenv("STEWARD_EMBEDDING_CACHE", "0")
    uncached = SentenceEmbedder(DEFAULT_MODEL_DIR)
    first = uncached.embed(["The committee met on Tuesday."])
    again = uncached.embed(["The committee met on Tuesday."])
    assert np.allclose(first, again)
    assert len(uncached._cache) == 0
    monkeypatch.setenv("STEWARD_EMBEDDING_CACHE", "2")
    small = SentenceEmbedder(DEFAULT_MODEL_DIR)
    small.embed(["one sentence.", "another sentence.", "a third sentence."])
    assert small._cache.keys() == ["another sentence.", "a third sentence."]
    monkeypatch.setenv("STEWARD_EMBEDDING_CACHE", "lots")
    with pytest.raises(InputError, match="STEWARD_EMBEDDING_CACHE"):
        SentenceEmbedder(DEFAULT_MODEL_DIR)


def test_pieces_are_embedded_alone() -> None:
    embedder = default_embedder()
    text = "I love hiking. Which boots are best for wet trails?"
    spans, vectors = embedder.embed_pieces(text)
    assert spans == [(0, 14), (15, len(text)), (0, len(text))]
    assert np.allclose(vectors, embedder.embed([text[s:e] for s, e in spans]))
