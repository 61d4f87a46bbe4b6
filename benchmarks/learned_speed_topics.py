"""Speed of the embedder-based detectors: denied topics, grounding/relevance, language coverage.

    python benchmarks/learned_speed_topics.py [--n 100] [--repeats 3]

Texts are :func:`_data.realistic_prompts` (about 1,000 characters each, deterministic).
Those prompts reuse a small pool of filler sentences, so the embedder's cache is cleared
before every timed call: the figures are the cost of text never seen before. Each text is
timed ``--repeats`` times and its median kept; the table shows p50 and p99 over texts, in
wall-clock time and in CPU time (all threads): on a busy shared machine the CPU figure is
the honest cost, the wall figure mostly the neighbours.

Rows:
- ``embed: one 128-token window`` / ``embed: every sentence``: the int8 MiniLM-L6 embedder
  alone, on the first 128 tokens and on each sentence (what topics pays);
- ``topics (default pack)``: :class:`TopicDetector` on a prompt, outside a guard:
  it runs the content model's pass itself (inside the guard that pass is shared with the
  content filters, and topics adds only its screen and confirmations);
- ``grounding + relevance``: :class:`GroundingDetector` on a 1,000-character answer with a
  1,000-character source (a different prompt) and a one-line query;
- ``language (default pack)``: :class:`LanguageDetector` on an English prompt (model path);
- ``language, Chinese text``: the script fast path.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import realistic_prompts

from steward.assessment import Source
from steward.detectors.base import DetectionRequest
from steward.detectors.grounding import GroundingDetector
from steward.detectors.language import LanguageDetector
from steward.detectors.topics import TopicDetector
from steward.models.embedder import default_embedder
from steward.models.sentences import sentence_spans
from steward.policy.io import load_policy


def _pcts(values: list[float]) -> tuple[float, float]:
    values = sorted(values)
    return statistics.median(values), values[min(len(values) - 1, int(0.99 * len(values)))]


def measure(fn: Callable[[int], object], count: int, repeats: int) -> tuple[float, float, float, float]:
    """Wall p50/p99 and CPU p50/p99 (ms) over texts; cache cleared before each call.

    CPU time (all threads of this process) is reported beside wall time because on a shared
    machine wall time mostly measures the neighbours: CPU time is what the work costs.
    """
    embedder = default_embedder()
    for i in range(count):
        fn(i)
    wall, cpu = [], []
    for i in range(count):
        wall_runs, cpu_runs = [], []
        for _ in range(repeats):
            embedder.clear_cache()
            t0, c0 = time.perf_counter(), time.process_time()
            fn(i)
            cpu_runs.append((time.process_time() - c0) * 1000)
            wall_runs.append((time.perf_counter() - t0) * 1000)
        wall.append(statistics.median(wall_runs))
        cpu.append(statistics.median(cpu_runs))
    return (*_pcts(wall), *_pcts(cpu))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    texts = [p.text for p in realistic_prompts(args.n + 1, seed=11)]
    policy = load_policy("default")
    embedder = default_embedder()
    topics = TopicDetector.from_policy(policy)
    grounding = GroundingDetector()
    language = LanguageDetector.from_policy(policy)
    assert topics is not None and language is not None
    inp = DetectionRequest(source=Source.INPUT)
    chinese = "委员会周二开会审议了新图书馆大楼的提案。我们同意为它提供资金。" * 30

    def grounded(i: int) -> object:
        request = DetectionRequest(
            source=Source.OUTPUT,
            grounding_source=texts[i + 1],
            query="What happened with the order and the refund?",
        )
        return grounding.detect(texts[i], request)

    rows: list[tuple[str, Callable[[int], object]]] = [
        ("embed: one 128-token window", lambda i: embedder.embed([texts[i]])),
        (
            "embed: every sentence",
            lambda i: embedder.embed([texts[i][s:e] for s, e in sentence_spans(texts[i])]),
        ),
        ("topics (default pack)", lambda i: topics.detect(texts[i], inp)),
        ("grounding + relevance (1,000-char source)", grounded),
        ("language (default pack, English text)", lambda i: language.detect(texts[i], inp)),
        ("language, Chinese text (script path)", lambda i: language.detect(chinese[:1000], inp)),
    ]
    sentences = statistics.mean(len(sentence_spans(t)) for t in texts[: args.n])
    print(
        f"{args.n} texts of ~{statistics.mean(len(t) for t in texts[: args.n]):.0f} chars, {sentences:.1f} sentences each"
    )
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'detector':45s} {'wall p50':>9s} {'wall p99':>9s} {'CPU p50':>8s} {'CPU p99':>8s}  (ms)")
    for name, fn in rows:
        p50, p99, c50, c99 = measure(fn, args.n, args.repeats)
        print(f"{name:45s} {p50:9.2f} {p99:9.2f} {c50:8.2f} {c99:8.2f}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
