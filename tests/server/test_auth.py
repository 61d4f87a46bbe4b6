from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from server_helpers import apply_body, bearer, sigv4_sign

from steward.errors import AuthError
from steward.server import auth as auth_module
from steward.server.auth import Authenticator, Caller
from steward.server.state import ServerState
from steward.store.keys import NewKey, Role


def _signed(
    key: NewKey, path: str, body: bytes, *, secret: str | None = None, when: datetime | None = None
) -> dict[str, str]:
    amz_date = (when or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    headers = {"host": "testserver", "x-amz-date": amz_date, "content-type": "application/json"}
    auth = sigv4_sign(
        access_key_id=key.id,
        secret=secret or key.secret,
        method="POST",
        raw_path=path,
        raw_query="",
        headers=headers,
        body=body,
        region="us-east-1",
        service="bedrock",
        amz_date=amz_date,
    )
    return {**headers, "authorization": auth}


def test_health_and_about_need_no_key(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    about = client.get("/about").json()
    assert about["name"] == "Steward" and about["dataLeavesThisServer"] is False


def test_no_key_is_401(client: TestClient, new_guardrail: Callable[..., str]) -> None:
    gid = new_guardrail()
    r = client.post(f"/guardrail/{gid}/version/1/apply", json=apply_body("hi"))
    assert r.status_code == 401
    assert r.headers["x-amzn-errortype"] == "UnrecognizedClientException"
    assert "missing credentials" in r.json()["message"]
    assert client.get("/v1/guardrails").status_code == 401
    assert client.get("/v1/audit").status_code == 401


def test_wrong_secret_and_unknown_key_are_401(client: TestClient, make_key: Callable[[Role], NewKey]) -> None:
    key = make_key(Role.ADMIN)
    wrong = {"Authorization": f"Bearer {key.id}.not-the-secret"}
    assert client.get("/v1/guardrails", headers=wrong).status_code == 401
    unknown = {"Authorization": "Bearer STWNOSUCHKEY00000000.secret"}
    assert client.get("/v1/guardrails", headers=unknown).status_code == 401
    for garbage in ("Bearer", "Bearer nodot", "Basic abc", "AWS4-HMAC-SHA256 nonsense"):
        assert client.get("/v1/guardrails", headers={"Authorization": garbage}).status_code == 401, garbage


def test_roles_are_enforced(
    client: TestClient, make_key: Callable[[Role], NewKey], new_guardrail: Callable[..., str]
) -> None:
    gid = new_guardrail()
    app_h, reviewer_h, auditor_h = (bearer(make_key(r)) for r in (Role.APP, Role.REVIEWER, Role.AUDITOR))
    apply_url = f"/guardrail/{gid}/version/1/apply"
    assert client.post(apply_url, json=apply_body("hi"), headers=app_h).status_code == 200
    for headers in (reviewer_h, auditor_h):
        r = client.post(apply_url, json=apply_body("hi"), headers=headers)
        assert r.status_code == 403 and r.headers["x-amzn-errortype"] == "AccessDeniedException"
        assert client.get("/v1/audit", headers=headers).status_code == 200
        assert client.get("/v1/guardrails", headers=headers).status_code == 200
        assert client.post(f"/v1/guardrails/{gid}/versions", json={}, headers=headers).status_code == 403
    assert client.get("/v1/audit", headers=app_h).status_code == 403
    assert client.post("/v1/keys", json={"role": "admin"}, headers=app_h).status_code == 403
    assert client.delete(f"/v1/guardrails/{gid}", headers=auditor_h).status_code == 403


def test_revoked_key_stops_working(
    client: TestClient, admin: dict[str, str], new_guardrail: Callable[..., str]
) -> None:
    gid = new_guardrail()
    created = client.post("/v1/keys", json={"role": "app", "name": "svc"}, headers=admin).json()
    headers = {"Authorization": f"Bearer {created['id']}.{created['secret']}"}
    url = f"/guardrail/{gid}/version/1/apply"
    assert client.post(url, json=apply_body("hi"), headers=headers).status_code == 200
    listed = client.get("/v1/keys", headers=admin).json()["keys"]
    assert all("secret" not in k for k in listed)
    assert client.delete(f"/v1/keys/{created['id']}", headers=admin).json()["revokedAt"] is not None
    r = client.post(url, json=apply_body("hi"), headers=headers)
    assert r.status_code == 401 and "revoked" in r.json()["message"]


def test_sigv4_signed_request_is_accepted(
    client: TestClient, make_key: Callable[[Role], NewKey], new_guardrail: Callable[..., str]
) -> None:
    gid = new_guardrail()
    key = make_key(Role.APP)
    path = f"/guardrail/{gid}/version/1/apply"
    body = b'{"source":"INPUT","content":[{"text":{"text":"hello"}}]}'
    r = client.post(path, content=body, headers=_signed(key, path, body))
    assert r.status_code == 200, r.text


def test_bad_sigv4_signatures_are_refused(
    client: TestClient, make_key: Callable[[Role], NewKey], new_guardrail: Callable[..., str]
) -> None:
    gid = new_guardrail()
    key = make_key(Role.APP)
    path = f"/guardrail/{gid}/version/1/apply"
    body = b'{"source":"INPUT","content":[{"text":{"text":"hello"}}]}'
    wrong_secret = client.post(path, content=body, headers=_signed(key, path, body, secret="x" * 40))
    assert wrong_secret.status_code == 403
    assert wrong_secret.headers["x-amzn-errortype"] == "InvalidSignatureException"
    tampered = client.post(path, content=body.replace(b"hello", b"hellp"), headers=_signed(key, path, body))
    assert tampered.status_code == 403
    stale = _signed(key, path, body, when=datetime.now(UTC) - timedelta(hours=1))
    r = client.post(path, content=body, headers=stale)
    assert r.status_code == 403 and "server clock" in r.json()["message"]


def test_key_secret_is_stored_hashed_and_sealed(state: ServerState) -> None:
    key = state.keys.create(Role.APP)
    stored = state.keys.lookup(key.id)
    assert stored is not None
    assert key.secret not in stored.secret_hash and key.secret not in stored.secret_sealed
    assert stored.secret_hash.startswith("scrypt$")
    assert state.keys.sealer.unseal(stored.secret_sealed) == key.secret


def _request(authorization: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/",
            "query_string": b"",
            "headers": [(b"authorization", authorization.encode())],
        }
    )


def test_a_new_tokens_check_runs_off_the_event_loop(
    state: ServerState, make_key: Callable[[Role], NewKey], monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a new token's scrypt check runs, the event loop answers a known token at once. On
    the loop, the check (3.2 s measured on a loaded machine) stalled every request meanwhile."""
    auth = Authenticator(state.keys)
    known, new = make_key(Role.APP), make_key(Role.AUDITOR)
    auth.bearer(f"{known.id}.{known.secret}")  # verified: answered from memory from now on
    loop_thread = threading.get_ident()  # asyncio.run runs its loop in this thread
    entered, release = threading.Event(), threading.Event()
    checked_on: list[int] = []
    real = auth_module.verify_secret

    def held(secret: str, hashed: str) -> bool:
        checked_on.append(threading.get_ident())
        entered.set()
        if threading.get_ident() != loop_thread:  # held on the loop, it would hang the test
            release.wait(10)
        return real(secret, hashed)

    monkeypatch.setattr(auth_module, "verify_secret", held)

    async def meanwhile() -> tuple[bool, Caller, Caller]:
        cold = asyncio.create_task(auth.authenticate(_request(f"Bearer {new.id}.{new.secret}")))
        try:
            await asyncio.to_thread(entered.wait, 10)
            hot = await auth.authenticate(_request(f"Bearer {known.id}.{known.secret}"))
            still_checking = not cold.done()
        finally:
            release.set()
        return still_checking, hot, await cold

    still_checking, hot, cold = asyncio.run(meanwhile())
    assert still_checking and hot == Caller(known.id, Role.APP)
    assert cold == Caller(new.id, Role.AUDITOR)
    assert checked_on and loop_thread not in checked_on


def test_concurrent_first_requests_with_one_token_share_one_check(
    state: ServerState, make_key: Callable[[Role], NewKey], scrypt_calls: list[str]
) -> None:
    """A burst of first requests with one token runs scrypt once; with a wrong secret, each
    of them is refused (on the event loop they ran it one after another, once per request)."""
    auth = Authenticator(state.keys)
    key = make_key(Role.APP)
    calls = scrypt_calls

    async def burst(token: str) -> list[Caller | BaseException]:
        asks = (auth.authenticate(_request(f"Bearer {token}")) for _ in range(16))
        return await asyncio.gather(*asks, return_exceptions=True)

    wrong = asyncio.run(burst(f"{key.id}.not-the-secret"))
    assert all(isinstance(a, AuthError) and "secret is wrong" in str(a) for a in wrong), wrong
    assert calls == ["not-the-secret"]
    right = asyncio.run(burst(f"{key.id}.{key.secret}"))
    assert right == [Caller(key.id, Role.APP)] * 16
    assert calls == ["not-the-secret", key.secret]
    # Verified now: the next request is answered from memory, and a revocation still counts.
    assert asyncio.run(burst(f"{key.id}.{key.secret}")) == [Caller(key.id, Role.APP)] * 16
    assert len(calls) == 2
    state.keys.revoke(key.id)
    auth.forget(key.id)
    revoked = asyncio.run(burst(f"{key.id}.{key.secret}"))
    assert all(isinstance(a, AuthError) and "revoked" in str(a) for a in revoked), revoked
