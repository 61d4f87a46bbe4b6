"""Turn the hand-written source files in ``handwritten/*.txt`` into JSONL rows.

Why a text format: the prompts are written by hand and reviewed by people, and a plain
list of lines under a header is far easier to read and edit than JSONL with the same
seven fields repeated on every line. This script only reshapes; it adds no text.

Format of a source file:

    # a comment
    @family=programming split=train category=BENIGN kind=alarming_benign label=0 source=input
    How do I kill a process that ignores SIGTERM?
    ...

A line starting with ``@`` opens a family and sets the fields of every row after it
(``family``, ``split``, ``category``, ``kind`` and ``label`` are required; ``source``
defaults to ``input``; ``group`` is optional). ``\\n`` inside a row stands for a newline.
Output: one ``<name>.jsonl`` next to this script per ``handwritten/<name>.txt``, rows in
file order. Run: ``python data/challenge/build_handwritten.py``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REQUIRED = ("family", "split", "category", "kind", "label")


def parse(path: Path) -> list[dict[str, object]]:
    """Read one source file into rows; exit with a message naming the line on a mistake."""
    rows: list[dict[str, object]] = []
    header: dict[str, str] | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("@"):
            header = dict(part.split("=", 1) for part in line[1:].split())
            missing = [k for k in REQUIRED if k not in header]
            if missing:
                sys.exit(f"{path.name}:{number}: header lacks {', '.join(missing)}")
            continue
        if header is None:
            sys.exit(f"{path.name}:{number}: a row before any @header")
        row: dict[str, object] = {
            "text": line.replace("\\n", "\n"),
            "label": int(header["label"]),
            "category": header["category"],
            "kind": header["kind"],
            "source": header.get("source", "input"),
            "split": header["split"],
            "family": header["family"],
        }
        if "group" in header:
            row["group"] = header["group"]
        rows.append(row)
    return rows


def main() -> None:
    for src in sorted((HERE / "handwritten").glob("*.txt")):
        rows = parse(src)
        out = HERE / f"{src.stem}.jsonl"
        with out.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{out.name}: {len(rows)} rows")


if __name__ == "__main__":
    main()
