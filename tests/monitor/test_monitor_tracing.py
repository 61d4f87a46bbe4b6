"""Optional OpenTelemetry traces: a span per guard call with a child span per detector, no text in them."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from steward.errors import InputError
from steward.guard import Guard
from steward.monitor.tracing import trace_guard, tracer_for
from steward.policy.io import parse_policy
from steward.server.app import create_app
from steward.settings import Settings
from steward.store.db import upgrade
from steward.store.keys import Role

POLICY = {
    "name": "traced",
    "word_filters": {"words": ["grapefruit"], "action": "BLOCK"},
    "sensitive_information": {"pii_entities": [{"type": "EMAIL", "action": "ANONYMIZE"}]},
}
TEXT = "mail carol@example.com about grapefruit"


def _memory() -> tuple[object, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test"), exporter


def test_each_detector_gets_a_child_span_of_the_guard_call_and_no_text() -> None:
    tracer, exporter = _memory()
    guard = Guard(parse_policy(POLICY))
    assert trace_guard(trace_guard(guard, tracer), tracer) is guard  # idempotent
    assessment = guard.apply(TEXT, "input")
    assert assessment.blocked
    spans = exporter.get_finished_spans()
    [root] = [s for s in spans if s.name == "steward.guard.apply"]
    children = [s for s in spans if s.name.startswith("steward.detector.")]
    assert children and all(
        s.parent is not None and s.parent.span_id == root.context.span_id for s in children
    )
    assert {s.attributes["steward.detector"] for s in children} >= {"words"}  # type: ignore[index]
    assert root.attributes["steward.action"] == "GUARDRAIL_INTERVENED"  # type: ignore[index]
    assert root.attributes["steward.text_length"] == len(TEXT)  # type: ignore[index]
    for span in spans:  # lengths and counts, never the text or what matched
        for value in (span.attributes or {}).values():
            assert "carol" not in str(value) and "grapefruit" not in str(value)
    exporter.clear()
    guard.apply("nothing here", "input")
    assert len([s for s in exporter.get_finished_spans() if s.name == "steward.guard.apply"]) == 1


def _tracer(env: dict[str, str]) -> object | None:
    return tracer_for(Settings.from_env(environ=env))


def test_the_setting_is_checked() -> None:
    assert _tracer({}) is None
    assert _tracer({"STEWARD_OTEL_TRACES": "off"}) is None
    assert _tracer({"STEWARD_OTEL_TRACES": "console"}) is not None
    assert _tracer({"STEWARD_OTEL_TRACES": " ON "}) is not None
    with pytest.raises(InputError, match="^STEWARD_OTEL_TRACES: must be off, on or console, not 'jaeger'"):
        _tracer({"STEWARD_OTEL_TRACES": "jaeger"})


def test_the_server_traces_the_guards_it_builds_only_when_asked(fresh_db_url: str, tmp_path: Path) -> None:
    upgrade(fresh_db_url)  # a database of its own: the server key below seals nothing else
    for mode, traced in (("off", False), ("on", True)):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("STEWARD_OTEL_TRACES", mode)
            # One server key for both; the server reads the variable through its settings.
            app = create_app(Settings(database_url=fresh_db_url, data_dir=tmp_path))
        with TestClient(app, raise_server_exceptions=False) as client:
            admin = app.state.steward.keys.create(Role.ADMIN)
            auth = {"Authorization": f"Bearer {admin.bearer}"}
            gid = f"traced-{mode}"
            assert (
                client.post("/v1/guardrails", json={"id": gid, "policy": POLICY}, headers=auth).status_code
                == 201
            )
            body = {"source": "INPUT", "content": [{"text": {"text": TEXT}}]}
            assert (
                client.post(f"/guardrail/{gid}/version/DRAFT/apply", json=body, headers=auth).status_code
                == 200
            )
            guard = app.state.steward.guards.get(gid, "DRAFT").guard
            assert getattr(guard, "_steward_traced", False) is traced
