from __future__ import annotations

import random
import string
from importlib import resources

import pytest

from steward import Action, FindingAction, Guard, load_policy, parse_policy
from steward.assessment import PolicyKind, Source
from steward.detectors import detector_classes
from steward.detectors.base import DetectionRequest
from steward.detectors.profanity import ALLOWED_CONTEXTS, NOT_PROFANITY, managed_profanity_words
from steward.detectors.words import MAX_FINDINGS, WordMatcher, WordsDetector, profanity_matcher
from steward.policy.schema import Policy
from steward.rules import rule_key, rule_settings
from steward.server.bedrock import bedrock_response

CUSTOM_RULE = rule_key("word_filters.words")
PROFANITY_RULE = rule_key("word_filters.managed_lists", "PROFANITY")


def _policy(**word_filters: object) -> Policy:
    return parse_policy({"name": "t", "word_filters": word_filters})


def _built(policy: Policy) -> WordsDetector:
    detector = WordsDetector.from_policy(policy)
    assert detector is not None
    return detector


def _detector(**word_filters: object) -> WordsDetector:
    detector = WordsDetector.from_policy(_policy(**word_filters))
    assert detector is not None
    return detector


def _find(detector: WordsDetector, text: str) -> list[tuple[str, str, str, bool]]:
    """(type, original substring, listed word, obfuscated) for each finding, checking offsets."""
    out = []
    for f in detector.detect(text, DetectionRequest(source=Source.INPUT)):
        assert f.match == text[f.start : f.end]
        assert f.policy is PolicyKind.WORD and f.detector == "words" and f.score == 1.0
        out.append((f.type, f.match, f.details["word"], f.details["obfuscated"]))
    return out


PROFANITY = _detector(managed_lists=["PROFANITY"])


@pytest.mark.parametrize(
    ("written", "word"),
    [
        ("f u c k", "fuck"),
        ("f.u.c.k", "fuck"),
        ("f-u-c-k", "fuck"),
        ("f_u_c_k", "fuck"),
        ("F . U . C . K", "fuck"),
        ("fuuuuuck", "fuck"),
        ("shiiiiit", "shit"),
        ("sh1t", "shit"),
        ("$h!t", "shit"),
        ("5hit", "shit"),
        ("@$$hole", "asshole"),
        ("b1tch", "bitch"),
        ("he11", "hell"),
        ("he1l", "hell"),
        ("bu1l$hi7", "bullshit"),
        ("f*ck", "fuck"),
        ("ｆｕｃｋ", "fuck"),
        ("𝐟𝐮𝐜𝐤", "fuck"),
        ("fսck", "fuck"),  # Armenian seh
        ("fuсk", "fuck"),  # Cyrillic es
        ("fuϲk", "fuck"),  # Greek lunate sigma, which NFKC would turn into a final sigma
        ("ѕhіt", "shit"),  # Cyrillic dze and i
        ("fück", "fuck"),
        ("f\u0337u\u0337c\u0337k\u0337", "fuck"),
        ("fu\u200bck", "fuck"),
        ("f\u00adu\u200dc\u2060k", "fuck"),
        ("f\u202eu\u202cck", "fuck"),
        ("sh\ufe0fit", "shit"),
        ("s\u200b h \u200bi t", "shit"),
    ],
)
def test_obfuscated_profanity_is_found_at_exact_offsets(written: str, word: str) -> None:
    text = f"Well, {written}! That was that."
    assert _find(PROFANITY, text) == [("PROFANITY", written, word, True)]


def test_plain_profanity_is_not_marked_obfuscated() -> None:
    assert _find(PROFANITY, "What the FUCK.") == [("PROFANITY", "FUCK", "fuck", False)]


@pytest.mark.parametrize(
    "text",
    [
        "The class took an assessment in Scunthorpe; the cockpit crew met a therapist.",
        "A passage about the assassin's bass, grass and the Essex and Sussex coast.",
        "Hello from the shell: a title, a cocktail, Dickens, shiitake and analysis.",
        "As I said, I was the associate in charge of cumulative documents.",
        "In 1337 at 3:45, 7 teams scored 80085 points; 5 h 1 min later they left.",
        "My sister is a lesbian and a great engineer; our gay neighbours are doctors.",
        "She graduated magna cum laude and wrote an essay on Moby Dick.",
        "A blue tit landed by the pot of weed killer; the penis and vagina are organs.",
        "",
        "   \u200b  ",
    ],
)
def test_innocent_text_is_not_flagged(text: str) -> None:
    assert _find(PROFANITY, text) == []


def test_scunthorpe_words_do_not_match_custom_words_inside_other_words() -> None:
    detector = _detector(words=["ass", "cunt", "cock", "rapist", "hell", "tit", "as"])
    text = "class assessment Scunthorpe cockpit therapist shell title"
    assert _find(detector, text) == []
    assert [m for _, m, _, _ in _find(detector, "you ass, as I said")] == ["ass", "as"]


