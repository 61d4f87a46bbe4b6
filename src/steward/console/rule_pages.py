"""Alert rules from the console (admin only): create one, change it, delete it.

A rule's form is read into the JSON body ``/v1/monitor/rules`` takes (durations may be written
``15m``, ``1h``, ``7d``) and checked by the API's own :func:`~steward.monitor.alerts.new_rule`,
stored by :func:`~steward.monitor.alerts.store_rule` or changed by
:func:`~steward.monitor.alerts.replace_rule` (what ``PUT /v1/monitor/rules/{id}`` calls), so
a rule the console saves is one the API would have accepted. A refused form comes back with
the values typed and the problem named beside its field (status 400), not as an error page.
Deleting asks first: a rule's fired alerts go with it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from steward.console.permissions import Action
from steward.console.sessions import ConsoleSession
from steward.console.web import PREFIX, guardrail_ids, page, read_form, render, signed_in, state_of
from steward.errors import ConflictError, InputError
from steward.monitor.alerts import COMPARISONS, METRICS, new_rule, replace_rule, rule_to_dict, store_rule
from steward.monitor.report import parse_duration
from steward.monitor.settings import MonitorSettings
from steward.store.idents import check_alias
from steward.store.monitor import AlertStore

__all__ = ["router", "rule_body"]

router = APIRouter()

#: What each metric measures, for the form's choices.
METRIC_HELP = {
    "request_volume": "requests in the window",
    "intervention_rate": "share of requests the guard intervened on (0-1)",
    "block_rate": "share of requests the guard blocked (0-1)",
    "latency_p50_ms": "median latency (ms)",
    "latency_p99_ms": "99th-percentile latency (ms)",
    "text_length_psi": "drift of text length against the window before (PSI)",
    "language_mix_psi": "drift of the language mix against the window before (PSI)",
}
#: Longest value a rule form's field may carry (a description is the longest, 200).
_MAX_FIELD = 200
_SCOPE = ("guardrail", "version", "source", "caller")


def _whole(text: str, name: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        raise InputError("must be a whole number", field=name)
    return int(text)


def _seconds(text: str, name: str) -> int:
    return 0 if text in ("0", "0s") else parse_duration(text, field=name)


def rule_body(form: dict[str, str]) -> dict[str, Any]:
    """The JSON body of ``/v1/monitor/rules`` from a rule form; a field that is not even of the
    right kind (a threshold that is no number) is an :class:`InputError` naming it. Fields left
    empty are left out, so the API's defaults apply (``minRequests`` 1, ``cooldown`` 1 hour)."""
    for name, value in form.items():
        if len(value) > _MAX_FIELD:
            raise InputError(f"must be at most {_MAX_FIELD} characters", field=name)
    text = {name: value.strip() for name, value in form.items()}
    try:
        threshold = float(text.get("threshold", ""))
    except ValueError:
        raise InputError("must be a number", field="threshold") from None
    body: dict[str, Any] = {
        "description": text.get("description", ""),
        "metric": text.get("metric", ""),
        "comparison": text.get("comparison", ">"),
        "threshold": threshold,
        "window": parse_duration(text.get("window", ""), field="window"),
        "scope": {key: text[f"scope.{key}"] for key in _SCOPE if text.get(f"scope.{key}")},
        "webhook": text.get("webhook") or None,
        "enabled": text.get("enabled") == "on",
    }
    if text.get("minRequests"):
        body["minRequests"] = _whole(text["minRequests"], "minRequests")
    if text.get("cooldown"):
        body["cooldown"] = _seconds(text["cooldown"], "cooldown")
    return body


def _form_values(rule: dict[str, Any]) -> dict[str, str]:
    """A stored rule's JSON form as the form's fields."""
    values = {
        "id": rule["id"],
        "description": rule["description"],
        "metric": rule["metric"],
        "comparison": rule["comparison"],
        "threshold": f"{rule['threshold']:g}",
        "window": str(rule["window"]),
        "minRequests": str(rule["minRequests"]),
        "cooldown": str(rule["cooldown"]),
        "webhook": rule["webhook"] or "",
        "enabled": "on" if rule["enabled"] else "",
    }
    values.update({f"scope.{k}": v or "" for k, v in rule["scope"].items()})
    return values


def _webhooks(request: Request) -> dict[str, str]:
    settings: MonitorSettings = request.app.state.monitor_settings
    return settings.webhooks


