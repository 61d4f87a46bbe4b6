"""Data-set scan and scrub speed: MB per CPU-second, scaling with processes, peak memory; Presidio beside it.

    python benchmarks/scan_speed.py [--small-mb 1] [--large-mb 4] [--presidio-mb 0.5] [--repeat 3] [--no-default]
                                    [--rows unique|repeated] [--workers 1,2]
                                    [--kinds scan,scan-all-languages,scan-no-languages,scrub]

Input: JSON Lines built from two MIT-licensed sets in ../shared/data: presidio-research's
synthetic PII sentences and the Anthropic HH-RLHF harmless-base test transcripts (both the
``chosen`` and ``rejected`` dialogue), interleaved and repeated until the file reaches the size
asked for. The two sets hold 6,936 distinct texts (about 3.9 MB of JSONL); a larger file
repeats them. A worker remembers the result of every cell of at most 256 characters
(``datascan/batch.py``, ``CACHE_TEXT_MAX``), so a repeated short row costs almost nothing and
would flatter every file past the first 3.9 MB. With ``--rows unique`` (the default) each
repeat starts with its copy number (``#2 ``, ``#3 ``, ...: a token of no language and no PII),
so every row is checked; ``--rows repeated`` repeats the texts as they are (the figures of
earlier sessions). Each run is a fresh Python process (so its peak memory is its own) that
reports wall time, CPU time and ``resource.getrusage`` peak RSS of itself and of its workers
(workers are forked by the run itself, or by multiprocessing's fork server, which the run then
stops and waits for before reading ``RUSAGE_CHILDREN``, so the server's CPU and its workers' are
counted).

Policies:
- ``patterns``: ``pii-mask`` without NAME: the deterministic detectors only (patterns,
  checksums, validators; 30 PII types);
- ``pii-mask``: all 31 PII types, names by the shipped name tagger (a small linear model);
- ``default``: the full default policy (content filters, prompt attacks, denied topics,
  words, PII, languages) with its learned ONNX models.

``scan`` is ``steward scan`` as it runs by default: it also reports the language mix, of every
cell up to 2 MiB of input and past that of a sample of the cells, about 2 MiB of them, chosen by
a hash of their text (``datascan/batch.py``, ``LANGUAGE_SAMPLE_BYTES``; the share is printed with
the input); ``scan-all-languages`` (``--all-languages``) identifies the language of every cell,
which on the benchmark's rows is about a third of a ``patterns`` scan's CPU;
``scan-no-languages`` is ``steward scan --no-languages``, the detectors alone; ``scrub`` writes
the masked copy and manifest.
Presidio's ``BatchAnalyzerEngine`` (2.2, offline: spaCy's small English model by path, or no
NER at all) analyses the same texts in the same run, in this process.

The figure that counts is MB per CPU-second: input megabytes / CPU seconds of the run and its
workers (``getrusage`` of the process and its children). On a machine shared with other work
the wall clock measures the neighbours too; the CPU time far less. Each configuration runs
``--repeat`` times and the median is printed. ``start-up`` is the CPU a run of the same
configuration spends on a file of one row per process, read one row a chunk, so that every
worker starts (imports, building the guard, loading the language model), and "after
start-up" divides by the CPU beyond it: the rate a long file approaches. ``× Presidio`` is MB
per CPU-second over Presidio's regex-only batch analyzer's, measured in this run.

Scaling with processes is a wall-clock figure: wall MB/s with N processes over wall MB/s with
one, on the same file. What N processes can give on this machine is measured beside it, in
the same run, two ways: N one-process runs of the same configuration started together (N × one
run's wall time / the slowest of theirs: the processes share the cores' caches and memory
bandwidth, but nothing else couples them), and N copies of a pure-CPU Python loop (the same
ratio; no memory traffic at all). A pool of N workers also has the driver on the same cores (for
this JSON Lines input it only finds the chunks' line ranges and adds their counts: the workers
read, parse and sum), N workers to start instead of one (and a fork server, where the driver cannot fork them itself).
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

from steward.datascan.batch import language_share_for

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


def build(path: Path, megabytes: float, *, unique: bool = True) -> None:
    """``megabytes`` of JSONL rows; repeats of the source texts start with their copy number when ``unique``."""
    target = int(megabytes * 1_000_000)
    rows = texts()
    size = n = 0
    with path.open("w", encoding="utf-8") as handle:
        while size < target:
            copy, text = divmod(n, len(rows))[0] + 1, rows[n % len(rows)]
            if unique and copy > 1:
                text = f"#{copy} {text}"
            line = json.dumps({"id": n, "text": text}, ensure_ascii=False) + "\n"
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


#: What a run can do: a scan as by default, with every cell's language, without languages, a scrub.
KINDS = ("scan", "scan-all-languages", "scan-no-languages", "scrub")

CHILD = """
import json, resource, sys, time
from pathlib import Path
from steward.policy import load_policy
kind, src, policy, workers, out = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
chunk_rows = int(sys.argv[6])
pol = load_policy(policy)
t = time.perf_counter()
r0, c0 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
if kind.startswith("scan"):
    from steward.datascan.scan import ScanOptions, scan
    options = ScanOptions(
        policy=pol,
        workers=workers,
        chunk_rows=chunk_rows,
        languages=kind != "scan-no-languages",
        all_languages=kind == "scan-all-languages",
    )
    scan(src, options)
