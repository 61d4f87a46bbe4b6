"""``steward redteam``: attack goals × transforms against a guard or a chat endpoint, and the report.

    steward redteam run [--policy default | --url URL [--via-proxy]] [--goals SET|FILE ...]
                        [--transforms CHAIN ...] [--rounds N] [--out run.json] [--evidence SYSTEM]
                        [--review successes|failures|all]
    steward redteam report run.json [--from-review] [--overrides verdicts.yaml] [--format md|html|json]
    steward redteam goals | transforms

Offline by default: without ``--url`` the target is a Steward policy applied in-process.
API keys are read from environment variables named on the command line, never from argv.
``--review`` files attempts in the server's review queue (texts sealed there); reviewers
confirm or overturn them with ``steward review``, and ``report --from-review`` recomputes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from steward.cli._govern_io import read_document, record_evidence
from steward.cli._options import options
from steward.errors import InputError
from steward.govern.documents import render
from steward.govern.requirements import EvidenceKind
from steward.guard import Guard
from steward.policy import load_policy
from steward.redteam.goals import BUILTIN_SETS, Goal, builtin_goals, load_goal_file, select_goals
from steward.redteam.judge import EndpointJudge, Judge
from steward.redteam.report import (
    apply_overrides,
    build_report,
    evidence_payload,
    load_overrides,
    load_report,
    to_document,
)
from steward.redteam.review import Filing, file_attempts, red_team_items, verdicts_from_items
from steward.redteam.runner import Attempt, run
from steward.redteam.targets import ChatTarget, GuardTarget, Target
from steward.redteam.transforms import TRANSFORMS, parse_chain

__all__ = ["command"]

_FORMATS = ("md", "html", "json")


@click.group("redteam")
def command() -> None:
    """Red-team a guardrail or a model: goals × transforms, scored, with intervals."""


def _goals(specs: tuple[str, ...], categories: tuple[str, ...]) -> tuple[list[Goal], list[str]]:
    goals: list[Goal] = []
    names: list[str] = []
    for spec in specs or BUILTIN_SETS:
        if spec in BUILTIN_SETS:
            goals += builtin_goals([spec])
            names.append(spec)
        else:
            loaded = load_goal_file(spec)
            goals += loaded.goals
            names.append(f"{loaded.name} ({Path(spec).name})")
    return select_goals(goals, categories), names


def _chains(specs: tuple[str, ...]) -> list[tuple[str, ...]]:
    if not specs or specs == ("all",):
        return [(name,) for name in TRANSFORMS]
    return list(dict.fromkeys(parse_chain(s) for s in specs))


def _key(env_name: str | None, option: str) -> str | None:
    if env_name is None:
        return None
    value = os.environ.get(env_name)
    if not value:
        raise InputError(f"names the environment variable {env_name}, which is not set", field=option)
    return value


def _emit(report: dict[str, Any], fmt: str, out: Path | None) -> None:
    text = (
        json.dumps(report, indent=2, ensure_ascii=False) + "\n"
        if fmt == "json"
        else render(to_document(report), fmt)
    )
    if out is None:
        click.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}", err=True)


_DATABASE = click.option(
    "--database-url",
    envvar="STEWARD_DATABASE_URL",
    help="The review queue's database (SQLite or PostgreSQL URL).",
)


def _file_for_review(
    attempts: list[Attempt], report: dict[str, Any], which: str, database_url: str | None
) -> None:
    from steward.cli.review import _queue  # the queue on the server's database, with its key

    with _queue(database_url) as (_, queue):
        ids = file_attempts(
            queue,
            attempts,
            run_id=report["run_id"],
            target_kind=report["target"]["kind"],
            which=Filing(which),
        )
    click.echo(
        f"filed {len(ids)} attempt(s) of run {report['run_id']} for review "
        "(steward review list --reason red_team)",
        err=True,
    )


def _record(report: dict[str, Any], system_id: str, name: str, subject: str, subject_version: str) -> None:
    recorded = record_evidence(
        evidence_payload(report),
        system_id=system_id,
        kind=EvidenceKind.RED_TEAM,
        name=name,
        subject=subject,
        subject_version=subject_version,
        source="steward redteam",
    )
    system, evidence = recorded.system, recorded.evidence
    click.echo(f"recorded {evidence.id}: red-team {name!r} for {system.id} {system.version}", err=True)


_with_evidence_options = options(
    click.option("--evidence", "evidence_system", default=None, help="Record the result as red-team evidence for this system."),
    click.option("--evidence-name", default="red team", show_default=True, help="The evidence name gates match on."),
    click.option("--subject", default=None, help="The thing tested (default: the target, e.g. guardrail:default)."),
    click.option("--subject-version", default=None, help="Its version (default: a hash of the policy, or 'unversioned')."),
)  # fmt: skip


@command.command("run")
@click.option(
    "--policy",
    "policy_ref",
    default="default",
    show_default=True,
    help="Policy file or pack: the guard target, or the output detectors that judge a model's answers.",
)
@click.option(
    "--url",
    default=None,
    help="An OpenAI-compatible /v1 URL to attack instead of the guard (the only network use).",
)
@click.option("--model", default="default", show_default=True, help="The model name sent to --url.")
@click.option("--api-key-env", default=None, help="Environment variable holding the API key for --url.")
@click.option(
    "--third-party",
    type=click.Choice(["input", "output", "both"]),
    default="input",
    show_default=True,
    help="Guard target: check documents and tool results as untrusted input, as output, or both.",
)
@click.option(
    "--via-proxy", is_flag=True, help="--url is Steward's proxy: a content_filter finish counts as blocked."
)
@click.option(
    "--system-prompt",
    default=None,
    help="System prompt for --url (default: one with a canary for extraction goals).",
)
@click.option(
    "--timeout",
    "timeout_s",
    type=click.FloatRange(0.1, 3600),
    default=60.0,
    show_default=True,
    help="Seconds per call to --url or --judge-url.",
)
@click.option("--judge-url", default=None, help="An OpenAI-compatible /v1 URL of a judge model (optional).")
@click.option("--judge-model", default="default", show_default=True)
@click.option("--judge-api-key-env", default=None, help="Environment variable holding the judge's API key.")
@click.option(
    "--goals",
    "goal_specs",
    multiple=True,
    help=f"A built-in set ({', '.join(BUILTIN_SETS)}) or a goal file; repeatable (default: every built-in set).",
)
@click.option("--category", "categories", multiple=True, help="Only goals of this category; repeatable.")
@click.option(
    "--transforms",
    "chain_specs",
    multiple=True,
    help="A transform or a chain such as roleplay+base64; repeatable (default: each transform alone).",
)
@click.option(
    "--rounds",
    type=click.IntRange(0, 5),
    default=0,
    show_default=True,
    help="Iterative rounds that mutate the attempts that got through.",
)
@click.option("--seed", type=click.IntRange(0, 2**31), default=0, show_default=True)
@click.option("--show-text", is_flag=True, help="Keep attempt texts in the report (redacted by default).")
@click.option(
    "--review",
    "review_which",
    type=click.Choice([f.value for f in Filing]),
    default=None,
    help="File these attempts in the review queue (texts sealed there); see `redteam report --from-review`.",
)
@_DATABASE
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the JSON report here (the input of `redteam report`).",
)
@click.option(
    "--format", "fmt", type=click.Choice(_FORMATS), default="md", show_default=True, help="What to print."
)
@_with_evidence_options
def run_cmd(
    policy_ref: str,
    url: str | None,
    model: str,
    api_key_env: str | None,
    third_party: str,
    via_proxy: bool,
    system_prompt: str | None,
    timeout_s: float,
    judge_url: str | None,
    judge_model: str,
    judge_api_key_env: str | None,
    goal_specs: tuple[str, ...],
    categories: tuple[str, ...],
    chain_specs: tuple[str, ...],
    rounds: int,
    seed: int,
    show_text: bool,
    review_which: str | None,
    database_url: str | None,
    out: Path | None,
    fmt: str,
    evidence_system: str | None,
    evidence_name: str,
    subject: str | None,
    subject_version: str | None,
) -> None:
    """Run goals × transforms against a target and print the report."""
    goals, sets = _goals(goal_specs, categories)
    chains = _chains(chain_specs)
    if review_which is not None:
        from steward.cli.review import _queue

        with _queue(database_url):  # a missing database or another server key fails before the run
            pass
    if via_proxy and url is None:
        raise click.UsageError("--via-proxy needs --url (the proxy's /v1 URL)")
    policy = load_policy(policy_ref)
    guard = Guard(policy)
    policy_hash = hashlib.sha256(policy.model_dump_json().encode()).hexdigest()[:12]
    target: Target
    judge_endpoint: ChatTarget | None = None
    if url is None:
        target = GuardTarget(guard, third_party=third_party)
        default_subject, default_version = f"guardrail:{policy.name}", policy_hash
        judge = Judge()
    else:
        chat = ChatTarget(
            url,
            model=model,
            api_key=_key(api_key_env, "--api-key-env"),
            timeout_s=timeout_s,
            via_proxy=via_proxy,
            **({"system_prompt": system_prompt} if system_prompt is not None else {}),
        )
        target = chat
        default_subject, default_version = f"model:{model}", "unversioned"
        if judge_url is not None:
            try:
                judge_endpoint = ChatTarget(
                    judge_url, model=judge_model, api_key=_key(judge_api_key_env, "--judge-api-key-env"),
                    timeout_s=timeout_s, system_prompt=None,
                )  # fmt: skip
            except Exception:
                chat.close()  # its connection pool and event loop
                raise
        judge = Judge(output_guard=guard, model=EndpointJudge(judge_endpoint) if judge_endpoint else None)
    total = len(goals) * len(chains)
    done = 0

    def progress(attempt: Attempt) -> None:
        nonlocal done
        done += 1
        if sys.stderr.isatty() and done % 25 == 0:
            click.echo(f"\r{done}/{total}+ attempts", err=True, nl=False)

    try:
        attempts = run(goals, chains, target, judge, seed=seed, rounds=rounds, progress=progress)
    finally:
        target.close()
        if judge_endpoint is not None:
            judge_endpoint.close()
    meta = {
        "target": {
            "kind": target.kind,
            "name": target.name,
            "policy": policy.name if url is None else None,
            **({"third_party": third_party} if url is None else {}),
        },
        "goal_sets": sets,
        "seed": seed,
        "rounds": rounds,
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    report = build_report(attempts, meta=meta, show_text=show_text)
    if out is not None:
        _emit(report, "json", out)
    if review_which is not None:
        _file_for_review(attempts, report, review_which, database_url)
    _emit(report, fmt, None)
    if evidence_system is not None:
        _record(
            report,
            evidence_system,
            evidence_name,
            subject or default_subject,
            subject_version or default_version,
        )


@command.command("report")
@click.argument("path")
@click.option(
    "--overrides", "overrides_path", default=None, help="A reviewer's file: attempt id -> success|failure."
)
@click.option(
    "--from-review",
    is_flag=True,
    help="Use the verdicts reviewers gave in the review queue to this run's filed attempts.",
)
@_DATABASE
@click.option("--format", "fmt", type=click.Choice(_FORMATS), default="md", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@_with_evidence_options
def report_cmd(
    path: str,
    overrides_path: str | None,
    from_review: bool,
    database_url: str | None,
    fmt: str,
    out: Path | None,
    evidence_system: str | None,
    evidence_name: str,
    subject: str | None,
    subject_version: str | None,
) -> None:
    """Recompute a run's report from PATH (its JSON) with reviewers' verdicts.

    Verdicts come from the review queue (``--from-review``) and from a file (``--overrides``);
    where both judge one attempt, the file's wins.
    """
    meta, records = load_report(read_document(path), origin=path)
    overrides: dict[str, tuple[bool, str]] = {}
    if from_review:
        from steward.cli.review import _queue

        with _queue(database_url) as (_, queue):
            verdicts = verdicts_from_items(red_team_items(queue), meta["run_id"])
        overrides.update(verdicts.overrides)
        meta = {**meta, "reviewed": len(verdicts.overrides), "review_pending": verdicts.pending}
        click.echo(
            f"review queue: {len(verdicts.overrides)} verdict(s), {verdicts.pending} still open "
            f"for run {meta['run_id']}",
            err=True,
        )
    if overrides_path:
        overrides.update(load_overrides(read_document(overrides_path), origin=overrides_path))
    report = apply_overrides(meta, records, overrides)
    _emit(report, fmt, out)
    if evidence_system is not None:
        target = meta.get("target") or {}
        default_subject = (
            f"guardrail:{target.get('policy')}" if target.get("policy") else str(target.get("name", "target"))
        )
        _record(
            report,
            evidence_system,
            evidence_name,
            subject or default_subject,
            subject_version or "unversioned",
        )


@command.command("goals")
@click.option(
    "--goals",
    "goal_specs",
    multiple=True,
    help="A built-in set or a goal file (default: every built-in set).",
)
@click.option("--category", "categories", multiple=True)
def goals_cmd(goal_specs: tuple[str, ...], categories: tuple[str, ...]) -> None:
    """List goals (validating any goal file given)."""
    goals, _ = _goals(goal_specs, categories)
    for goal in goals:
        click.echo(f"{goal.id}\t{goal.category}\t{goal.carrier.value}\t{goal.goal}")


@command.command("transforms")
def transforms_cmd() -> None:
    """List the transforms; compose them with '+' (roleplay+base64)."""
    for transform in TRANSFORMS.values():
        click.echo(f"{transform.name}\t{transform.description}")
