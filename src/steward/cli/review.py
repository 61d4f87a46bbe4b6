"""``steward review`` and ``steward feedback``: the review queue and end-user feedback on the server's host.

The commands work on the server's database with the server's key (to read sealed text).
Actions that change an item name the acting API key with ``--as KEY_ID`` (or
``STEWARD_REVIEWER_KEY``): it must be an active ``reviewer`` or ``admin`` key, and it is
what the item's history records.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from steward.app import review as reviews
from steward.app.context import App, local_app
from steward.cli._paging import PAGE, echo_json_page, echo_next
from steward.errors import InputError
from steward.review import Reason, ReviewQueue, State
from steward.review.export import ExportCount, eval_rows, write_jsonl
from steward.review.queue import item_summary, item_view

__all__ = ["command", "feedback_command"]

_URL = click.option("--database-url", envvar="STEWARD_DATABASE_URL", help="SQLite or PostgreSQL URL.")
_AS = click.option(
    "--as",
    "acting_key",
    envvar="STEWARD_REVIEWER_KEY",
    required=True,
    help="The reviewer or admin API key id acting (recorded in the item's history).",
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@contextmanager
def _review(database_url: str | None) -> Iterator[tuple[App, reviews.ReviewServices]]:
    with local_app(database_url) as app:
        yield app, reviews.open_services(app)


@contextmanager
def _queue(database_url: str | None) -> Iterator[tuple[App, ReviewQueue]]:
    with _review(database_url) as (app, review):
        yield app, review.queue


def _show(view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False))
        return
    for name in (
        "id",
        "state",
        "reason",
        "requestId",
        "guardrailId",
        "version",
        "source",
        "assignee",
        "dueAt",
    ):
        click.echo(f"{name + ':':13} {view.get(name)}")
    if view.get("outcome"):
        click.echo(f"{'outcome:':13} {view['outcome']} (label {view['label']}, category {view['category']})")
    if "text" in view:
        click.echo(f"{'text:':13} {view['text'] if view['text'] is not None else '(not kept)'}")
        for f in view.get("findings", []):
            mark = " REVIEW" if f.get("review") else ""
            click.echo(
                f"  finding      {f.get('type')} {f.get('start')}-{f.get('end')} {f.get('action')}{mark}"
            )
        for h in view.get("history", []):
            note = f"  {h['note']}" if h.get("note") else ""
            click.echo(f"  history      {h['at']} {h['actor']} {h['action']}{note}")


@click.group("review")
def command() -> None:
    """The human review queue: list, show, claim, confirm, overturn, escalate, export, suggest."""


@command.command("list")
@click.option(
    "--state", "states", multiple=True, type=click.Choice([s.value for s in State]), help="Repeatable."
)
@click.option(
    "--reason", "reasons", multiple=True, type=click.Choice([r.value for r in Reason]), help="Repeatable."
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@_JSON
@_URL
def list_(
    states: tuple[str, ...], reasons: tuple[str, ...], limit: int, as_json: bool, database_url: str | None
) -> None:
    """List items, the soonest due first (never their text)."""
    with _queue(database_url) as (_, queue):
        items = queue.store.list_items(states=states, reasons=reasons, limit=limit)
    for item in items:
        summary = item_summary(item)
        if as_json:
            click.echo(json.dumps(summary))
        else:
            late = " OVERDUE" if summary["overdue"] else ""
            click.echo(f"{item.id}  {item.state:9} {item.reason:20} due {summary['dueAt']}{late}")


@command.command("show")
@click.argument("item_id")
@_JSON
@_URL
def show(item_id: str, as_json: bool, database_url: str | None) -> None:
    """Show an item with its text, findings and history."""
    with _queue(database_url) as (_, queue):
        _show(item_view(queue.store.get_item(item_id)), as_json)


@command.command("claim")
@click.argument("item_id")
@_AS
@_JSON
@_URL
def claim(item_id: str, acting_key: str, as_json: bool, database_url: str | None) -> None:
    """Claim an open item (exactly one of several claimers wins)."""
    with _queue(database_url) as (app, queue):
        _show(item_view(queue.claim(item_id, reviews.reviewer_of(app, acting_key))), as_json)


@command.command("release")
@click.argument("item_id")
@_AS
@_URL
def release(item_id: str, acting_key: str, database_url: str | None) -> None:
    """Put a claimed item back in the queue."""
    with _queue(database_url) as (app, queue):
        item = queue.release(item_id, reviews.reviewer_of(app, acting_key))
    click.echo(f"{item.id}: {item.state}")


@command.command("confirm")
@click.argument("item_id")
@click.option("--explanation", default=None, help="What an appellant reads.")
@_AS
@_JSON
@_URL
def confirm(
    item_id: str, explanation: str | None, acting_key: str, as_json: bool, database_url: str | None
) -> None:
    """The guard's decision was right."""
    with _queue(database_url) as (app, queue):
        _show(item_view(queue.confirm(item_id, reviews.reviewer_of(app, acting_key), explanation)), as_json)


@command.command("overturn")
@click.argument("item_id")
@click.option(
    "--label", type=click.IntRange(0, 1), required=True, help="The correct label: 1 = should be caught."
)
@click.option("--category", default=None, help="The correct category (needed with --label 1).")
@click.option("--explanation", default=None, help="What an appellant reads.")
@_AS
@_JSON
@_URL
def overturn(
    item_id: str,
    label: int,
    category: str | None,
    explanation: str | None,
    acting_key: str,
    as_json: bool,
    database_url: str | None,
) -> None:
    """The guard's decision was wrong: give the correct label and category."""
    with _queue(database_url) as (app, queue):
        item = queue.overturn(
            item_id,
            reviews.reviewer_of(app, acting_key),
            label=label,
            category=category,
            explanation=explanation,
        )
        _show(item_view(item), as_json)


