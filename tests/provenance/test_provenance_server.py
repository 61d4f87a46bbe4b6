"""Receipts on proxy answers and the well-known key route, in the real app with a fake upstream.

The upstream is the tests' fake model server on loopback (:mod:`loopback_servers`), answering
each chat request with the canned completion its model names (``say:<name>``), so the proxy's
real path runs: guard the input, call upstream, guard the answer, sign it, send it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi.testclient import TestClient

from loopback_servers import running_upstream
from seeded_database import seed_database
from steward.errors import InputError
from steward.provenance.issuer import RECEIPT_HEADER, RECEIPTS_ENV, ReceiptIssuer
from steward.provenance.keys import KEY_ENV
from steward.provenance.receipt import Decision, Problem, decode_receipt, verify_receipt
from steward.server.app import create_app
from steward.settings import Settings

POLICY = {
    "name": "receipts",
    "sensitive_information": {
        "regexes": [
            {"name": "EMAIL", "pattern": r"[a-z.]+@[a-z.]+\.[a-z]{2,}", "action": "ANONYMIZE"},
            {"name": "SECRET", "pattern": r"launch code \d+", "action": "BLOCK"},
        ]
    },
    "blocked_output_message": "Steward withheld this answer.",
}
ANSWERS = {
    "plain": "The office opens at 9.",
    "email": "Write to jane@example.org.",
    "secret": "The launch code 1234 opens it.",
}
#: Each canned answer's name, the decision its receipt states, and the text the client gets.
SIGNED = (
    ("plain", Decision.PASSED, ANSWERS["plain"]),
    ("email", Decision.MASKED, "Write to {EMAIL}."),
    ("secret", Decision.BLOCKED, "Steward withheld this answer."),
)


@pytest.fixture(scope="module")
def upstream_url() -> Iterator[str]:
    with running_upstream(canned=ANSWERS) as upstream:
        yield upstream.url


def _app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_url: str, **env: str
) -> tuple[TestClient, str]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'steward.db'}", data_dir=tmp_path / "data")
    bearer = seed_database(settings, {"bot": POLICY})
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.setenv("STEWARD_UPSTREAM_URL", upstream_url)
    monkeypatch.setenv("STEWARD_PROXY_GUARDRAIL", "bot")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return TestClient(create_app(settings, prepare=False), raise_server_exceptions=False), bearer


def _chat(client: TestClient, bearer: str, name: str) -> Any:
    return client.post(
        "/v1/chat/completions",
        json={"model": f"say:{name}", "messages": [{"role": "user", "content": "hi"}]},
        headers={"authorization": f"Bearer {bearer}"},
    )


def _published_key(client: TestClient, tmp_path: Path) -> Path:
    response = client.get("/.well-known/steward-provenance-key")  # no key: it is public
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=3600"
    jwks = response.json()
    assert [k["kty"] for k in jwks["keys"]] == ["OKP"]
    path = tmp_path / "published.jwks"
    path.write_text(json.dumps(jwks))
    return path


@contextmanager
def _signing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_url: str
) -> Iterator[tuple[TestClient, str, Ed25519PublicKey]]:
    """The app with receipts on, running; its app key; and the public key it publishes."""
    from steward.provenance.keys import load_public_key

    client, bearer = _app(tmp_path, monkeypatch, upstream_url, **{RECEIPTS_ENV: "true"})
    with client:
        yield client, bearer, load_public_key(_published_key(client, tmp_path))


def test_answers_carry_receipts_that_verify_with_the_published_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_url: str
) -> None:
    with _signing(tmp_path, monkeypatch, upstream_url) as (client, bearer, public):
        for name, decision, text in SIGNED:
            response = _chat(client, bearer, name)
            assert response.status_code == 200, response.text
            body = response.json()
            content = body["choices"][0]["message"]["content"]
            assert content == text
            receipt = response.headers[RECEIPT_HEADER]
            assert body["steward"]["provenance"] == [{"index": 0, "receipt": receipt}]
            check = verify_receipt(content, receipt, public)
            assert check.ok, check.message
            claims = check.receipt
            assert claims.decision is decision and claims.model == f"say:{name}"
            assert (claims.guardrail_id, claims.guardrail_version) == ("bot", "1")
            assert claims.request_id == f"{response.headers['x-steward-request-id']}-out-0"
            # The client changing the answer is caught.
            assert verify_receipt(content + "!", receipt, public).problem is Problem.TEXT_CHANGED
    assert (tmp_path / "data" / "provenance.key").exists()


def test_receipts_are_off_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_url: str
) -> None:
    monkeypatch.delenv(RECEIPTS_ENV, raising=False)
    client, bearer = _app(tmp_path, monkeypatch, upstream_url)
    with client:
        response = _chat(client, bearer, "plain")
        assert response.status_code == 200 and RECEIPT_HEADER not in response.headers
        assert "provenance" not in response.json()["steward"]


def test_unusable_configured_key_answers_503_without_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_url: str
) -> None:
    client, _ = _app(tmp_path, monkeypatch, upstream_url)
    bad = tmp_path / "secret-place" / "bad.pem"
    bad.parent.mkdir()
    bad.write_text("not a key")
    monkeypatch.setenv(KEY_ENV, str(bad))
    with client:
        response = client.get("/.well-known/steward-provenance-key")
    assert response.status_code == 503 and "secret-place" not in response.text
    assert "provenance key is unusable" in response.text


def test_issuer_setting_is_checked(tmp_path: Path) -> None:
    assert ReceiptIssuer.from_env(tmp_path, {}) is None
    assert ReceiptIssuer.from_env(tmp_path, {RECEIPTS_ENV: "off"}) is None
    with pytest.raises(InputError, match=f"{RECEIPTS_ENV}: must be true or false"):
        ReceiptIssuer.from_env(tmp_path, {RECEIPTS_ENV: "maybe"})
    assert ReceiptIssuer.from_env(tmp_path, {RECEIPTS_ENV: "1"}) is not None


def test_choices_without_text_get_no_receipt_and_several_are_comma_separated() -> None:
    issuer = ReceiptIssuer(Ed25519PrivateKey.generate())
    answer: dict[str, Any] = {
        "model": "m",
        "choices": [
            {"index": 0, "message": {"content": "one"}},
            {"index": 1, "message": {"content": None, "tool_calls": []}},
            {"index": 2, "message": {"content": "two"}},
            {"index": 3, "message": {"content": "lone \ud800 surrogate"}},
        ],
    }
    headers: dict[str, str] = {}
    issuer.attach(
        answer,
        headers,
        request_id="r",
        guardrail_id="g",
        version="1",
        choices=[(c, "PASSED") for c in answer["choices"]],
    )
    receipts = headers[RECEIPT_HEADER].split(", ")
    assert [item["index"] for item in answer["steward"]["provenance"]] == [0, 2]
    assert [decode_receipt(r).request_id for r in receipts] == ["r-out-0", "r-out-2"]
    assert verify_receipt("two", receipts[1], issuer.key.public_key()).ok


def test_streamed_answers_carry_a_receipt_in_the_final_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_url: str
) -> None:
    with _signing(tmp_path, monkeypatch, upstream_url) as (client, bearer, public):
        for name, decision, text in SIGNED[:2]:  # the passed and the masked answer
            response = client.post(
                "/v1/chat/completions",
                json={
                    "model": f"say:{name}",
                    "stream": True,
                    "messages": [{"role": "user", "content": "hi"}],
                },
                headers={"authorization": f"Bearer {bearer}"},
            )
            assert response.status_code == 200, response.text
            events = [
                json.loads(line[6:])
                for line in response.text.splitlines()
                if line.startswith("data: ") and line != "data: [DONE]"
            ]
            sent = "".join(c["delta"].get("content") or "" for e in events for c in e["choices"])
            assert sent == text
            receipts = [e["steward"]["provenance"] for e in events if "provenance" in e.get("steward", {})]
            assert len(receipts) == 1 and receipts[0][0]["index"] == 0
            check = verify_receipt(sent, receipts[0][0]["receipt"], public)
            assert check.ok, check.message
            assert check.receipt.decision is decision and check.receipt.model == f"say:{name}"


def test_the_audit_record_of_an_answer_keeps_its_receipt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_url: str
) -> None:
    from click.testing import CliRunner

    from steward.audit.search import AuditQuery, search
    from steward.cli import main

    client, bearer = _app(tmp_path, monkeypatch, upstream_url, **{RECEIPTS_ENV: "true"})
    with client:
        plain = _chat(client, bearer, "email")
        streamed = client.post(
            "/v1/chat/completions",
            json={"model": "say:plain", "stream": True, "messages": [{"role": "user", "content": "hi"}]},
            headers={"authorization": f"Bearer {bearer}"},
        )
        state = client.app.state.steward  # type: ignore[attr-defined]
        state.audit.flush()
        records = {r["requestId"]: r for r in search(state.sessions, AuditQuery(limit=100))["records"]}
    final = [json.loads(line[6:]) for line in streamed.text.splitlines() if '"provenance"' in line]
    expected = {
        f"{plain.headers['x-steward-request-id']}-out-0": plain.headers[RECEIPT_HEADER],
        f"{streamed.headers['x-steward-request-id']}-out-0": final[0]["steward"]["provenance"][0]["receipt"],
    }
    assert {rid: records[rid]["receipt"] for rid in expected} == expected
    # Input decisions cover no answer text: no receipt.
    assert records[f"{plain.headers['x-steward-request-id']}-in-0"]["receipt"] is None
    # `steward audit export` shows it, as a user would read it.
    url = f"sqlite:///{tmp_path / 'steward.db'}"
    result = CliRunner().invoke(main, ["audit", "export", "--database-url", url])
    assert result.exit_code == 0, result.output
    exported = {r["requestId"]: r["receipt"] for r in map(json.loads, result.output.splitlines()) if r}
    assert all(exported[rid] == receipt for rid, receipt in expected.items())
