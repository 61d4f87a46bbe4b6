"""Running a guard over rows: caught flags, ranking scores, and the report built from them."""

from __future__ import annotations

from steward.assessment import Action, Assessment, Finding, FindingAction, PolicyKind, Source
from steward.detectors.base import DetectionRequest, Detector
from steward.evaluate.dataset import EvalRow
from steward.evaluate.report import render_table, summarise, summarise_many
from steward.evaluate.runner import risk_score, run_guard
from steward.guard import Guard
from steward.policy import parse_policy
from steward.policy.schema import Policy
from steward.rules import rule_key

HATE_RULE = rule_key("content_filters", "HATE")


class TextScoreDetector(Detector):
    """A stand-in learned detector: the text says its own HATE score (``score=0.7``)."""

    name = "text-score"
    policy_kind = PolicyKind.CONTENT

    @classmethod
    def from_policy(cls, policy: Policy) -> Detector | None:
        return cls()

    def rules(self) -> frozenset[str]:
        return frozenset({HATE_RULE})

    def detect(self, text: str, request: DetectionRequest) -> list[Finding]:
        score = float(text.split("score=")[1].split()[0]) if "score=" in text else 0.0
        return [Finding(PolicyKind.CONTENT, "HATE", self.name, 0, len(text), text, score, HATE_RULE)]


def _guard() -> Guard:
    policy = parse_policy(
        {
            "name": "t",
            "content_filters": [{"category": "HATE", "input_strength": "MEDIUM", "output_strength": "LOW"}],
        }
    )
    return Guard(policy, detectors=[TextScoreDetector()])


def _row(text: str, label: int, **kw: object) -> EvalRow:
    return EvalRow(text=text, label=label, **kw)  # type: ignore[arg-type]


def test_caught_follows_the_policy_and_score_is_continuous() -> None:
    rows = [
        _row("a score=0.9", 1, group="g:a", category="HATE"),
        _row("b score=0.65", 1, group="g:b", category="HATE"),
        _row("c score=0.5", 1, group="g:a", category="HATE"),  # below MEDIUM: not caught, but ranked
        _row("d score=0.7", 0, group="g:b", category="BENIGN"),  # a false positive
        _row("e score=0.1", 0, group="g:a", category="BENIGN"),
        _row("f score=0.65", 1, source=Source.OUTPUT),  # output strength LOW acts on HIGH only
    ]
    results = run_guard(_guard(), rows)
    assert [r.caught for r in results] == [True, True, False, True, False, False]
    assert [r.score for r in results] == [0.9, 0.65, 0.5, 0.7, 0.1, 0.65]
    assert all(r.latency_ms >= 0 for r in results)

    report = summarise(results)
    assert report["n"] == 6
    # tp=2 fp=1 fn=2 tn=1
    assert report["precision"] == 2 / 3 and report["recall"] == 0.5 and report["fpr"] == 0.5
    # by group: g:a has a negative scored 0.1 (not caught) -> fpr 0; g:b has one caught negative -> 1.0
    assert report["by_group"]["g:a"]["fpr"] == 0.0 and report["by_group"]["g:b"]["fpr"] == 1.0
    assert report["by_group"]["g:a"]["n"] == 3
    assert report["fpr_spread"] == 1.0
    assert report["by_category"]["HATE"]["recall"] == 2 / 3
    assert report["by_category"]["BENIGN"]["fpr"] == 0.5
    assert set(report["latency_ms"]) == {"p50", "p99"}


def test_blocked_only_mode() -> None:
    rows = [_row("x score=0.9", 1), _row("y", 0)]
    results = run_guard(_guard(), rows, caught="blocked")
    assert [r.caught for r in results] == [True, False]


def _assessment(findings: tuple[Finding, ...], scores: dict[str, float]) -> Assessment:
    return Assessment(
        action=Action.NONE,
        source=Source.OUTPUT,
        text_length=1,
        output_text=None,
        findings=findings,
        trace=(),
        latency_ms=0.0,
        policy_name="t",
        policies_run=(),
        scores=scores,
    )


def test_risk_score_turns_grounding_round() -> None:
    # a grounding score of 0.2 (poorly grounded) is a risk of 0.8
    assert risk_score(_assessment((), {"GROUNDING": 0.2, "HATE": 0.3})) == 0.8
    assert risk_score(_assessment((), {"RELEVANCE": 0.95})) == 0.050000000000000044
    pii = Finding(PolicyKind.SENSITIVE_INFORMATION, "EMAIL", "pii", 0, 1, "a", 0.99, "r")
    assert risk_score(_assessment((pii,), {})) == 0.99
    masked = pii.with_action(FindingAction.ANONYMIZED)
    assert risk_score(_assessment((masked,), {"HATE": 0.3}), ignore_masking=True) == 0.3
    assert risk_score(_assessment((masked,), {"HATE": 0.3})) == 0.99
    assert risk_score(_assessment((), {})) == 0.0


def test_summarise_many_and_table() -> None:
    guard = _guard()
    one = run_guard(guard, [_row("a score=0.9", 1), _row("b", 0)])
    two = run_guard(guard, [_row("c score=0.1", 1), _row("d score=0.95", 0)])
    report = summarise_many({"one": one, "two": two})
    assert report["datasets"]["one"]["recall"] == 1.0
    assert report["datasets"]["two"]["recall"] == 0.0
    assert report["overall"]["n"] == 4 and report["overall"]["recall"] == 0.5
    table = render_table(report)
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["slice", "n", "precision", "recall"]
    assert [line.split()[0] for line in lines[2:5]] == ["one", "two", "overall"]


def test_threshold_sweep() -> None:
    rows = [_row("a score=0.9", 1), _row("b score=0.65", 1), _row("c score=0.4", 0), _row("d score=0.7", 0)]
    report = summarise(run_guard(_guard(), rows), thresholds=(0.35, 0.68, 0.95))
    sweep = report["at_threshold"]
    assert set(sweep) == {"0.35", "0.68", "0.95"}
    assert (sweep["0.35"]["recall"], sweep["0.35"]["fpr"]) == (1.0, 1.0)
    assert (sweep["0.68"]["recall"], sweep["0.68"]["fpr"], sweep["0.68"]["precision"]) == (0.5, 0.5, 0.5)
    assert sweep["0.95"]["recall"] == 0.0 and sweep["0.95"]["precision"] is None
    assert "score >= 0.68: precision 0.500, recall 0.500" in render_table(report)
