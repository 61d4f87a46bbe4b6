"""Helpers the governance commands share: reading YAML files, writing documents, the gate exit,
recording a measurement as evidence."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from steward.cli.exit_codes import ExitCode
from steward.errors import ConflictError, InputError
from steward.govern._validation import DOCUMENT_MAX_BYTES, load_yaml_text
from steward.govern.documents import Document, render
from steward.govern.evidence import Evidence, evidence_from_metrics_json, sha256_hex
from steward.govern.gates import GateDecision
from steward.govern.inventory import AISystem
from steward.govern.repository import GovernanceStore, open_store
from steward.govern.requirements import EvidenceKind

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
    """The register in the configured database, closed when the command finishes."""
    opened = open_store()
    click.get_current_context().call_on_close(opened.close)
    return opened


def hash_inputs(files: Iterable[Path]) -> dict[str, str]:
    """The sha256 of each file by name, so evidence pins the exact inputs; unreadable is an InputError."""
    hashes = {}
    for file in files:
        try:
            hashes[file.name] = sha256_hex(file.read_bytes())
        except OSError as exc:
            raise InputError(f"cannot be read ({exc.strerror})", field=str(file)) from None
    return hashes


@dataclass(frozen=True, slots=True)
class Recorded:
    """What :func:`record_evidence` stored: ``added`` is false when it was already recorded."""

    system: AISystem
    evidence: Evidence
    added: bool


def record_evidence(
    payload: bytes,
    *,
    system_id: str,
    kind: EvidenceKind,
    name: str,
    subject: str,
    subject_version: str,
    source: str,
    inputs: dict[str, str] | None = None,
    controls: list[str] | None = None,
    actor: str | None = None,
    rerun_ok: bool = False,
    store: GovernanceStore | None = None,
) -> Recorded:
    """Record a metrics JSON document for the system's current version: the one path every
    command that measures something (``evidence add``, ``fairness``, ``explain``, ``redteam``,
    ``scan``, ``dataset scan``) stores it through, so they build the same evidence.

    With ``rerun_ok`` the same measurement recorded again is ``added=False`` rather than a
    :class:`ConflictError`: commands that are rerun routinely say so and carry on.
    """
    store = store or open_register()
    system = store.get_system(system_id)
    evidence = evidence_from_metrics_json(
        payload,
        system_id=system.id,
        system_version=system.version,
        kind=kind,
        name=name,
        subject=subject,
        subject_version=subject_version,
        recorded_at=datetime.now(UTC),
        recorded_by=actor,
        controls=controls,
        inputs=inputs,
        source=source,
    )
    try:
        store.add_evidence(evidence)
    except ConflictError:
        if not rerun_ok:
            raise
        return Recorded(system, evidence, added=False)
    return Recorded(system, evidence, added=True)
