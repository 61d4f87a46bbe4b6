"""Helpers the governance commands share: reading YAML files, writing documents, the gate exit."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from steward.cli.exit_codes import ExitCode
from steward.errors import InputError
from steward.govern._validation import DOCUMENT_MAX_BYTES, load_yaml_text
from steward.govern.documents import Document, render
from steward.govern.gates import GateDecision
from steward.govern.repository import GovernanceStore, open_store

__all__ = ["exit_for_gate", "open_register", "read_document", "read_yaml", "write_output"]


def read_document(path: str) -> bytes:
    """The bytes of ``path`` (``-`` for stdin), refusing files over the document limit."""
    if path == "-":
        data = sys.stdin.buffer.read(DOCUMENT_MAX_BYTES + 1)
    else:
        try:
            with Path(path).open("rb") as handle:
                data = handle.read(DOCUMENT_MAX_BYTES + 1)
        except OSError as exc:
            raise InputError(f"cannot be read ({exc.strerror})", field=path) from None
    if len(data) > DOCUMENT_MAX_BYTES:
        raise InputError(f"is larger than {DOCUMENT_MAX_BYTES} bytes", field=path)
    return data


def read_yaml(path: str) -> Any:
    """A YAML or JSON file, parsed; syntax errors name the line."""
    return load_yaml_text(read_document(path), origin=path)


def write_output(doc: Document, fmt: str, out: Path | None) -> None:
    """Print a rendered document, or write it to ``out`` and say where."""
    text = render(doc, fmt)
    if out is None:
        click.echo(text, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    click.echo(f"wrote {out}")


def exit_for_gate(decision: GateDecision) -> None:
    """Exit 7 (GATE_FAILED) when the gate refused."""
    if not decision.allowed:
        sys.exit(ExitCode.GATE_FAILED)


def open_register() -> GovernanceStore:
    """The register in the configured database, closed when the command finishes."""
    opened = open_store()
    click.get_current_context().call_on_close(opened.close)
    return opened
