"""Convert every source of the shared development data into eval JSONL files.

    python scripts/convert_shared_data.py OUT_DIR [--data-dir ../shared/data] [--limit N]

Writes ``OUT_DIR/<name>.jsonl`` per converter (see ``steward eval-convert --list``). The
same converters back ``steward eval-convert NAME OUT``; this script just runs them all.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from steward.evaluate.convert import CONVERTERS, convert, write_jsonl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--limit", type=int, default=None, help="at most N rows per source, evenly spaced")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name in CONVERTERS:
        rows = convert(name, args.data_dir, limit=args.limit)
        count = write_jsonl(rows, args.out_dir / f"{name}.jsonl")
        print(f"{name}: {count} rows")


if __name__ == "__main__":
    main()
