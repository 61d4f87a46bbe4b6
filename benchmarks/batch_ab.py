"""A/B of the per-batch check (guard and languages) between two source trees, batch by batch.

    python benchmarks/batch_ab.py OLD_SRC [--mb 16] [--policy patterns] [--rows 500]

On a machine shared with other work, whole runs measured one after the other differ by 10–20 %
in CPU time, more than most changes to the check make. Here two worker processes, one importing
Steward from ``OLD_SRC`` (a copy of ``src`` made before the change) and one from this tree's
``src``, hold the same rows (``scan_speed.py``'s file) and check the same batch of ``--rows``
rows in turn, old and new alternating which goes first; each reports the CPU time
(``resource.getrusage``) of that batch alone, so neighbouring load falls on both sides alike.
Each batch is checked once per worker, as in a scan (a worker remembers short cells). Each side
keeps its own data directory (its own copy of the language model's tables). Prints both totals
in MB per CPU-second, their ratio and the median per-batch ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import scan_speed

WORKER = """
import json, resource, sys
from steward.policy import load_policy
from steward.datascan.batch import BatchConfig, process_batch
from steward.detectors.language import preload
src, policy, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [(i, (("text", json.loads(line)["text"]),)) for i, line in enumerate(open(src, encoding="utf-8"))]
batches = [rows[i : i + size] for i in range(0, len(rows), size)]
config = BatchConfig(load_policy(policy))
preload()  # the language model (decompressed into this side's data directory), outside the batches
process_batch(config, [(0, (("text", "warm up: 12 Main Street, call 555-123-4567"),))])
print(len(batches), flush=True)
for line in sys.stdin:
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    process_batch(config, batches[int(line)])
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    print(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime, flush=True)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old_src", help="a copy of src/ from before the change")
    parser.add_argument("--mb", type=float, default=16)
    parser.add_argument("--policy", default="patterns")
    parser.add_argument("--rows", type=int, default=500)
    args = parser.parse_args()
    new_src = Path(__file__).resolve().parent.parent / "src"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = folder / "rows.jsonl"
        scan_speed.build(data, args.mb)
        policy = scan_speed.policy_file(args.policy, folder)
        workers = {}
        for tag, src in (("old", args.old_src), ("new", str(new_src))):
            env = dict(os.environ, PYTHONPATH=src, STEWARD_DATA_DIR=str(folder / f"data-{tag}"))
            workers[tag] = subprocess.Popen(
                [sys.executable, "-c", WORKER, str(data), policy, str(args.rows)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=env,
            )
        counts = {int(w.stdout.readline()) for w in workers.values() if w.stdout is not None}
        (n,) = counts
        cpu: dict[str, list[float]] = {"old": [], "new": []}
        for k in range(n):
            for tag in ("old", "new") if k % 2 == 0 else ("new", "old"):
                worker = workers[tag]
                assert worker.stdin is not None and worker.stdout is not None
                worker.stdin.write(f"{k}\n")
                worker.stdin.flush()
                cpu[tag].append(float(worker.stdout.readline()))
        for worker in workers.values():
            assert worker.stdin is not None
            worker.stdin.close()
            worker.wait()
        mb = data.stat().st_size / 1e6
    old, new = sum(cpu["old"]), sum(cpu["new"])
    ratio = statistics.median(b / a for a, b in zip(cpu["old"], cpu["new"], strict=True))
    print(
        json.dumps(
            {
                "batches": n,
                "old_mb_per_cpu_s": round(mb / old, 2),
                "new_mb_per_cpu_s": round(mb / new, 2),
                "new_over_old_cpu": round(new / old, 3),
                "median_batch_new_over_old": round(ratio, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
