"""Guard speed: milliseconds per ~1,000-character prompt, Steward against Presidio on the same texts.

    python benchmarks/guard_speed.py [--n 300] [--seed 7]

Prompts are composed by :func:`_data.realistic_prompts` (support tickets, reports and
emails; about half carry names, phones, e-mails, cards, IBANs, SSNs, IPs or ages;
deterministic seed). Each engine runs once over every prompt to warm up, then each prompt
is timed ``--repeats`` times with ``time.perf_counter`` and its median kept; the table
shows the median (p50) and the 99th percentile of those per-text figures.

Engines:
- ``guard default (deterministic)``: ``Guard(load_policy("default"))`` with its cheap,
  deterministic detectors only (cost < 10: words, regex, PII) and NAME taken out of the
  policy, i.e. everything except learned models;
- ``steward PII patterns``: the PII detector on all 30 pattern-based types (no NAME);
- ``steward PII + names``: the PII detector on all 31 types, spaCy small NER for names;
- ``presidio-regex``: Presidio 2.2 without its NER recognizer (patterns, checksums, phone numbers);
- ``presidio-spacy``: Presidio 2.2 with spaCy's small English model.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import presidio_engines, realistic_prompts

from steward.assessment import Source
from steward.detectors.base import DetectionRequest
from steward.detectors.pii import PiiDetector
from steward.guard import Guard
from steward.policy import PiiType, load_policy

#: Detectors at or above this cost run learned models (see ``Detector.cost``).
LEARNED_COST = 10
TARGET_GUARD_P50_MS = 0.5


def default_guard_deterministic() -> Guard:
    """The default policy without NAME, with only its deterministic detectors."""
    policy = load_policy("default")
    sens = policy.sensitive_information
    if sens is not None:
        entities = [e for e in sens.pii_entities if e.type is not PiiType.NAME]
        policy = policy.model_copy(
            update={"sensitive_information": sens.model_copy(update={"pii_entities": entities})}
        )
    full = Guard(policy)
    return Guard(policy, detectors=[d for d in full.detectors if d.cost < LEARNED_COST])


def timings(run: Callable[[str], object], texts: list[str], repeats: int) -> list[float]:
    """Milliseconds per text: the median of ``repeats`` runs of each text, after one warm-up pass.

    The median of a few runs keeps one text's figure from being a moment when another
    process held the CPU (this machine is shared); the spread across texts remains.
    """
    for text in texts:
        run(text)
    out = []
    for text in texts:
        runs = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            run(text)
            runs.append((time.perf_counter() - t0) * 1000)
        out.append(statistics.median(runs))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=300, help="number of prompts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3, help="runs per text; the median counts")
    parser.add_argument("--no-presidio", action="store_true")
    args = parser.parse_args()
    texts = realistic_prompts(args.n, seed=args.seed)
    request = DetectionRequest(source=Source.INPUT)
    guard = default_guard_deterministic()
    patterns = PiiDetector([t for t in PiiType if t is not PiiType.NAME])
    whole = PiiDetector(list(PiiType))
    engines: dict[str, Callable[[str], object]] = {
        "guard default (deterministic)": lambda t: guard.apply(t, "input"),
        "steward PII patterns": lambda t: patterns.detect(t, request),
        "steward PII + names": lambda t: whole.detect(t, request),
    }
    if not args.no_presidio:
        engines.update(presidio_engines())
    results: dict[str, list[float]] = {}
    for name, run in engines.items():
        results[name] = timings(run, texts, args.repeats)
        print(f"timed {name}", file=sys.stderr)
    mean_len = statistics.mean(len(t) for t in texts)
    print(
        f"\nGuard speed on {len(texts)} prompts of {mean_len:.0f} characters on average (one process, one thread)\n"
    )
    print("| engine | p50 ms | p99 ms | mean ms |")
    print("|---|---:|---:|---:|")
    for name, ms in results.items():
        print(
            f"| {name} | {percentile(ms, 0.5):.3f} | {percentile(ms, 0.99):.3f} | {statistics.mean(ms):.3f} |"
        )
    p50 = {name: percentile(ms, 0.5) for name, ms in results.items()}
    print()
    verdict = "meets" if p50["guard default (deterministic)"] < TARGET_GUARD_P50_MS else "MISSES"
    print(
        f"- guard default (deterministic) p50 {p50['guard default (deterministic)']:.3f} ms: {verdict} the "
        f"{TARGET_GUARD_P50_MS} ms target"
    )
    if "presidio-regex" in p50:
        print(
            f"- steward PII patterns vs presidio-regex: {p50['presidio-regex'] / p50['steward PII patterns']:.1f}x "
            "faster at p50 (target ≥ 10x)"
        )
        print(
            f"- steward PII + names vs presidio-spacy: {p50['presidio-spacy'] / p50['steward PII + names']:.1f}x "
            "faster at p50 (target > 1x)"
        )


if __name__ == "__main__":
    main()
