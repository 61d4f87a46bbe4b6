"""Sentence vectors pooled from the content model's pass and projected into MiniLM-L6's space."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from steward.errors import DetectorUnavailableError
from steward.models.classifier import ARTIFACTS_DIR, SharedEncodings, TextClassifier
from steward.models.embedder import default_embedder
from steward.models.onnx_runtime import file_sha256
from steward.models.piece_embedder import DEFAULT_PROJECTION, PieceEmbedder
from steward.models.sentences import embedding_pieces

PROJECTION_DIR = ARTIFACTS_DIR / DEFAULT_PROJECTION
SENTENCES = [
    "How do I bake sourdough bread at home?",
    "What are the side effects of ibuprofen?",
    "Write a poem about the sea at night.",
    "Which stocks should I buy to double my savings this year?",
    "How do I reset my router's admin password?",
    "Tell me about the causes of the First World War.",
]


@pytest.fixture(scope="module")
def embedder() -> PieceEmbedder:
    return PieceEmbedder.load()


def test_weights_match_their_model_card() -> None:
    card = json.loads((PROJECTION_DIR / "model_card.json").read_text())
    assert file_sha256(PROJECTION_DIR / card["weights_file"]) == card["weights_sha256"]
    assert card["encoder"] == TextClassifier.load().name
    assert card["held_out"]["cosine_mean"] > 0.7
    assert "data/topics_calibration" in card["training"]["never_used"]


def test_vectors_agree_with_the_sentence_encoder_they_replace(embedder: PieceEmbedder) -> None:
    student = embedder.embed(SENTENCES)
    teacher = default_embedder().embed(SENTENCES)
    assert np.allclose(np.linalg.norm(student, axis=1), 1.0, atol=1e-4)
    assert float(np.min(np.sum(student * teacher, axis=1))) > 0.6
    # Each sentence's nearest teacher vector is its own.
    assert list((student @ teacher.T).argmax(axis=1)) == list(range(len(SENTENCES)))


def test_paraphrases_are_closer_than_unrelated_sentences(embedder: PieceEmbedder) -> None:
    a, b, c = embedder.embed(
        [
            "How can I track my partner's phone without them knowing?",
            "Is there a way to secretly follow where my girlfriend's mobile is?",
            "What time does the bakery on the corner open?",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.2


def test_pieces_are_the_sentences_and_the_short_whole(embedder: PieceEmbedder) -> None:
    text = "I love hiking. Which boots are best for wet trails?"
    spans, vectors = embedder.embed_pieces(text)
    assert spans == embedding_pieces(text) == [(0, 14), (15, len(text)), (0, len(text))]
    assert vectors.shape == (3, embedder.dim)
    # A sentence read in context is close to the same sentence read alone.
    [alone] = embedder.embed(["Which boots are best for wet trails?"])
    assert float(vectors[1] @ alone) > 0.8


def test_empty_text_has_no_pieces(embedder: PieceEmbedder) -> None:
    spans, vectors = embedder.embed_pieces("  ... ")
    assert spans == [] and vectors.shape == (0, embedder.dim)
    assert embedder.embed([]).shape == (0, embedder.dim)


def test_reuses_the_content_models_pass(embedder: PieceEmbedder, monkeypatch: pytest.MonkeyPatch) -> None:
    text = "A prompt read first by the content filter. Then compared with the topics."
    classifier = TextClassifier.load()
    shared: SharedEncodings = {}  # the detection request's encodings
    classifier.score([text], shared=shared)
    monkeypatch.setattr(classifier, "_encode_uncached", lambda *a: pytest.fail("encoded twice"))
    spans, _ = embedder.embed_pieces(text, shared=shared)
    assert len(spans) == 3


def test_tampered_weights_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / DEFAULT_PROJECTION
    shutil.copytree(PROJECTION_DIR, copy)
    with (copy / "projection.onnx").open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(DetectorUnavailableError, match="sha256"):
        PieceEmbedder(copy, TextClassifier.load())


def test_projection_for_another_encoder_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / DEFAULT_PROJECTION
    shutil.copytree(PROJECTION_DIR, copy)
    card = json.loads((copy / "model_card.json").read_text())
    card["encoder"] = "some-other-model"
    (copy / "model_card.json").write_text(json.dumps(card))
    with pytest.raises(DetectorUnavailableError, match="distilled from some-other-model"):
        PieceEmbedder(copy, TextClassifier.load())


def test_works_with_sockets_disabled(no_sockets: None, embedder: PieceEmbedder) -> None:
    spans, vectors = embedder.embed_pieces("Will it rain in Lisbon tomorrow?")
    assert spans and vectors.shape[0] == len(spans)
