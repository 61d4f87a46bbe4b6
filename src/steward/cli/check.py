"""``steward check``: apply a policy to a text, stdin, or a JSONL file of texts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

import click

from steward.assessment import Assessment
from steward.cli._options import POLICY
from steward.cli.exit_codes import ExitCode
from steward.errors import InputError
from steward.guard import Guard
from steward.policy import load_policy
from steward.validation import parse_json

__all__ = ["command"]

#: Files with at least this many lines get a progress bar on stderr.
PROGRESS_MIN_LINES = 200
#: A JSONL line longer than this is refused (the text limit plus room for the JSON around it).
JSONL_LINE_MAX_BYTES = 1 << 20


def _read_stdin() -> str:
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not valid UTF-8 (byte {exc.start})", field="stdin") from None


def _render(assessment: Assessment, out: TextIO) -> None:
    verdict = "BLOCKED" if assessment.blocked else ("MASKED" if assessment.intervened else "PASSED")
    out.write(
        f"{verdict}  {assessment.source.value}  policy={assessment.policy_name}  "
        f"{assessment.latency_ms:.2f} ms\n"
    )
    if assessment.action_reason:
        out.write(f"  reason: {assessment.action_reason}\n")
    if assessment.output_text is not None:
        out.write(f"  output: {assessment.output_text}\n")
    for f in assessment.findings:
        out.write(
            f"  - {f.policy.value} {f.type} [{f.start}:{f.end}] score={f.score:.2f} "
            f"{f.confidence.value} -> {f.action.value}  ({f.rule})\n"
        )


def _code(assessments: list[Assessment]) -> ExitCode:
    if any(a.blocked for a in assessments):
        return ExitCode.BLOCKED
    if any(a.intervened for a in assessments):
        return ExitCode.MASKED
    return ExitCode.OK


def _check_jsonl(guard: Guard, path: Path, source: str, full: bool) -> ExitCode:
    try:
        raw_lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", field=str(path)) from None
    from tqdm import tqdm

    assessments: list[Assessment] = []
    bad = 0
    lines = tqdm(
        raw_lines, desc="checking", unit="text", file=sys.stderr, disable=len(raw_lines) < PROGRESS_MIN_LINES
    )
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            item = _parse_line(raw, number)
            text = item["text"]
            assessment = guard.apply(
                text,
                item.get("source", source),
                grounding_source=item.get("grounding_source"),
                query=item.get("query"),
                output_scope="FULL" if full else "INTERVENTIONS",
            )
        except (InputError, ValueError) as exc:
            bad += 1
            click.echo(json.dumps({"line": number, "error": str(exc)}))
            continue
        assessments.append(assessment)
        click.echo(json.dumps({"line": number, **assessment.to_dict()}, ensure_ascii=False))
    return ExitCode.INPUT_ERROR if bad else _code(assessments)


def _parse_line(raw: bytes, number: int) -> dict[str, Any]:
    field = f"line {number}"
    if len(raw) > JSONL_LINE_MAX_BYTES:
        raise InputError(f"is over {JSONL_LINE_MAX_BYTES} bytes", field=field)
    item = parse_json(raw, field=field, at="column")
    if isinstance(item, str):
        return {"text": item}
    if not isinstance(item, dict) or "text" not in item:
        raise InputError('must be a JSON string or an object with a "text" field', field=field)
    return item


@click.command("check")
@click.argument("text", required=False)
@POLICY
@click.option("--source", type=click.Choice(["input", "output"]), default="input", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the full assessment as JSON.")
@click.option(
    "--jsonl",
    "jsonl",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Check each line of a JSONL file.",
)
@click.option(
    "--full", is_flag=True, help="Run every detector even after a block (Bedrock's outputScope FULL)."
)
@click.option(
    "--grounding-source", default=None, help="Reference text for the grounding check (output only)."
)
@click.option("--query", default=None, help="The user's question, for the relevance check (output only).")
@click.option(
    "--explain",
    is_flag=True,
    help="For each learned-detector finding, show the words that raised its score most (occlusion).",
)
def command(
    text: str | None,
    policy_ref: str,
    source: str,
    as_json: bool,
    jsonl: Path | None,
    full: bool,
    grounding_source: str | None,
    query: str | None,
    explain: bool,
) -> None:
    """Check TEXT (or '-' for stdin) against a policy and print the decision.

    Exit codes: 0 passed, 1 blocked, 3 masked, 4 bad policy, 5 bad input.
    """
    guard = Guard(load_policy(policy_ref))
    if jsonl is not None:
        if text is not None:
            raise click.UsageError("give either TEXT or --jsonl, not both")
        if explain:
            raise click.UsageError("--explain works on one TEXT, not --jsonl")
        sys.exit(_check_jsonl(guard, jsonl, source, full))
    if text is None:
        raise click.UsageError("give TEXT, '-' for stdin, or --jsonl FILE")
    if text == "-":
        text = _read_stdin()
    assessment = guard.apply(
        text,
        source,
        grounding_source=grounding_source,
        query=query,
        output_scope="FULL" if full else "INTERVENTIONS",
    )
    if as_json:
        payload = assessment.to_dict()
        if explain:
            from steward.cli.check_explain import explain_json

            payload["explanations"] = explain_json(guard, text, assessment)
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        _render(assessment, sys.stdout)
        if explain:
            from steward.cli.check_explain import render_explanations

            render_explanations(guard, text, assessment)
    sys.exit(_code([assessment]))
