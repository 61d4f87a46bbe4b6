from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from steward.text.normalize import (
    REPEATED_LETTER,
    NormalizedText,
    collapse_repeats,
    fold_char,
    normalize,
    normalize_views,
)


def _original(n: NormalizedText, start: int = 0, end: int | None = None) -> str:
    s, e = n.span(start, len(n.text) if end is None else end)
    return n.original[s:e]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FUCK", "fuck"),
        ("f u c k", "fuck"),
        ("f.u.c.k", "fuck"),
        ("f-u-c-k", "fuck"),
        ("f_u_c_k", "fuck"),
        ("f  .  u  .  c  .  k", "fuck"),
        ("ｆｕｃｋ", "fuck"),  # full width
        ("𝐟𝐮𝐜𝐤", "fuck"),  # mathematical bold
        ("ⓕⓤⓒⓚ", "fuck"),  # circled
        ("🅵🆄🅲🅺", "fuck"),  # negative squared, no compatibility decomposition
        ("fuсk", "fuck"),  # Cyrillic es
        ("fυck", "fuck"),  # Greek upsilon
        ("fück", "fuck"),  # precomposed accent
        ("fu\u0308ck", "fuck"),  # combining accent
        ("f̷u̷c̷k̷", "fuck"),  # overlay marks
        ("fu\u200bck", "fuck"),  # zero-width space
        ("f\u200cu\u200dc\u2060k\ufeff", "fuck"),  # ZWNJ, ZWJ, word joiner, BOM
        ("fu\u00adck", "fuck"),  # soft hyphen
        ("f\u202eu\u202cck", "fuck"),  # bidi override
        ("fu\ufe0fck", "fuck"),  # variation selector
        ("fu\U000e0041ck", "fuck"),  # tag character
        ("sh1t", "shit"),
        ("$hit", "shit"),
        ("a$$hole", "asshole"),
        ("@$$", "ass"),
        ("b!tch", "bitch"),
        ("sh!+", "shit"),
        ("s h ! t", "shit"),
        ("Straße", "strasse"),
        ("ﬁne", "fine"),
    ],
)
def test_obfuscation_reads_as_the_word(text: str, expected: str) -> None:
    n = normalize(text)
    assert n.text == expected
    assert _original(n) == text.rstrip("\ufeff")  # a trailing invisible is outside the word


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The year 2024 had 365 days.", "the year 2024 had 365 days"),
        ("Call 555-0100 or pay $100", "call 555 0100 or pay $100"),
        ("wow!! really?!", "wow really"),
        ("|pipes| and c++", "pipes and ctt"),
        ("A B", "a b"),  # two single letters are left alone; three are joined
        ("I am a b c", "i am abc"),
    ],
)
def test_ordinary_text_and_numbers_stay_readable(text: str, expected: str) -> None:
    assert normalize(text).text == expected


def test_plain_view_reads_symbols_as_punctuation() -> None:
    leet, plain = normalize_views("mail bob@example.com about sh1t")
    assert leet.text == "mail bobaexample com about shit"
    assert plain is not None
    assert plain.text == "mail bob example com about sh1t"
    start = plain.text.index("example")
    assert _original(plain, start, start + len("example")) == "example"
    assert len(normalize_views("nothing to see here")) == 1


def test_a_one_letter_word_next_to_spelled_out_letters_gets_its_own_reading() -> None:
    views = normalize_views("you are a f u c k i n g joke, I s a i d")
    assert [v.text for v in views] == ["you are afucking joke isaid", "you are a fucking joke i said"]
    apart = views[1]
    start = apart.text.index("fucking")
    s, e = apart.span(start, start + len("fucking"))
    assert apart.original[s:e] == "f u c k i n g"
    assert [v.text for v in normalize_views("a s s")] == ["ass"]  # too short to split


def test_confusables_can_be_kept_for_readers_of_other_scripts() -> None:
    assert normalize("СОСК").text == "cock"  # an all-Cyrillic look-alike spelling
    assert normalize("СОСК", confusables=False).text == "СОСК".casefold()
    assert normalize("Привет мир", confusables=False).text == "привет мир"


def test_unspaced_scripts_become_one_letter_words() -> None:
    n = normalize("我爱北京")
    assert n.text == "我 爱 北 京"
    assert _original(n, 2, 5) == "爱北"


