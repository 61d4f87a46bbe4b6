"""Optional OpenTelemetry traces: one span per guard call and one per detector inside it.

``STEWARD_OTEL_TRACES`` turns them on (the ``otel`` extra: ``pip install 'steward[otel]'``):

* ``off`` (or unset): no tracing, and OpenTelemetry is never imported;
* ``on``: spans go to the global tracer provider the operator configured (their own SDK setup,
  or ``opentelemetry-instrument`` with its exporter settings); Steward itself sends nothing
  anywhere, so nothing reaches the network unless the operator set that up;
* ``console``: Steward installs an SDK provider that prints finished spans to stdout (for a
  look on one machine).

Spans carry what the guard decided and how long each detector took, never text: the
direction, the text's length, the action, the detector's name and policy section and how many
findings it returned. Wrapping works on the built guard's instance (its ``apply`` and each
detector's ``detect``), so the guard's own code is unchanged and costs nothing when off.
"""

from __future__ import annotations

import functools
from typing import Any

from steward.errors import InputError
from steward.guard import Guard
from steward.settings import Settings

__all__ = ["TRACES_ENV", "trace_guard", "tracer_for"]

TRACES_ENV = "STEWARD_OTEL_TRACES"


def tracer_for(settings: Settings) -> Any | None:
    """The tracer ``STEWARD_OTEL_TRACES`` asks for, or None when tracing is off.

    Tracing asked for without the ``otel`` extra is an :class:`InputError` naming the variable
    (the server refuses to start rather than run untraced unnoticed); a value other than
    ``off``, ``on`` and ``console`` is refused by :class:`~steward.settings.Settings` itself.
    """
    mode = settings.otel_traces
    if mode == "off":
        return None
    try:
        from opentelemetry import trace
    except ImportError:
        raise InputError(
            "asks for traces but OpenTelemetry is not installed: pip install 'steward[otel]'",
            field=TRACES_ENV,
        ) from None
    if mode == "console":
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        return provider.get_tracer("steward")
    return trace.get_tracer("steward")


def trace_guard(guard: Guard, tracer: Any) -> Guard:
    """``guard`` with a span around each ``apply`` and, inside it, around each detector's ``detect``.

    Idempotent: a guard traced once is returned as it is.
    """
    if getattr(guard, "_steward_traced", False):
        return guard
    for detector in guard.detectors:
        detect = detector.detect

        @functools.wraps(detect)
        def traced_detect(text: str, request: Any, *, _detect: Any = detect, _d: Any = detector) -> Any:
            with tracer.start_as_current_span(f"steward.detector.{_d.name}") as span:
                span.set_attribute("steward.detector", _d.name)
                span.set_attribute("steward.policy", str(_d.policy_kind.value))
                span.set_attribute("steward.text_length", len(text))
                found = _detect(text, request)
                span.set_attribute("steward.candidates", len(found))
                return found

        setattr(detector, "detect", traced_detect)  # noqa: B010 (the instance's, not the class's)
    apply = guard.apply

    @functools.wraps(apply)
    def traced_apply(text: str, source: Any, *args: Any, **kwargs: Any) -> Any:
        with tracer.start_as_current_span("steward.guard.apply") as span:
            span.set_attribute("steward.policy_name", guard.policy.name)
            span.set_attribute("steward.source", str(getattr(source, "value", source)).lower())
            span.set_attribute("steward.text_length", len(text) if isinstance(text, str) else 0)
            assessment = apply(text, source, *args, **kwargs)
            span.set_attribute("steward.action", assessment.action.value)
            span.set_attribute("steward.findings", len(assessment.findings))
            return assessment

    setattr(guard, "apply", traced_apply)  # noqa: B010
    guard._steward_traced = True  # type: ignore[attr-defined]
    return guard