async def _form_page(
    request: Request,
    session: ConsoleSession,
    values: dict[str, str],
    *,
    editing: str | None = None,
    problem: InputError | None = None,
) -> Response:
    return render(
        request,
        "rule_form.html",
        session=session,
        active="monitoring",
        values=values,
        editing=editing,
        problem=problem,
        metrics=[(m, METRIC_HELP[m]) for m in METRICS],
        comparisons=list(COMPARISONS),
        guardrails=await guardrail_ids(request),
        webhooks=sorted(_webhooks(request)),
        status_code=400 if problem else 200,
    )


def _rule_id(value: str) -> str:
    return check_alias(value, field="rule")


def _back(rule_id: str, done: str) -> RedirectResponse:
    """To the monitoring page's rules, which say what was done."""
    return RedirectResponse(f"{PREFIX}/monitoring?rule={quote(rule_id)}&done={done}#rules", status_code=303)


_NEW = {"comparison": ">", "window": "1h", "minRequests": "20", "cooldown": "1h", "enabled": "on"}


@router.get("/monitoring/rules/new", include_in_schema=False)
@page
async def rule_new(request: Request) -> Response:
    """An empty rule form."""
    session = await signed_in(request, Action.EDIT_RULES)
    return await _form_page(request, session, dict(_NEW))


@router.post("/monitoring/rules", include_in_schema=False)
@page
async def rule_create(request: Request) -> Response:
    """Store a new rule, then back to the monitoring page; a refused form comes back to be mended."""
    session = await signed_in(request, Action.EDIT_RULES)
    form = await read_form(request, session)
    store = AlertStore(state_of(request).sessions)
    try:
        row = new_rule(
            {"id": form.get("id", "").strip(), **rule_body(form)},
            webhooks=_webhooks(request),
            created_by=session.key_id,
        )
        await run_in_threadpool(store_rule, store, row)
    except InputError as problem:
        return await _form_page(request, session, form, problem=problem)
    except ConflictError as clash:  # the id is taken: said beside the id, like any other field
        return await _form_page(request, session, form, problem=InputError(clash.message, field="id"))
    return _back(row.id, "created")


@router.get("/monitoring/rules/{rule_id}/edit", include_in_schema=False)
@page
async def rule_edit(request: Request, rule_id: str) -> Response:
    """The rule's form, filled in."""
    session = await signed_in(request, Action.EDIT_RULES)
    rule = await run_in_threadpool(AlertStore(state_of(request).sessions).get, _rule_id(rule_id))
    return await _form_page(request, session, _form_values(rule_to_dict(rule)), editing=rule.id)


async def _posted(request: Request, rule_id: str) -> tuple[ConsoleSession, dict[str, str], str]:
    """The signed-in admin, the posted form (its CSRF token checked) and the path's rule id, checked."""
    session = await signed_in(request, Action.EDIT_RULES)
    form = await read_form(request, session)
    return session, form, _rule_id(rule_id)


@router.post("/monitoring/rules/{rule_id}", include_in_schema=False)
@page
async def rule_change(request: Request, rule_id: str) -> Response:
    """Change the rule to the form's settings (it keeps its creator and last firing)."""
    session, form, rule_id = await _posted(request, rule_id)
    store = AlertStore(state_of(request).sessions)
    try:
        body = rule_body(form)
        await run_in_threadpool(lambda: replace_rule(store, rule_id, body, webhooks=_webhooks(request)))
    except InputError as problem:
        return await _form_page(request, session, {**form, "id": rule_id}, editing=rule_id, problem=problem)
    return _back(rule_id, "changed")


@router.get("/monitoring/rules/{rule_id}/delete", include_in_schema=False)
@page
async def rule_delete_confirm(request: Request, rule_id: str) -> Response:
    """Ask before deleting: the rule's fired alerts go with it."""
    session = await signed_in(request, Action.EDIT_RULES)
    store = AlertStore(state_of(request).sessions)
    rule = await run_in_threadpool(store.get, _rule_id(rule_id))
    fired = await run_in_threadpool(lambda: len(store.events(rule_id=rule.id, limit=1000)))
    return render(
        request,
        "rule_delete.html",
        session=session,
        active="monitoring",
        rule=rule_to_dict(rule),
        fired=fired,
    )


@router.post("/monitoring/rules/{rule_id}/delete", include_in_schema=False)
@page
async def rule_delete(request: Request, rule_id: str) -> Response:
    """Delete the rule and its fired alerts (the form must say ``confirm=yes``)."""
    _, form, rule_id = await _posted(request, rule_id)
    if form.get("confirm") != "yes":
        raise InputError("must be 'yes' to delete the rule and its fired alerts", field="confirm")
    await run_in_threadpool(AlertStore(state_of(request).sessions).delete, rule_id)
    return _back(rule_id, "deleted")
