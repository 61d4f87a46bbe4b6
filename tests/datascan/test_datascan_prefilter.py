"""The PII prefilter's triggers run in a few RE2 sets (a scan's hot path): grouping them must
pick exactly the recognizers one set of every trigger picks, so a scan finds the same spans."""

from __future__ import annotations

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
    "",
]


def test_grouped_sets_pick_the_recognizers_one_set_picks() -> None:
    detector = PiiDetector.from_policy(load_policy("pii-mask"))
    assert detector is not None
    recognizers = detector._recognizers
    triggers = [r.trigger for r in recognizers]
    groups = [r.trigger_group for r in recognizers]
    assert len(set(groups)) >= 3  # address, VIN and context-gated triggers each have their own set
    grouped, single = TriggerSet(triggers, groups), TriggerSet(triggers)
    texts = TEXTS + [row["full_text"] for row in presidio_rows(300)]
    picked = [grouped.matching(t) for t in texts]
    assert picked == [single.matching(t) for t in texts]
    names = [{recognizers[i].name for i in p} for p in picked]
    assert {"address", "vin", "uk_nhs", "us_routing_number", "us_passport", "password", "email", "phone"} <= (
        names[0] | names[1] | names[2] | names[3]
    )
    assert names[5] == {r.name for r in recognizers if r.trigger is None}  # empty text: the always-run ones
