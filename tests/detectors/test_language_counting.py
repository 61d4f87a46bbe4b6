"""The shortcuts language identification takes give what the plain patterns give.

Letters are counted on UTF-8 bytes and by two scans, not by matching each one; texts are
blanked only when :data:`_NOT_A_WORD_SIGN` finds something :data:`_NOT_A_WORD` would blank;
script codes are made only when a script character is present. Each is checked here against
the pattern it stands for, on the inputs where a shortcut could go wrong.
"""

from __future__ import annotations

import pytest

from steward.detectors.language import (
    _LETTER,
    _NOT_A_WORD,
    _NOT_A_WORD_SIGN,
    _SCRIPT_CHAR,
    _count_letters,
    _script_codes,
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


@pytest.mark.parametrize("text", SIGNS + TEXTS)
def test_the_sign_search_finds_exactly_what_the_blanking_pattern_would_blank(text: str) -> None:
    assert bool(_NOT_A_WORD_SIGN.search(text)) == bool(_NOT_A_WORD.search(text))


@pytest.mark.parametrize("text", TEXTS)
def test_a_text_gets_script_codes_only_where_a_script_character_is_found(text: str) -> None:
    codes = [ch for ch in text.translate(_script_codes()) if 0xE000 <= ord(ch) <= 0xE00C]
    found = _SCRIPT_CHAR.search(text)
    assert not codes or found
