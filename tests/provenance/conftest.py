"""Fixtures for provenance tests: a test CA chain made by the example script, and small images.

The chain is made at test time with openssl through ``examples/provenance/make_test_ca.sh``,
the same script users run. A machine without openssl fails these tests rather than skipping
them: signing is untested there, and that must show.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKE_CA = ROOT / "examples" / "provenance" / "make_test_ca.sh"


def make_chain(out: Path, common_name: str = "Steward test signer") -> Path:
    """Run the example script into ``out``; fail (never skip) if openssl or the script fails."""
    if shutil.which("openssl") is None:
        pytest.fail("openssl is not installed: the provenance tests need it to make a test CA chain")
    done = subprocess.run(
        ["bash", str(MAKE_CA), str(out), common_name], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with ca.pem, chain.pem, signer.key (see make_test_ca.sh)."""
    return make_chain(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second, unrelated test CA chain (for wrong keys and foreign trust anchors)."""
    return make_chain(tmp_path_factory.mktemp("ca2"), "Someone else")