else:
    from steward.datascan.scrub import ScrubOptions, scrub
    scrub(src, Path(out), ScrubOptions(policy=pol, workers=workers, chunk_rows=chunk_rows))
wall = time.perf_counter() - t
import multiprocessing.forkserver as fs
stop = getattr(getattr(fs, "_forkserver", None), "_stop", None)
if stop is not None:
    stop()  # wait for the fork server, which waited for its workers: their CPU is then our children's
r1, c1 = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = sum(b.ru_utime + b.ru_stime - a.ru_utime - a.ru_stime for a, b in ((r0, r1), (c0, c1)))
print(json.dumps({"wall": wall, "cpu": cpu, "rss_self_mb": r1.ru_maxrss / 1024, "rss_worker_mb": c1.ru_maxrss / 1024}))
"""


def start_child(
    kind: str, src: Path, policy: str, workers: int, folder: Path, chunk_rows: int = 500, tag: str = ""
) -> subprocess.Popen[str]:
    """A fresh process running one scan or scrub; its last line of output is the run's figures."""
    out = folder / f"out-{kind}-{workers}{tag}.jsonl"
    for leftover in (out, out.with_name(out.name + ".manifest.json")):
        leftover.unlink(missing_ok=True)
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, kind, str(src), policy, str(workers), str(out), str(chunk_rows)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=folder,
    )


def figures(child: subprocess.Popen[str]) -> dict[str, float]:
    """What a child from :func:`start_child` measured, once it has finished."""
    out, _ = child.communicate()
    if child.returncode:
        raise RuntimeError(f"a benchmark run failed (exit status {child.returncode})")
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]


def run_child(
    kind: str, src: Path, policy: str, workers: int, folder: Path, chunk_rows: int = 500
) -> dict[str, float]:
    return figures(start_child(kind, src, policy, workers, folder, chunk_rows))


def independent_runs(kind: str, src: Path, policy: str, n: int, folder: Path) -> float:
    """Wall time of ``n`` one-process runs of the same configuration started together (the slowest):
    what ``n`` processes achieve on this machine when nothing couples them."""
    children = [start_child(kind, src, policy, 1, folder, tag=f"-alone{i}") for i in range(n)]
    return max(figures(c)["wall"] for c in children)