def test_a_stretched_letter_matches_but_a_missing_one_does_not() -> None:
    detector = _detector(words=["ass"])
    assert _find(detector, "as I said") == []
    assert _find(detector, "what an asssss") == [("CUSTOM_WORD", "asssss", "ass", True)]
    assert _find(detector, "aaasss") == [("CUSTOM_WORD", "aaasss", "ass", True)]


def test_an_ordinary_double_letter_is_not_read_as_stretching() -> None:
    detector = _detector(words=["asses", "fuck"])
    assert _find(detector, "assess the fuuck") == []
    assert _find(detector, "asssesss the fuuuck") == [
        ("CUSTOM_WORD", "asssesss", "asses", True),
        ("CUSTOM_WORD", "fuuuck", "fuck", True),
    ]


def test_spelled_out_letters_next_to_a_one_letter_word() -> None:
    found = _find(PROFANITY, "you are a f u c k i n g joke, said I, a s s")
    assert [(m, w) for _, m, w, _ in found] == [("f u c k i n g", "fucking"), ("a s s", "ass")]
    assert [m for _, m, _, _ in _find(PROFANITY, "s h i t I said")] == ["s h i t"]
    assert [m for _, m, _, _ in _find(PROFANITY, "a s h i t a")] == ["s h i t"]


def test_the_most_specific_word_is_reported() -> None:
    detector = _detector(words=["as", "ass"])
    assert _find(detector, "asss") == [("CUSTOM_WORD", "asss", "ass", True)]


def test_phrases_match_across_any_whitespace_and_punctuation() -> None:
    detector = _detector(words=["kill switch", "Blue Moon Inc"])
    text = "Hit the KILL\n\tswitch at blue-moon   inc. now; killswitch is one word."
    assert _find(detector, text) == [
        ("CUSTOM_WORD", "KILL\n\tswitch", "kill switch", False),
        ("CUSTOM_WORD", "blue-moon   inc", "Blue Moon Inc", True),
    ]


def test_custom_words_with_regex_metacharacters_are_literal() -> None:
    detector = _detector(words=["a.b*c", "c++", "(secret)", "$100", "x|y"])
    assert _find(detector, "aXbc abbbc a b c") == []
    found = _find(detector, "write a.b*c in C++ for $100 (secret) x|y")
    assert [(m, w) for _, m, w, _ in found] == [
        ("a.b*c", "a.b*c"),
        ("C++", "c++"),
        ("$100", "$100"),
        ("secret", "(secret)"),
        ("x|y", "x|y"),
    ]
    assert _find(detector, "it costs 100") == []


def test_ordinary_numbers_do_not_turn_into_words() -> None:
    detector = _detector(words=["leet", "ease", "tea", "1000 dollars"])
    assert _find(detector, "In 1337 at 3:45 with 7 and 34 and 100 dollars or 10000 dollars") == []
    assert _find(detector, "pay 1000 dollars, it's 7ea time") == [
        ("CUSTOM_WORD", "1000 dollars", "1000 dollars", False),
        ("CUSTOM_WORD", "7ea", "tea", True),
    ]


def test_words_in_unspaced_scripts_are_found_inside_sentences() -> None:
    detector = _detector(words=["北京", "сука"])
    assert [m for _, m, _, _ in _find(detector, "我爱北京天安门, ты СУКА")] == ["北京", "СУКА"]


def test_overlapping_words_are_all_reported() -> None:
    detector = _detector(words=["fuck", "fuck off", "off"])
    assert [m for _, m, _, _ in _find(detector, "f u c k   off")] == ["f u c k", "f u c k   off", "off"]


def test_ambiguous_masked_spelling_reads_as_the_commoner_word() -> None:
    assert _find(PROFANITY, "f*ck") == [("PROFANITY", "f*ck", "fuck", True)]


def test_ten_thousand_custom_words() -> None:
    rng = random.Random(7)
    words = sorted(
        {"".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 12))) for _ in range(11_000)}
    )
    words = words[:10_000]
    detector = _detector(words=words)
    picks = rng.sample(words, 5)
    text = " ".join(f"some text {w.upper()} and {'.'.join(w)}" for w in picks)
    found = _find(detector, text)
    assert [w for _, _, w, _ in found] == [w for w in picks for _ in range(2)]
    assert _find(detector, "none of these " + " ".join(w + "zz" for w in picks)) == []


def test_huge_text_offsets_and_finding_cap() -> None:
    detector = _detector(words=["needle"])
    text = "hay " * 49_000 + "N.E.E.D.L.E"
    ((_, match, _, obfuscated),) = _find(detector, text)
    assert match == "N.E.E.D.L.E" and obfuscated
    many = detector.detect("needle " * 5_000, DetectionRequest(source=Source.OUTPUT))
    assert len(many) == MAX_FINDINGS
    assert [f.start for f in many[:2]] == [0, 7]


def test_words_with_nothing_to_match_are_ignored() -> None:
    detector = _detector(words=["...", "ok"])
    assert _find(detector, "... ok") == [("CUSTOM_WORD", "ok", "ok", False)]


