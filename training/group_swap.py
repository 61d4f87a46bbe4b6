"""Counterfactual copies of ToxiGen's seed statements with the group they name swapped.

Why (issue 14): the content model reads which *group* a sentence names, and the frame it was
learnt in, more than what the sentence says about the group. ToxiGen's training half holds a
few hundred seed statements, each about one group, so a frame seen once in a hateful seed
("if you have muslim parents you are basically signed up to be evil") made the shipped model
score the held-out neutral "if you have never had middle eastern food, you are missing out" at
HATE 0.997, and the same frame about Italian food 0.958 (against 0.12 for pizza). A copy of
each seed with the group swapped for another, label kept, shows every frame with many groups
on both sides, so the group stops being evidence and the stance has to carry the label
(counterfactual data augmentation, as in Dixon et al. 2018 and Park et al. 2018 for gender).

Only terms whose swap keeps a sentence grammatical are listed: plural nouns for people, and
adjectives of origin or religion before a word. Targets include groups ToxiGen does not cover
(Italians, Hindus, white people), so that a group the model never saw hated is not a cue either.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable

#: Plural nouns for the people of a group, by group; a statement's first match is swapped for
#: a noun of another group.
NOUNS: dict[str, tuple[str, ...]] = {
    "asian": ("asians", "asian people", "asian americans"),
    "black": ("black people", "african americans", "blacks", "black women", "black men"),
    "chinese": ("chinese people",),
    "jewish": ("jews", "jewish people"),
    "latino": ("latinos", "hispanics", "latino people"),
    "mexican": ("mexicans", "mexican people"),
    "middle_east": ("middle easterners", "arabs", "people from the middle east"),
    "muslim": ("muslims", "muslim people"),
    "native_american": ("native americans", "indigenous people"),
    "immigrant": ("immigrants", "refugees"),
    "women": ("women",),
    "lgbtq": ("gay people", "lesbians", "queer people", "gay men"),
    "bisexual": ("bisexuals", "bisexual people"),
    "trans": ("trans people", "transgender people", "trans women", "trans men"),
    "disability": (
        "disabled people",
        "people with disabilities",
        "autistic people",
        "blind people",
        "deaf people",
    ),
    "mental_illness": ("people with mental illness", "mentally ill people"),
    "christian": ("christians", "catholics"),
    "hindu": ("hindus", "sikhs"),
    "european": ("italians", "irish people", "poles"),
    "white": ("white people",),
    "age": ("old people", "teenagers"),
}

#: Adjectives of origin or religion, swapped only where a word follows ("jewish weddings",
#: "middle eastern food"); bare "black" and "white" are left out (a black shirt). Compounds
#: ("trans women", "african american") are listed whole, so their head noun is not swapped alone.
ADJECTIVES: dict[str, tuple[str, ...]] = {
    "asian": ("asian",),
    "black": ("african american",),
    "chinese": ("chinese",),
    "jewish": ("jewish",),
    "latino": ("latino",),
    "mexican": ("mexican",),
    "middle_east": ("middle eastern", "arab"),
    "muslim": ("muslim",),
    "native_american": ("native american",),
    "african": ("african", "nigerian"),
    "christian": ("christian",),
    "hindu": ("hindu",),
    "european": ("italian", "irish", "polish"),
    "east_asian": ("korean", "japanese"),
    "south_asian": ("indian",),
}


def _pattern(terms: Iterable[str], *, before_word: bool) -> re.Pattern[str]:
    alternation = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    tail = r"(?=\s+[a-z])" if before_word else r"\b"
    return re.compile(rf"\b({alternation}){tail}", re.IGNORECASE)


_NOUN_GROUP = {term: group for group, terms in NOUNS.items() for term in terms}
_ADJECTIVE_GROUP = {term: group for group, terms in ADJECTIVES.items() for term in terms}
_NOUN_RE = _pattern(_NOUN_GROUP, before_word=False)
_ADJECTIVE_RE = _pattern(_ADJECTIVE_GROUP, before_word=True)


def _cased_like(term: str, original: str) -> str:
    return term[0].upper() + term[1:] if original[:1].isupper() else term


def _replaced(text: str, regex: re.Pattern[str], term: str, target: str) -> str:
    """``text`` with every match of ``term`` (any case) replaced by ``target``; other groups kept."""
    return regex.sub(
        lambda m: _cased_like(target, m.group(1)) if m.group(1).lower() == term else m.group(0), text
    )


def group_swaps(text: str, rng: random.Random, copies: int = 2) -> list[str]:
    """Up to ``copies`` versions of ``text`` naming another group, each a different one.

    The first group term found (a plural noun, else an adjective before a word) is replaced
    everywhere it occurs, so "jews ... jews" stays about one group; the rest of the sentence
    is untouched. ``[]`` when the text names no listed group.
    """
    found = _NOUN_RE.search(text)
    table, lookup, regex = NOUNS, _NOUN_GROUP, _NOUN_RE
    if found is None:
        found = _ADJECTIVE_RE.search(text)
        table, lookup, regex = ADJECTIVES, _ADJECTIVE_GROUP, _ADJECTIVE_RE
    if found is None:
        return []
    term = found.group(1).lower()
    others = [group for group in table if group != lookup[term]]
    out: list[str] = []
    for group in rng.sample(others, min(copies, len(others))):
        swapped = _replaced(text, regex, term, rng.choice(table[group]))
        if swapped != text:
            out.append(swapped)
    return out
