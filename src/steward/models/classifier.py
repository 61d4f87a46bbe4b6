"""Run Steward's trained text classifier: calibrated scores per category, offline, on the CPU.

The model (trained by ``training/train.py``, exported by ``training/export.py``) is a small
fine-tuned encoder with one sigmoid per label (content categories and prompt attack). It
lives in ``artifacts/<name>/`` as an int8 ONNX file, the tokenizer, ``calibration.json``
(Platt parameters that turn each raw logit into a probability that means what
:func:`steward.assessment.confidence_for` expects) and ``model_card.json`` (data, metrics
and the sha256 the ONNX file must match).

Why windows: the model reads at most ``max_tokens`` word pieces, and a short window keeps a
harmful sentence from being diluted by benign neighbours. A long text is cut into
overlapping windows, each window goes through onnxruntime on its own (see below), and a
text's raw logit per label is the maximum over its windows — so an attack hidden at
the end of a long document counts as much as one at the start — with the window that scored
highest kept as the evidence span.

Why the score is calibrated per *document*, not per window: a maximum over many windows
rises with their number even when every window is ordinary, so thresholding each window as
if it were a whole text made long benign documents far more suspect than short ones
(issue 14: 6% of benign texts under 200 characters blocked as attacks, 78% over 2,000).
The model is trained on the same maximum (``training/train.py``), and ``calibration.json``
turns it into a probability with the number of windows as a second input:
``p = sigmoid(a * max_logit + b + c * ln(windows))`` (``c`` is 0 or negative, fitted with
the same class prior in every length bucket, so length alone never raises a score).

The same pass also yields every token's hidden states (the ONNX output ``token_states``).
Given the request's ``shared`` encodings (the guard makes one per call and passes it on the
detection request) :meth:`TextClassifier.encode` keeps them per text, so the denied-topics
check pools them per sentence
(:mod:`steward.models.piece_embedder`) instead of running a second encoder over the same
text: on a 1,000-character prompt that second encoder cost about 15 ms, twice the content
model itself. Nothing is kept across calls: a repeated prompt costs what a new one does.

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
    TokenWindow,
    load_tokenizer,
    make_session,
    token_windows,
    verify_sha256,
)
from steward.models.sentences import embedding_pieces
from steward.settings import model_threads

__all__ = [
    "ARTIFACTS_DIR",
    "DEFAULT_MODEL",
    "EncodedText",
    "LabelScore",
    "SharedEncodings",
    "TextClassifier",
    "TextScores",
]

#: Where the committed model folders live.
ARTIFACTS_DIR = Path(__file__).resolve().parent / "artifacts"
#: The content/prompt-attack model shipped with Steward.
DEFAULT_MODEL = "guard-minilm-l4"
#: Word pieces per window (special tokens included). Shorter than the model's 128: a harmful
#: sentence inside a long benign text is diluted less by its neighbours in a short window
#: (measured on 40 insertions into 1,000-character prompts: 60% caught at 128 tokens, 95% at 64).
WINDOW_TOKENS = 64
#: Word pieces shared by neighbouring windows, so a phrase cut by a window edge is seen whole.
WINDOW_OVERLAP = 16
#: The ONNX output with every layer's token states (see ``training/export.py``).
TOKEN_STATES = "token_states"  # noqa: S105 - an ONNX output name, not a secret

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


@dataclass(frozen=True, slots=True)
class _WindowStates:
    """One window's token states (``[tokens, dims]``, one row per model position) and, per row,
    the character span of its token; rows that are no token of the text (special tokens, the
    untrusted marker, padding) have the span ``(-1, -1)`` so that no span contains them."""

    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    states: npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class EncodedText:
    """A text after one encoder pass: label scores, and mean token states of its pieces.

    ``pieces`` are :func:`~steward.models.sentences.embedding_pieces` of the text and
    ``piece_states`` their mean token states (every layer, concatenated: ``[pieces, 1920]``);
    ``whole_state`` is the mean over the whole text. Only these means are kept, never the
    per-token states: at the 200,000-character limit those would take about 400 MB.
    """

    scores: TextScores
    pieces: list[tuple[int, int]]
    piece_states: npt.NDArray[np.float32]
    whole_state: npt.NDArray[np.float32]


#: Texts encoded once for every detector of one guard call, by (model, text, untrusted): the
#: guard puts a fresh one on each :class:`~steward.detectors.base.DetectionRequest`.
SharedEncodings = dict[tuple[str, str, bool], EncodedText]


class _SpanPool:
    """Running sums of token states per span, fed one window at a time (so a long text's
    windows can be dropped as soon as they are read).

    A token counts when it lies wholly inside the span; tokens that two overlapping windows
    share count once from each (they carry each window's context).
    """

    def __init__(self, spans: Sequence[tuple[int, int]], dims: int) -> None:
        self._lo = np.array([s for s, _ in spans], dtype=np.int64)
        self._hi = np.array([e for _, e in spans], dtype=np.int64)
        self._sums = np.zeros((len(spans), dims), dtype=np.float32)
        self._counts = np.zeros(len(spans), dtype=np.float32)

    def add(self, window: _WindowStates) -> None:
        """Add the tokens of ``window`` that lie inside each span."""
        # Token offsets rise along the rows, so the tokens inside a span are one slice of
        # rows; rows that are no token repeat the last offset and add zeros. (Summing a
        # slice is fast; a matrix product would start BLAS threads that then compete
        # with onnxruntime's, and a running sum down the rows is 20 times slower.)
        real = window.ends > window.starts
        rising_starts = np.maximum.accumulate(np.where(real, window.starts, -1))
        rising_ends = np.maximum.accumulate(np.where(real, window.ends, -1))
        first = np.searchsorted(rising_starts, self._lo, side="left")  # first row starting at or after lo
        stop = np.searchsorted(rising_ends, self._hi, side="right")  # rows before it end at or before hi
        for row in np.flatnonzero(stop > first):
            a, b = int(first[row]), int(stop[row])
            inside = real[a:b]
            self._sums[row] += window.states[a:b][inside].sum(axis=0)
            self._counts[row] += int(inside.sum())

    def means(self) -> npt.NDArray[np.float32]:
        """Mean state per span (zeros for a span without tokens)."""
        means: npt.NDArray[np.float32] = (self._sums / np.maximum(self._counts, 1.0)[:, None]).astype(
            np.float32
        )
        return means


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
    """A loaded model: thread-safe scoring of texts, window by window.

    Build it with :meth:`load` (one instance per model folder and thread count per process);
    the constructor reads and verifies the files eagerly.
    """

    def __init__(self, directory: Path, *, threads: int | None = None) -> None:
        self.directory = directory
        card = _read_json(directory / "model_card.json")
        calibration = _read_json(directory / "calibration.json")
        try:
            self.name = str(card["name"])
            onnx_file = directory / str(card["onnx_file"])
            expected = str(card["onnx_sha256"])
            self.labels: tuple[str, ...] = tuple(str(x) for x in calibration["labels"])
            params = calibration["params"]
            #: Per reading (the user's own text, marked third-party text), the curve's a, b, c per
            #: label; c weighs ln(windows): how the maximum's drift with length is undone.
            self._curves = {
                untrusted: tuple(
                    np.array([float(chosen[lab].get(key, 0.0)) for lab in self.labels], dtype=np.float32)
                    for key in ("a", "b", "c")
                )
                for untrusted, chosen in (
                    (False, params),
                    (True, calibration.get("params_untrusted", params)),
                )
            }
            self.max_tokens = int(calibration["max_tokens"])
            #: Window length used at run time (at most what the model was trained on).
            self.window_tokens = min(WINDOW_TOKENS, self.max_tokens)
            self._marker = int(calibration["untrusted_token_id"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DetectorUnavailableError(f"model files in {directory} are incomplete: {exc!r}") from exc
        verify_sha256(onnx_file, expected)
        self._session = make_session(onnx_file, threads=threads)
        outputs = {o.name: o for o in self._session.get_outputs()}
        if TOKEN_STATES not in outputs:
            raise DetectorUnavailableError(
                f"model {onnx_file} has no {TOKEN_STATES!r} output: "
                "run python training/export.py --token-states-only"
            )
        dims = outputs[TOKEN_STATES].shape[-1]
        if not isinstance(dims, int):
            raise DetectorUnavailableError(f"model {onnx_file}: {TOKEN_STATES!r} has no fixed width")
        #: Numbers per token in ``token_states`` (384 per layer, embedding layer included).
        self.state_dims = dims
        self._tokenizer = load_tokenizer(directory / "tokenizer.json", max_tokens=self.max_tokens)
        # token_windows reconfigures the tokenizer while it works: one caller at a time.
        self._tok_lock = threading.Lock()

    @classmethod
    def load(cls, name: str = DEFAULT_MODEL, *, threads: int | None = None) -> TextClassifier:
        """The process-wide instance for the model folder ``name`` (loaded once, on first use).

        ``threads`` defaults to ``STEWARD_MODEL_THREADS`` (see :mod:`steward.settings`).
        """
        directory = ARTIFACTS_DIR / name
        threads = model_threads() if threads is None else threads
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
        # Nothing to read: the model would see only its special tokens, whose score is an
        # artefact of training (it once read 0.46 VIOLENCE), so blank text gets no windows.
        if not text.strip():
            return []
        # An untrusted text gets one extra token (the marker), so its windows are one shorter.
        size = self.window_tokens - 1 if untrusted else self.window_tokens
        with self._tok_lock:
            return token_windows(self._tokenizer, text, max_tokens=size, stride=WINDOW_OVERLAP)

    def _run(
        self, windows: Sequence[TokenWindow], untrusted: bool
    ) -> tuple[npt.NDArray[np.float32], list[_WindowStates]]:
        """Raw logits (``[len(windows), len(labels)]``) and each window's token states."""
        extra = 1 if untrusted else 0
        width = max(int(np.sum(w.encoding.attention_mask)) for w in windows) + extra
        ids = np.zeros((len(windows), width), dtype=np.int64)
        mask = np.zeros((len(windows), width), dtype=np.int64)
        lengths: list[int] = []
        for row, window in enumerate(windows):
            tokens = [
                t for t, m in zip(window.encoding.ids, window.encoding.attention_mask, strict=True) if m
            ]
            if untrusted:
                tokens = [tokens[0], self._marker, *tokens[1:]]
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
            lengths.append(len(tokens))
        logits, states = self._session.run(
            ["logits", TOKEN_STATES], {"input_ids": ids, "attention_mask": mask}
        )
        out: npt.NDArray[np.float32] = np.asarray(logits, dtype=np.float32)
        kept = [self._window_states(w, states[row, : lengths[row]], extra) for row, w in enumerate(windows)]
        return out, kept

    def calibrate(
        self, max_logits: npt.NDArray[np.float32], windows: int, *, untrusted: bool = False
    ) -> npt.NDArray[np.float32]:
        """A text's probability per label from its maximum logits over ``windows`` windows.

        Marked third-party text has a curve of its own (it is read for a different thing, and
        its maximum drifts with length differently): ``calibration.json``'s ``params_untrusted``.
        """
        a, b, c = self._curves[untrusted]
        z = max_logits * a + b + c * np.float32(np.log(max(windows, 1)))
        out: npt.NDArray[np.float32] = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
        return out

    @staticmethod
    def _window_states(window: TokenWindow, states: Any, extra: int) -> _WindowStates:
        """Line up the window's token spans with the rows of its states (no copy of the states)."""
        enc = window.encoding
        offsets = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
        offsets[np.asarray(enc.special_tokens_mask, dtype=bool)] = -1
        if extra:  # the untrusted marker sits right after [CLS]: one more row, no token
            offsets = np.insert(offsets, 1, -1, axis=0)
        rows = len(offsets)
        return _WindowStates(offsets[:, 0], offsets[:, 1], np.asarray(states[:rows], dtype=np.float32))

    def score(
        self, texts: Sequence[str], *, untrusted: bool = False, shared: SharedEncodings | None = None
    ) -> list[TextScores]:
        """Scores for each text; ``untrusted`` marks third-party content (indirect injection)."""
        return [encoded.scores for encoded in self.encode(texts, untrusted=untrusted, shared=shared)]

    def encode(
        self, texts: Sequence[str], *, untrusted: bool = False, shared: SharedEncodings | None = None
    ) -> list[EncodedText]:
        """One encoder pass per text: scores per label and token states to pool.

        Each window is its own onnxruntime call (see :meth:`_encode_uncached`); a text's
        score per label is the maximum over its windows. Texts already in ``shared`` (the
        detection request's encodings: one per guard call) are not read again, and new ones
        are added to it.
        """
        if shared is None:
            return self._encode_uncached(texts, untrusted)
        keys = [(self.name, text, untrusted) for text in texts]
        todo = list(dict.fromkeys(key for key in keys if key not in shared))
        if todo:
            for key, encoded in zip(
                todo, self._encode_uncached([k[1] for k in todo], untrusted), strict=True
            ):
                shared[key] = encoded
        return [shared[key] for key in keys]

    def _encode_uncached(self, texts: Sequence[str], untrusted: bool) -> list[EncodedText]:
        owners: list[int] = []
        windows: list[TokenWindow] = []
        for i, text in enumerate(texts):
            for window in self._windows(text, untrusted):
                owners.append(i)
                windows.append(window)
        pieces = [embedding_pieces(text) for text in texts]
        pools = [_SpanPool([*p, (0, len(t))], self.state_dims) for p, t in zip(pieces, texts, strict=True)]
        logits = np.zeros((len(windows), len(self.labels)), dtype=np.float32)
        # One window per call, never a padded batch: the int8 model quantizes its activations
        # with one range per call, so in a batch a window's logits moved with whatever else
        # shared the call (up to 0.14 in probability on 130 texts, 2% of label scores by more
        # than 0.02), and a text scored differently in `steward eval` than alone on the server.
        # Alone, a window's score depends on its own tokens only.
        for j, window in enumerate(windows):
            window_logits, window_states = self._run([window], untrusted)
            logits[j] = window_logits[0]
            pools[owners[j]].add(window_states[0])
        owned: list[list[int]] = [[] for _ in texts]
        for j, owner in enumerate(owners):
            owned[owner].append(j)
        encoded: list[EncodedText] = []
        for rows, spans, pool in zip(owned, pieces, pools, strict=True):
            means = pool.means()
            scores = self._text_scores(logits, rows, windows, untrusted)
            encoded.append(EncodedText(scores, spans, means[:-1], means[-1]))
        return encoded

    def _text_scores(
        self,
        logits: npt.NDArray[np.float32],
        rows: list[int],
        windows: Sequence[TokenWindow],
        untrusted: bool,
    ) -> TextScores:
        """One text's calibrated score per label from its windows' logits (``rows`` of ``logits``)."""
        if not rows:  # a blank text: nothing was read
            return TextScores({label: LabelScore(0.0, 0, 0) for label in self.labels}, 0)
        own = logits[rows]
        best = own.argmax(axis=0)
        probs = self.calibrate(own.max(axis=0), len(rows), untrusted=untrusted)
        return TextScores(
            {
                label: LabelScore(float(probs[k]), windows[rows[best[k]]].start, windows[rows[best[k]]].end)
                for k, label in enumerate(self.labels)
            },
            len(rows),
        )
