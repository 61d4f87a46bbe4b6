"""Helpers the governance commands share: reading YAML files, writing documents, the gate exit,
recording a measurement as evidence."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from steward.app.context import local_app
from steward.app.governance import Recorded, record_metrics
from steward.cli.exit_codes import ExitCode
from steward.errors import InputError
from steward.govern._validation import DOCUMENT_MAX_BYTES, load_yaml_text
from steward.govern.documents import Document, render
from steward.govern.evidence import sha256_hex
from steward.govern.gates import GateDecision
from steward.govern.repository import GovernanceStore

__all__ = [
    "Recorded",
    "exit_for_gate",
    "hash_inputs",
    "open_register",
    "read_document",
    "read_yaml",
    "record_evidence",
    "write_output",
]


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
    """The register of the configured database, closed when the command finishes.

    Like every command that works on the server's database, it refuses a database no
    server (or ``steward db upgrade``) has created instead of creating one silently.
    """
    app = click.get_current_context().with_resource(local_app(create_hint=", or run `steward db upgrade`"))
    return app.governance


def hash_inputs(files: Iterable[Path]) -> dict[str, str]:
    """The sha256 of each file by name, so evidence pins the exact inputs; unreadable is an InputError."""
    hashes = {}
    for file in files:
        try:
            hashes[file.name] = sha256_hex(file.read_bytes())
        except OSError as exc:
            raise InputError(f"cannot be read ({exc.strerror})", field=str(file)) from None
    return hashes


def record_evidence(payload: bytes, *, store: GovernanceStore | None = None, **fields: Any) -> Recorded:
    """:func:`steward.app.governance.record_metrics` on ``store`` (default: the configured register)."""
    return record_metrics(store or open_register(), payload, **fields)
