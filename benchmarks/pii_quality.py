"""PII quality: precision, recall and F1 per entity type, Steward against Presidio, on labelled data.

Steward is run twice: with its shipped name tagger (the default) and with spaCy's small
English NER for names (the tagger's teacher), so the table shows what distilling cost.

    python benchmarks/pii_quality.py [--limit N]

Data: the presidio-research synthetic PII set v2 (1,500 sentences, MIT), in
``../shared/data/presidio_pii``. It is development data: Steward's rules are general
(USPS street suffixes, stdnum checksums, phonenumbers metadata), not fitted to its sentences.

Each tool's types are mapped to one shared vocabulary (Steward's entity names) through the
explicit tables below; labels with no counterpart (ORGANIZATION, DATE_TIME, TITLE, NRP, …)
are not scored, and predictions of unscored types are ignored.

Span matching rule: a gold span and a predicted span of the same (mapped) type match when
they overlap by at least half of the shorter of the two (``steward.evaluate.spans.spans_match``,
the rule ``steward eval`` scores gold spans with; ``--exact``: only when they are the same span). Recall counts gold spans matched
by some prediction; precision counts predictions that match some gold span. An ADDRESS
prediction that covers a gold GPE or ZIP_CODE span (a city, country or postcode, which
Bedrock's ADDRESS includes) is not counted as a false positive.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import Labelled, load_presidio_synth, presidio_engines

from steward.assessment import Source
from steward.detectors.base import DetectionRequest
from steward.detectors.pii import NameModel, PiiDetector, SpacyNameModel
from steward.evaluate.spans import spans_match
from steward.policy.schema import PiiType

#: Dataset label → shared type.
GOLD = {
    "PERSON": "NAME",
    "STREET_ADDRESS": "ADDRESS",
    "PHONE_NUMBER": "PHONE",
    "EMAIL_ADDRESS": "EMAIL",
    "CREDIT_CARD": "CREDIT_DEBIT_CARD_NUMBER",
    "IBAN_CODE": "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "US_SSN": "US_SOCIAL_SECURITY_NUMBER",
    "IP_ADDRESS": "IP_ADDRESS",
    "DOMAIN_NAME": "URL",
    "AGE": "AGE",
    "US_DRIVER_LICENSE": "DRIVER_ID",
}
#: Gold labels that a prediction of the shared type may cover without being wrong.
ALSO_ACCEPTABLE = {"ADDRESS": {"GPE", "ZIP_CODE"}}
#: Presidio entity → shared type (Presidio has no street-address or age recognizer;
#: its spaCy LOCATION is the nearest thing to an address).
PRESIDIO = {
    "PERSON": "NAME",
    "LOCATION": "ADDRESS",
    "PHONE_NUMBER": "PHONE",
    "EMAIL_ADDRESS": "EMAIL",
    "CREDIT_CARD": "CREDIT_DEBIT_CARD_NUMBER",
    "IBAN_CODE": "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "US_SSN": "US_SOCIAL_SECURITY_NUMBER",
    "IP_ADDRESS": "IP_ADDRESS",
    "URL": "URL",
    "US_DRIVER_LICENSE": "DRIVER_ID",
}
#: Shared types each tool can report at all (a tool is not scored on types it lacks).
SUPPORTED = {
    "steward": set(GOLD.values()),
    "steward, spaCy names": set(GOLD.values()),
    "presidio-regex": set(PRESIDIO.values()) - {"NAME", "ADDRESS"},
    "presidio-spacy": set(PRESIDIO.values()),
}

Predict = Callable[[str], list[tuple[str, int, int]]]


def exact(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """The same characters exactly (``--exact``): boundaries must agree too."""
    return a == b


def score(
    rows: Iterable[Labelled],
    predict: Predict,
    matches: Callable[[tuple[int, int], tuple[int, int]], bool] = spans_match,
) -> dict[str, Counter[str]]:
    """Per shared type: gold, found (gold matched), predicted, correct (prediction matched)."""
    out: dict[str, Counter[str]] = {}
    for row in rows:
        gold = [(GOLD[label], (s, e)) for label, s, e in row.spans if label in GOLD]
        other = [(label, (s, e)) for label, s, e in row.spans]
        preds = predict(row.text)
        for typ, span in gold:
            c = out.setdefault(typ, Counter())
            c["gold"] += 1
            c["found"] += any(p[0] == typ and matches(span, (p[1], p[2])) for p in preds)
        for typ, s, e in preds:
            c = out.setdefault(typ, Counter())
            c["predicted"] += 1
            ok = any(g == typ and matches((s, e), span) for g, span in gold) or any(
                label in ALSO_ACCEPTABLE.get(typ, ()) and matches((s, e), span) for label, span in other
            )
            c["correct"] += ok
    return out


def steward_predict(name_model: NameModel | None = None) -> Predict:
    """Steward's PII detector on every type; names from ``name_model`` (default: the shipped tagger)."""
    detector = PiiDetector(list(PiiType), name_model=name_model)
    request = DetectionRequest(source=Source.INPUT)
    scored = set(GOLD.values())

    def run(text: str) -> list[tuple[str, int, int]]:
        return [(f.type, f.start, f.end) for f in detector.detect(text, request) if f.type in scored]

    return run


