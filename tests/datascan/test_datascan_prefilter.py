"""The PII prefilter's triggers run in a few RE2 sets (a scan's hot path): grouping them, and
skipping a set where none of its gates occurs, must pick exactly the recognizers one set of
every trigger picks, so a scan finds the same spans."""

from __future__ import annotations

import re2
from datascan_data import presidio_rows

from steward.detectors.pii.detector import PiiDetector
from steward.detectors.pii.prefilter import TriggerSet
from steward.policy import load_policy

TEXTS = [
    "Ship it to 24 Clarke Avenue, Springfield, IL 62704 before Friday",
    "Car 1HGCM82633A004352 sold; VIN: WVWZZZ1JZXW000001",
    "NHS number 943 476 5919, routing number 011000015, passport no. 340020013",
    "My password is hunter2 and my e-mail is jane@example.com; call (212) 555-0143",
    "Nothing personal in this sentence at all.",
    "The routing of the wire and my passport, with no number near them.",
    "Health card 1234-567-890 and, far away from it after many other words about nothing, the ohip office",
    "",
]


def test_grouped_sets_pick_the_recognizers_one_set_picks() -> None:
    detector = PiiDetector.from_policy(load_policy("pii-mask"))
    assert detector is not None
    recognizers = detector._recognizers
    triggers = [r.trigger for r in recognizers]
    groups = [r.trigger_group for r in recognizers]
    assert len(set(groups)) >= 3  # address, VIN and context-gated triggers each have their own set
    gates = [r.trigger_gate for r in recognizers]
    assert sum(g is not None for g in gates) >= 5  # the context-gated rows
    grouped, single = TriggerSet(triggers, groups, gates), TriggerSet(triggers)
    texts = TEXTS + [row["full_text"] for row in presidio_rows(300)]
    picked = [grouped.matching(t) for t in texts]
    assert picked == [single.matching(t) for t in texts]
    names = [{recognizers[i].name for i in p} for p in picked]
    assert {"address", "vin", "uk_nhs", "us_routing_number", "us_passport", "password", "email", "phone"} <= (
        names[0] | names[1] | names[2] | names[3]
    )
    empty = names[len(TEXTS) - 1]
    assert empty == {r.name for r in recognizers if r.trigger is None}  # empty text: the always-run ones


def test_a_gate_matches_wherever_its_trigger_does() -> None:
    detector = PiiDetector.from_policy(load_policy("pii-mask"))
    assert detector is not None
    texts = TEXTS + [row["full_text"] for row in presidio_rows(300)]
    for recognizer in detector._recognizers:
        if recognizer.trigger is None or recognizer.trigger_gate is None:
            continue
        trigger, gate = re2.compile(recognizer.trigger), re2.compile(recognizer.trigger_gate)
        for text in texts:
            assert trigger.search(text) is None or gate.search(text) is not None


def test_a_set_is_skipped_where_none_of_its_gates_occurs() -> None:
    # "z" is no real gate of "a\d": the set is skipped for want of it, which shows the skip
    skipped = TriggerSet([r"a\d", r"b\d", None], ["one", "two", "two"], ["z", None, None])
    assert skipped.matching("a1 b2") == {1, 2}
    assert skipped.matching("a1 b2 z") == {0, 1, 2}
    gated = TriggerSet([r"a\d", r"b\d"], gates=["a", "b"])
    assert [gated.matching(t) for t in ("a1", "b", "b2 a", "")] == [{0}, set(), {1}, set()]