def test_detector_is_built_only_when_the_policy_uses_it() -> None:
    assert WordsDetector in detector_classes()
    assert WordsDetector.from_policy(parse_policy({"name": "t"})) is None
    assert WordsDetector.from_policy(_policy(words=[])) is None
    both = _detector(words=["bad"], managed_lists=["PROFANITY"])
    assert both.rules() == {CUSTOM_RULE, PROFANITY_RULE}
    assert _detector(words=["bad"]).rules() == {CUSTOM_RULE}


def test_detector_skips_lists_whose_rule_is_off_for_the_direction() -> None:
    policy = _policy(words=["bad"], managed_lists=["PROFANITY"])
    detector = WordsDetector.from_policy(policy)
    assert detector is not None
    rules = {PROFANITY_RULE: rule_settings(policy, Source.INPUT)[PROFANITY_RULE]}
    found = detector.detect("bad shit", DetectionRequest(source=Source.INPUT, rules=rules))
    assert [f.type for f in found] == ["PROFANITY"]


def test_the_managed_list_is_built_once_per_process() -> None:
    assert profanity_matcher() is profanity_matcher()
    assert _detector(managed_lists=["PROFANITY"])._lists[0][0] is profanity_matcher()


def test_managed_list_removals_are_documented_upstream_entries() -> None:
    raw = resources.files("better_profanity").joinpath("profanity_wordlist.txt").read_text("utf-8")
    upstream = {" ".join(line.split()).casefold() for line in raw.splitlines() if line.strip()}
    assert upstream > NOT_PROFANITY  # every removal names an entry that is really there
    managed = managed_profanity_words()
    assert not {w.casefold() for w in managed} & NOT_PROFANITY
    assert len(managed) == len(upstream - NOT_PROFANITY)
    for context in ALLOWED_CONTEXTS:
        assert _find(PROFANITY, context) == []
    assert [w for _, _, w, _ in _find(PROFANITY, "cum, dick")] == ["cum", "dick"]


def test_matching_needs_no_network(no_sockets: None) -> None:
    matcher = WordMatcher(["offline"])
    assert [m.word for m in matcher.find_in("0ffl1ne")] == ["offline"]
    assert _find(PROFANITY, "shit") == [("PROFANITY", "shit", "shit", False)]


# --- through the guard


def test_default_pack_reports_profanity_both_ways_and_the_strict_pack_blocks_it() -> None:
    policy = load_policy("default")
    # Only the word filter: the pack's other detectors are tested in their own modules.
    guard = Guard(policy, detectors=[_built(policy)])
    text = "This f.u.c.k.i.n.g thing broke again"
    inbound = guard.apply(text, "input", output_scope="FULL")
    assert inbound.action is Action.NONE
    (finding,) = [f for f in inbound.findings if f.policy is PolicyKind.WORD]
    assert finding.action is FindingAction.NONE
    assert (finding.start, finding.end) == (5, 18)
    assert finding.details == {"word": "fucking", "obfuscated": True}
    words = bedrock_response(inbound, output_scope="FULL")["assessments"][0]["wordPolicy"]
    assert words == {
        "customWords": [],
        "managedWordLists": [
            {"match": "f.u.c.k.i.n.g", "type": "PROFANITY", "action": "NONE", "detected": True}
        ],
    }

    # A word list cannot tell a quoted or mild word from abuse: the default only reports it.
    reported = guard.apply(text, "output", output_scope="FULL")
    assert reported.action is Action.NONE
    assert [f.action for f in reported.findings if f.policy is PolicyKind.WORD] == [FindingAction.NONE]

    strict = load_policy("strict")
    guard = Guard(strict, detectors=[_built(strict)])
    outbound = guard.apply(text, "output")
    assert outbound.action is Action.GUARDRAIL_INTERVENED
    assert outbound.output_text == guard.policy.blocked_output_message
    body = bedrock_response(outbound)
    assert body["assessments"][0]["wordPolicy"]["managedWordLists"] == [
        {"match": "f.u.c.k.i.n.g", "type": "PROFANITY", "action": "BLOCKED", "detected": True}
    ]
    assert body["usage"]["wordPolicyUnits"] == 1


def test_custom_words_render_as_bedrock_custom_words() -> None:
    policy = _policy(words=["Project Titan"], input_action="BLOCK", output_action="NONE")
    guard = Guard(policy, detectors=[_built(policy)])
    blocked = guard.apply("tell me about project   t1tan", "input")
    assert blocked.action is Action.GUARDRAIL_INTERVENED
    assert blocked.output_text == policy.blocked_input_message
    assert bedrock_response(blocked)["assessments"][0]["wordPolicy"] == {
        "customWords": [{"match": "project   t1tan", "action": "BLOCKED", "detected": True}],
        "managedWordLists": [],
    }
    reported = guard.apply("tell me about project titan", "output")
    assert reported.action is Action.NONE
    assert "wordPolicy" not in bedrock_response(reported)["assessments"][0]
    assert [f.type for f in reported.findings] == ["CUSTOM_WORD"]


def test_disabled_direction_runs_no_word_filter() -> None:
    guard = Guard(_policy(words=["bad"], output_enabled=False))
    assert guard.apply("bad", "output").findings == ()
    assert guard.apply("bad", "input").blocked
