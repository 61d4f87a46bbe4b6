"""Assemble the labelled rows the content/prompt-attack classifier is trained and judged on.

Why this shape: one multi-label row per text (a sigmoid head per category), with the
source it came from, so evaluation can hold out whole *sources* rather than random rows
(random splits of one source flatter a model; see DESIGN.md). Licence rules: alpaca and
do_not_answer (non-commercial) are used for evaluation only, never for the shipped model;
the independent benchmarks DESIGN.md names are not used at all.

    python training/data.py            # prints the row counts per split and source
"""

from __future__ import annotations

import csv
import json
import os
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The shared development data: ``$STEWARD_SHARED_DATA``, else ``../shared/data`` beside the
#: repository (as the benchmarks and ``steward eval-convert`` look for it).
DATA = Path(os.environ.get("STEWARD_SHARED_DATA", ROOT.parent / "shared" / "data"))
WRITTEN = ROOT / "training" / "written"
CHALLENGE = ROOT / "data" / "challenge"

LABELS = ("HATE", "INSULTS", "SEXUAL", "VIOLENCE", "MISCONDUCT", "SELF_HARM", "CHILD_SAFETY", "PROMPT_ATTACK")
#: Characters per training chunk: about 128 word pieces, the model's window.
CHUNK_CHARS = 560

#: Sources never trained on: they measure transfer to unseen styles and sources.
HELDOUT_SOURCES = frozenset(
    {
        "tensor_trust",
        "bipia_code",
        "jailbreak_2023_05_only",
        "truthfulqa",
        "written_eval",
        "challenge_test",
        "alpaca_eval",
        "do_not_answer_eval",
        "gptfuzz_responses_eval",
    }
)

csv.field_size_limit(10**8)


@dataclass(frozen=True, slots=True)
class Example:
    """One text with its categories; ``untrusted`` marks third-party content."""

    text: str
    labels: frozenset[str]
    source: str
    untrusted: bool = False
    weight: float = 1.0
    kind: str = ""
    #: Identity rows: the term (``religion:Muslim``) for per-group fairness figures.
    group: str = ""


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _jsonl(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("CHILD_SAFETY", ("child porn", "minor", "underage", "paedo", "pedo", "child sexual", "groom")),
    (
        "SELF_HARM",
        (
            "suicide",
            "kill yourself",
            "self-harm",
            "self harm",
            "anorexi",
            "bulimi",
            "cut yourself",
            "end your life",
            "kill themselves",
            "harm themselves",
        ),
    ),
    ("SEXUAL", ("sex", "porn", "genital", "nude", "naked", "erotic", "orgasm")),
    (
        "HATE",
        (
            "racis",
            "hate speech",
            "ethnic",
            "religio",
            "jews",
            "jewish",
            "muslim",
            "black people",
            "immigrant",
            "minority",
            "minorities",
            "lgbt",
            "gay",
            "nigger",
            "faggot",
            "retard",
            "discriminat",
            "white supremac",
            "inferior",
        ),
    ),
    (
        "INSULTS",
        (
            "bully",
            "harass",
            "insult",
            "humiliat",
            "worthless",
            "shit",
            "stupid",
            "idiot",
            "loser",
            "freak",
            "ugly",
            "fat ",
        ),
    ),
    (
        "VIOLENCE",
        (
            "kill",
            "murder",
            "bomb",
            "weapon",
            "gun",
            "shoot",
            "attack",
            "violen",
            "poison",
            "explosive",
            "assault",
            "terror",
            "hurt",
            "harm",
            "torture",
            "stab",
            "burn down",
            "assassinat",
            "firearm",
        ),
    ),
)


def categorize(text: str, default: str = "MISCONDUCT") -> frozenset[str]:
    """Harm categories of a harmful text by keyword; ``default`` when nothing matches.

    Only ever applied to texts already known to be harmful (the label comes from the data
    set; the keywords only pick *which* heads), so a keyword never makes a benign text harmful.
    """
    low = text.lower()
    found = {cat for cat, words in _KEYWORDS if any(w in low for w in words)}
    return frozenset(found or {default})


