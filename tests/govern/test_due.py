from __future__ import annotations

import datetime as dt

from govern_builders import NOW, make_evidence, make_risk, make_system

from steward.govern.due import due_items


def test_reviews_and_evidence_falling_due_are_listed_soonest_first() -> None:
    system = make_system()
    risks = [
        make_risk(id="soon", review_date="2026-12-01"),
        make_risk(id="late", review_date="2026-11-01"),
        make_risk(id="far", review_date="2030-01-01"),
    ]
    ev = make_evidence(
        {"recall": 0.95, "fpr": 0.01}, recorded_at=NOW - dt.timedelta(days=25)
    )  # expires in 5 days
    items = due_items(system, risks=risks, evidence=[ev], now=NOW, within_days=30)
    assert [(i.what.split(" (")[0], i.overdue) for i in items] == [
        ("review risk 'late'", True),
        ("refresh evaluation evidence 'holdout'", False),
        ("review risk 'soon'", False),
    ]
    assert items[1].due == dt.date(2026, 11, 26)
    assert due_items(system, risks=risks[2:], evidence=[ev], now=NOW, within_days=4) == []


def test_missing_evidence_and_review_dates_are_overdue_and_retired_systems_are_quiet() -> None:
    system = make_system()
    items = due_items(system, risks=[make_risk(review_date=None)], evidence=[], now=NOW, within_days=0)
    assert [i.what for i in items] == [
        "record evaluation evidence 'holdout' for version 1.0",
        "risk 'r1' has no review date",
    ]
    assert all(i.overdue for i in items)
    assert due_items(make_system(status="retired"), risks=[], evidence=[], now=NOW, within_days=30) == []