@command.command("escalate")
@click.argument("item_id")
@click.option("--note", default=None, help="Why.")
@_AS
@_URL
def escalate(item_id: str, note: str | None, acting_key: str, database_url: str | None) -> None:
    """Hand a claimed item to the admins."""
    with _queue(database_url) as (app, queue):
        item = queue.escalate(item_id, reviews.reviewer_of(app, acting_key), note)
    click.echo(f"{item.id}: {item.state}")


@command.command("comment")
@click.argument("item_id")
@click.argument("note")
@_AS
@_URL
def comment(item_id: str, note: str, acting_key: str, database_url: str | None) -> None:
    """Add a note to an item's history."""
    with _queue(database_url) as (app, queue):
        queue.comment(item_id, reviews.reviewer_of(app, acting_key), note)
    click.echo(f"{item_id}: noted")


@command.command("export")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File (default stdout).",
)
@click.option("--overturned-only", is_flag=True, help="Only items whose decision was overturned.")
@_URL
def export(out_path: Path | None, overturned_only: bool, database_url: str | None) -> None:
    """Resolved items as `steward eval` JSONL (text, label, category, source, group)."""
    count = ExportCount()
    with _queue(database_url) as (_, queue):
        rows = eval_rows(queue.store.resolved_items(), count, overturned_only=overturned_only)
        if out_path is None:
            write_jsonl(rows, sys.stdout)
        else:
            try:
                with out_path.open("w", encoding="utf-8") as out:
                    write_jsonl(rows, out)
            except OSError as exc:
                raise InputError(f"cannot be written: {exc.strerror}", field=str(out_path)) from None
    click.echo(
        f"exported {count.written} row(s); {count.without_text} item(s) without kept text skipped", err=True
    )


@command.command("purge")
@_URL
def purge(database_url: str | None) -> None:
    """Drop the sealed text of items past their retention (run it daily, e.g. from cron)."""
    with _queue(database_url) as (_, queue):
        dropped = queue.purge_expired()
    click.echo(f"purged the text of {dropped} item(s) past retention")


def _print_suggestion(view: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(view, ensure_ascii=False))
        return
    where = f"{view['guardrailId']}: {view['kind']} {view['target']!r}"
    click.echo(
        f"{view['id']}  {view['state']:8} {where} {view['value']!r} ({len(view['items'])} overturn(s))"
    )


@command.command("suggest")
@_JSON
@_URL
def suggest(as_json: bool, database_url: str | None) -> None:
    """Turn overturned items into policy suggestions (words to remove, topic examples and
    exceptions to add) and list the pending ones; nothing changes a policy until an admin accepts one."""
    with _review(database_url) as (_, review):
        suggester = review.suggester
        count = suggester.generate()
        pending = suggester.suggestions.list(states=["pending"], limit=10_000)
    for record in pending:
        _print_suggestion(record.to_dict(), as_json)
    skipped = ", ".join(f"{why} {n}" for why, n in sorted(count.skipped.items())) or "none"
    click.echo(f"offered {count.offered} suggestion(s); overturns passed over: {skipped}", err=True)


@command.command("suggestions")
@click.option("--state", "states", multiple=True, type=click.Choice(["pending", "accepted", "rejected"]))
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@_JSON
@_URL
def suggestions(states: tuple[str, ...], limit: int, as_json: bool, database_url: str | None) -> None:
    """List policy suggestions, oldest first."""
    with _review(database_url) as (_, review):
        found = review.suggester.suggestions.list(states=states, limit=limit)
    for record in found:
        _print_suggestion(record.to_dict(), as_json)


@command.command("accept-suggestion")
@click.argument("suggestion_id")
@_AS
@_URL
def accept_suggestion(suggestion_id: str, acting_key: str, database_url: str | None) -> None:
    """Apply a suggestion to its guardrail's DRAFT (admin key); freeze a version to ship it."""
    with _review(database_url) as (app, review):
        record, info = reviews.accept_suggestion(
            app, review, suggestion_id, reviews.admin_of(app, acting_key)
        )
    click.echo(
        f"accepted {record.id}: the DRAFT of {info.id} is now revision {info.draft_revision}; "
        f"freeze it with: steward guardrail version {info.id}"
    )


@command.command("reject-suggestion")
@click.argument("suggestion_id")
@_AS
@_URL
def reject_suggestion(suggestion_id: str, acting_key: str, database_url: str | None) -> None:
    """Decline a suggestion (admin key); the policy is untouched."""
    with _review(database_url) as (app, review):
        record = review.suggester.reject(suggestion_id, reviews.admin_of(app, acting_key))
    click.echo(f"rejected {record.id}")


@click.group("feedback")
def feedback_command() -> None:
    """End users' feedback sent by applications."""


@feedback_command.command("list")
@click.option("--request-id", default=None, help="Only feedback about this request.")
@PAGE
@_JSON
@_URL
def feedback_list(
    request_id: str | None, after: str | None, limit: int, as_json: bool, database_url: str | None
) -> None:
    """List feedback, newest first, a page at a time (users appear as keyed hashes)."""
    with _queue(database_url) as (_, queue):
        page = queue.store.feedback_page(request_id=request_id, after=after, limit=limit)
    if as_json:
        echo_json_page("feedback", [record.to_dict() for record in page.items], page.next)
        return
    for record in page.items:
        text = (record.text or "").replace("\n", " ")
        click.echo(
            f"{record.created_at:%Y-%m-%d %H:%M}  {record.rating}/5  {record.category or '-':16} {text}"
        )
    echo_next(page.next)
