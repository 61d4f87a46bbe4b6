"""Grounding and factuality rows from the shared data (``source=output``, label 1 = hallucinated)."""

from __future__ import annotations

from pathlib import Path

from steward.evaluate.convert._io import Row, read_csv, read_jsonl

__all__ = ["halueval_general", "halueval_qa", "truthfulqa"]


def halueval_qa(data: Path) -> list[Row]:
    """HaluEval QA (MIT): knowledge as ``context``, question as ``query``, right answer 0, hallucinated 1.

    Known bias (DESIGN.md): hallucinated answers are long sentences and right answers short
    spans, so length alone separates them; use it to evaluate, not to train.
    """
    rows: list[Row] = []
    for i, item in enumerate(read_jsonl(data / "halueval" / "qa_data_first1000.json")):
        for field, label in (("right_answer", 0), ("hallucinated_answer", 1)):
            rows.append(
                {
                    "text": item[field],
                    "label": label,
                    "source": "output",
                    "category": "GROUNDING",
                    "kind": field,
                    "context": item["knowledge"],
                    "query": item["question"],
                    "ref": f"qa_data_first1000.json:{i}",
                }
            )
    return rows


def halueval_general(data: Path) -> list[Row]:
    """HaluEval general queries (MIT): ChatGPT responses with human hallucination labels; no source text.

    Without a ``context`` only relevance to the ``query`` can be checked, so this set
    measures how far a grounding check gets without a reference.
    """
    rows: list[Row] = []
    for item in read_jsonl(data / "halueval" / "general_data.json"):
        text = str(item.get("chatgpt_response") or "")
        if not text.strip():
            continue
        rows.append(
            {
                "text": text,
                "label": 1 if item["hallucination"] == "yes" else 0,
                "source": "output",
                "category": "GROUNDING",
                "kind": "model_response",
                "query": item["user_query"],
                "ref": f"general_data.json:{item['ID']}",
            }
        )
    return rows


def truthfulqa(data: Path) -> list[Row]:
    """TruthfulQA (Apache-2.0): per question, the best answer (0) and the first incorrect answer (1).

    There is no source passage, so this measures factuality, which a grounding check cannot
    see; it is here to show that gap honestly, not as a grounding benchmark.
    """
    rows: list[Row] = []
    for i, r in enumerate(read_csv(data / "truthfulqa" / "TruthfulQA.csv")):
        incorrect = [a.strip() for a in r["Incorrect Answers"].split(";") if a.strip()]
        answers = [(r["Best Answer"], 0)] + ([(incorrect[0], 1)] if incorrect else [])
        for text, label in answers:
            rows.append(
                {
                    "text": text,
                    "label": label,
                    "source": "output",
                    "category": "FACTUALITY",
                    "kind": "answer",
                    "query": r["Question"],
                    "ref": f"TruthfulQA.csv:{i}",
                }
            )
    return rows
