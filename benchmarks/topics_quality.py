"""Denied-topics quality on data the curve never saw.

    python benchmarks/topics_quality.py [--benign 1000]

1. **Held-out calibration topics**: the figures ``training/calibrate_topics.py`` recorded
   (leave-one-topic-out on the fit topics; six topics never used in the fit).
2. **Independent questions** (jailbreak_llms ``forbidden_question_set.csv``, MIT): four of its
   scenarios match topics of the calibration set (Financial Advice → Investment advice, Legal
   Opinion → Legal advice, Health Consultation → Medical diagnosis, Political Lobbying →
   Political campaigning) and one matches the default pack (Privacy Violence → Privacy
   violation). With those five topics as the policy: recall on each matching scenario, and
   the share of the other eight scenarios' questions flagged by any of the five.
3. **Benign prompts**: the default pack's topics on ``--benign`` Alpaca instructions
   (CC BY-NC 4.0: evaluation only, nothing copied into the package) and on every TruthfulQA
   question: the share flagged by any topic, and by which.
4. **Benign prompts that sound alarming** (``data/challenge``: alarming-but-benign requests,
   benign prompts with trigger words, identity sentences): the default pack's false positives.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))

from calibrate_topics import load_topics

from steward.assessment import Source
from steward.detectors.base import DetectionRequest
from steward.detectors.topics import CALIBRATION_PATH, TopicDetector
from steward.policy.io import load_policy
from steward.policy.schema import DeniedTopic

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SCENARIOS = {
    "Financial Advice": "Investment advice",
    "Legal Opinion": "Legal advice",
    "Health Consultation": "Medical diagnosis",
    "Political Lobbying": "Political campaigning",
    "Privacy Violence": "Privacy violation",
}
REQUEST = DetectionRequest(source=Source.INPUT)


def flagged(detector: TopicDetector, text: str) -> set[str]:
    return {f.type for f in detector.detect(text, REQUEST)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--benign", type=int, default=1000)
    args = parser.parse_args()

    report = json.loads(CALIBRATION_PATH.read_text())
    print("1. calibration set (python training/calibrate_topics.py); every piece embedded by MiniLM-L6:")
    for key in ("leave_one_topic_out", "holdout"):
        print(f"   {key:22s} {report[key]}")
    print(f"   holdout far-negative FPR at 0.5: {report['holdout_far_negative_fpr_at_0.5']}")
    for mode in ("cascade", "screen"):
        print(f"   {mode} ({report['modes'][mode]}):")
        print(f"   {'holdout':22s} {report[mode]['holdout']}")
        print(f"   holdout far-negative FPR at 0.5: {report[mode]['holdout_far_negative_fpr_at_0.5']}")
    print("   sections 2-4 use the shipped detector (the cascade)")

    written = {t["name"]: t for t in load_topics()}
    default_topics = {t.name: t for t in load_policy("default").denied_topics}
    policy_topics = [
        default_topics[name]
        if name in default_topics
        else DeniedTopic(
            name=name, definition=written[name]["definition"], examples=written[name]["examples"]
        )
        for name in SCENARIOS.values()
    ]
    detector = TopicDetector(policy_topics)
    with (DATA / "jailbreak_llms" / "forbidden_question_set.csv").open(encoding="utf-8") as fh:
        questions = list(csv.DictReader(fh))
    print("\n2. forbidden_question_set, topics as policy:", ", ".join(SCENARIOS.values()))
    other_hits = other_total = 0
    for scenario in sorted({q["content_policy_name"] for q in questions}):
        rows = [q["question"] for q in questions if q["content_policy_name"] == scenario]
        hits = [flagged(detector, q) for q in rows]
        if scenario in SCENARIOS:
            topic = SCENARIOS[scenario]
            recall = sum(topic in h for h in hits) / len(rows)
            print(f"   {scenario:20s} -> {topic:22s} recall {recall:.2f} (n={len(rows)})")
        else:
            other_hits += sum(bool(h) for h in hits)
            other_total += len(rows)
    print(
        f"   other 8 scenarios flagged by any of the five topics: {other_hits / other_total:.3f} (n={other_total})"
    )

    default = TopicDetector.from_policy(load_policy("default"))
    assert default is not None
    alpaca = [
        r["instruction"]
        for r in json.loads((DATA / "alpaca" / "alpaca_noinput_instructions.json").read_text())
    ]
    random.Random(5).shuffle(alpaca)
    with (DATA / "truthfulqa" / "TruthfulQA.csv").open(encoding="utf-8") as fh:
        truthful = [r["Question"] for r in csv.DictReader(fh)]
    print(f"\n3. default pack ({len(load_policy('default').denied_topics)} topics) on benign prompts")
    for name, prompts in (("alpaca instructions", alpaca[: args.benign]), ("truthfulqa questions", truthful)):
        counts: Counter[str] = Counter()
        any_hit = 0
        for prompt in prompts:
            hits = flagged(default, prompt)
            any_hit += bool(hits)
            counts.update(hits)
        print(
            f"   {name:22s} flagged {any_hit / len(prompts):.3f} (n={len(prompts)}) {dict(counts.most_common())}"
        )

    challenge = Path(__file__).resolve().parents[1] / "data" / "challenge"
    print("\n4. default pack on this project's challenge sets (benign rows: label 0)")
    for name in ("benign_alarming", "benign_triggers", "identity"):
        rows = [
            json.loads(line)
            for line in (challenge / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        texts = [r["text"] for r in rows if r.get("label") == 0]
        hits = [flagged(default, t) for t in texts]
        counts = Counter(topic for h in hits for topic in h)
        share = sum(bool(h) for h in hits) / len(texts)
        print(f"   {name:22s} flagged {share:.3f} (n={len(texts)}) {dict(counts.most_common())}")


if __name__ == "__main__":
    main()
