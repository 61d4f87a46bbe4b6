"""The stream guard: what it releases, when, and what it never lets out."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from proxy_fakes import EMAIL_PATTERN

from steward.assessment import Action, Source
from steward.guard import Guard
from steward.policy import parse_policy
from steward.proxy.holdback import StreamGuard

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