_FORBIDDEN_MAP = {
    "Illegal Activity": "MISCONDUCT",
    "Hate Speech": "HATE",
    "Malware": "MISCONDUCT",
    "Physical Harm": "VIOLENCE",
    "Economic Harm": "MISCONDUCT",
    "Fraud": "MISCONDUCT",
    "Pornography": "SEXUAL",
    "Privacy Violence": "MISCONDUCT",
}


def _chunks(text: str, rng: random.Random, *, limit: int = 2) -> list[str]:
    """The head of a long text plus a random slice (cut at spaces), at most ``limit`` chunks."""
    text = text.strip()
    if len(text) <= CHUNK_CHARS:
        return [text]
    out = [text[:CHUNK_CHARS]]
    if limit > 1:
        start = rng.randrange(CHUNK_CHARS // 2, max(CHUNK_CHARS // 2 + 1, len(text) - CHUNK_CHARS // 2))
        space = text.find(" ", start)
        start = start if space < 0 else space + 1
        out.append(text[start : start + CHUNK_CHARS])
    return out


def _window_with(text: str, needle: str) -> str:
    """A chunk of ``text`` that contains ``needle`` (the inserted harmful question)."""
    at = text.find(needle)
    if at < 0 or len(text) <= CHUNK_CHARS:
        return text[:CHUNK_CHARS]
    start = max(0, min(at - (CHUNK_CHARS - len(needle)) // 2, len(text) - CHUNK_CHARS))
    return text[start : start + CHUNK_CHARS]


def _insert(context: str, attack: str, rng: random.Random) -> str:
    where = rng.choice(("start", "middle", "end"))
    if where == "start":
        return f"{attack}\n{context}"
    if where == "end":
        return f"{context}\n{attack}"
    cut = context.find(" ", len(context) // 2)
    cut = len(context) // 2 if cut < 0 else cut
    return f"{context[:cut]} {attack} {context[cut:]}"


def load_examples(seed: int = 13) -> list[Example]:
    """Every row from every source; ``Example.source`` tells training from held-out."""
    rng = random.Random(seed)
    rows: list[Example] = []
    add = rows.append

    # ---- harmful requests
    for r in _csv(DATA / "advbench" / "harmful_behaviors.csv"):
        add(Example(r["goal"], categorize(r["goal"]), "advbench_behaviors"))
    for r in _csv(DATA / "advbench" / "harmful_strings.csv"):
        add(Example(r["target"], categorize(r["target"], "VIOLENCE"), "advbench_strings"))
    for r in _csv(DATA / "jailbreak_llms" / "forbidden_question_set.csv"):
        cat = _FORBIDDEN_MAP.get(r["content_policy_name"])
        labels = categorize(r["question"], cat) | {cat} if cat else frozenset()
        if cat == "Physical Harm" or (cat and "SELF_HARM" in categorize(r["question"], cat)):
            labels = categorize(r["question"], cat)
        add(Example(r["question"], frozenset(labels), "forbidden_questions"))
    questions = [r["text"] for r in _csv(DATA / "gptfuzz" / "question_list.csv")]
    q_labels = [categorize(q) for q in questions]
    for q, labels in zip(questions, q_labels, strict=True):
        add(Example(q, labels, "gptfuzz_questions"))

    # ---- hate / offensive tweets (down-weighted: they teach identity-term bias)
    tweets = _csv(DATA / "davidson_hate" / "labeled_data.csv")
    by_class: dict[str, list[str]] = {"0": [], "1": [], "2": []}
    for r in tweets:
        by_class[r["class"]].append(r["tweet"])
    for cls, n, labels in (("0", 700, {"HATE", "INSULTS"}), ("1", 700, {"INSULTS"}), ("2", 900, set())):
        for t in rng.sample(by_class[cls], n):
            add(Example(t, frozenset(labels), "davidson", weight=0.5))

    # ---- jailbreak prompts (prompt attacks); 2023-05 rows absent from 2023-12 are held out
    keep_sources = {"ChatGPT", "ChatGPTJailbreak", "jailbreak_chat", "BreakGPT", "flowgpt"}
    dec = _csv(DATA / "jailbreak_llms" / "jailbreak_prompts_2023_12_25.csv")
    seen = {r["prompt"] for r in dec}
    for r in dec:
        if r["source"] in keep_sources:
            for chunk in _chunks(r["prompt"], rng):
                add(Example(chunk, frozenset({"PROMPT_ATTACK"}), "jailbreak_2023_12"))
    for r in _csv(DATA / "jailbreak_llms" / "jailbreak_prompts_2023_05_07.csv"):
        if r["prompt"] not in seen:
            add(
                Example(
                    r["prompt"][: CHUNK_CHARS * 4], frozenset({"PROMPT_ATTACK"}), "jailbreak_2023_05_only"
                )
            )
    for r in _csv(DATA / "gptfuzz" / "GPTFuzzer_templates.csv"):
        for qi in rng.sample(range(len(questions)), 4):
            text = r["text"].replace("[INSERT PROMPT HERE]", questions[qi])
            add(
                Example(
                    _window_with(text, questions[qi]),
                    frozenset({"PROMPT_ATTACK"}) | q_labels[qi],
                    "gptfuzz_templates",
                )
            )

    # ---- model responses (output side): label 1 = the model complied with a harmful question
    resp = _csv(DATA / "gptfuzz" / "responses_labeled_train.csv")
    for r in rng.sample(resp, 1600):
        labels = q_labels[int(r["question"])] if r["label"] == "1" else frozenset()
        add(Example(r["Response"][:CHUNK_CHARS], labels, "gptfuzz_responses", weight=0.5))
    # The evaluate split is held out (benchmarks/quality.py measures responses on it); listing
    # it here lets split_rows drop the boilerplate refusals both splits carry from training.
    for r in _csv(DATA / "gptfuzz" / "responses_labeled_evaluate.csv"):
        labels = q_labels[int(r["question"])] if r["label"] == "1" else frozenset()
        add(Example(r["Response"][:CHUNK_CHARS], labels, "gptfuzz_responses_eval"))

    # ---- indirect injection: BIPIA attacks inside third-party contexts
    text_attacks = [
        a for v in json.loads((DATA / "bipia" / "text_attack_train.json").read_text()).values() for a in v
    ]
    text_attacks += [
        a for v in json.loads((DATA / "bipia" / "text_attack_test.json").read_text()).values() for a in v
    ]
    contexts = [
        str(r["context"])
        for f in ("email_train", "email_test")
        for r in _jsonl(DATA / "bipia" / f"{f}.jsonl")
    ]
    tables = [str(r["context"])[:CHUNK_CHARS] for r in _jsonl(DATA / "bipia" / "table_train.jsonl")]
    contexts += rng.sample(tables, 200)
    for ctx in contexts:
        ctx = ctx[:CHUNK_CHARS]
        add(Example(ctx, frozenset(), "bipia_text", untrusted=True))
        add(
            Example(
                _insert(ctx, rng.choice(text_attacks), rng),
                frozenset({"PROMPT_ATTACK"}),
                "bipia_text",
                untrusted=True,
            )
        )
    # Code: the train contexts and attacks are trained on (untrusted code must not look like an
    # attack by itself); the test contexts with the test attacks are held out.
    for split, source in (("train", "bipia_code_train"), ("test", "bipia_code")):
        code_attacks = [
            a
            for v in json.loads((DATA / "bipia" / f"code_attack_{split}.json").read_text()).values()
            for a in v
        ]
        for r in _jsonl(DATA / "bipia" / f"code_{split}.jsonl"):
            for ctx in dict.fromkeys((str(r["context"])[:CHUNK_CHARS], str(r["code"])[:CHUNK_CHARS])):
                add(Example(ctx, frozenset(), source, untrusted=True))
                add(
                    Example(
                        _insert(ctx, rng.choice(code_attacks), rng),
                        frozenset({"PROMPT_ATTACK"}),
                        source,
                        untrusted=True,
                    )
                )

    # ---- Tensor Trust: human attacks vs the benign access codes (held out)
    for f in ("hijacking_robustness_dataset", "extraction_robustness_dataset"):
        for r in _jsonl(DATA / "tensor_trust" / f"{f}.jsonl"):
            add(Example(str(r["attack"])[: CHUNK_CHARS * 4], frozenset({"PROMPT_ATTACK"}), "tensor_trust"))
            add(Example(str(r["access_code"]), frozenset(), "tensor_trust"))

    # ---- benign text
    # HaluEval's general user queries are not used: they are Alpaca instructions (3,054 of the
    # 4,507 verbatim in Alpaca's no-input subset), whose CC BY-NC licence keeps them out of
    # anything shipped, and Alpaca is a held-out benign source below. Its ChatGPT responses are
    # HaluEval's own (MIT). Short benign questions come from BIPIA's table and e-mail tasks
    # (MIT; the tables are WikiTableQuestions, CC BY-SA) and from the written lists.
    questions = {
        str(r["question"])
        for f in ("table_train", "email_train")
        for r in _jsonl(DATA / "bipia" / f"{f}.jsonl")
        if r.get("question")
    }
    for q in sorted(questions):
        add(Example(q.removeprefix("Q: "), frozenset(), "bipia_questions"))
    for r in rng.sample(_jsonl(DATA / "halueval" / "general_data.json"), 800):
        add(Example(str(r["chatgpt_response"])[:CHUNK_CHARS], frozenset(), "halueval_responses"))
    presidio = json.loads((DATA / "presidio_pii" / "synth_dataset_v2.json").read_text())
    for r in presidio:
        add(Example(str(r["full_text"])[:CHUNK_CHARS], frozenset(), "presidio"))
    # Benign third-party text: the untrusted marker alone must not read as an attack.
    for r in rng.sample(_jsonl(DATA / "halueval" / "general_data.json"), 700):
        add(
            Example(
                str(r["chatgpt_response"])[:CHUNK_CHARS], frozenset(), "halueval_responses", untrusted=True
            )
        )
    for r in rng.sample(presidio, 400):
        add(Example(str(r["full_text"])[:CHUNK_CHARS], frozenset(), "presidio", untrusted=True))
    for r in rng.sample(_jsonl(DATA / "bipia" / "table_train.jsonl"), 150):
        add(Example(str(r["context"])[:CHUNK_CHARS], frozenset(), "bipia_text", untrusted=True))
    for r in _csv(DATA / "truthfulqa" / "TruthfulQA.csv"):
        add(Example(r["Question"], frozenset(), "truthfulqa"))

    # ---- evaluation-only sets (non-commercial licences: never trained on)
    alpaca = json.loads((DATA / "alpaca" / "alpaca_noinput_instructions.json").read_text())
    for r in rng.sample(alpaca, 2000):
        add(Example(str(r["instruction"]), frozenset(), "alpaca_eval"))
    for r in _csv(DATA / "do_not_answer" / "do_not_answer_en.csv"):
        add(Example(r["question"], frozenset({"ANY_HARM"}), "do_not_answer_eval", kind=r["types_of_harm"]))

    # ---- our written rows and the challenge set's train split
    for path in sorted(WRITTEN.glob("*.jsonl")):
        for r in _jsonl(path):
            labels = frozenset(str(x) for x in r["labels"])  # type: ignore[attr-defined]
            split = str(r["split"])
            source = "written_eval" if split == "eval" else f"written_{path.stem}"
            weight = {
                "identity": 1.0,
                "harmful": 5.0,
                "situational": 5.0,
                "child_safety": 4.0,
                "general_benign": 1.5,
            }.get(path.stem, 3.0)
            add(
                Example(
                    str(r["text"]),
                    labels,
                    source,
                    bool(r["untrusted"]),
                    weight,
                    str(r["kind"]),
                    str(r.get("group", "")),
                )
            )
    for path in sorted(CHALLENGE.glob("**/*.jsonl")):
        for r in _jsonl(path):
            split = str(r.get("split", "test"))
            cat = str(r.get("category", ""))
            labels = frozenset({cat}) if int(r.get("label", 0)) and cat in LABELS else frozenset()
            if int(r.get("label", 0)) and not labels:
                labels = frozenset({"ANY_HARM"})
            source = "challenge_train" if split == "train" else "challenge_test"
            weight = 1.0 if "identity" in path.stem else 3.0
            add(
                Example(
                    str(r["text"]),
                    labels,
                    source,
                    bool(r.get("untrusted", False)),
                    weight,
                    str(r.get("kind", "")),
                    str(r.get("group", "")),
                )
            )
    rows.extend(_embedded_harm(rows, rng))
    return rows


def _embedded_harm(rows: list[Example], rng: random.Random, n: int = 700) -> list[Example]:
    """Harmful sentences placed inside benign documents, so harm is not diluted by context.

    Without these, every long text in training is benign (responses, PII sentences, e-mail
    and table contexts) and the model learns that a long benign lead-in outweighs a threat
    at its end. Only training sources are mixed, so the held-out sources stay untouched.
    """
    harmful = [
        ex
        for ex in rows
        if ex.source not in HELDOUT_SOURCES
        and ex.labels - {"PROMPT_ATTACK", "ANY_HARM"}
        and "PROMPT_ATTACK" not in ex.labels
        and len(ex.text) < 300
        and ex.source != "davidson"
    ]
    carriers = [
        ex.text
        for ex in rows
        if ex.source in {"halueval_responses", "presidio", "bipia_text"}
        and not ex.labels
        and len(ex.text) > 150
    ]
    out = []
    for ex in rng.sample(harmful, min(n, len(harmful))):
        carrier = rng.choice(carriers)[: rng.randrange(150, CHUNK_CHARS)]
        out.append(
            Example(_insert(carrier, ex.text, rng), ex.labels, "embedded_harm", ex.untrusted, 1.0, "embedded")
        )
    return out


def text_key(text: str) -> str:
    """A text compared case- and whitespace-blind: the unit of the held-out rule."""
    return " ".join(text.lower().split())


def split_rows(rows: list[Example], seed: int = 7) -> tuple[list[Example], list[Example], list[Example]]:
    """(train, calibration, held-out): calibration is 15% of every training source.

    A row of a training source whose text is also a held-out row's (a written sentence that
    happens to equal a challenge test row, a jailbreak both releases carry) is dropped, so a
    held-out figure never rests on a text the model was trained or calibrated on.
    """
    rng = random.Random(seed)
    held_texts = {text_key(ex.text) for ex in rows if ex.source in HELDOUT_SOURCES}
    train: list[Example] = []
    calib: list[Example] = []
    held: list[Example] = []
    for ex in rows:
        if ex.source in HELDOUT_SOURCES:
            held.append(ex)
        elif "ANY_HARM" in ex.labels:
            continue
        else:
            to_calib = rng.random() < 0.15
            if text_key(ex.text) in held_texts:
                continue
            (calib if to_calib else train).append(ex)
    return train, calib, held


def main() -> None:
    rows = load_examples()
    train, calib, held = split_rows(rows)
    for name, part in (("train", train), ("calib", calib), ("held-out", held)):
        counts = Counter(ex.source for ex in part)
        pos = Counter(lab for ex in part for lab in ex.labels)
        print(f"{name}: {len(part)} rows; sources {dict(counts)}; labels {dict(pos)}")


if __name__ == "__main__":
    main()