def median_run(
    kind: str, src: Path, policy: str, workers: int, folder: Path, repeat: int, chunk_rows: int = 500
) -> dict[str, float]:
    """The run of median CPU time among ``repeat`` runs (its wall time and memory with it)."""
    runs = sorted(
        (run_child(kind, src, policy, workers, folder, chunk_rows) for _ in range(repeat)),
        key=lambda r: r["cpu"],
    )
    return runs[len(runs) // 2]


LOOP = """
import sys, time
t = time.perf_counter()
n = 0
for i in range(int(sys.argv[1])):
    n = (n + i * i) % 1_000_003
print(time.perf_counter() - t)
"""


def ceiling(processes: int, steps: int = 30_000_000) -> float:
    """How much more work ``processes`` pure-CPU Python loops started together do per second than
    one alone: ``processes`` × one loop's wall time / the slowest of the concurrent loops'."""

    def together(n: int) -> float:
        runs = [
            subprocess.Popen([sys.executable, "-c", LOOP, str(steps)], stdout=subprocess.PIPE, text=True)
            for _ in range(n)
        ]
        return max(float(r.communicate()[0]) for r in runs)

    alone = min(together(1) for _ in range(2))
    return processes * alone / min(together(processes) for _ in range(2))


def presidio_speed(src: Path, megabytes: float) -> dict[str, dict[str, float]]:
    """MB/s and MB per CPU-second of Presidio's BatchAnalyzerEngine, regex-only and with spaCy,
    on the first ``megabytes`` (warm: the engines are built and have seen a few texts)."""
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
        t, c = time.perf_counter(), time.process_time()
        list(batch.analyze_iterator(rows, language="en", batch_size=64))
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        out[name] = {"mbps": size / 1e6 / wall, "mb_per_cpu_s": size / 1e6 / cpu}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small-mb", type=float, default=1.0, help="0 leaves the small file out")
    ap.add_argument("--large-mb", type=float, default=4.0)
    ap.add_argument("--presidio-mb", type=float, default=0.5)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each configuration (the median is shown)")
    ap.add_argument("--workers", default="1,2", help="process counts to run, comma-separated")
    ap.add_argument("--policies", default="patterns,pii-mask", help="besides default (see --no-default)")
    ap.add_argument(
        "--kinds",
        default=",".join(KINDS),
        help="scan (as by default), scan-all-languages (--all-languages), scan-no-languages (--no-languages), scrub",
    )
    ap.add_argument("--no-default", action="store_true", help="skip the full default policy (slow)")
    ap.add_argument(
        "--rows",
        choices=("unique", "repeated"),
        default="unique",
        help="repeats of the source texts made distinct (default) or left as they are",
    )
    args = ap.parse_args()
    unknown = set(args.kinds.split(",")) - set(KINDS)
    if unknown:
        ap.error(f"--kinds: unknown {', '.join(sorted(unknown))} (choose from {', '.join(KINDS)})")
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small, large, one = folder / "small.jsonl", folder / "large.jsonl", folder / "one.jsonl"
        files = [large] if args.small_mb <= 0 else [small, large]
        unique = args.rows == "unique"
        if args.small_mb > 0:
            build(small, args.small_mb, unique=unique)
        build(large, args.large_mb, unique=unique)
        build(one, 0.02)  # a few rows: one per process (one a chunk) is what a run costs before it reads
        sizes = {f: f.stat().st_size / 1e6 for f in files}
        print(
            f"input: {', '.join(f'{mb:.2f} MB' for mb in sizes.values())} of JSONL (presidio synth + HH-RLHF), "
            + ("every row distinct" if unique else "the 6,936 source texts repeated as they are")
        )
        print(
            "share of cells whose language a default scan identifies: "
            + ", ".join(
                f"{language_share_for(f.stat().st_size):.1%} of the {mb:.2f} MB" for f, mb in sizes.items()
            )
        )
        print(f"cores: {len(os.sched_getaffinity(0))}; load average at start: {os.getloadavg()[0]:.1f}")
        plans = [(p, f) for p in args.policies.split(",") for f in files]
        if not args.no_default:
            plans.append(("default", files[0]))
        rows = []
        for policy_name, src in plans:
            policy = policy_file(policy_name, folder)
            for kind in args.kinds.split(","):
                for workers in (int(w) for w in args.workers.split(",")):
                    first = one.with_name(f"first-{workers}.jsonl")  # one row per process
                    lines = one.read_text(encoding="utf-8").splitlines(True)
                    first.write_text("".join(lines[i % len(lines)] for i in range(workers)), encoding="utf-8")
                    base = median_run(kind, first, policy, workers, folder, args.repeat, chunk_rows=1)
                    rows.append(
                        (
                            kind,
                            policy_name,
                            sizes[src],
                            workers,
                            base,
                            median_run(kind, src, policy, workers, folder, args.repeat),
                        )
                    )
                    print(
                        f"measured {kind} {policy_name} {sizes[src]:.2f} MB, {workers} process(es)",
                        flush=True,
                    )
        counts = sorted({int(w) for w in args.workers.split(",")} - {1})
        ceilings = {n: ceiling(n) for n in counts}
        alone = {
            (kind, policy_name, mb, workers): independent_runs(
                kind, src, policy_file(policy_name, folder), workers, folder
            )
            for kind, policy_name, mb, workers, _, _ in rows
            if workers > 1
            for src in files
            if sizes[src] == mb
        }
        # Presidio last: a child started after spaCy is loaded would report this process's peak RSS.
        presidio = presidio_speed(files[0], args.presidio_mb)
        reference = presidio["presidio-regex"]["mb_per_cpu_s"]
        print()
        print(
            "| run | policy | file MB | processes | CPU s | start-up CPU s | MB per CPU-s | after start-up "
            "| × Presidio regex | wall s | wall MB/s | peak RSS driver MB | peak RSS worker MB |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for kind, policy_name, mb, workers, base, r in rows:
            per_cpu = mb / r["cpu"]
            after = f"{mb / (r['cpu'] - base['cpu']):.2f}" if r["cpu"] > base["cpu"] else "–"
            print(
                f"| {kind} | {policy_name} | {mb:.2f} | {workers} | {r['cpu']:.2f} | {base['cpu']:.2f} | "
                f"{per_cpu:.2f} | {after} | {per_cpu / reference:.1f} | {r['wall']:.1f} | "
                f"{mb / r['wall']:.2f} | {r['rss_self_mb']:.0f} | {r['rss_worker_mb']:.0f} |"
            )
        single = {(k, p, mb): (b, r) for k, p, mb, w, b, r in rows if w == 1}
        scaled = [(k, p, mb, w, b, r) for k, p, mb, w, b, r in rows if w > 1 and (k, p, mb) in single]
        if scaled:
            print()
            print(
                "| run | policy | file MB | processes | wall MB/s × 1 process | start-up wall s (1 / N) "
                "| after start-up × 1 process | ceiling: as many 1-process runs at once | ceiling: pure-CPU loops |"
            )
            print("|---|---|---|---|---|---|---|---|---|")
            for kind, policy_name, mb, workers, base, r in scaled:
                one_base, one = single[(kind, policy_name, mb)]
                runs_ceiling = workers * one["wall"] / alone[(kind, policy_name, mb, workers)]
                # Throughput once the pool runs: the wall time of a one-row-per-process run (start-up,
                # a fork server and its workers) taken off each; what a longer file tends to.
                steady = (one["wall"] - one_base["wall"]) / (r["wall"] - base["wall"])
                print(
                    f"| {kind} | {policy_name} | {mb:.2f} | {workers} | {one['wall'] / r['wall']:.2f} "
                    f"| {one_base['wall']:.2f} / {base['wall']:.2f} | {steady:.2f} "
                    f"| {runs_ceiling:.2f} | {ceilings[workers]:.2f} |"
                )
        print()
        print("| Presidio BatchAnalyzerEngine (1 process, warm) | MB per CPU-s | wall MB/s |")
        print("|---|---|---|")
        for name, speed in presidio.items():
            print(f"| {name} | {speed['mb_per_cpu_s']:.3f} | {speed['mbps']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
