"""The stream guard: what it releases, when, and what it never lets out."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from proxy_fakes import EMAIL_PATTERN

from steward.assessment import Action, Assessment, Finding, FindingAction, PolicyKind, Source
from steward.detectors.base import DetectionRequest, Detector
from steward.detectors.grounding import GroundingDetector
from steward.detectors.regex import RegexDetector
from steward.guard import Guard
from steward.models.sentences import embedding_pieces
from steward.policy import load_policy, parse_policy
from steward.policy.schema import Policy
from steward.proxy.holdback import StreamGuard
from steward.rules import rule_key

POLICY = parse_policy(
    {
        "name": "holdback-test",
        "sensitive_information": {
            "regexes": [
                {"name": "EMAIL", "pattern": EMAIL_PATTERN},
                {"name": "LAUNCH_CODE", "pattern": r"launch code \d+", "action": "BLOCK"},
            ]
        },
        "blocked_output_message": "Withheld.",
    }
)
GUARD = Guard(POLICY)
PSEUDO = Guard(
    parse_policy(
        {
            "name": "pseudo",
            "sensitive_information": {
                "anonymization": {"style": "pseudonym"},
                "regexes": [{"name": "EMAIL", "pattern": EMAIL_PATTERN}],
            },
        }
    )
)
TEXT = (
    "Thanks for asking. You can reach our support team at help.desk@example.com during office hours, "
    "or write to the billing team at billing@payments.example.org if the question is about an invoice. "
    "We usually answer within one working day."
)


def run(
    guard: Guard, pieces: list[str], *, holdback: int, check_every: int = 1
) -> tuple[str, StreamGuard, int]:
    """Stream ``pieces`` through a stream guard; return the released text and the most ever held."""
    stream = StreamGuard(guard, holdback=holdback, check_every=check_every)
    out, most_held = [], 0
    for piece in pieces:
        release = stream.feed(piece)
        out.append(release.text)
        most_held = max(most_held, stream.held)
    out.append(stream.finish().text)
    return "".join(out), stream, most_held


def split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({c % (len(text) + 1) for c in cuts} | {0, len(text)})
    return [text[a:b] for a, b in itertools.pairwise(points) if b > a]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=60), holdback=st.integers(40, 250))
def test_streamed_output_equals_guarding_the_whole_text(cuts: list[int], holdback: int) -> None:
    # Whatever the chunking, a window longer than each e-mail address releases exactly
    # what guarding the whole answer at once would have produced; since released text is
    # never taken back, no character of an address ever left.
    expected = GUARD.apply(TEXT, Source.OUTPUT).output_text
    released, _, most_held = run(GUARD, split(TEXT, cuts), holdback=holdback)
    assert released == expected
    # Held: at most the window, plus one detected span straddling the release point.
    assert most_held <= holdback + len("billing@payments.example.org") + max(map(len, split(TEXT, cuts)))


def test_one_character_at_a_time_holds_at_most_the_window_plus_a_span() -> None:
    stream = StreamGuard(GUARD, holdback=30)
    held = []
    for ch in TEXT:
        stream.feed(ch)
        held.append(stream.held)
    assert max(held) <= 30 + len("billing@payments.example.org")
    # Most of the time exactly the window is held: text leaves as soon as it may.
    assert held.count(30) > len(TEXT) // 2


def test_the_end_of_the_stream_releases_everything_left() -> None:
    stream = StreamGuard(GUARD, holdback=200)
    assert stream.feed("Mail me at a@example.com").text == ""
    assert stream.held == len("Mail me at a@example.com")
    assert stream.finish().text == "Mail me at {EMAIL}"
    assert stream.held == 0


def test_a_block_stops_the_stream_and_nothing_after_it_leaves() -> None:
    pieces = split(
        "Sure. " * 20 + "The launch code 4242 is secret. More text follows here.", list(range(0, 400, 3))
    )
    stream = StreamGuard(GUARD, holdback=20)
    out = []
    blocked = None
    for piece in pieces:
        release = stream.feed(piece)
        out.append(release.text)
        if release.blocked is not None:
            blocked = release.blocked
            break
    assert blocked is not None and blocked.blocked
    assert blocked.output_text == "Withheld."
    released = "".join(out)
    assert "launch" not in released and released.startswith("Sure. Sure.")
    assert stream.feed("more").text == "" and stream.finish().text == ""
    assert stream.summary() is blocked


def test_a_span_longer_than_the_window_can_leak_its_start() -> None:
    # The documented limit: the window must be longer than what it should catch.
    released, _, _ = run(GUARD, list(TEXT), holdback=10)
    assert "{EMAIL}" in released
    assert "help.desk@example.com" not in released
    assert "help.d" in released


def test_zero_window_guards_each_piece_alone() -> None:
    released, _, _ = run(GUARD, ["write to a@example.com now", " or b@exa", "mple.com"], holdback=0)
    assert released == "write to {EMAIL} now or b@exa" + "mple.com"


def test_batched_checks_run_the_guard_less_often() -> None:
    _, every_char, _ = run(GUARD, list(TEXT), holdback=50)
    released, batched, most_held = run(GUARD, list(TEXT), holdback=50, check_every=25)
    assert released == GUARD.apply(TEXT, Source.OUTPUT).output_text
    assert batched.checks * 10 < every_char.checks
    assert most_held <= 50 + 24 + len("billing@payments.example.org")


def test_pseudonyms_stay_consistent_across_windows() -> None:
    text = "First a@example.com. " + "filler " * 40 + "Again a@example.com, and b@example.com."
    released, _, _ = run(PSEUDO, list(text), holdback=30)
    assert released.count("{EMAIL_1}") == 2
    assert "{EMAIL_2}" in released
    assert "@" not in released


def test_summary_merges_the_windows_with_offsets_into_the_whole_answer() -> None:
    _, stream, _ = run(GUARD, split(TEXT, list(range(0, 400, 7))), holdback=40)
    summary = stream.summary()
    assert summary.action is Action.GUARDRAIL_INTERVENED
    assert summary.source is Source.OUTPUT
    assert summary.text_length == len(TEXT)
    assert [(f.start, f.end) for f in summary.findings] == [
        (TEXT.index("help"), TEXT.index("help") + len("help.desk@example.com")),
        (TEXT.index("billing@"), TEXT.index("billing@") + len("billing@payments.example.org")),
    ]
    assert summary.action_reason == "masked sensitiveInformationPolicy EMAIL"
    assert summary.output_text == GUARD.apply(TEXT, Source.OUTPUT).output_text


def test_a_clean_stream_summarises_as_no_action() -> None:
    _, stream, _ = run(GUARD, ["Nothing ", "to see ", "here."], holdback=5)
    assert stream.summary().action is Action.NONE
    assert stream.summary().output_text is None


@pytest.mark.parametrize("holdback", [0, 1, 200])
def test_empty_stream_releases_nothing(holdback: int) -> None:
    stream = StreamGuard(GUARD, holdback=holdback)
    assert stream.finish().text == ""
    assert stream.checks == 0


# -- The same decision streamed or not (pattern 7) --------------------------------------------


class MoonRituals(Detector):
    """A stand-in for a learned topic detector, judged on the pieces of :func:`embedding_pieces`.

    A piece is on the topic when it speaks of the moon *and* of a ritual. A text of several
    short sentences is also taken whole, as the real detector does, so a window that puts
    "The moon rose." next to "Grandma kept her ritual." finds a piece the long answer lacks.
    """

    name = "moon-topic"
    policy_kind = PolicyKind.TOPIC
    cost = 50
    rule = rule_key("denied_topics", "Moon rituals")

    @classmethod
    def from_policy(cls, policy: Policy) -> MoonRituals | None:
        return None

    def rules(self) -> frozenset[str]:
        return frozenset({self.rule})

    def detect(self, text: str, request: DetectionRequest) -> list[Finding]:
        for start, end in embedding_pieces(text):
            piece = text[start:end].lower()
            if "moon" in piece and "ritual" in piece:
                return [
                    Finding(PolicyKind.TOPIC, "Moon rituals", self.name, start, end, piece, 0.9, self.rule)
                ]
        return []


EQUALITY_POLICY = parse_policy(
    {
        "name": "stream-equality",
        "denied_topics": [{"name": "Moon rituals", "definition": "Rituals performed by moonlight."}],
        "sensitive_information": {"regexes": [{"name": "EMAIL", "pattern": EMAIL_PATTERN}]},
        "contextual_grounding": {"relevance": {"threshold": 0.5, "action": "BLOCK"}},
        "blocked_output_message": "Withheld.",
    }
)
_regex = RegexDetector.from_policy(EQUALITY_POLICY)
assert _regex is not None
EQUALITY_GUARD = Guard(
    EQUALITY_POLICY, detectors=[_regex, MoonRituals(), GroundingDetector(check_grounding=False)]
)
_FILLER = (
    "The harbour was quiet in the evening. Fishermen mended their nets on the pier. "
    "Children ran along the sea wall, and the baker closed his shop at six. "
)
#: ``(answer, query, the decision of guarding the whole answer at once)``.
EQUALITY_CASES = {
    # Benign: "moon" and "ritual" sit in short sentences a window groups together, but the
    # whole story is too long to be taken whole, so no piece of it has both.
    "benign story": (
        _FILLER + "The moon rose over the bay. Grandma kept her evening ritual of tea. " + _FILLER * 3,
        "Tell me a story about the harbour.",
        "passed",
    ),
    "PII": (
        _FILLER + "Write to help.desk@example.com or to billing@payments.example.org. " + _FILLER * 2,
        "Tell me about the harbour and how to write to you.",
        "masked",
    ),
    "relevance": (
        "Preheat the oven to 200 degrees. Slice the potatoes thinly and toss them with olive oil, "
        "salt and rosemary. Roast them for forty minutes, turning once, until golden and crisp. "
        "Serve them hot with a green salad and a spoon of garlic mayonnaise on the side. " * 2,
        "How do I reset my wifi router?",
        "blocked",
    ),
    "topic": (
        _FILLER + "At midnight the villagers began the moon ritual on the beach. " + _FILLER * 2,
        "Tell me a story about the harbour.",
        "blocked",
    ),
}


def _decision(assessment: Assessment) -> str:
    return "blocked" if assessment.blocked else "masked" if assessment.intervened else "passed"


def stream_decision(
    guard: Guard, text: str, query: str, *, size: int, holdback: int = 200, check_every: int = 32
) -> tuple[str, str, StreamGuard]:
    """Stream ``text`` in ``size``-character chunks: the decision, the text released, the guard."""
    stream = StreamGuard(guard, holdback=holdback, check_every=check_every, query=query)
    out = []
    for piece in split(text, list(range(size, len(text), size))):
        release = stream.feed(piece)
        out.append(release.text)
        if release.blocked is not None:
            return "blocked", "".join(out), stream
    release = stream.finish()
    out.append(release.text)
    if release.blocked is not None:
        return "blocked", "".join(out), stream
    return _decision(stream.summary()), "".join(out), stream


@pytest.mark.parametrize("case", sorted(EQUALITY_CASES))
@pytest.mark.parametrize(("size", "check_every"), [(1, 1), (7, 32), (50, 32), (100_000, 32)])
def test_streamed_and_whole_answers_get_the_same_decision(case: str, size: int, check_every: int) -> None:
    text, query, expected = EQUALITY_CASES[case]
    whole = EQUALITY_GUARD.apply(text, Source.OUTPUT, query=query)
    assert _decision(whole) == expected
    decision, released, stream = stream_decision(
        EQUALITY_GUARD, text, query, size=size, check_every=check_every
    )
    assert decision == expected
    if decision == "blocked":
        # The bound: released text runs the window behind the newest character, so at most
        # N - W characters of an N-character answer left before the end decided.
        assert len(released) <= max(0, len(text) - 200)
        assert "ritual" not in released and stream.summary().blocked
    else:
        assert released == (whole.output_text if whole.intervened else text)


def test_a_window_grouping_sentences_no_longer_blocks_the_story() -> None:
    text, query, _ = EQUALITY_CASES["benign story"]
    # A window of the story on its own is judged by the stand-in topic detector as a whole...
    window = text[len(_FILLER) - 40 : len(_FILLER) + 120]
    assert EQUALITY_GUARD.apply(window, Source.OUTPUT).blocked
    # ...but the stream neither blocks nor suspends on that piece: the whole answer lacks it.
    decision, released, stream = stream_decision(EQUALITY_GUARD, text, query, size=5)
    assert (decision, released) == ("passed", text)
    assert stream.suspended is None


def test_a_learned_block_in_a_window_suspends_until_the_whole_answer_decides() -> None:
    text, query, _ = EQUALITY_CASES["topic"]
    stream = StreamGuard(EQUALITY_GUARD, holdback=40, check_every=1, query=query)
    released = "".join(stream.feed(ch).text for ch in text)
    # The window saw the ritual sentence whole: release stopped there, nothing was blocked yet.
    assert stream.suspended is not None and stream.blocked is None
    assert "ritual" not in released
    held = stream.held
    assert stream.feed("More.").text == "" and stream.held == held + len("More.")
    checks = stream.checks
    final = stream.finish()
    assert final.blocked is not None and final.text == ""
    assert stream.checks == checks + 1  # one check, on the whole answer
    assert stream.summary() is final.blocked


def test_the_end_of_the_stream_checks_relevance_with_the_query() -> None:
    text, query, _ = EQUALITY_CASES["relevance"]
    # Windows are checked without the query: relevance runs once, on the whole answer.
    stream = StreamGuard(EQUALITY_GUARD, holdback=200, check_every=32, query=query)
    released = "".join(stream.feed(text[i : i + 9]).text for i in range(0, len(text), 9))
    assert stream.blocked is None and stream.suspended is None
    assert len(released) <= len(text) - 200
    final = stream.finish()
    assert final.blocked is not None
    assert [f.type for f in final.blocked.findings if f.action is FindingAction.BLOCKED] == ["RELEVANCE"]
    # Without a query, as before, nothing judges relevance.
    assert stream_decision(EQUALITY_GUARD, text, "", size=9)[0] == "passed"


STORY = (
    "Once upon a time, in a small harbour town, there lived an old lighthouse keeper named Tomas. "
    "Every evening he climbed the spiral stairs, polished the great lens and lit the lamp. "
    "One winter night a storm rolled in from the sea. The wind howled and the waves crashed against "
    "the rocks. Far out on the water, a fishing boat was struggling to find its way home. "
    "Tomas saw its tiny light flickering between the waves. He kept the lamp burning all night and "
    "rang the bell every few minutes. Slowly, the boat followed the beam through the darkness and "
    "slipped safely into the harbour. In the morning, the fishermen came up the hill with fresh bread "
    "and a basket of fish to thank him. Tomas smiled, made a pot of tea and listened to their stories "
    "until the sun was high. From then on, the children of the town visited him every Sunday, and he "
    "taught them the names of the stars, how to tie a sailor's knot and how to read the clouds before "
    "a storm. Years later, when Tomas was too old to climb the stairs, one of those children became "
    "the new keeper, and the light never went out."
)


@pytest.mark.slow
@pytest.mark.parametrize("size", [4, 17])
def test_default_pack_gives_a_story_the_same_decision_streamed(size: int) -> None:
    # With the learned detectors of the default pack, windows of this story were blocked
    # (content filters, denied topics) while the whole story is not; whatever the models say
    # about a window, the stream's decision is now the whole story's.
    guard = Guard(load_policy("default"))
    query = "Tell me a story about a lighthouse keeper."
    whole = guard.apply(STORY, Source.OUTPUT, query=query)
    decision, released, _ = stream_decision(guard, STORY, query, size=size)
    assert decision == _decision(whole)
    if decision != "blocked":
        assert released == (whole.output_text if whole.intervened else STORY)


def test_the_stream_summary_carries_the_whole_answers_ranking_score() -> None:
    """The audit record of a streamed answer ranks it as the non-streamed answer would."""
    guard = Guard(load_policy("pii-mask"))
    text = "Write to jane.doe@example.com or call +1 415 555 0132 about the order. " * 3
    stream = StreamGuard(guard, holdback=40)
    for start in range(0, len(text), 9):
        stream.feed(text[start : start + 9])
    stream.finish()
    whole = guard.apply(text, "output")
    summary = stream.summary()
    assert whole.risk_score > 0
    assert summary.risk_score == pytest.approx(whole.risk_score)
