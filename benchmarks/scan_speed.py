"""Data-set scan and scrub speed: MB/s per core, scaling with processes, peak memory; Presidio beside it.

    python benchmarks/scan_speed.py [--small-mb 1] [--large-mb 4] [--presidio-mb 0.5] [--no-default]

Input: JSON Lines built from two MIT-licensed sets in ../shared/data: presidio-research's
synthetic PII sentences and the Anthropic HH-RLHF harmless-base test transcripts (both the
``chosen`` and ``rejected`` dialogue), interleaved and repeated until the file reaches the size
asked for. Each run is a fresh Python process (so its peak memory is its own) that reports
wall time and ``resource.getrusage`` peak RSS of itself and of its worker processes.

Policies:
- ``patterns``: ``pii-mask`` without NAME: the deterministic detectors only (patterns,
  checksums, validators; 30 PII types);
- ``pii-mask``: all 31 PII types, names by the shipped name tagger (a small linear model);
- ``default``: the full default policy (content filters, prompt attacks, denied topics,
  words, PII, languages) with its learned ONNX models.

``scan`` also identifies each cell's language; ``scrub`` writes the masked copy and manifest.
Presidio's ``BatchAnalyzerEngine`` (2.2, offline: spaCy's small English model by path, or no
NER at all) analyses the same texts in the same run, in one process.

MB/s per core = input megabytes / wall seconds / processes. MB per CPU-second = input
megabytes / CPU seconds of the run and its workers (process start-up included): on a machine
shared with other work the wall clock measures the neighbours too, the CPU time does not.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import DATA

HH = DATA / "hh_rlhf" / "harmless_base_test.jsonl"
PRESIDIO = DATA / "presidio_pii" / "synth_dataset_v2.json"


def texts() -> list[str]:
    """Presidio sentences and HH-RLHF transcripts, interleaved (one presidio sentence in three rows)."""
    presidio = [r["full_text"] for r in json.loads(PRESIDIO.read_text(encoding="utf-8"))]
    dialogues = []
    for line in HH.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        dialogues += [row["chosen"].strip(), row["rejected"].strip()]
    out = []
    for i, d in enumerate(dialogues):
        out.append(d)
        if i % 2 == 0:
            out.append(presidio[(i // 2) % len(presidio)])
    return out


def build(path: Path, megabytes: float) -> None:
    target = int(megabytes * 1_000_000)
    rows = texts()
    size = n = 0
    with path.open("w", encoding="utf-8") as handle:
        while size < target:
            line = json.dumps({"id": n, "text": rows[n % len(rows)]}, ensure_ascii=False) + "\n"
            handle.write(line)
            size += len(line.encode("utf-8"))
            n += 1


def policy_file(name: str, folder: Path) -> str:
    """``patterns`` is written to a file (pii-mask without NAME); the others are packs."""
    if name != "patterns":
        return name
    from steward.policy import dump_policy, load_policy

    pack = load_policy("pii-mask")
    sens = pack.sensitive_information
    assert sens is not None
    kept = [e for e in sens.pii_entities if e.type != "NAME"]
    policy = pack.model_copy(
        update={"name": "patterns", "sensitive_information": sens.model_copy(update={"pii_entities": kept})}
    )
    path = folder / "patterns.yaml"
    path.write_text(dump_policy(policy), encoding="utf-8")
    return str(path)


CHILD = """
import json, resource, sys, time
from pathlib import Path
from steward.policy import load_policy
kind, src, policy, workers, out = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
pol = load_policy(policy)
t = time.perf_counter()
r0, c0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
if kind == "scan":
    from steward.datascan.scan import ScanOptions, scan
    scan(src, ScanOptions(policy=pol, workers=workers))
else:
    from steward.datascan.scrub import ScrubOptions, scrub
    scrub(src, Path(out), ScrubOptions(policy=pol, workers=workers))
wall = time.perf_counter() - t
r1, c1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = sum(b.ru_utime + b.ru_stime - a.ru_utime - a.ru_stime for a, b in ((r0, r1), (c0, c1)))
print(json.dumps({"wall": wall, "cpu": cpu, "rss_self_mb": r1.ru_maxrss / 1024, "rss_worker_mb": c1.ru_maxrss / 1024}))
"""


def run_child(kind: str, src: Path, policy: str, workers: int, folder: Path) -> dict[str, float]:
    out = folder / f"out-{kind}-{workers}.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(src), policy, str(workers), str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=folder,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def presidio_speed(src: Path, megabytes: float) -> dict[str, float]:
    """MB/s of Presidio's BatchAnalyzerEngine, regex-only and with spaCy, on the first ``megabytes``."""
    from _data import presidio_analyzers
    from presidio_analyzer import BatchAnalyzerEngine

    rows = []
    size = 0
    for line in src.read_text(encoding="utf-8").splitlines():
        text = json.loads(line)["text"]
        rows.append(text)
        size += len(line.encode("utf-8")) + 1
        if size >= megabytes * 1_000_000:
            break
    out = {}
    for name, analyzer in presidio_analyzers().items():
        batch = BatchAnalyzerEngine(analyzer_engine=analyzer)
        list(batch.analyze_iterator(rows[:20], language="en"))  # warm up
        t = time.perf_counter()
        list(batch.analyze_iterator(rows, language="en", batch_size=64))
        out[name] = size / 1e6 / (time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small-mb", type=float, default=1.0)
    ap.add_argument("--large-mb", type=float, default=4.0)
    ap.add_argument("--presidio-mb", type=float, default=0.5)
    ap.add_argument("--no-default", action="store_true", help="skip the full default policy (slow)")
    args = ap.parse_args()
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small, large = folder / "small.jsonl", folder / "large.jsonl"
        build(small, args.small_mb)
        build(large, args.large_mb)
        sizes = {small: small.stat().st_size / 1e6, large: large.stat().st_size / 1e6}
        print(f"input: {sizes[small]:.2f} MB and {sizes[large]:.2f} MB of JSONL (presidio synth + HH-RLHF)")
        print(f"cores: {len(os.sched_getaffinity(0))}")
        print()
        print(
            "| run | policy | file MB | processes | wall s | MB/s | MB/s per core | CPU s | MB per CPU-s "
            "| peak RSS driver MB | peak RSS worker MB |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        plans = [("patterns", small), ("patterns", large), ("pii-mask", small), ("pii-mask", large)]
        if not args.no_default:
            plans.append(("default", small))
        for policy_name, src in plans:
            policy = policy_file(policy_name, folder)
            for kind in ("scan", "scrub"):
                for workers in (1, 2):
                    r = run_child(kind, src, policy, workers, folder)
                    mbps = sizes[src] / r["wall"]
                    print(
                        f"| {kind} | {policy_name} | {sizes[src]:.2f} | {workers} | {r['wall']:.1f} | {mbps:.2f} | "
                        f"{mbps / workers:.2f} | {r['cpu']:.1f} | {sizes[src] / r['cpu']:.2f} | "
                        f"{r['rss_self_mb']:.0f} | {r['rss_worker_mb']:.0f} |",
                        flush=True,
                    )
        print()
        print("| Presidio BatchAnalyzerEngine (1 process) | MB/s |")
        print("|---|---|")
        for name, mbps in presidio_speed(small, args.presidio_mb).items():
            print(f"| {name} | {mbps:.3f} |", flush=True)


if __name__ == "__main__":
    main()
