"""Sentence vectors for the denied-topics check, from the content model's own encoder pass.

Why: comparing every sentence of a prompt with a policy's topics needs a sentence vector
per sentence. A separate sentence encoder (all-MiniLM-L6, 6 layers) read every sentence
again after the content model had already read the whole text, and cost about 15 ms on a
1,000-character prompt — twice the content model. Here the content model's token states
(embedding layer and its four layers, concatenated: 1,920 numbers per token) are averaged
over each sentence and mapped by a small network (one hidden layer, an ONNX graph run on one
onnxruntime thread) into the all-MiniLM-L6 sentence space. The network was distilled by
``training/distill_piece_vectors.py``: on sentences of permissively licensed text from
``../shared/data`` it learned to reproduce all-MiniLM-L6's vector of each sentence read
alone; its model card records the data, the agreement on held-out sentences and the
sha256 of the graph, checked on load.

The cost is about a millisecond per text when the content model has just read it (the
guard's shared encodings, :data:`~steward.models.classifier.SharedEncodings`, carried on the
detection request) and one content-model pass otherwise. Why onnxruntime and not a numpy matrix product: numpy's BLAS starts its own
threads for a product this size and leaves them spinning, and on two cores they took CPU
from the encoder (the guard's CPU time per prompt fell from 47 to 29 ms without them).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from steward.errors import DetectorUnavailableError
from steward.models.classifier import ARTIFACTS_DIR, SharedEncodings, TextClassifier
from steward.models.onnx_runtime import make_session, verify_sha256

__all__ = ["DEFAULT_PROJECTION", "PieceEmbedder"]

#: The projection shipped with Steward (a folder under ``steward/models/artifacts``).
DEFAULT_PROJECTION = "piece-projection"

_LOCK = threading.Lock()
_LOADED: dict[Path, PieceEmbedder] = {}


class PieceEmbedder:
    """Unit-length 384-dimensional vectors for the pieces of a text (sentences, short wholes)."""

    def __init__(self, directory: Path, classifier: TextClassifier) -> None:
        card_path = directory / "model_card.json"
        try:
            card: dict[str, Any] = json.loads(card_path.read_text(encoding="utf-8"))
            weights_file = directory / str(card["weights_file"])
            expected = str(card["weights_sha256"])
            encoder = str(card["encoder"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise DetectorUnavailableError(f"unusable model card {card_path}: {exc}") from exc
        if encoder != classifier.name:
            raise DetectorUnavailableError(
                f"projection {directory.name} was distilled from {encoder}, not {classifier.name}"
            )
        verify_sha256(weights_file, expected)
        self._session = make_session(weights_file, threads=1)
        self.dim = int(self._session.get_outputs()[0].shape[-1])
        self.name = f"{classifier.name}+{directory.name}"
        self._classifier = classifier

    @classmethod
    def load(
        cls, name: str = DEFAULT_PROJECTION, *, classifier: TextClassifier | None = None
    ) -> PieceEmbedder:
        """The process-wide instance for the projection folder ``name`` (loaded once)."""
        directory = ARTIFACTS_DIR / name
        with _LOCK:
            embedder = _LOADED.get(directory)
            if embedder is None:
                embedder = cls(directory, classifier or TextClassifier.load())
                _LOADED[directory] = embedder
            return embedder

    def project(self, pooled: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """Map pooled token states (``[n, 1920]``) to unit vectors in the sentence space."""
        vectors = self._session.run(["vectors"], {"pooled": np.ascontiguousarray(pooled, dtype=np.float32)})[
            0
        ]
        out: npt.NDArray[np.float32] = np.asarray(vectors, dtype=np.float32)
        return out

    def embed_pieces(
        self, text: str, *, untrusted: bool = False, shared: SharedEncodings | None = None
    ) -> tuple[list[tuple[int, int]], npt.NDArray[np.float32]]:
        """The pieces of ``text`` (:func:`~steward.models.sentences.embedding_pieces`) and their vectors;
        ``shared`` reuses the content model's pass over the same text (see :class:`TextClassifier`)."""
        [encoded] = self._classifier.encode([text], untrusted=untrusted, shared=shared)
        if not encoded.pieces:
            return [], np.zeros((0, self.dim), dtype=np.float32)
        return list(encoded.pieces), self.project(encoded.piece_states)

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One vector per text, each read whole (topic definitions and examples)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encoded = self._classifier.encode(texts)
        return self.project(np.vstack([e.whole_state for e in encoded]))
