"""The README's pseudonym example runs exactly as written and gives what its comments say."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    matching = [b for b in blocks if "PseudonymVault.open(" in b]
    assert len(matching) == 1, "the README should hold one pseudonym example"
    return matching[0]


def test_the_readme_pseudonym_example_runs_as_written() -> None:
    code = _example()
    namespace: dict[str, object] = {}
    exec(compile(code, str(README), "exec"), namespace)  # our own README
    # Every "expression  # 'value'" line of the example evaluates to the value in its comment.
    claims = re.findall(r"^(\S.*?)\s+# ('.*')$", code, flags=re.M)
    assert len(claims) == 2
    for expression, expected in claims:
        assert repr(eval(expression, namespace)) == expected  # our own README
