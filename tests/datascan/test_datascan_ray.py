"""The Ray Data engine on a local instance gives exactly what the local engine gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from steward.datascan.scan import ScanOptions, scan
from steward.datascan.scrub import ScrubOptions, scrub
from steward.policy import load_policy


@pytest.fixture
def local_ray() -> Iterator[None]:
    ray = pytest.importorskip("ray", reason="the ray extra is in the dev extra; CI installs it")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    try:
        yield
    finally:
        ray.shutdown()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")
def test_ray_and_local_engines_agree(local_ray: None, presidio_jsonl: Path, tmp_path: Path) -> None:
    policy = load_policy("pii-mask")
    common = {"policy": policy, "chunk_rows": 15, "groups": ["id"]}
    local = scan(presidio_jsonl, ScanOptions(workers=1, **common))  # type: ignore[arg-type]
    on_ray = scan(presidio_jsonl, ScanOptions(engine="ray", workers=2, **common))  # type: ignore[arg-type]
    assert on_ray == local
    assert local["overall"]["pii"]  # something was found, so agreement means something

    key = {"pseudonyms": True, "vault_key": "k", "chunk_rows": 15, "policy": policy}
    a = scrub(
        presidio_jsonl,
        tmp_path / "local.jsonl",
        ScrubOptions(vault_path=tmp_path / "a.vault", workers=1, **key),
    )  # type: ignore[arg-type]
    b = scrub(
        presidio_jsonl,
        tmp_path / "ray.jsonl",
        ScrubOptions(vault_path=tmp_path / "b.vault", engine="ray", workers=2, **key),  # type: ignore[arg-type]
    )
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert a["counts"] == b["counts"]
    assert a["output"]["sha256"] == b["output"]["sha256"]
