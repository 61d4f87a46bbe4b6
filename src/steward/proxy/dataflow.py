"""Choosing the upstream of one request: the model asks, the policy's data-flow rules decide.

After the input guard has passed a request, every text that would go upstream (all roles,
after the guard's own masking) is scanned for the types the policy's ``data_flow`` rules
name (:mod:`steward.policy.dataflow`). Then:

* a ``LOCAL_ONLY`` type found: the request goes to the upstream its model asked for if that
  one is local, else to the first local upstream; with none configured it is blocked, with a
  message that names the rule and never the text;
* a ``MASK_EXTERNAL`` type found and the chosen upstream external: those spans are masked
  (the policy's anonymization style, the request's pseudonym vault) before it is sent; a
  local upstream receives them as sent;
* nothing found: the upstream the model asked for, unchanged.

The decision is returned with an :class:`~steward.assessment.Assessment` that the proxy
writes to the audit trail (``<request id>-route``): the upstream chosen, the one asked for,
the rule that decided and the types masked are in its reason and in each finding's details;
matched text is redacted there as everywhere.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, replace
from typing import Any

from steward.anonymize import PseudonymVault
from steward.assessment import Action, Assessment, Finding, FindingAction, PolicyKind, Source, TraceStep
from steward.guard import Guard
from steward.policy.dataflow import DataFlowRule, FlowAction
from steward.policy.schema import PiiAction, Policy
from steward.proxy.request import ChatRequest
from steward.proxy.upstreams import UpstreamConfig, UpstreamTable

__all__ = ["Route", "flow_guard", "plan_route"]

#: The scanning guard of each guard in use; an entry goes when its guard does.
_FLOW: weakref.WeakKeyDictionary[Guard, Guard | None] = weakref.WeakKeyDictionary()


def flow_guard(guard: Guard) -> Guard | None:
    """A guard that finds (and masks) only the types ``guard``'s data-flow rules name; None without rules.

    Built once per guard. Each named type is taken from the policy's ``sensitive_information``
    with its input action set to ANONYMIZE, so one pass both finds it and gives the masked text.
    """
    if guard in _FLOW:
        return _FLOW[guard]
    policy = guard.policy
    sens = policy.sensitive_information
    scanner: Guard | None = None
    if policy.data_flow and sens is not None:
        named = {t for rule in policy.data_flow for t in rule.types}
        mask = {"input_action": PiiAction.ANONYMIZE, "input_enabled": True}
        entities = [e.model_copy(update=mask) for e in sens.pii_entities if e.type.value in named]
        regexes = [r.model_copy(update=mask) for r in sens.regexes if r.name in named]
        only = sens.model_copy(update={"pii_entities": entities, "regexes": regexes})
        scanner = Guard(Policy(name=policy.name, sensitive_information=only))
    _FLOW[guard] = scanner
    return scanner


@dataclass(frozen=True, slots=True)
class Route:
    """Where one request goes, with what body, and why."""

    #: The upstream chosen; None when the request is blocked.
    upstream: UpstreamConfig | None
    #: The upstream the request's model asked for.
    requested: UpstreamConfig
    #: The body to send (the model renamed if rerouted, spans masked for an external upstream).
    body: dict[str, Any]
    #: The rule that decided, if one did.
    rule: str | None
    #: The types masked before an external upstream, sorted.
    masked: tuple[str, ...]
    #: What the audit trail records; a blocking assessment when the request is blocked.
    assessment: Assessment

    @property
    def blocked(self) -> bool:
        """Whether no upstream may receive the request."""
        return self.upstream is None


def _hit(rules: list[DataFlowRule], action: FlowAction, found: set[str]) -> list[DataFlowRule]:
    return [r for r in rules if r.action is action and found.intersection(r.types)]


def _describe(u: UpstreamConfig) -> str:
    return f"{u.name!r} ({u.kind})"


def plan_route(
    guard: Guard,
    request: ChatRequest,
    replacements: dict[tuple[int, int | None], str],
    table: UpstreamTable,
    *,
    vault: PseudonymVault | None = None,
) -> Route:
    """Decide the upstream and body of ``request``, whose input guard masked ``replacements``."""
    started = time.perf_counter()
    rules = guard.policy.data_flow
    requested = table.preferred(request.model)
    scanner = flow_guard(guard)
    findings: list[Finding] = []
    masked_texts: dict[tuple[int, int | None], str] = {}
    scanned = 0
    if scanner is not None:
        for item in request.texts:
            key = (item.message, item.part)
            text = replacements.get(key, item.text)
            if not text:
                continue
            scanned += len(text)
            result = scanner.apply(text, Source.INPUT, vault=vault)
            findings.extend(result.findings)
            if result.intervened and result.output_text is not None:
                masked_texts[key] = result.output_text
    found = {f.type for f in findings}
    keep_local = _hit(rules, FlowAction.LOCAL_ONLY, found)
    mask_out = _hit(rules, FlowAction.MASK_EXTERNAL, found)

    target: UpstreamConfig | None = requested
    rule: DataFlowRule | None = None
    masked: tuple[str, ...] = ()
    message: str | None = None
    if keep_local:
        rule = keep_local[0]
        target = requested if requested.local else table.first_local()
        if target is None:
            message = (
                f"Steward blocked this request: data-flow rule {rule.name!r} keeps it off external "
                "upstreams, and no local upstream is configured."
            )
    elif mask_out and not requested.local:
        rule = mask_out[0]
        masked = tuple(sorted(found.intersection(t for r in mask_out for t in r.types)))

    body = request.with_texts({**replacements, **masked_texts} if masked else replacements)
    if target is not None and target is not requested:
        body["model"] = target.model_for(request.model)

    # The record: what decided, where it went, what was masked.
    where = "blocked: no local upstream" if target is None else f"upstream {_describe(target)}"
    reason = f"{where}; model {request.model!r} asked for {_describe(requested)}"
    if rule is not None:
        reason += f"; data-flow rule {rule.name!r} ({rule.action.value}) decided"
    if masked:
        reason += f"; masked for the external upstream: {', '.join(masked)}"
    elif found and rule is None:
        reason += f"; found {', '.join(sorted(found))}, sent as is to a local upstream"
    details = {
        "upstream": None if target is None else target.name,
        "kind": None if target is None else target.kind,
        "requested": requested.name,
        "flowRule": None if rule is None else rule.name,
        "masked": list(masked),
    }
    rule_of = {t: r.name for r in reversed(rules) for t in r.types}
    recorded = tuple(
        replace(
            f,
            rule=f"data_flow[{rule_of.get(f.type, '')}]",
            action=FindingAction.BLOCKED
            if target is None
            else (FindingAction.ANONYMIZED if f.type in masked else FindingAction.NONE),
            details={**f.details, **details},
        )
        for f in findings
    )
    intervened = target is None or target is not requested or bool(masked)
    assessment = Assessment(
        action=Action.GUARDRAIL_INTERVENED if intervened else Action.NONE,
        source=Source.INPUT,
        text_length=scanned,
        output_text=message,
        findings=recorded,
        trace=(TraceStep("data_flow", reason),),
        latency_ms=(time.perf_counter() - started) * 1000,
        policy_name=guard.policy.name,
        policies_run=(PolicyKind.SENSITIVE_INFORMATION,) if scanner is not None else (),
        action_reason=reason,
    )
    return Route(
        upstream=target,
        requested=requested,
        body=body,
        rule=None if rule is None else rule.name,
        masked=masked,
        assessment=assessment,
    )
