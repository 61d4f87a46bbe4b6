"""The ``steward`` command line: one module per command group, registered in ``COMMANDS`` below.

Errors Steward raises on purpose are printed as one line naming the problem and map to
the exit codes in :mod:`steward.cli.exit_codes`; no stack trace reaches the user.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from steward.cli.exit_codes import exit_code_for
from steward.errors import StewardError

__all__ = ["COMMANDS", "SUMMARIES", "main"]


#: Every command: its name -> "module:attribute". A module is imported only when its command
#: runs (or its help is asked for), so ``steward --help`` and ``steward policy list`` start fast
#: without the database, model or web libraries. Add a command with one line here and its
#: one-line summary in ``SUMMARIES`` (``tests/cli/test_cli_registry.py`` checks both).
COMMANDS: dict[str, str] = {
    "audit": "steward.cli.audit:command",
    "card": "steward.cli.card:command",
    "check": "steward.cli.check:command",
    "dataset": "steward.cli.dataset:command",
    "db": "steward.cli.db:command",
    "eval": "steward.cli.eval:command",
    "eval-convert": "steward.cli.eval_convert:command",
    "evidence": "steward.cli.evidence:command",
    "explain": "steward.cli.explain:command",
    "fairness": "steward.cli.fairness:command",
    "feedback": "steward.cli.review:feedback_command",
    "guardrail": "steward.cli.guardrail:command",
    "keys": "steward.cli.keys:command",
    "monitor": "steward.cli.monitor:command",
    "policy": "steward.cli.policy:command",
    "provenance": "steward.cli.provenance:command",
    "redteam": "steward.cli.redteam:command",
    "review": "steward.cli.review:command",
    "risk": "steward.cli.risk:command",
    "scan": "steward.cli.scan:command",
    "scrub": "steward.cli.scan:scrub_command",
    "serve": "steward.cli.serve:command",
    "system": "steward.cli.system:command",
}

#: What ``steward --help`` lists beside each command (its docstring's first sentence, as click
#: would take it), so listing the commands imports none of their modules.
SUMMARIES: dict[str, str] = {
    "audit": "Search and export guardrail decisions.",
    "card": "Write the system card, model cards and datasheets of SYSTEM_ID; every number comes from stored evidence.",
    "check": "Check TEXT (or '-' for stdin) against a policy and print the decision.",
    "dataset": "Keep datasheets for data sets and measure their files.",
    "db": "Database migrations.",
    "eval": "Evaluate a policy on DATASETS (JSONL: text, label and/or PII spans, optional source/category/group/context/query).",
    "eval-convert": "Convert shared data set NAME into eval JSONL at OUT (see --list for names).",
    "evidence": "Record and list the evidence gates and cards are built from.",
    "explain": "Explain MODEL on labelled DATA (CSV, JSONL or Parquet): permutation importance per column, and SHAP values globally and for one row (where the shap package is installed).",
    "fairness": "Measure fairness across groups (PREDICTIONS file), or mitigate it (`mitigate`).",
    "feedback": "End users' feedback sent by applications.",
    "guardrail": "Guardrails: create, edit the DRAFT, freeze versions, move aliases, compare.",
    "keys": "API keys and their roles (admin, app, reviewer, auditor).",
    "monitor": "Monitoring: reports, drift, alert rules and fired alerts over the audit trail.",
    "policy": "Validate, show and list policies.",
    "provenance": "Content provenance: C2PA for images, signed receipts for text.",
    "redteam": "Red-team a guardrail or a model: goals × transforms, scored, with intervals.",
    "review": "The human review queue: list, show, claim, confirm, overturn, escalate, export, suggest.",
    "risk": "Record risks, see the heat map, write the risk report.",
    "scan": "Scan a data file, or every data file under a directory, and report what it holds.",
    "scrub": "Write OUT: IN with personal data masked and blocked rows dropped or flagged, plus a manifest.",
    "serve": "Serve the API; migrates the database and seeds guardrail 'default' on first start.",
    "system": "Register AI systems, move them through their life cycle, and see their controls.",
}


class _Group(click.Group):
    """The ``steward`` group: commands loaded on first use, Steward's errors as one line and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attribute = target.partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max((len(n) for n in names), default=0)
        rows = []
        for name in names:
            summary = SUMMARIES.get(name)
            if summary is None:  # no summary written down: load the command to ask it
                command = self.get_command(ctx, name)
                if command is None or command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                rows.append((name, click.Command(name, help=summary).get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StewardError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exit_code_for(exc))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="steward")
def main() -> None:
    """Steward: guardrails, audit, evaluation and governance for AI systems, offline."""
