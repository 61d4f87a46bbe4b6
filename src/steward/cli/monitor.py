"""``steward monitor``: reports, drift, alert rules and fired alerts, straight from the database."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Any

import click

from steward.app import monitor
from steward.app.context import local_app
from steward.monitor.alerts import METRICS
from steward.monitor.report import parse_duration, resolve_range, sparkline

__all__ = ["command", "render_report"]

_db = click.option("--database-url", envvar="STEWARD_DATABASE_URL", help="SQLite or PostgreSQL URL.")
_json = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _scope_options(func: Any) -> Any:
    for option in reversed(
        [
            click.option("--guardrail", help="Only this guardrail id."),
            click.option("--version", "version_", help="Only this guardrail version."),
            click.option("--source", type=click.Choice(["input", "output"]), help="Only this direction."),
            click.option("--caller", help="Only this API key id."),
        ]
    ):
        func = option(func)
    return func


def _scope(
    guardrail: str | None, version_: str | None, source: str | None, caller: str | None
) -> monitor.AuditScope:
    return monitor.scope(guardrail, version_, source, caller)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def render_report(report: dict[str, Any], *, sparklines: bool) -> str:
    """The report as a plain-text table; ``sparklines`` adds per-window volume and block-rate bars."""
    lines = [
        f"{report['since']} .. {report['until']}, windows of {report['windowSeconds']} s",
        "",
    ]
    header = [
        "guardrail:version",
        "source",
        "key",
        "requests",
        "intervened",
        "blocked",
        "p50 ms",
        "p99 ms",
        "reviewed",
        "appealed",
        "overturned",
        "block precision",
    ]
    if sparklines:
        header += ["volume", "block rate"]
    rows = [header]
    for g in report["groups"]:
        row = [
            f"{g['guardrailId'] or '(inline)'}:{g['version'] or '-'}",
            g["source"],
            g["callerKeyId"] or "-",
            str(g["requests"]),
            _pct(g["interventionRate"]),
            _pct(g["blockRate"]),
            _ms(g["latencyP50Ms"]),
            _ms(g["latencyP99Ms"]),
            _pct(g["reviewRate"]),
            _pct(g["appealRate"]),
            _pct(g["overturnRate"]),
            _pct(g["confirmedBlockPrecision"]),
        ]
        if sparklines:
            row.append(sparkline([w["requests"] for w in g["series"]]))
            row.append(sparkline([w["blockRate"] for w in g["series"]]))
        rows.append(row)
    if len(rows) == 1:
        lines.append("no decisions in this range")
    else:
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    if report["findings"]:
        lines += ["", "findings (records with at least one, by policy and type):"]
        for f in report["findings"]:
            lines.append(
                f"  {f['guardrailId'] or '(inline)'}:{f['version'] or '-'} {f['source']:6} "
                f"{f['policy']}/{f['type']}: {f['records']} ({_pct(f['rate'])}; blocked {f['blocked']}, "
                f"masked {f['anonymized']}, reported {f['reportedOnly']})"
            )
    lines += ["", f"latency: {report['latency']}"]
    lines += [f"note: {gap}" for gap in report["gaps"]]
    return "\n".join(lines)


@click.group("monitor")
def command() -> None:
    """Monitoring: reports, drift, alert rules and fired alerts over the audit trail."""


@command.command("report")
@click.option("--since", type=click.DateTime(), help="From this time (UTC); default: a day before --until.")
@click.option("--until", type=click.DateTime(), help="Up to this time (UTC); default: now.")
@click.option("--window", default="1h", show_default=True, help="Window length: 15m, 1h, 1d, ...")
@click.option("--by-caller", is_flag=True, help="Also group by the API key that called.")
@_scope_options
@_db
@_json
def report_(
    since: datetime | None,
    until: datetime | None,
    window: str,
    by_caller: bool,
    database_url: str | None,
    as_json: bool,
    **scope: Any,
) -> None:
    """Request volume, intervention and block rates, latency p50/p99 per guardrail, version,
    direction (and key), per window, with findings by policy type and category."""
    start, end = resolve_range(since, until)
    window_s = parse_duration(window, field="window")
    with local_app(database_url) as app:
        report = monitor.report(
            app, since=start, until=end, window_s=window_s, scope=_scope(**scope), by_caller=by_caller
        )
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        click.echo(render_report(report, sparklines=sys.stdout.isatty()))


@command.command("rollup")
@click.option(
    "--rebuild-since",
    type=click.DateTime(),
    help="Roll up again every hour from this time (UTC), e.g. after records arrived late.",
)
@_db
def rollup_(rebuild_since: datetime | None, database_url: str | None) -> None:
    """Bring the hourly rollups that reports over whole hours and drift read up to date (the
    server's scheduler does it every tick; run this after a bulk import, after upgrading to
    migration 0012, or with the scheduler off)."""
    with local_app(database_url) as app:
        hours = monitor.roll_up(app, rebuild_since=rebuild_since)
    click.echo(f"rolled up {hours} hour(s)")


@command.command("compare")
@click.option("--guardrail", required=True, help="Guardrail id.")
@click.option("--version", "version_", required=True, help="The version to look at.")
@click.option("--previous", help="The version to compare with (default: the one before).")
@click.option("--since", type=click.DateTime(), help="From this time (UTC); default: 30 days before --until.")
@click.option("--until", type=click.DateTime(), help="Up to this time (UTC); default: now.")
@_db
@_json
def compare_(
    guardrail: str,
    version_: str,
    previous: str | None,
    since: datetime | None,
    until: datetime | None,
    database_url: str | None,
    as_json: bool,
) -> None:
    """A guardrail version's rates beside the previous version's, per direction."""
    with local_app(database_url) as app:
        result = monitor.compare(
            app,
            guardrail_id=guardrail,
            version=version_,
            previous=previous,
            since=since,
            until=until,
        )
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"{guardrail}: version {result['version']} against {result['previous']}")
    for row in result["directions"]:
        now, before = row["version"] or {}, row["previous"] or {}
        click.echo(
            f"  {row['source']:6} requests {now.get('requests', 0)} vs {before.get('requests', 0)}; "
            f"blocked {_pct(now.get('blockRate'))} vs {_pct(before.get('blockRate'))}; "
            f"intervened {_pct(now.get('interventionRate'))} vs {_pct(before.get('interventionRate'))}; "
            f"p99 {_ms(now.get('latencyP99Ms'))} vs {_ms(before.get('latencyP99Ms'))} ms"
        )
    if not result["directions"]:
        click.echo("  no decisions by either version in this range")


@command.command("drift")
@click.option("--reference-since", type=click.DateTime(), required=True, help="Reference window start (UTC).")
@click.option("--reference-until", type=click.DateTime(), required=True, help="Reference window end (UTC).")
@click.option("--since", type=click.DateTime(), help="Current window start; default: a day before --until.")
@click.option("--until", type=click.DateTime(), help="Current window end; default: now.")
@_scope_options
@_db
@_json
def drift_(
    reference_since: datetime,
    reference_until: datetime,
    since: datetime | None,
    until: datetime | None,
    database_url: str | None,
    as_json: bool,
    **scope: Any,
) -> None:
    """Drift of text length, language mix and reported detector scores against a reference window
    (PSI over 10 reference-decile bins, 0.1 moderate / 0.25 significant; two-sample KS, p < 0.01)."""
    reference = resolve_range(reference_since, reference_until)
    current = resolve_range(since, until)
    with local_app(database_url) as app:
        report = monitor.drift(app, reference=reference, current=current, scope=_scope(**scope))
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(
        f"reference {report['reference']['records']} records, current {report['current']['records']} records"
    )
    for f in report["features"]:
        detail = ""
        if "psi" in f:
            detail = f"PSI {f['psi']:.3f} ({f['psiLevel']})"
        if "ks" in f:
            detail += f", KS {f['ks']:.3f} p={f['ksPValue']:.3g}"
        click.echo(f"  {f['feature']:28} {f['status']:8} {detail}")
    for gap in report["gaps"]:
        click.echo(f"not covered: {gap}")


@command.command("alerts")
@click.option("--since", type=click.DateTime(), help="Fired at or after this time (UTC).")
@click.option("--rule", help="Only this rule's alerts.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50, show_default=True)
@_db
@_json
def alerts_(
    since: datetime | None, rule: str | None, limit: int, database_url: str | None, as_json: bool
) -> None:
    """Fired alerts, newest first, with their webhook delivery state."""
    with local_app(database_url) as app:
        events = monitor.alerts(app, since=since, rule_id=rule, limit=limit)
    for e in events:
        if as_json:
            click.echo(json.dumps(e))
        else:
            click.echo(
                f"{e['firedAt']}  {e['ruleId']}  {e['metric']}={e['value']:.4g} {e['comparison']} {e['threshold']:g} "
                f"over {e['requests']} requests  delivery={e['delivery']} ({e['attempts']} attempts)"
            )
    if not events and not as_json:
        click.echo("no alerts fired")


@command.group("rules")
def rules() -> None:
    """Alert rules: list, add, delete."""


@rules.command("list")
@_db
@_json
def rules_list(database_url: str | None, as_json: bool) -> None:
    """Every alert rule."""
    with local_app(database_url) as app:
        found = monitor.rules(app)
    for r in found:
        if as_json:
            click.echo(json.dumps(r))
        else:
            scope = ",".join(f"{k}={v}" for k, v in r["scope"].items() if v) or "all"
            click.echo(
                f"{r['id']}  {r['metric']} {r['comparison']} {r['threshold']:g} over {r['window']} s  "
                f"scope {scope}  cooldown {r['cooldown']} s  webhook {r['webhook'] or '-'}"
                f"{'' if r['enabled'] else '  (disabled)'}"
            )


@rules.command("add")
@click.argument("rule_id")
@click.option("--metric", type=click.Choice(METRICS), required=True)
@click.option("--comparison", type=click.Choice([">", ">=", "<", "<="]), default=">", show_default=True)
@click.option("--threshold", type=float, required=True)
@click.option("--window", default="15m", show_default=True, help="Window length: 15m, 1h, ...")
@click.option("--cooldown", default="1h", show_default=True, help="Quiet time after firing.")
@click.option("--min-requests", type=click.IntRange(1, 10**9), default=20, show_default=True)
@click.option("--webhook", help="A webhook name from STEWARD_ALERT_WEBHOOKS.")
@click.option("--description", default="")
@_scope_options
@_db
def rules_add(
    rule_id: str,
    metric: str,
    comparison: str,
    threshold: float,
    window: str,
    cooldown: str,
    min_requests: int,
    webhook: str | None,
    description: str,
    database_url: str | None,
    guardrail: str | None,
    version_: str | None,
    source: str | None,
    caller: str | None,
) -> None:
    """Add alert rule RULE_ID."""
    body = {
        "id": rule_id,
        "metric": metric,
        "comparison": comparison,
        "threshold": threshold,
        "window": parse_duration(window, field="window"),
        "cooldown": 0 if cooldown == "0" else parse_duration(cooldown, field="cooldown"),
        "minRequests": min_requests,
        "webhook": webhook,
        "description": description,
        "scope": {"guardrail": guardrail, "version": version_, "source": source, "caller": caller},
    }
    with local_app(database_url) as app:
        monitor.add_rule(app, body)
    click.echo(f"added rule {rule_id}")


@rules.command("delete")
@click.argument("rule_id")
@_db
def rules_delete(rule_id: str, database_url: str | None) -> None:
    """Delete alert rule RULE_ID and its fired alerts."""
    with local_app(database_url) as app:
        monitor.delete_rule(app, rule_id)
    click.echo(f"deleted rule {rule_id}")


@command.command("evaluate")
@_db
def evaluate_(database_url: str | None) -> None:
    """Evaluate every rule once now and deliver what fires (what the server does on its schedule)."""
    with local_app(database_url) as app:
        n = monitor.evaluate_now(app)
    click.echo(f"{n} alert(s) fired")
