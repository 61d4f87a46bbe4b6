"""The shortcuts language identification takes give what the plain patterns give.

Letters are counted on UTF-8 bytes and by two scans, not by matching each one; texts are
blanked by RE2 on their bytes (:func:`_blank_not_words`) where :data:`_NOT_A_WORD` would blank;
script codes are made only when a script character is present; words are counted on bytes
split at spaces, not by matching each one. Each is checked here against
the pattern it stands for, on the inputs where a shortcut could go wrong.
"""

from __future__ import annotations

import pytest

from steward.detectors.language import (
    _ENGLISH_FUNCTION_WORDS,
    _LETTER,
    _NOT_A_WORD,
    _SCRIPT_CHAR,
    _WORD,
    _blank_not_words,
    _count_function_words,
    _count_letters,
    _plain_sample,
    _Sample,
    _script_codes,
    _words_only,
)

TEXTS = [
    "",
    "plain ascii words and 42 numbers",
    "curly ’quotes’ and accents: café, naïve, Ærø, straße",
    "e\u0301 combining marks alone: \u0301\u0300\u0301",
    "numbers that are letters to re: ½ ² ③ Ⅻ, digits that are not: ٣٤ ३",
    "lone surrogates \ud800 and \udfff between words",
    "private use \ue000\ue001 that looks like script codes",
    "Это русский текст, ελληνικά, العربية, עברית, हिन्दी, বাংলা, ไทย, 中文, かな, 한국어",
    "mixed disguise рrеvіоus ｆｕｌｌ ｗｉｄｔｈ ꜱᴍᴀʟʟ ᴄᴀᴘꜱ",
    "İstanbul ǅ ẞ",
]

SIGNS = [
    "no signs here at all, Only Words. And (spaces) before brackets",
    "a.b",
    "end.",
    ".start",
    "call(",
    " (x",
    "camelCase",
    "Upper Case",
    "x@y",
    "under_score",
    "back\\slash",
    "tick`",
    "9",
    "a . b",
    "é.b",
    "aÉ",
]


@pytest.mark.parametrize("text", TEXTS)
def test_letters_are_counted_as_the_letter_pattern_matches(text: str) -> None:
    assert _count_letters(text) == len(_LETTER.findall(text))


#: Runs next to one another, at the ends, between characters outside ASCII, signs at a run's
#: first and last character, and runs that only look like signs across a space or a line.
RUNS = [
    "a1 b2\tc3\nd4\re5 6",
    "x.y z. .w a .b",
    "é1é 1é é1 ñ@ñ “a.b” ‘c(’",
    "(((a( b)))) a(( ((b",
    "aB Ab ab AB a-B a'B",
    "tab\ta\x7fb1\x00c2 \x1fd3",
    "https://example.com/a?b=c, then `code` and #tag $5 50% ~x^y",
    "9 9.9 .9 9. 9,9",
    "lone \ud800a1 \udfff",
]


@pytest.mark.parametrize("text", SIGNS + TEXTS + RUNS)
def test_blanking_on_bytes_blanks_exactly_what_the_pattern_blanks(text: str) -> None:
    assert _blank_not_words(text) == _NOT_A_WORD.sub(lambda m: " " * len(m.group()), text)


@pytest.mark.parametrize("text", TEXTS)
def test_a_text_gets_script_codes_only_where_a_script_character_is_found(text: str) -> None:
    codes = [ch for ch in text.translate(_script_codes()) if 0xE000 <= ord(ch) <= 0xE00C]
    found = _SCRIPT_CHAR.search(text)
    assert not codes or found


#: Where counting words on bytes could go wrong: runs that start with apostrophes or hyphens,
#: runs of nothing else, curly apostrophes inside and before words, separators outside ASCII,
#: capitals, digits and underscores, and every line-break and tab.
WORDS = [
    *TEXTS,
    "The cat and THE dog; 'the' quoted, -and hyphened, --of, ' - '' -- and 'don't'",
    "don’t ’the ’’ the-end the_end the2 2the _the -_the '-the",
    "“the” — and… of•to ‘is’ with\tthe\nthe\r\nthe\x0bthe\x0cthe",
    "What is the best way to learn? Human: the Assistant: and so on",
    "' - -- '''' ’ ",
    "symbols ½ that are words, © ™ € that are not: the and of",
    "cased symbols Ⓐ Ⓑ and the Kelvin sign \u212a, dotted İ",
    "lone surrogate \ud800the and",
]


def _by_pattern(text: str) -> tuple[int, int]:
    words = _WORD.findall(text.lower())
    return sum(w in _ENGLISH_FUNCTION_WORDS for w in words), len(words)


@pytest.mark.parametrize("text", WORDS)
def test_function_words_are_counted_as_the_word_pattern_counts(text: str) -> None:
    counted = _count_function_words(text)
    assert counted is None or counted == _by_pattern(text)


@pytest.mark.parametrize(
    "text",
    [
        "Human: What’s the time?\n\nAssistant: It’s “late” — about 11 p.m., isn't it?",
        "plain ascii with the and of",
        "'the' and -the --- ''",
    ],
)
def test_words_are_counted_on_bytes_in_ascii_and_with_curly_punctuation(text: str) -> None:
    assert _count_function_words(text) == _by_pattern(text)


@pytest.mark.parametrize("text", ["café and the", "İstanbul and the", "Ⓐ and the", "½ of the"])
def test_a_character_outside_ascii_that_may_be_part_of_a_word_is_left_to_the_pattern(text: str) -> None:
    assert _count_function_words(text) is None


#: Texts of ASCII and characters that change nothing (curly quotes, dashes, symbols, lone
#: surrogates), measured on their bytes alone, and words next to each of those characters.
PLAIN = [
    "Human: What’s the time?\n\nAssistant: It’s “late” — about 11 p.m., isn't it? €5 • ok…",
    "‘the’ –and— of•to ’’ ’ the",
    "lone \ud800 surrogate and \ue000 private use between the words",
    "x.y a@b.com getName print( and the 42 words",
]


@pytest.mark.parametrize("text", PLAIN + SIGNS + RUNS + WORDS)
def test_a_text_measured_on_its_bytes_measures_as_the_general_path_does(text: str) -> None:
    plain = _plain_sample(text)
    general = _Sample(_words_only(text))
    if plain is None:
        return  # a character that may change a measure: the general path alone
    assert plain._text == general._text
    assert plain._script == general._script
    assert plain._english_function_share() == general._english_function_share()


@pytest.mark.parametrize("text", [*PLAIN, "plain ascii"])
def test_ascii_with_curly_punctuation_takes_the_byte_path(text: str) -> None:
    assert _plain_sample(text) is not None


@pytest.mark.parametrize(
    "text", ["café", "e\u0301", "рrеvіоus", "ｆｕｌｌ", "中文", "½ of", "İstanbul", "ꜱᴍᴀʟʟ", "٣"]
)
def test_a_letter_mark_digit_disguise_or_script_outside_ascii_takes_the_general_path(text: str) -> None:
    assert _plain_sample(text) is None
