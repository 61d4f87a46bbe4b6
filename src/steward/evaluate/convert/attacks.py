"""Prompt attacks from the shared data: in-the-wild jailbreaks, BIPIA, Tensor Trust."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from steward.evaluate.convert._io import Row, read_csv, read_json, read_jsonl

__all__ = [
    "HELD_OUT_COMMUNITY",
    "VARIANT_SHARE",
    "bipia",
    "jailbreak_prompts",
    "sentence_keys",
    "tensor_trust",
]

POSITIONS = ("start", "middle", "end")


#: The jailbreak community held out from training: the flowgpt website's prompts share 7%
#: of their sentences with the other communities', which share 15-60% with each other (and
#: the May 2023 release's prompts are nearly all edits of December ones).
HELD_OUT_COMMUNITY = "flowgpt"
#: A prompt sharing more than this share of its sentences with another community's is a variant.
VARIANT_SHARE = 0.2


def sentence_keys(text: str) -> set[str]:
    """A text's sentences of 40 characters or more, case- and space-blind: the unit of the
    near-duplicate rule (jailbreak communities pass edited copies of the same prompts around)."""
    return {" ".join(p.lower().split()) for p in re.split(r"(?<=[.!?])\s+|\n+", text) if len(p.strip()) >= 40}


def jailbreak_prompts(data: Path) -> list[Row]:
    """In-the-wild jailbreak prompts (both releases, duplicates dropped): PROMPT_ATTACK 1.

    Each row names its ``community`` (the site, subreddit or Discord server) and whether it is
    ``unseen``: a prompt of :data:`HELD_OUT_COMMUNITY` that shares at most
    :data:`VARIANT_SHARE` of its sentences with any other community's prompts. Those are the
    held-out slice; everything else is what the shipped model trains on.
    """
    rows: list[Row] = []
    seen: set[str] = set()
    for name in ("jailbreak_prompts_2023_12_25.csv", "jailbreak_prompts_2023_05_07.csv"):
        for i, r in enumerate(read_csv(data / "jailbreak_llms" / name)):
            text = r["prompt"]
            if not text.strip() or text in seen:
                continue
            seen.add(text)
            rows.append(
                {
                    "text": text,
                    "label": 1,
                    "category": "PROMPT_ATTACK",
                    "kind": "jailbreak",
                    "community": r["source"],
                    "ref": f"{name}:{i}",
                }
            )
    others = {s for r in rows if r["community"] != HELD_OUT_COMMUNITY for s in sentence_keys(r["text"])}
    for row in rows:
        own = sentence_keys(row["text"])
        row["unseen"] = row["community"] == HELD_OUT_COMMUNITY and len(own & others) <= VARIANT_SHARE * len(
            own
        )
    return rows


def _context_text(task: str, raw: str) -> str:
    """BIPIA code contexts are Python list literals of lines; others are plain text."""
    if task == "code" and raw.startswith("["):
        try:
            lines = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return raw
        if isinstance(lines, list):
            return "\n".join(str(line) for line in lines)
    return raw


def _inject(context: str, attack: str, position: str) -> str:
    if position == "start":
        return f"{attack}\n{context}"
    if position == "end":
        return f"{context}\n{attack}"
    lines = context.split("\n")
    if len(lines) > 1:
        mid = len(lines) // 2
        return "\n".join([*lines[:mid], attack, *lines[mid:]])
    words = context.split(" ")
    mid = len(words) // 2
    return " ".join([*words[:mid], attack, *words[mid:]])


def bipia(data: Path) -> list[Row]:
    """BIPIA (MIT): each context once clean (label 0) and once with an attack inserted (label 1).

    Email and table contexts get BIPIA's text attacks, code contexts its code attacks; the
    attack and its position (start/middle/end) rotate with the context's index, so the set
    is the same every run. All rows are ``untrusted`` documents; ``split`` follows BIPIA's
    own train/test files (contexts and attacks of a split are only combined together).
    """
    rows: list[Row] = []
    for split in ("train", "test"):
        attack_sets = {
            "text": read_json(data / "bipia" / f"text_attack_{split}.json"),
            "code": read_json(data / "bipia" / f"code_attack_{split}.json"),
        }
        flat = {
            kind: [(cat, a) for cat, items in sets.items() for a in items]
            for kind, sets in attack_sets.items()
        }
        for task in ("email", "table", "code"):
            attacks = flat["code" if task == "code" else "text"]
            for i, item in enumerate(read_jsonl(data / "bipia" / f"{task}_{split}.jsonl")):
                context = _context_text(task, str(item["context"]))
                common = {"category": "PROMPT_ATTACK", "carrier": task, "split": split, "untrusted": True}
                rows.append(
                    {
                        **common,
                        "text": context,
                        "label": 0,
                        "category": "BENIGN",
                        "kind": "clean_document",
                        "ref": f"{task}_{split}.jsonl:{i}",
                    }
                )
                attack_category, attack = attacks[i % len(attacks)]
                position = POSITIONS[i % len(POSITIONS)]
                rows.append(
                    {
                        **common,
                        "text": _inject(context, attack, position),
                        "label": 1,
                        "kind": "injection",
                        "position": position,
                        "attack_type": attack_category,
                        "ref": f"{task}_{split}.jsonl:{i}",
                    }
                )
    return rows


def tensor_trust(data: Path) -> list[Row]:
    """Tensor Trust (licence unknown: evaluation only): each ``attack`` label 1, each ``access_code`` label 0.

    Hijacking and extraction attacks both count as PROMPT_ATTACK; access codes are the
    benign inputs the defences were written to accept. Duplicate texts are dropped.
    """
    rows: list[Row] = []
    seen: set[tuple[str, int]] = set()
    for name in ("hijacking_robustness_dataset.jsonl", "extraction_robustness_dataset.jsonl"):
        for item in read_jsonl(data / "tensor_trust" / name):
            for field, label in (("attack", 1), ("access_code", 0)):
                text = str(item.get(field) or "")
                if not text.strip() or (text, label) in seen:
                    continue
                seen.add((text, label))
                rows.append(
                    {
                        "text": text,
                        "label": label,
                        "category": "PROMPT_ATTACK" if label else "BENIGN",
                        "kind": "injection" if label else "access_code",
                        "ref": f"{name}:{item['sample_id']}",
                        "licence": "unknown licence: evaluation only",
                    }
                )
    return rows
