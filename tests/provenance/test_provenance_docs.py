"""docs/provenance.md's worked example, run exactly as written (bash, from the repository root)."""

from __future__ import annotations

import re
from pathlib import Path

from user_scripts import run_script, user_environment

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "provenance.md"


def _worked_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("<!-- worked-example:start -->", 1)[1].split("<!-- worked-example:end -->", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1
    return blocks[0]


def test_worked_example_runs_as_written(tmp_path: Path) -> None:
    env = user_environment()
    env.pop("STEWARD_PROVENANCE_KEY", None)
    env["TMPDIR"] = str(tmp_path)
    out = run_script(["bash", "-euo", "pipefail", "-c", _worked_example()], cwd=ROOT, env=env, timeout=120)
    assert "valid and trusted: unchanged since signing" in out
    assert "generator:    stable-diffusion-xl" in out and "guardrail:    image-bot:3" in out
    assert "CHANGED: the image or its manifest was altered after signing (assertion.dataHash.mismatch)" in out
    assert "VALID: the receipt is valid and matches the text" in out
    assert "FAILED: the text was changed" in out
    assert out.count("exit 6") == 2
