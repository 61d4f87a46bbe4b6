"""Run Steward's trained text classifier: calibrated scores per category, offline, on the CPU.

The model (trained by ``training/train.py``, exported by ``training/export.py``) is a small
fine-tuned encoder with one sigmoid per label (content categories and prompt attack). It
lives in ``artifacts/<name>/`` as an int8 ONNX file, the tokenizer, ``calibration.json``
(Platt parameters that turn each raw logit into a probability that means what
:func:`steward.assessment.confidence_for` expects) and ``model_card.json`` (data, metrics
and the sha256 the ONNX file must match).

Why windows: the model reads at most ``max_tokens`` word pieces, and a short window keeps a
harmful sentence from being diluted by benign neighbours. A long text is cut into
overlapping windows, every window of every text goes through one batched onnxruntime call,
and a text's score per label is the maximum over its windows — so an attack hidden at the
end of a long document counts as much as one at the start — with the window that scored
highest kept as the evidence span.

Only onnxruntime, tokenizers and numpy are needed at run time; never torch.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from steward.errors import DetectorUnavailableError
from steward.models.onnx_runtime import (
    DEFAULT_THREADS,
    TokenWindow,
    batched,
    load_tokenizer,
    make_session,
    token_windows,
    verify_sha256,
)

__all__ = ["ARTIFACTS_DIR", "DEFAULT_MODEL", "LabelScore", "TextClassifier", "TextScores"]

#: Where the committed model folders live.
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
#: The content/prompt-attack model shipped with Steward.
DEFAULT_MODEL = "guard-minilm-l3"
#: Word pieces per window (special tokens included). Shorter than the model's 128: a harmful
#: sentence inside a long benign text is diluted less by its neighbours in a short window
#: (measured on 40 insertions into 1,000-character prompts: 60% caught at 128 tokens, 95% at 64).
WINDOW_TOKENS = 64
#: Word pieces shared by neighbouring windows, so a phrase cut by a window edge is seen whole.
WINDOW_OVERLAP = 16
#: Windows per onnxruntime call: large enough to amortise the call, small enough for the cache.
BATCH_WINDOWS = 32

_LOAD_LOCK = threading.Lock()
_LOADED: dict[tuple[Path, int], TextClassifier] = {}


@dataclass(frozen=True, slots=True)
class LabelScore:
    """One label's calibrated probability and the character span of the window it came from."""

    score: float
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class TextScores:
    """Every label's score for one text (maximum over its windows)."""

    labels: dict[str, LabelScore]
    windows: int


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DetectorUnavailableError(f"model file {path} is missing")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DetectorUnavailableError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise DetectorUnavailableError(f"{path} must hold a JSON object")
    return data


class TextClassifier:
    """A loaded model: thread-safe scoring of texts in batched windows.

    Build it with :meth:`load` (one instance per model folder and thread count per process);
    the constructor reads and verifies the files eagerly.
    """

    def __init__(self, directory: Path, *, threads: int = DEFAULT_THREADS) -> None:
        self.directory = directory
        card = _read_json(directory / "model_card.json")
        calibration = _read_json(directory / "calibration.json")
        try:
            self.name = str(card["name"])
            onnx_file = directory / str(card["onnx_file"])
            expected = str(card["onnx_sha256"])
            self.labels: tuple[str, ...] = tuple(str(x) for x in calibration["labels"])
            params = calibration["params"]
            self._a = np.array([float(params[lab]["a"]) for lab in self.labels], dtype=np.float32)
            self._b = np.array([float(params[lab]["b"]) for lab in self.labels], dtype=np.float32)
            self.max_tokens = int(calibration["max_tokens"])
            #: Window length used at run time (at most what the model was trained on).
            self.window_tokens = min(WINDOW_TOKENS, self.max_tokens)
            self._marker = int(calibration["untrusted_token_id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DetectorUnavailableError(f"model files in {directory} are incomplete: {exc!r}") from exc
        verify_sha256(onnx_file, expected)
        self._session = make_session(onnx_file, threads=threads)
        self._tokenizer = load_tokenizer(directory / "tokenizer.json", max_tokens=self.max_tokens)
        # token_windows reconfigures the tokenizer while it works: one caller at a time.
        self._tok_lock = threading.Lock()

    @classmethod
    def load(cls, name: str = DEFAULT_MODEL, *, threads: int = DEFAULT_THREADS) -> TextClassifier:
        """The process-wide instance for the model folder ``name`` (loaded once, on first use)."""
        directory = ARTIFACTS_DIR / name
        key = (directory, threads)
        with _LOAD_LOCK:
            model = _LOADED.get(key)
            if model is None:
                if not directory.is_dir():
                    raise DetectorUnavailableError(
                        f"model {name!r} is not installed (no folder {directory}); "
                        "reinstall steward or run training/export.py"
                    )
                model = cls(directory, threads=threads)
                _LOADED[key] = model
            return model

    def _windows(self, text: str, untrusted: bool) -> list[TokenWindow]:
        # An untrusted text gets one extra token (the marker), so its windows are one shorter.
        size = self.window_tokens - 1 if untrusted else self.window_tokens
        with self._tok_lock:
            return token_windows(self._tokenizer, text, max_tokens=size, stride=WINDOW_OVERLAP)

    def _run(self, windows: Sequence[TokenWindow], untrusted: bool) -> npt.NDArray[np.float32]:
        """Calibrated probabilities, shape ``[len(windows), len(labels)]``."""
        extra = 1 if untrusted else 0
        width = max(int(np.sum(w.encoding.attention_mask)) for w in windows) + extra
        ids = np.zeros((len(windows), width), dtype=np.int64)
        mask = np.zeros((len(windows), width), dtype=np.int64)
        for row, window in enumerate(windows):
            tokens = [
                t for t, m in zip(window.encoding.ids, window.encoding.attention_mask, strict=True) if m
            ]
            if untrusted:
                tokens = [tokens[0], self._marker, *tokens[1:]]
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        logits = self._session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
        z = np.asarray(logits, dtype=np.float32) * self._a + self._b
        out: npt.NDArray[np.float32] = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
        return out

    def score(self, texts: Sequence[str], *, untrusted: bool = False) -> list[TextScores]:
        """Scores for each text; ``untrusted`` marks third-party content (indirect injection)."""
        owners: list[int] = []
        windows: list[TokenWindow] = []
        for i, text in enumerate(texts):
            for window in self._windows(text, untrusted):
                owners.append(i)
                windows.append(window)
        probs = np.zeros((len(windows), len(self.labels)), dtype=np.float32)
        # Windows of similar length share a batch, so padding stays small.
        order = sorted(range(len(windows)), key=lambda j: len(windows[j].encoding.ids))
        for chunk in batched(order, BATCH_WINDOWS):
            probs[list(chunk)] = self._run([windows[j] for j in chunk], untrusted)
        best: list[dict[str, LabelScore]] = [{} for _ in texts]
        counts = [0] * len(texts)
        for j, owner in enumerate(owners):
            counts[owner] += 1
            found = best[owner]
            for k, label in enumerate(self.labels):
                p = float(probs[j, k])
                if label not in found or p > found[label].score:
                    found[label] = LabelScore(p, windows[j].start, windows[j].end)
        return [TextScores(b, n) for b, n in zip(best, counts, strict=True)]
