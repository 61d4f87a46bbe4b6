"""``POST /v1/images/generations`` through the real app: the prompt guarded, every returned image signed.

A fake upstream on loopback answers image requests with small PNGs, chosen by the request's
model: ``inline`` (``b64_json``), ``url`` (a URL on the upstream's own host, served by it),
``foreign`` (a URL on another host, which must never be fetched) and ``text`` (a ``b64_json``
that is not an image). It records every request, so the tests prove what went upstream.
The signed images are checked the way a user would: ``steward provenance verify``.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from provenance_helpers import png

from seeded_database import seed_database
from steward.audit.search import AuditQuery, search
from steward.cli import main
from steward.provenance.image import verify_image
from steward.provenance.images_api import CERT_ENV, CERT_KEY_ENV
from steward.provenance.keys import KEY_ENV
from steward.server.app import create_app
from steward.settings import Settings

POLICY = {
    "name": "images",
    "sensitive_information": {
        "regexes": [
            {"name": "EMAIL", "pattern": r"[a-z.]+@[a-z.]+\.[a-z]{2,}", "action": "ANONYMIZE"},
            {"name": "SECRET", "pattern": r"launch code \d+", "action": "BLOCK"},
        ]
    },
    "blocked_input_message": "Steward blocked this image prompt.",
}
IMAGE = png(width=16, height=16, seed=7)
#: Data-flow rules: a CONFIDENTIAL prompt never goes to an external upstream.
FLOW_POLICY = {
    "name": "image-flow",
    "sensitive_information": {
        "regexes": [{"name": "CONFIDENTIAL", "pattern": r"(?i)\bconfidential\b", "action": "NONE"}]
    },
    "data_flow": [{"name": "stays-local", "types": ["CONFIDENTIAL"], "action": "LOCAL_ONLY"}],
}


class _Upstream(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []  # noqa: RUF012 - shared by the handler threads on purpose

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, data: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        _Upstream.received.append({"method": "GET", "path": self.path})
        if self.path == "/files/cat.png":
            self._send(200, IMAGE, "image/png")
        else:
            self._send(404, b"not here", "text/plain")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        port = self.server.server_address[1]
        _Upstream.received.append({"method": "POST", "path": self.path, "body": body, "port": port})
        host = f"http://127.0.0.1:{self.server.server_address[1]}"
        n = body.get("n", 1)
        item: dict[str, Any] = {
            "inline": {"b64_json": base64.b64encode(IMAGE).decode(), "revised_prompt": "a cat"},
            "url": {"url": f"{host}/files/cat.png"},
            "foreign": {"url": "http://198.51.100.7/cat.png"},
            "text": {"b64_json": base64.b64encode(b"not a picture").decode()},
        }[body["model"]]
        answer = {"created": 1, "data": [dict(item) for _ in range(n)]}
        self._send(200, json.dumps(answer).encode(), "application/json")


def _serve() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def upstream_url() -> Iterator[str]:
    yield from _serve()


@pytest.fixture(scope="module")
def local_url() -> Iterator[str]:
    """A second fake upstream, marked local in the data-flow test."""
    yield from _serve()


def _app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_url: str | None, ca: Path | None
) -> tuple[TestClient, str, Settings]:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'steward.db'}", data_dir=tmp_path / "data")
    bearer = seed_database(settings, {"img": POLICY, "flow": FLOW_POLICY})
    monkeypatch.delenv(KEY_ENV, raising=False)
    if upstream_url is not None:
        monkeypatch.setenv("STEWARD_UPSTREAM_URL", upstream_url)
    monkeypatch.setenv("STEWARD_PROXY_GUARDRAIL", "img")
    if ca is None:
        monkeypatch.delenv(CERT_ENV, raising=False)
        monkeypatch.delenv(CERT_KEY_ENV, raising=False)
    else:
        monkeypatch.setenv(CERT_ENV, str(ca / "chain.pem"))
        monkeypatch.setenv(CERT_KEY_ENV, str(ca / "signer.key"))
    _Upstream.received.clear()
    client = TestClient(create_app(settings, prepare=False), raise_server_exceptions=False)
    return client, bearer, settings


def _generate(client: TestClient, bearer: str, **body: Any) -> Any:
    return client.post(
        "/v1/images/generations",
        json={"prompt": "a cat on a mat", **body},
        headers={"authorization": f"Bearer {bearer}"},
    )


def test_inline_images_come_back_signed_and_the_cli_verifies_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_url: str, test_ca: Path
) -> None:
    client, bearer, _ = _app(tmp_path, monkeypatch, upstream_url, test_ca)
    with client:
        response = _generate(client, bearer, model="inline", n=2)
    assert response.status_code == 200, response.text
    assert response.headers["x-steward-images-signed"] == "2"
    body = response.json()
    assert body["steward"]["imagesSigned"] == 2 and body["steward"]["guardrail"] == {
        "id": "img",
        "version": "1",
    }
    assert body["data"][0]["revised_prompt"] == "a cat"  # other fields pass as the upstream sent them
    runner = CliRunner()
    for i, item in enumerate(body["data"]):
        signed = base64.b64decode(item["b64_json"])
        assert signed != IMAGE
        path = tmp_path / f"image-{i}.png"
        path.write_bytes(signed)
        result = runner.invoke(main, ["provenance", "verify", str(path), "--trust", str(test_ca / "ca.pem")])
        assert result.exit_code == 0, result.output
        assert "valid and trusted" in result.output and "AI-generated: yes" in result.output
        assert "generator:    inline" in result.output and "guardrail:    img:1" in result.output
    # One byte of the pixels changed after signing: the CLI says so (exit 6).
    tampered = bytearray((tmp_path / "image-0.png").read_bytes())
    tampered[tampered.rfind(b"IDAT") + 6] ^= 0xFF
    (tmp_path / "bad.png").write_bytes(bytes(tampered))
    result = runner.invoke(main, ["provenance", "verify", str(tmp_path / "bad.png")])
    assert result.exit_code == 6 and "CHANGED" in result.output


def test_url_images_are_fetched_from_the_upstream_host_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_url: str, test_ca: Path
) -> None:
    client, bearer, _ = _app(tmp_path, monkeypatch, upstream_url, test_ca)
    with client:
        same_host = _generate(client, bearer, model="url")
        foreign = _generate(client, bearer, model="foreign")
    assert same_host.status_code == 200, same_host.text
    item = same_host.json()["data"][0]
    assert "url" not in item  # the signed bytes exist only here: returned inline
    report = verify_image(base64.b64decode(item["b64_json"]), trust_anchors=(test_ca / "ca.pem").read_bytes())
    assert report.ok and report.ai_generated
    assert {"method": "GET", "path": "/files/cat.png"} in _Upstream.received
    assert foreign.status_code == 502
    message = foreign.json()["error"]["message"]
    assert "198.51.100.7" in message and "only from the configured upstream" in message
    assert "b64_json" in message


def test_the_prompt_is_guarded_before_it_goes_upstream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_url: str, test_ca: Path
) -> None:
    client, bearer, _ = _app(tmp_path, monkeypatch, upstream_url, test_ca)
    with client:
        blocked = _generate(client, bearer, model="inline", prompt="draw the launch code 1234 on a wall")
        masked = _generate(client, bearer, model="inline", prompt="a poster saying write to jane@example.org")
        state = client.app.state.steward  # type: ignore[attr-defined]
        state.audit.flush()
        records = search(state.sessions, AuditQuery())["records"]
    assert blocked.status_code == 400
    error = blocked.json()["error"]
    assert (
        error["code"] == "content_policy_violation"
        and error["message"] == "Steward blocked this image prompt."
    )
    assert blocked.headers["x-steward-guardrail-action"] == "GUARDRAIL_INTERVENED"
    posts = [r for r in _Upstream.received if r["method"] == "POST"]
    assert len(posts) == 1  # only the masked request reached the upstream
    assert posts[0]["body"]["prompt"] == "a poster saying write to {EMAIL}"
    assert masked.status_code == 200 and masked.headers["x-steward-images-signed"] == "1"
    assert {r["endpoint"] for r in records} == {"/v1/images/generations"} and len(records) == 2
    assert {r["action"] for r in records} == {"GUARDRAIL_INTERVENED"}


def test_without_a_certificate_images_pass_unsigned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_url: str
) -> None:
    client, bearer, _ = _app(tmp_path, monkeypatch, upstream_url, None)
    with client:
        response = _generate(client, bearer, model="url")
    assert response.status_code == 200 and response.headers["x-steward-images-signed"] == "0"
    assert response.json()["data"][0]["url"].endswith("/files/cat.png")  # not fetched
    assert [r["method"] for r in _Upstream.received] == ["POST"]


def test_bad_requests_and_unsignable_answers_get_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_url: str, test_ca: Path
) -> None:
    client, bearer, _ = _app(tmp_path, monkeypatch, upstream_url, test_ca)
    auth = {"authorization": f"Bearer {bearer}"}
    with client:
        cases = [
            (b"{not json", "body"),
            (b"[1]", "body"),
            (b"\xff\xfe", "body"),
            (json.dumps({"model": "inline"}).encode(), "prompt"),
            (json.dumps({"prompt": 5}).encode(), "prompt"),
            (json.dumps({"prompt": "x" * 40_000}).encode(), "prompt"),
            (json.dumps({"prompt": "x", "n": 0}).encode(), "n"),
            (json.dumps({"prompt": "x", "response_format": "gif"}).encode(), "response_format"),
            (json.dumps({"prompt": "x", "stream": True}).encode(), "stream"),
        ]
        for raw, field in cases:
            response = client.post("/v1/images/generations", content=raw, headers=auth)
            assert response.status_code == 400, (raw[:30], response.text)
            assert response.json()["error"]["param"] == field
        unsignable = _generate(client, bearer, model="text")
        no_key = client.post("/v1/images/generations", json={"prompt": "x"})
    assert unsignable.status_code == 502
    assert "cannot be signed" in unsignable.json()["error"]["message"]
    assert no_key.status_code == 401
    assert not [r for r in _Upstream.received if r["method"] == "POST" and r["body"].get("model") != "text"]


def test_data_flow_rules_keep_a_confidential_prompt_on_the_local_upstream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, upstream_url: str, local_url: str, test_ca: Path
) -> None:
    upstreams = tmp_path / "upstreams.yaml"
    upstreams.write_text(
        "default: cloud\nupstreams:\n"
        f"  - name: onprem\n    url: {local_url}\n    kind: local\n    default_model: inline\n"
        f"  - name: cloud\n    url: {upstream_url}\n    kind: external\n",
        encoding="utf-8",
    )
    monkeypatch.delenv("STEWARD_UPSTREAM_URL", raising=False)
    monkeypatch.setenv("STEWARD_PROXY_UPSTREAMS_FILE", str(upstreams))
    client, bearer, _ = _app(tmp_path, monkeypatch, None, test_ca)
    flow = {"authorization": f"Bearer {bearer}", "x-steward-guardrail": "flow"}
    with client:
        secret = client.post(
            "/v1/images/generations",
            json={"model": "inline", "prompt": "our CONFIDENTIAL logo"},
            headers=flow,
        )
        plain = client.post(
            "/v1/images/generations", json={"model": "inline", "prompt": "a cat"}, headers=flow
        )
    assert secret.status_code == 200 and plain.status_code == 200, secret.text
    local_port, cloud_port = (int(u.rsplit(":", 1)[1].split("/")[0]) for u in (local_url, upstream_url))
    by_prompt = {r["body"]["prompt"]: r["port"] for r in _Upstream.received if r["method"] == "POST"}
    assert by_prompt == {"our CONFIDENTIAL logo": local_port, "a cat": cloud_port}
    assert secret.headers["x-steward-images-signed"] == "1"
