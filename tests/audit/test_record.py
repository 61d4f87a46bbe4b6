from __future__ import annotations

from steward.audit.record import AuditRecord, new_request_id
from steward.guard import Guard
from steward.policy import parse_policy

POLICY = {
    "name": "t",
    "sensitive_information": {"pii_entities": [{"type": "EMAIL"}]},
    "word_filters": {"words": ["zorblax"]},
}


def test_record_redacts_matches_by_default() -> None:
    assessment = Guard(parse_policy(POLICY)).apply("mail ann@example.org about zorblax", output_scope="FULL")
    record = AuditRecord.from_assessment(
        assessment, guardrail_id="g", version="3", caller="KEY", request_id="r1", endpoint="apply"
    )
    assert record.action == "GUARDRAIL_INTERVENED" and record.source == "input"
    assert record.finding_types == ["CUSTOM_WORD", "EMAIL"]
    assert "ann@example.org" not in repr(record.to_row())
    # Only the masked form of what matched is kept (a word finding's details name the policy's word).
    assert [f["match"] for f in record.findings] == ["a…[15 chars]", "z…[7 chars]"]
    assert record.to_row()["finding_types"] == ",CUSTOM_WORD,EMAIL,"
    assert record.latency_ms == assessment.latency_ms


def test_record_keeps_matches_when_asked() -> None:
    assessment = Guard(parse_policy(POLICY)).apply("mail ann@example.org")
    record = AuditRecord.from_assessment(
        assessment,
        guardrail_id=None,
        version=None,
        caller=None,
        request_id="r2",
        endpoint="check",
        keep_matched_text=True,
        latency_ms=5.0,
    )
    assert record.findings[0]["match"] == "ann@example.org"
    assert record.latency_ms == 5.0


def test_clean_text_has_no_types_and_request_ids_are_unique() -> None:
    assessment = Guard(parse_policy(POLICY)).apply("hello")
    record = AuditRecord.from_assessment(
        assessment, guardrail_id="g", version="1", caller=None, request_id="r3", endpoint="apply"
    )
    assert record.to_row()["finding_types"] == ","
    assert len({new_request_id() for _ in range(1000)}) == 1000
