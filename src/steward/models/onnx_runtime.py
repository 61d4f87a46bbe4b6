"""Shared plumbing for running small ONNX encoders on the CPU, offline.

Every learned detector needs the same four things, done the same way:

* an onnxruntime session with explicit threads (the guard runs beside a web server on a
  few cores; onnxruntime's default of one thread per core fights it) and sequential
  execution (these graphs are a straight line, the parallel executor only adds overhead);
* a ``tokenizers.Tokenizer`` whose padding and truncation are set explicitly — the
  all-MiniLM ``tokenizer.json`` carries fixed padding *and* truncation at 128 tokens, so
  trusting the file pads every short sentence to 128 tokens (slow) and silently drops
  the tail of long texts (blind);
* long texts cut into overlapping token windows whose character offsets are known, so a
  finding can point at the part of the text that triggered it;
* batching of many encodings into padded numpy arrays.

Nothing here touches the network: models and tokenizers are read from local files.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from steward.errors import DetectorUnavailableError
from steward.settings import model_threads

__all__ = [
    "TokenBatch",
    "TokenWindow",
    "batched",
    "encode_batch",
    "file_sha256",
    "load_tokenizer",
    "make_session",
    "token_windows",
    "verify_sha256",
]

T = TypeVar("T")

#: BERT-family padding token; its id is looked up in the tokenizer's vocabulary.
_PAD_TOKEN = "[PAD]"  # noqa: S105 - a vocabulary token, not a secret


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in chunks so large weights need little memory."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_sha256(path: Path, expected: str) -> None:
    """Refuse a model file whose hash differs from the one recorded in its model card.

    A swapped or truncated file would otherwise load and give quietly wrong scores.
    """
    if not path.is_file():
        raise DetectorUnavailableError(f"model file {path} is missing")
    actual = file_sha256(path)
    if actual != expected.lower():
        raise DetectorUnavailableError(
            f"model file {path} has sha256 {actual}, expected {expected}: reinstall the package "
            "that provides it or re-run its export script"
        )


def make_session(path: Path, *, threads: int | None = None, spin: bool = False) -> Any:
    """An onnxruntime CPU session for ``path`` with explicit, small thread counts.

    Worker threads do not spin-wait between operators unless ``spin`` is set: on a busy
    2-core machine spinning doubled the CPU time of a 128-token MiniLM-L6 pass (16.8 ms
    against 9.6 ms, two threads) and made it slower, not faster (wall p50 60 ms against 40).
    ``threads`` defaults to ``STEWARD_MODEL_THREADS`` (see :mod:`steward.settings`).
    Returns ``onnxruntime.InferenceSession`` (typed ``Any``: onnxruntime ships no stubs).
    """
    if threads is None:
        threads = model_threads()
    if threads < 1:
        raise ValueError(f"threads must be at least 1, not {threads}")
    try:
        import onnxruntime as ort
    except ImportError as exc:  # pragma: no cover - onnxruntime is a core dependency
        raise DetectorUnavailableError("onnxruntime is not installed: pip install onnxruntime") from exc
    if not path.is_file():
        raise DetectorUnavailableError(f"model file {path} is missing")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # errors only: keep model warnings out of application logs
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    try:
        return ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors
        raise DetectorUnavailableError(f"cannot load model {path}: {exc}") from exc


def load_tokenizer(path: Path, *, max_tokens: int) -> Any:
    """A ``tokenizers.Tokenizer`` from ``tokenizer.json`` with padding and truncation set here.

    Truncation is at ``max_tokens`` (the model's window, special tokens included); padding
    is to the longest encoding of a batch, never to a fixed length. Returns
    ``tokenizers.Tokenizer`` (typed ``Any``: no stubs).
    """
    if max_tokens < 8:
        raise ValueError(f"max_tokens must be at least 8, not {max_tokens}")
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:  # pragma: no cover - tokenizers is a core dependency
        raise DetectorUnavailableError("tokenizers is not installed: pip install tokenizers") from exc
    if not path.is_file():
        raise DetectorUnavailableError(f"tokenizer file {path} is missing")
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises plain Exception subclasses from Rust
        raise DetectorUnavailableError(f"cannot load tokenizer {path}: {exc}") from exc
    tokenizer.enable_truncation(max_length=max_tokens)
    pad_id = tokenizer.token_to_id(_PAD_TOKEN)
    tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token=_PAD_TOKEN, length=None)
    return tokenizer


@dataclass(frozen=True, slots=True)
class TokenBatch:
    """Padded model inputs for a batch of encodings (int64, shape ``[batch, tokens]``)."""

    input_ids: npt.NDArray[np.int64]
    attention_mask: npt.NDArray[np.int64]
    token_type_ids: npt.NDArray[np.int64]

    def feeds(self, input_names: Sequence[str]) -> dict[str, npt.NDArray[np.int64]]:
        """The subset of inputs a session asks for, by its input names."""
        available = {
            "input_ids": self.input_ids,
            "attention_mask": self.attention_mask,
            "token_type_ids": self.token_type_ids,
        }
        missing = [name for name in input_names if name not in available]
        if missing:
            raise DetectorUnavailableError(f"model expects unknown inputs {missing}")
        return {name: available[name] for name in input_names}


def encode_batch(encodings: Sequence[Any]) -> TokenBatch:
    """Pad ``tokenizers.Encoding`` objects (of any lengths) into one :class:`TokenBatch`."""
    if not encodings:
        raise ValueError("encode_batch needs at least one encoding")
    width = max(len(enc.ids) for enc in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    types = np.zeros((len(encodings), width), dtype=np.int64)
    for row, enc in enumerate(encodings):
        n = len(enc.ids)
        ids[row, :n] = enc.ids
        mask[row, :n] = enc.attention_mask
        types[row, :n] = enc.type_ids
    return TokenBatch(ids, mask, types)


@dataclass(frozen=True, slots=True)
class TokenWindow:
    """One overlapping slice of a long text, ready for the model.

    ``start``/``end`` are character offsets into the original text covering the window's
    tokens, so a score for the window can be reported against the text itself.
    """

    start: int
    end: int
    encoding: Any


def token_windows(tokenizer: Any, text: str, *, max_tokens: int, stride: int) -> list[TokenWindow]:
    """Cut ``text`` into windows of at most ``max_tokens`` tokens overlapping by ``stride``.

    Uses the tokenizer's own overflow mechanism, so windows never split a word piece and
    every window carries its special tokens. ``tokenizer`` itself is never modified (other
    threads may be using it): the windows come from a private copy configured for
    ``max_tokens``/``stride``, made once and reused. A text that fits yields one window.
    """
    if not 0 <= stride < max_tokens - 2:
        raise ValueError(f"stride must be in [0, {max_tokens - 2}), not {stride}")
    first = _windowing_copy(tokenizer, max_tokens, stride).encode(text)
    windows: list[TokenWindow] = []
    for enc in [first, *first.overflowing]:
        spans = [
            (s, e)
            for (s, e), special in zip(enc.offsets, enc.special_tokens_mask, strict=True)
            if not special and e > s
        ]
        if spans:
            windows.append(TokenWindow(spans[0][0], spans[-1][1], enc))
    if not windows:
        windows.append(TokenWindow(0, len(text), first))
    return windows


_WINDOWING_COPIES: dict[tuple[int, int, int], tuple[Any, Any]] = {}
_WINDOWING_LOCK = threading.Lock()


def _windowing_copy(tokenizer: Any, max_tokens: int, stride: int) -> Any:
    """A copy of ``tokenizer`` that truncates with overflow windows and never pads."""
    key = (id(tokenizer), max_tokens, stride)
    with _WINDOWING_LOCK:
        cached = _WINDOWING_COPIES.get(key)
        # The original is kept in the entry so its id cannot be reused by another object.
        if cached is not None and cached[0] is tokenizer:
            return cached[1]
        from tokenizers import Tokenizer

        copy = Tokenizer.from_str(tokenizer.to_str())
        copy.no_padding()
        copy.enable_truncation(max_length=max_tokens, stride=stride)
        _WINDOWING_COPIES[key] = (tokenizer, copy)
        return copy


def batched(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of ``items`` of at most ``size`` elements."""
    if size < 1:
        raise ValueError(f"batch size must be at least 1, not {size}")
    for i in range(0, len(items), size):
        yield items[i : i + size]