def presidio_predict(engine: Callable[[str], list[tuple[str, int, int, float]]]) -> Predict:
    def run(text: str) -> list[tuple[str, int, int]]:
        return [(PRESIDIO[t], s, e) for t, s, e, _ in engine(text) if t in PRESIDIO]

    return run


def _prf(c: Counter[str]) -> tuple[float, float, float]:
    p = c["correct"] / c["predicted"] if c["predicted"] else 0.0
    r = c["found"] / c["gold"] if c["gold"] else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def table(results: dict[str, dict[str, Counter[str]]]) -> str:
    tools = list(results)
    head = "| entity (dataset label) | n | " + " | ".join(f"{t} P / R / F1" for t in tools) + " |"
    lines = [head, "|---|---:|" + "---|" * len(tools)]
    inverse = {v: k for k, v in GOLD.items()}
    for typ in sorted(inverse, key=lambda t: -results[tools[0]].get(t, Counter())["gold"]):
        n = results[tools[0]].get(typ, Counter())["gold"]
        cells = []
        for tool in tools:
            if typ not in SUPPORTED[tool]:
                cells.append("—")
                continue
            p, r, f = _prf(results[tool].get(typ, Counter()))
            cells.append(f"{p:.2f} / {r:.2f} / **{f:.2f}**")
        lines.append(f"| {typ} ({inverse[typ]}) | {n} | " + " | ".join(cells) + " |")
    common = set.intersection(*(SUPPORTED[t] for t in tools))
    for label, types_of in (
        ("types every tool here supports (micro)", lambda tool: common),
        ("all types the tool supports (micro)", lambda tool: SUPPORTED[tool]),
    ):
        cells = []
        for tool in tools:
            total: Counter[str] = Counter()
            for typ, c in results[tool].items():
                if typ in types_of(tool):
                    total += c
            p, r, f = _prf(total)
            cells.append(f"{p:.2f} / {r:.2f} / **{f:.2f}**")
        n = (
            sum(results[tools[0]].get(t, Counter())["gold"] for t in common)
            if label.startswith("types every")
            else ""
        )
        lines.append(f"| {label} | {n} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N sentences")
    parser.add_argument("--steward-only", action="store_true", help="skip Presidio")
    parser.add_argument("--exact", action="store_true", help="count only exact span matches")
    args = parser.parse_args()
    rows = load_presidio_synth()
    if args.limit:
        rows = rows[: args.limit]
    predictors: dict[str, Predict] = {"steward": steward_predict()}
    if not args.steward_only:
        predictors["steward, spaCy names"] = steward_predict(SpacyNameModel())
        engines = presidio_engines()
        predictors["presidio-regex"] = presidio_predict(engines["presidio-regex"])
        predictors["presidio-spacy"] = presidio_predict(engines["presidio-spacy"])
    results = {}
    for name, predict in predictors.items():
        t0 = time.perf_counter()
        results[name] = score(rows, predict, exact if args.exact else spans_match)
        print(f"{name}: {len(rows)} sentences in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    print(
        f"\nPII quality on presidio-research synth_dataset_v2 ({len(rows)} sentences); "
        + ("match = the exact same span\n" if args.exact else "match = overlap ≥ 50% of the shorter span\n")
    )
    print(table(results))


if __name__ == "__main__":
    main()
