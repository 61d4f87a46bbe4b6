"""HTTP callers name built-in packs only: a path, a file in the server's working directory or any
other name is a 400 listing the packs, and reveals nothing about the server's files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from steward.policy import list_packs

_PROBES = [
    "LICENSE",
    "README.md",
    "probe.yaml",
    "default.yaml",
    "../etc/passwd",
    "/etc/passwd",
    "no-such-pack",
]


@pytest.fixture
def planted_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding files a caller might try to name as packs.

    ``probe.yaml`` is a valid policy (it would be used if names reached the file system);
    ``LICENSE`` is not YAML (its parse error would reveal the file's shape); ``default`` is a
    file with the name of a pack.
    """
    (tmp_path / "probe.yaml").write_text("name: probe\nword_filters:\n  words: [planted]\n", encoding="utf-8")
    (tmp_path / "LICENSE").write_text("line one\n  : not: yaml: [\n", encoding="utf-8")
    (tmp_path / "default").write_text("name: planted\nword_filters:\n  words: [planted]\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _assert_names_packs_only(r: Any, name: str) -> None:
    """The answer names the value and the packs, and nothing the server could only know from its disk."""
    assert r.status_code == 400, r.text
    assert (
        r.json()["message"]
        == f"pack: {name!r} is not a built-in pack; the packs are: {', '.join(list_packs())}"
    )


@pytest.mark.parametrize("name", _PROBES)
def test_check_refuses_anything_but_a_pack_name(
    client: TestClient, app_key: dict[str, str], planted_cwd: Path, name: str
) -> None:
    r = client.post("/v1/check", json={"text": "planted", "pack": name}, headers=app_key)
    _assert_names_packs_only(r, name)


@pytest.mark.parametrize("name", _PROBES)
def test_create_guardrail_refuses_anything_but_a_pack_name(
    client: TestClient, admin: dict[str, str], planted_cwd: Path, name: str
) -> None:
    r = client.post("/v1/guardrails", json={"id": "packprobe", "pack": name}, headers=admin)
    _assert_names_packs_only(r, name)


def test_a_file_named_like_a_pack_is_not_used(
    client: TestClient, app_key: dict[str, str], planted_cwd: Path
) -> None:
    """A file called ``default`` in the working directory does not replace the pack ``default``."""
    r = client.post("/v1/check", json={"text": "planted", "pack": "default"}, headers=app_key)
    assert r.status_code == 200, r.text
    assert r.json()["action"] == "NONE"


def test_the_schema_lists_the_packs(client: TestClient, app_key: dict[str, str]) -> None:
    schema = client.get("/openapi.json", headers=app_key).json()["components"]["schemas"]
    assert schema["CheckRequest"]["properties"]["pack"]["anyOf"][0]["enum"] == list_packs()