def test_offsets_cover_invisible_and_lookalike_characters_inside_a_word() -> None:
    text = "well, F\u200bU\u200dС\u00adK! you"  # Cyrillic capital es, zero-width and soft hyphen inside
    n = normalize(text)
    assert n.text == "well fuck you"
    assert _original(n, 5, 9) == "F\u200bU\u200dС\u00adK"
    assert _original(n, 10, 13) == "you"


def test_offsets_of_expanded_characters() -> None:
    n = normalize("ﬁne Straße")
    assert n.text == "fine strasse"
    assert _original(n, 0, 1) == "ﬁ"  # both halves of the ligature point at it
    assert _original(n, 1, 2) == "ﬁ"
    assert _original(n, 5, 12) == "Straße"


def test_span_rejects_ranges_outside_the_text() -> None:
    n = normalize("abc")
    for start, end in ((0, 0), (2, 1), (-1, 2), (0, 4)):
        with pytest.raises(ValueError, match="outside"):
            n.span(start, end)


@pytest.mark.parametrize("text", ["", "   ", "\u200b\u200b", "...!!!", "\x00\x01"])
def test_nothing_left_is_an_empty_text(text: str) -> None:
    assert normalize(text).text == ""


def test_fold_char() -> None:
    assert fold_char("A") == "a"
    assert fold_char("\u200b") == ""
    assert fold_char("\u00a0") == " "
    assert fold_char("€") == " "
    assert fold_char("Ⅻ") == "xii"
    assert fold_char("中") == " 中 "
    assert fold_char("к") == "k"  # reached through a second look-alike step
    assert fold_char("к", confusables=False) == "к"


def test_collapse_repeats_keeps_run_lengths() -> None:
    c = collapse_repeats("fuuuuck asss as 1000")
    long = collapse_repeats("fuuuuck asss as 1000" + " ok" * 30)  # numpy path
    assert c.text == "fuck as as 1000"  # digits are never runs
    assert c.run_length(1) == 4
    assert c.run_length(0) == 1
    assert c.run_length(6) == 3
    assert c.run_length(9) == 1
    assert c.source_span(0, 4) == (0, 7)
    assert c.source_span(5, 7) == (8, 12)
    assert c.runs() == long.runs() == [(1, 4), (6, 3)]
    assert long.source_span(5, 7) == (8, 12)
    assert c.run_lengths(0, 4) == [1, 4, 1, 1]
    assert collapse_repeats("ааа ббб 111 ___ " * 5).text == "а б 111 ___ " * 5  # Unicode letters, numpy


def test_long_ascii_collapse_matches_the_regular_expression() -> None:
    text = "soooo goood " * 20 + "aa bb 1111 zz"
    assert len(text) > 64
    assert collapse_repeats(text).text == REPEATED_LETTER.sub(r"\1", text)


@pytest.mark.parametrize(
    "text",
    [
        "a" * 200_000,
        "a " * 100_000,
        "a1" * 100_000,
        "\u200b" * 200_000,
        "f.u." * 50_000,
        "ｆ" * 200_000,
        "x!" * 100_000,
        "!|" * 100_000,
        "a " * 50_000 + "b" * 100_000,
    ],
)
def test_huge_hostile_texts_normalise_in_linear_time(text: str) -> None:
    n = normalize(text)
    if n.text:
        start, end = n.span(len(n.text) - 1, len(n.text))
        assert 0 <= start < end <= len(text)


_TRICKY = st.sampled_from(
    [
        *"aAbcdefhiklosStuz019!|@$+*.-_ ,'\n",
        "\u200b",
        "\u00ad",
        "\ufe0f",
        "с",
        "ο",
        "ｆ",
        "ü",
        "u\u0308",
        "ß",
        "ﬁ",
        "中",
        "𝐟",
        "🅵",
        "\U000e0041",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TRICKY, max_size=40).map("".join))
def test_offsets_agree_with_the_fast_path(text: str) -> None:
    for n in (normalize(text), normalize(text, leet=False), normalize(text, confusables=False)):
        previous_end = 0
        for i in range(len(n.text)):
            start, end = n.span(i, i + 1)  # also checks that both paths produce the same text
            assert 0 <= start < end <= len(text)
            if n.text[i] != " ":
                assert start >= previous_end or n.span(i - 1, i) == (start, end)
                previous_end = end


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcxyz 1_\u0430\u0661", max_size=200))
def test_collapse_repeats_agrees_with_the_regular_expression(text: str) -> None:
    c = collapse_repeats(text)
    assert c.text == REPEATED_LETTER.sub(r"\1", text)
    for i in range(len(c.text)):
        s, e = c.source_span(i, i + 1)
        assert set(text[s:e]) == {c.text[i]}
