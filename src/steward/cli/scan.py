"""``steward scan`` and ``steward scrub``: check a data set, and write a scrubbed copy of it.

``scan`` reports counts (PII per type, harmful content per category, prompt attacks,
duplicates, languages, group representation), never raw values. ``scrub`` writes a copy
with personal data masked and blocked rows dropped or flagged, plus a manifest that
``--evidence SYSTEM`` records as dataset-scan evidence.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from steward.datascan.engines import ENGINES, WORKERS_MAX
from steward.datascan.readers import CHUNK_ROWS_DEFAULT, CHUNK_ROWS_MAX, FORMATS
from steward.errors import InputError
from steward.policy import load_policy

__all__ = ["command", "scrub_command"]

#: A vault key file larger than this is refused (a key is a passphrase or 32–64 random bytes).
VAULT_KEY_MAX_BYTES = 4096


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise InputError("names no column", field="columns")
    return names


@contextmanager
def _progress(total: int, enabled: bool | None, desc: str) -> Iterator[Callable[[int], None] | None]:
    """A byte-count bar on stderr (by default only on a terminal), closed however the run ends.

    Without tqdm's monitor thread (``monitor_interval = 0``; it only retunes a stalled bar's
    refresh rate): a driver with no other thread forks its pool's workers itself
    (:func:`steward.datascan.engines._fork_from_driver`), which starts a pool about three times
    faster than a fork server.
    """
    show = sys.stderr.isatty() if enabled is None else enabled
    if not show:
        yield None
        return
    from tqdm import tqdm

    class _Bar(tqdm):  # type: ignore[misc]
        monitor_interval = 0

    with _Bar(total=total, unit="B", unit_scale=True, desc=desc, file=sys.stderr) as bar:
        yield bar.update


@dataclass(frozen=True)
class _Run:
    """The options ``scan`` and ``scrub`` share (what to read, with which policy, on which engine)."""

    policy_ref: str
    columns: str | None
    fmt: str | None
    progress: bool | None
    engine: str
    workers: int | None
    chunk_rows: int

    def options(self) -> dict[str, Any]:
        """Their fields of :class:`~steward.datascan.scan.ScanOptions` and ``ScrubOptions``."""
        return {
            "policy": load_policy(self.policy_ref),
            "format": self.fmt,
            "columns": _split(self.columns),
            "engine": self.engine,
            "workers": self.workers,
            "chunk_rows": self.chunk_rows,
        }


def _engine_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The shared options, handed to ``command`` as one ``run`` (:class:`_Run`)."""

    @functools.wraps(command)
    def f(**kwargs: Any) -> Any:
        shared = {name: kwargs.pop(name) for name in _Run.__dataclass_fields__}
        return command(run=_Run(**shared), **kwargs)

    f = click.option(
        "--chunk-rows",
        type=click.IntRange(1, CHUNK_ROWS_MAX),
        default=CHUNK_ROWS_DEFAULT,
        show_default=True,
        help="Rows per chunk (lines for JSON Lines and text, bad and blank ones included): the unit of parallel work and of --resume.",
    )(f)
    f = click.option(
        "--workers", type=click.IntRange(1, WORKERS_MAX), default=None, help="Processes (default: all cores)."
    )(f)
    f = click.option(
        "--engine",
        type=click.Choice(ENGINES),
        default="local",
        show_default=True,
        help="local processes, or Ray Data (pip install 'steward[ray]'; RAY_ADDRESS joins a cluster).",
    )(f)
    f = click.option(
        "--progress/--no-progress", default=None, help="A progress bar on stderr (default: when a terminal)."
    )(f)
    f = click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default=None, help="Default: from the file name."
    )(f)
    f = click.option("--columns", default=None, help="Comma-separated columns to check (default: all).")(f)
    return click.option(
        "--policy", "policy_ref", default="default", show_default=True, help="Policy file or pack name."
    )(f)


