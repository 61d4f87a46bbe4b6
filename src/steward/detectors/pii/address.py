"""Postal addresses: a street line, a PO box or a military address, and what follows it.

Rules, not a model: a house number and a street name ending in a street word
(``24 Clarke Avenue``), the continental order (``Vesterskovvej 79``, ``Via Roma 131``,
``ul. Zamkowa 33``), PO boxes and APO/FPO/DPO addresses. From a street line the span
runs on over the unit, city, region, postcode and country lines or comma-separated
parts that follow, so an address is masked whole. A unit line alone (``Suite 464``) is
a weaker signal.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

import re2

from steward.detectors.pii.recognizer import PY_SPACE, Recognizer, Span
from steward.policy.schema import PiiType

__all__ = ["AddressRecognizer"]

#: English street suffixes (the USPS standard list and common British ones), full and abbreviated.
_SUFFIXES = (
    "Alley|Aly|Annex|Str|Arcade|Avenue|Ave|Av|Bayou|Beach|Bend|Bluffs?|Bottom|Boulevard|Blvd|Branch|Bridge|Brook|"
    "Burgs?|Bypass|Camp|Canyon|Cape|Causeway|Center|Centre|Circle|Cir|Circus|Cliffs?|Close|Club|Common|Commons|"
    "Corners?|Course|Courts?|Ct|Coves?|Creek|Crescent|Cres|Crest|Crossing|Crossroad|Curve|Dale|Dam|Divide|"
    "Drives?|Dr|Estates?|Expressway|Expy|Extension|Falls?|Ferry|Fields?|Flats?|Fords?|Forest|Forges?|Forks?|"
    "Fort|Freeway|Fwy|Gardens?|Gdns|Gateway|Glens?|Green|Greens|Grove|Gro|Harbors?|Haven|Heights|Hts|Highway|"
    "Hwy|Hills?|Hollow|Inlet|Island|Islands|Isle|Junctions?|Keys?|Knolls?|Lakes?|Land|Landing|Lane|Ln|Light|"
    "Lights|Loaf|Locks?|Lodge|Loop|Mall|Manors?|Meadows?|Mews|Mill|Mills|Mission|Motorway|Mount|Mountains?|"
    "Neck|Orchard|Oval|Overpass|Parade|Park|Parks|Parkway|Pkwy|Pass|Passage|Path|Pike|Pines?|Place|Pl|Plains?|"
    "Plaza|Point|Points|Port|Ports|Prairie|Promenade|Radial|Ramp|Ranch|Rapids?|Rest|Ridges?|Rise|River|Road|Rd|"
    "Roads|Route|Row|Rue|Run|Shoals?|Shores?|Skyway|Springs?|Spur|Squares?|Sq|Station|Stravenue|Stream|Street|"
    "St|Streets|Summit|Terrace|Ter|Throughway|Trace|Track|Trafficway|Trail|Trl|Trailer|Tunnel|Turnpike|"
    "Underpass|Union|Unions|Valleys?|Viaduct|Views?|Villages?|Ville|Vista|Walks?|Wall|Way|Ways|Wells?|Wharf|Wynd|Yard"
)
#: Street words written before the name (Romance, Slavic, Greek and others).
_PREFIXES = (
    r"Via|Viale|Vicolo|Piazza|Piazzale|Corso|Largo|Rue|Avenue|Boulevard|Bd|Chemin|Allée|Place|Impasse|Quai|"
    r"Calle|Avenida|Av\.|Avda\.?|Paseo|Plaza|Carrer|Camino|Carretera|Ronda|Travesía|Rua|Travessa|Estrada|"
    r"Praça|Alameda|Rodovia|ul\.|ulica|al\.|aleja|os\.|pl\.|Odos|Odós|Leoforos|Leof\.|Strada|Bulevardul|"
    r"Calea|Šetalište|Ulica|Trg|C/|Οδός|Λεωφόρος|Λεωφ\.|Πλατεία"
)
#: Street words written as the end of one word (``Vesterskovvej``, ``Koskikatu``, ``Friedhofstrasse``).
_FUSED = (
    r"straße|strasse|str\.|gasse|weg|allee|platz|damm|ufer|steig|pfad|chaussee|"
    r"vej|vejen|gade|stræde|allé|gatan|gata|vägen|väg|gränd|stigen|backe|veien|vegen|vei|veg|"
    r"katu|tie|kuja|polku|tori|väylä|raitti|kaari|laan|straat|plein|gracht|kade|singel|dreef|steeg|"
    r"utca|út|útja|tér|körút|ulice|náměstí|třída|gatvė|iela|tänav|puiestee"
)
_UPPER = "A-ZÀ-ÖØ-ÞĀ-ŽΑ-ΩА-Я"
#: A word of a street name: capitalised, a number (``175``, ``5th``), or a particle (``de``, ``van``).
_NAME_WORD = (
    r"(?:["
    + _UPPER
    + r"][\w'’.-]*|\d{1,4}(?:st|nd|rd|th)?|de|del|della|delle|dei|degli|dello|di|da|do|dos|das|la|le|les|des|du|van|von|"
    r"der|den|y|e)"
)
_NUMBER = r"\d{1,6}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?"
_UNIT = r"(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|Flat|Floor|Fl\.?|Room|Rm\.?|Bldg\.?|Building)\s*#?\s*\d{1,6}[A-Za-z]?"

#: RE2 has no look-behind: "not preceded by" is a consumed character class before group 1,
#: and Python's Unicode ``\w`` is spelled out as letters, digits, marks and underscore. These
#: scans run over the whole text, where RE2 is 4–8x faster than Python's engine (measured,
#: with identical spans on 3,200 development texts).
_W = r"\pL\pN\pM_"
_NAME_WORD_RE2 = _NAME_WORD.replace(r"[\w'’.-]", "[" + _W + r"'’.-]")
#: ``24 Clarke Avenue``, ``1600 N. Pennsylvania Ave NW``, ``9448 175 Iroon Polytechniou Avenue`` (group 1).
_NUMBER_FIRST = re2.compile(
    r"(?:^|[^" + _W + r".,-])((?:\d{1,6}[ \t]+)?" + _NUMBER + r",?[ \t]+(?:(?:N|S|E|W|NE|NW|SE|SW)\.?[ \t]+)?"
    r"(?:" + _NAME_WORD_RE2 + r"[ \t]+){0,4}?(?:" + _SUFFIXES + r")\b\.?(?:[ \t]+(?:N|S|E|W|NE|NW|SE|SW)\b)?)"
)
#: The dot of ``Erzsébet tér 19.`` belongs to the address only where a line or part ends after it.
_ORDINAL_DOT = r"(?:\.(?=[ \t]*[\n,]))?"
_FUSED_ENDINGS = tuple(_FUSED.replace("\\", "").split("|"))
#: Street words that stand alone after the name (``Villacher Strasse 89``, ``Király u. 15``).
_STREET_WORDS = frozenset(
    (*_FUSED_ENDINGS, "u", "utca", "str", "st", "út", "tér", "vej", "gate", "ring", "sor", "tee")
)
#: Before a house number: a street-word prefix and the name (``Via Roma 131``, ``ul. Zamkowa 33``).
_PREFIX_BEFORE = re.compile(
    r"(?<![\w.])(?:\d{1,6}\s+)?(?:" + _PREFIXES + r")\s+(?:" + _NAME_WORD + r"\s+){0,3}$"
)
#: Before a standalone street word: the name (``Villacher Strasse 89``, ``Árpád fejedelem útja 3``).
_NAME_BEFORE = re.compile(r"(?<![\w'’.-])(?:\d{1,6}\s+)?[" + _UPPER + r"][\w'’.-]*\s+(?:[\w'’.-]+\s+)?$")
#: Words that announce an address: whatever place-like text follows them is one.
#: On RE2: a long case-insensitive alternation is what Python's engine is slowest at (measured
#: 14x faster on RE2, same character offsets); the words are ASCII, where the engines agree.
_CUE = re2.compile(
    r"(?i)(?:\baddress(?:es)?\b(?:\s+is)?|\b(?:lives?|living|located|based|moved|ship(?:ped)?|deliver(?:ed)?|"
    r"sent|send|return(?:ed)?|office\s+is|is)\s+(?:at|on|to|in)(?:\s+the\s+corner\s+of)?|"
    r"\bcorner\s+of)[ \t]*:?[ \t]*(?:\n[ \t]*)?"
)
#: After a cue: capitalised words and a number (``lives at Tylova 285``).
_CUED_STREET = re.compile(
    r"(?:\d{1,6}[ \t]+)?(?:[" + _UPPER + r"][\w'’.-]*[ \t]+){1,3}\d{1,5}[A-Za-z]?\b" + _ORDINAL_DOT
)
_FRENCH_STREET_WORDS = ("rue", "avenue", "boulevard", "bd", "allée", "impasse", "quai", "chemin")
#: French order, house number first: ``33 avenue de Provence``, ``56 rue La Boétie``.
_NUMBER_RUE = re.compile(
    r"(?<![\w.,-])\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?i:" + "|".join(_FRENCH_STREET_WORDS) + r")\s+"
    r"(?:[\w'’-]+\s+){0,3}?[" + _UPPER + r"\w][\w'’-]*(?=[ \t]*(?:[,\n.]|$))"
)
#: An address line in a letter or signature: ``30102 Kaevu 94`` alone on its line; it counts
#: when lines that complete an address (unit, city, region, postcode) follow it.
_BLOCK_LINE = re.compile(
    r"(?m)^[ \t>]*(\d{1,6}[ \t]+(?:[" + _UPPER + r"][\w'’.-]*[ \t]+){1,3}\d{1,5}[A-Za-z]?\.?)[ \t]*$"
)
#: A house number standing alone after a space: the anchor of the continental street forms.
#: ``(?<=\s)`` + :data:`_NUMBER`, spelt with the first digit ahead of the look-behind (``\d``
#: then ``(?<=\s\d)``): Python's engine skips to a digit by its first character class, where a
#: leading look-behind made it try every position of the text (the same matches, in about
#: half the time).
_HOUSE_NUMBER = re.compile(
    r"\d(?<=\s\d)\d{0,5}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?(?![\w/-]|[.,]\d)" + _ORDINAL_DOT
)
_ANY_PREFIX = re2.compile(r"(?:^|[^" + _W + r".])((?:" + _PREFIXES + r")\s)")
_LEADING_NUMBER = re.compile(r"(?<![\w.,-])\d{1,6}\s+$")
_BOX = re.compile(
    r"(?<![\w])(?:(?:P\.?\s?O\.?\s*Box|Post\s+Office\s+Box|Postfach|Apartado)\s+\d{1,7}"
    r"|(?i:(?:PSC|Unit|CMR)\s+\d{3,5},?\s+Box\s+\d{3,5})"
    r"|(?i:USS|USNS|USNV|USCGC)\s+\w[\w'’-]*(?=\s*\n?\s*(?i:FPO)\b))"
)
_UNIT_LINE = re2.compile(r"(?:^|[^" + _W + r"-])(" + _UNIT + r")\b")
_MILITARY_TAIL = re.compile(r"(?i)\s*\n?\s*(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5}")
#: Continuation parts: a unit or a postcode (these end themselves), or a place name (which
#: must end at a line break, a comma, a sentence end or before a postcode).
_POSTCODE = r"(?:[A-Z]{2}\s+)?\d{4,5}(?:-\d{4})?|[A-Z]\d[A-Z]\s?\d[A-Z]\d|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_CODE_PART = re.compile(r"(?:" + _UNIT + r"|" + _POSTCODE + r")\b")
_PLACE_PART = re.compile(r"[" + _UPPER + r"][\w'’.()-]*(?:[ \t]+[" + _UPPER + r"(][\w'’.()-]*){0,3}")
_SEPARATOR = re.compile(
    r"[ \t]*(?:,[ \t]*\r?\n?|\r?\n)[ \t]*(?:>[ \t]*)?(?:,[ \t]*)?|[ \t]+(?="
    + _UNIT
    + r"|(?:"
    + _POSTCODE
    + r")\b)"
)
_PART_END = re.compile(r"[ \t]*(?:[,\r\n]|[.?!;:)](?:\s|$)|$)|[ \t]+(?:" + _POSTCODE + r")\b")
#: A blank wherever the recognizer takes ``\\s`` (a tab, a no-break space), never only a space.
_S = PY_SPACE
#: RE2 trigger: a street word after a number, a box, a unit, or an address cue before a number.
#: Looser than the recognizer (any run of the line, not up to four words or 60 characters):
#: counted repetitions multiply the states of the prefilter's DFA, and a trigger may only
#: ever be looser than the recognizer it guards.
_TRIGGER = (
    r"\d{1,6}[A-Za-z]?,?" + _S + r"+[^\n]*(?:" + _SUFFIXES + r")\b"
    r"|(?i:(?:" + _FUSED + r"|u|utca|st|út|tér|vej|gate|ring|sor|tee)\.?,?" + _S + r"+\d)"
    r"|(?:" + _PREFIXES + r")" + _S + r"+\pL"
    r"|(?i:\d{1,4}(?:"
    + _S
    + r"?(?:bis|ter))?,?"
    + _S
    + r"+(?:rue|avenue|boulevard|bd|allée|impasse|quai|chemin)"
    + _S
    + r")"
    r"|(?m:^[ \t>]*\d{1,6}[ \t]+\pL[^\n]*\d\.?[ \t]*$)"
    r"|(?i:\bbox"
    + _S
    + r"+\d|\b(?:apt|apartment|suite|ste|unit|flat|floor|fl|room|rm|bldg|building)\b\.?"
    + _S
    + r"*#?"
    + _S
    + r"*\d)"
    r"|(?i:\b(?:uss|usns|usnv|uscgc)\b)|Postfach|Apartado"
    r"|(?i:(?:address(?:es)?|(?:lives?|living|located|based|moved|ship(?:ped)?|deliver(?:ed)?|sent|send|"
    r"return(?:ed)?|is)" + _S + r"+(?:at|on|to|in)|corner" + _S + r"+of)[^\n]*\d)"
)
#: At most this many parts after the street line (unit, city, region, postcode, country).
MAX_PARTS = 5
MAX_PART_CHARS = 48


class AddressRecognizer(Recognizer):
    """Street addresses, PO boxes and military addresses, with the lines that complete them."""

    entity = PiiType.ADDRESS
    name = "address"
    trigger = _TRIGGER
    trigger_group = "address"  # a number then words: half-matched all over ordinary text

    def find(self, text: str) -> Iterator[Span]:
        streets: list[tuple[int, int]] = []
        reach = -1
        for start, end in sorted(self._street_lines(text), key=lambda se: (se[0], -se[1])):
            if start < reach:
                continue  # overlaps an earlier, longer street line
            streets.append((start, _extend(text, end)))
            reach = streets[-1][1]
        starts = [s for s, _ in streets]
        for start, end in streets:
            yield Span(start, end, 0.85)
        for m in _UNIT_LINE.finditer(text):
            unit_start, unit_end = m.span(1)
            i = bisect.bisect_right(starts, unit_start)
            inside_previous = i > 0 and streets[i - 1][1] > unit_start
            overlaps_next = i < len(streets) and streets[i][0] < unit_end
            if not inside_previous and not overlaps_next:
                yield Span(unit_start, _extend(text, unit_end), 0.6)

    @staticmethod
    def _street_lines(text: str) -> Iterator[tuple[int, int]]:
        lower = text.lower()
        if any(word in lower for word in ("box", "uss", "usn", "uscgc", "postfach", "apartado")):
            for m in _BOX.finditer(text):
                yield m.span()
        for m in _NUMBER_FIRST.finditer(text):
            yield m.span(1)
        if any(word in lower for word in _FRENCH_STREET_WORDS):
            for m in _NUMBER_RUE.finditer(text):
                yield m.span()
        if "\n" in text:
            for m in _BLOCK_LINE.finditer(text):
                if _extend(text, m.end(1)) > m.end(1):
                    yield m.span(1)
        yield from _continental(text)
        for m in _CUE.finditer(text):
            street = _CUED_STREET.match(text, m.end())
            if street is not None:
                yield street.span()


def _continental(text: str) -> Iterator[tuple[int, int]]:
    """Street name first, house number after: ``Vesterskovvej 79``, ``Via Roma 131``, ``Király u. 15.``.

    Anchored on house numbers (few per text) rather than on every word.
    """
    prefixes: list[int] | None = None  # found when a number first has a word before it
    for m in _HOUSE_NUMBER.finditer(text):
        found = _word_before(text, m.start())
        if found is None:
            continue
        if prefixes is None:
            prefixes = [p.start(1) for p in _ANY_PREFIX.finditer(text)]
        start, end = found
        word = text[start:end].lower()
        i = bisect.bisect_left(prefixes, start - 60)
        prefix = (
            _PREFIX_BEFORE.search(text, max(0, start - 60), start)
            if i < len(prefixes) and prefixes[i] < start
            else None
        )
        if prefix is not None:
            yield prefix.start(), m.end()
        elif word in _STREET_WORDS:
            name = _NAME_BEFORE.search(text, max(0, start - 60), start)
            if name is not None:
                yield name.start(), m.end()
        elif word.endswith(_FUSED_ENDINGS) and text[start].isupper():
            lead = _LEADING_NUMBER.search(text, max(0, start - 8), start)
            yield (lead.start() if lead else start), m.end()


def _word_before(text: str, pos: int) -> tuple[int, int] | None:
    """``(start, end)`` of the word before ``pos``, across spaces and one ``.`` or ``,`` (``u. 15``, ``Roma, 131``)."""
    lo = max(0, pos - 64)
    j = pos
    while j > lo and text[j - 1].isspace():
        j -= 1
    if j == pos:
        return None
    if j > lo and text[j - 1] in ".,":
        j -= 1
    k = j
    while k > lo and (text[k - 1].isalnum() or text[k - 1] in "_'’-"):
        k -= 1
    if k == j or not text[k].isalnum() or (k > 0 and text[k - 1] in ".'’-"):
        return None
    return k, j


def _extend(text: str, end: int) -> int:
    """Run the span on over the parts (unit, city, region, postcode, country) that follow it."""
    tail = _MILITARY_TAIL.match(text, end)
    if tail is not None:
        return tail.end()
    for _ in range(MAX_PARTS):
        sep = _SEPARATOR.match(text, end)
        if sep is None:
            break
        part = _CODE_PART.match(text, sep.end())
        if part is None:
            part = _PLACE_PART.match(text, sep.end())
            if part is None or _PART_END.match(text, part.end()) is None:
                break
        if part.end() - part.start() > MAX_PART_CHARS:
            break
        end = part.end()
    return end