def _run_options(
    run: str, document: str, recorded: str
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--resume``, ``--evidence``, ``--dataset`` and ``--json``, worded for a ``run`` that prints a ``document``."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        f = click.option("--json", "as_json", is_flag=True, help=f"Print the {document} as JSON.")(f)
        f = click.option(
            "--dataset",
            "dataset_id",
            default=None,
            help="The datasheet id the evidence is about (with --evidence).",
        )(f)
        f = click.option(
            "--evidence",
            "system_id",
            default=None,
            help=f"Record {recorded} as dataset-scan evidence for SYSTEM.",
        )(f)
        return click.option(
            "--resume", is_flag=True, help=f"Continue an interrupted {run} from its last complete chunk."
        )(f)

    return decorate


def _check_dataset(system_id: str | None, dataset_id: str | None) -> None:
    """``--dataset`` names the subject of ``--evidence``: alone it would be silently ignored."""
    if dataset_id is not None and system_id is None:
        raise click.UsageError("--dataset names the subject of --evidence; give --evidence SYSTEM too")


def _total_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else 0


@click.command("scan")
@click.argument("path", type=click.Path(path_type=Path))
@_engine_options
@click.option(
    "--group", "groups", multiple=True, help="A column whose representation to report (repeatable)."
)
@click.option(
    "--reference",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="JSON/YAML mapping of group value to expected count or share (needs one --group).",
)
@click.option("--examples", is_flag=True, help="Show a few examples per finding type, personal data masked.")
@click.option("--no-languages", is_flag=True, help="Skip language identification (faster).")
@click.option(
    "--all-languages",
    is_flag=True,
    help="Identify the language of every cell; by default inputs over 2 MiB have a sample of cells identified.",
)
@_run_options("scan", "report", "the report's counts")
def command(
    path: Path,
    run: _Run,
    groups: tuple[str, ...],
    reference: Path | None,
    examples: bool,
    no_languages: bool,
    all_languages: bool,
    resume: bool,
    system_id: str | None,
    dataset_id: str | None,
    as_json: bool,
) -> None:
    """Scan a data file, or every data file under a directory, and report what it holds.

    Counts per column and overall: rows, PII per type, harmful content per category, prompt
    attacks, duplicate rows, language mix (past 2 MiB of input, measured on a sample of the
    cells chosen by a hash of their text; --all-languages for every cell); with --group, each
    group's share against --reference. Raw values are never printed.
    """
    from steward.datascan.report import dumps, render_text
    from steward.datascan.scan import ScanOptions, scan
    from steward.settings import data_dir

    _check_dataset(system_id, dataset_id)
    if no_languages and all_languages:
        raise click.UsageError("--no-languages and --all-languages contradict each other; give one")
    options = ScanOptions(
        **run.options(),
        groups=list(groups),
        reference=reference,
        examples=examples,
        languages=not no_languages,
        all_languages=all_languages,
        resume=resume,
        state_dir=data_dir() / "scan-state",
    )
    with _progress(_total_bytes(path), run.progress, "scanning") as tick:
        report = scan(path, options, tick=tick)
    click.echo(dumps(report) if as_json else render_text(report).rstrip("\n"))
    if system_id is not None:
        _record_scan(report, path, run.fmt, system_id, dataset_id, as_json)


def _vault_key(path: Path | None) -> str | None:
    if path is None:
        from steward.settings import Settings

        return Settings.from_env().secret("vault_key")
    try:
        with path.open("rb") as handle:
            raw = handle.read(VAULT_KEY_MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", field=str(path)) from None
    if len(raw) > VAULT_KEY_MAX_BYTES:
        raise InputError(f"is larger than {VAULT_KEY_MAX_BYTES} bytes", field=str(path))
    try:
        key = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise InputError("is not UTF-8 text", field=str(path)) from None
    if not key:
        raise InputError("is empty", field=str(path))
    return key


@click.command("scrub")
@click.argument("src", metavar="IN", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("dst", metavar="OUT", type=click.Path(path_type=Path, dir_okay=False))
@_engine_options
@click.option("--pseudonyms", is_flag=True, help="Consistent pseudonyms ({NAME_1}) instead of tags ({NAME}).")
@click.option(
    "--vault",
    "vault_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="The sealed pseudonym vault: continued if it exists, written at the end.",
)
@click.option(
    "--vault-key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="File holding the vault key (default: $STEWARD_VAULT_KEY). Keep it; it is never stored.",
)
@click.option(
    "--on-block",
    type=click.Choice(["drop", "flag", "keep"]),
    default="drop",
    show_default=True,
    help=f"Rows the policy blocks: drop them, or keep them (masked) with a {'steward_blocked'!r} column.",
)
@click.option(
    "--manifest",
    "manifest_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Where to write the manifest (default: OUT.manifest.json).",
)
@_run_options("scrub", "manifest", "the manifest")
def scrub_command(
    src: Path,
    dst: Path,
    run: _Run,
    pseudonyms: bool,
    vault_path: Path | None,
    vault_key_file: Path | None,
    on_block: str,
    resume: bool,
    manifest_path: Path | None,
    system_id: str | None,
    dataset_id: str | None,
    as_json: bool,
) -> None:
    """Write OUT: IN with personal data masked and blocked rows dropped or flagged, plus a manifest."""
    from steward.datascan.scrub import ScrubOptions, scrub

    _check_dataset(system_id, dataset_id)
    options = ScrubOptions(
        **run.options(),
        pseudonyms=pseudonyms,
        vault_path=vault_path,
        vault_key=_vault_key(vault_key_file) if pseudonyms else None,
        on_block=on_block,
        resume=resume,
        manifest_path=manifest_path,
    )
    with _progress(_total_bytes(src), run.progress, "scrubbing") as tick:
        manifest = scrub(src, dst, options, tick=tick)
    counts = manifest["counts"]
    if as_json:
        click.echo(json.dumps(manifest, indent=2, ensure_ascii=False))
    else:
        pii = ", ".join(f"{k} {v:,}" for k, v in counts["pii"].items()) or "none"
        click.echo(
            f"wrote {dst}: {counts['rows_written']:,} of {counts['rows_read']:,} rows "
            f"({counts['rows_masked']:,} masked, {counts['rows_dropped']:,} dropped, {counts['rows_flagged']:,} flagged, "
            f"{sum(counts['lines_unreadable'].values()):,} unreadable lines skipped)"
        )
        click.echo(f"  masked: {pii}")
        click.echo(f"  output sha256 {manifest['output']['sha256']}")
    if system_id is not None:
        written = manifest_path or dst.with_name(dst.name + ".manifest.json")
        _record_scrub(manifest, written.name, system_id, dataset_id, as_json)


def _record(
    document: dict[str, Any],
    metrics: dict[str, Any],
    *,
    name: str,
    inputs: dict[str, str],
    data_version: str,
    file_name: str,
    source: str,
    system_id: str,
    dataset_id: str | None,
    quiet: bool,
) -> None:
    """Store a scan report or a scrub manifest as dataset-scan evidence for SYSTEM (about --dataset)."""
    from steward.cli._govern_io import open_register, record_evidence
    from steward.govern.requirements import EvidenceKind

    store = open_register()
    subject_version = dataset_id and store.get_dataset(dataset_id).version
    recorded = record_evidence(
        json.dumps({"metrics": metrics, "document": document}, sort_keys=True).encode(),
        system_id=system_id,
        kind=EvidenceKind.DATASET_SCAN,
        name=name,
        subject=f"dataset:{dataset_id}" if dataset_id else f"file:{file_name}",
        subject_version=subject_version or data_version,
        inputs=inputs,
        source=source,
        rerun_ok=True,
        store=store,
    )
    system, evidence = recorded.system, recorded.evidence
    what = name.split(" ")[0]
    if not recorded.added:
        click.echo(
            f"{evidence.id}: this {what} is already recorded for {system.id} {system.version}", err=quiet
        )
    else:
        click.echo(f"recorded {evidence.id}: dataset-scan for {system.id} {system.version}", err=quiet)


def _record_scrub(
    manifest: dict[str, Any], manifest_name: str, system_id: str, dataset_id: str | None, quiet: bool
) -> None:
    counts = manifest["counts"]
    metrics: dict[str, Any] = {k: v for k, v in counts.items() if isinstance(v, int)}
    metrics.update({f"pii.{k}": v for k, v in counts["pii"].items()})
    metrics.update({f"blocked.{k}": v for k, v in counts["blocked"].items()})
    metrics["lines_unreadable"] = sum(counts["lines_unreadable"].values())
    _record(
        manifest,
        metrics,
        name=f"scrub {manifest['input']['file']}",
        inputs={
            manifest["input"]["file"]: manifest["input"]["sha256"],
            manifest["output"]["file"]: manifest["output"]["sha256"],
        },
        data_version=manifest["input"]["sha256"][:12],
        file_name=manifest["input"]["file"],
        source=manifest_name,
        system_id=system_id,
        dataset_id=dataset_id,
        quiet=quiet,
    )


def _record_scan(
    report: dict[str, Any], path: Path, fmt: str | None, system_id: str, dataset_id: str | None, quiet: bool
) -> None:
    """The scan's counts as evidence; the data is identified by SHA-256 (one digest over a directory's files)."""
    from steward.datascan.scan import data_files
    from steward.datascan.scrub import file_sha256

    files = data_files(path, fmt)
    if len(files) == 1:
        digest = file_sha256(files[0][0])
    else:
        listing = "".join(f"{f.relative_to(path)}\t{file_sha256(f)}\n" for f, _ in files)
        digest = hashlib.sha256(listing.encode("utf-8")).hexdigest()
    overall = report["overall"]
    metrics: dict[str, Any] = {
        k: report[k]
        for k in ("rows", "duplicate_rows", "rows_with_pii", "rows_with_harmful", "rows_with_prompt_attack")
    }
    metrics["rows_blocked"] = report["rows_blocked"]
    metrics["bad_lines"] = report["bad_lines"]["total"]
    metrics["prompt_attack"] = overall["prompt_attack"]
    metrics.update({f"pii.{k}": v for k, v in overall["pii"].items()})
    metrics.update({f"harmful.{k}": v for k, v in overall["harmful"].items()})
    document = {k: v for k, v in report.items() if k != "examples"}  # examples stay on screen only
    _record(
        document,
        metrics,
        name=f"scan {path.name}",
        inputs={path.name + ("/" if path.is_dir() else ""): digest},
        data_version=digest[:12],
        file_name=path.name,
        source=f"steward scan {path.name}",
        system_id=system_id,
        dataset_id=dataset_id,
        quiet=quiet,
    )
