"""Contact details: e-mail, phone, URL, IP and MAC addresses.

Phone numbers are parsed by ``phonenumbers`` (Google's libphonenumber metadata for every
region) rather than a home-made pattern; IP addresses by :mod:`ipaddress`; MAC addresses
by ``stdnum.mac`` (a pattern row). Regexes here only find candidates for those validators.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

import phonenumbers
from phonenumbers import re_util
from stdnum import mac as stdnum_mac

from steward.detectors.pii.context import before, near
from steward.detectors.pii.pattern import PatternRow, Tier
from steward.detectors.pii.recognizer import Recognizer, Span
from steward.policy.schema import PiiType

__all__ = [
    "MAC_ADDRESS",
    "EmailRecognizer",
    "IpAddressRecognizer",
    "PhoneRecognizer",
    "UrlRecognizer",
]


class EmailRecognizer(Recognizer):
    """``local@domain.tld`` addresses, Unicode letters allowed on both sides.

    The scan starts from each ``@`` and reads outwards: a pattern that starts with the
    local part would be tried, and fail, at every word of the text.
    """

    entity = PiiType.EMAIL
    name = "email"
    trigger = r"[\w.%+-]@[\w-]"
    _local = re.compile(r"[\w.%+-]{1,64}$")
    _domain = re.compile(r"[\w-]{1,63}(?:\.[\w-]{1,63})*\.[^\W\d_]{2,24}\b")

    def find(self, text: str) -> Iterator[Span]:
        at = text.find("@")
        while at >= 0:
            local = self._local.search(text, max(0, at - 64), at)
            domain = self._domain.match(text, at + 1)
            if local is not None and domain is not None:
                value = local.group()
                if not (value.startswith(".") or value.endswith(".") or ".." in value):
                    yield Span(local.start(), domain.end(), 0.99)
            at = text.find("@", at + 1)


#: Top-level domains common enough that a bare ``name.tld/path`` is almost surely a link.
_COMMON_TLDS = (
    "com|org|net|edu|gov|mil|int|io|ai|co|info|biz|app|dev|me|tv|us|uk|de|fr|es|it|nl|be|ch|at|se|no|dk|"
    "fi|pl|pt|br|ca|au|nz|jp|cn|in|ru|ie|eu|cy|uy|gr|cz|hu|ro|mx|ar|za|kr|tw|sg|hk|il|tr|ly|gl|ly"
)


class UrlRecognizer(Recognizer):
    """Web addresses: with a scheme, ``www.``-prefixed, or a bare domain with a common TLD and a path."""

    entity = PiiType.URL
    name = "url"
    trigger = r"(?i)(?:[a-z][a-z0-9+.-]*://|www\.|[a-z0-9-]\.(?:" + _COMMON_TLDS + r")\b)"
    _tail = r"(?:[/?#][^\s<>\"'`]*)?"
    _pattern = re.compile(
        r"(?i)\b(?:(?:https?|ftp|ftps|sftp|wss?)://[^\s<>\"'`]+"
        r"|www\.[\w-]+(?:\.[\w-]+)+"
        + _tail
        + r"|(?<![@\w.-])(?:[a-z0-9-]{1,63}\.)+(?:"
        + _COMMON_TLDS
        + r")\b"
        r"(?![.\w-]*@)" + _tail + r")"
    )
    _trailing = ".,;:!?)]}'\""

    def find(self, text: str) -> Iterator[Span]:
        for m in self._pattern.finditer(text):
            start, end = m.span()
            # Sentence punctuation after a link belongs to the sentence, not the link
            # (a closing bracket stays when the link itself opened one).
            while end > start and text[end - 1] in self._trailing:
                if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
                    break
                end -= 1
            value = text[start:end]
            has_scheme = "://" in value
            if not has_scheme and not value.lower().startswith("www.") and "/" not in value:
                # A bare domain with no path (``example.com``) is a weaker signal.
                score = 0.6
            else:
                # An explicit scheme is unambiguous; it also lets a link that contains an
                # e-mail address be masked whole rather than around the address.
                score = 0.99 if has_scheme else 0.9
            yield Span(start, end, score)


class IpAddressRecognizer(Recognizer):
    """IPv4 and IPv6 addresses, validated by :mod:`ipaddress`; version numbers are not addresses."""

    entity = PiiType.IP_ADDRESS
    name = "ip_address"
    trigger = r"\d\.\d{1,3}\.\d{1,3}\.\d|[0-9A-Fa-f]:[0-9A-Fa-f]{0,4}:|::"
    _v4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
    _v6 = re.compile(r"(?<![\w:.])(?=[0-9A-Fa-f:.]*:[0-9A-Fa-f.]*:)[0-9A-Fa-f:.]{2,45}(?![\w:])")
    _version = re.compile(r"(?i)(?:\bv(?:ersion)?\.?\s*|\bver\.?\s*|\brelease\s+|\bbuild\s+)$")

    def find(self, text: str) -> Iterator[Span]:
        for m in self._v4.finditer(text):
            try:
                address = ipaddress.IPv4Address(m.group())
            except ValueError:
                continue
            if self._version.search(text, max(0, m.start() - 10), m.start()):
                continue
            if address.is_unspecified or m.group().startswith("255."):
                continue  # a netmask or "any address", not a host
            yield Span(m.start(), m.end(), 0.95, validated=True)
        if ":" not in text:
            return
        for m in self._v6.finditer(text):
            value = m.group().rstrip(".")
            if value.count(":") < 2 or not any(c.isalnum() for c in value):
                continue
            try:
                ipaddress.IPv6Address(value)
            except ValueError:
                continue
            yield Span(m.start(), m.start() + len(value), 0.95, validated=True)


def _mac_valid(value: str) -> bool:
    """stdnum.mac on the colon form; Cisco's dotted ``001a.2b3c.4d5e`` is regrouped first."""
    if "." in value:
        hexits = value.replace(".", "")
        value = ":".join(hexits[i : i + 2] for i in range(0, 12, 2))
    return bool(stdnum_mac.is_valid(value))


MAC_ADDRESS = PatternRow(
    entity=PiiType.MAC_ADDRESS,
    name="mac_address",
    description="Hardware (IEEE 802 MAC-48) addresses: six octets as 00:1A:2B:3C:4D:5E or "
    "00-1a-..., or Cisco's three dotted groups 001a.2b3c.4d5e, checked by stdnum.mac.",
    pattern=r"(?<![\w:.-])(?:[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}"
    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:-]|\.\w)",
    shape=r"[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}",
    validator=_mac_valid,
    tiers=(Tier(0.95, checked=True),),
)


_PHONE_WORDS = re.compile(
    r"(?i)\b(?:phone|tel|telephone|mobile|cell|cellphone|fax|call(?:ed|ing)?|text|sms|whatsapp|"
    r"contact|reach|dial|number|office|desk|home|work|landline|messages?|answering|ring)\b"
)
#: Words that name a phone line outright; a number no region validates needs one of these.
_PHONE_LABELS = re.compile(
    r"(?i)\b(?:phone|tel|telephone|mobile|cell|cellphone|fax|call(?:ed|ing)?|sms|whatsapp|dial|landline|"
    r"desk|office|messages?|answering)\b"
)
#: Regions tried for numbers written without a country code. Numbers valid in the first
#: two need no context; the others only count next to a phone word.
#: (region to parse as, regions the number may be valid in): the US and Canada share +1.
_REGIONS_NO_CONTEXT = (("US", ("US", "CA")), ("GB", ("GB",)))
#: US, Canadian and UK numbers written nationally have at least ten digits.
_MIN_NATIONAL_DIGITS = 10
_REGIONS_IN_CONTEXT = (
    "DE",
    "FR",
    "IN",
    "AU",
    "IT",
    "ES",
    "NL",
    "BR",
    "IL",
    "SE",
    "FI",
    "NO",
    "DK",
    "CH",
    "BE",
)
#: Dates written with separators look like numbers to a parser.
_EXTENSION = re.compile(r"\s?(?:x|ext\.?)")
_TIME_AFTER = re.compile(r":\d\d")
_SSN_SHAPE = re.compile(r"\d{3}-\d{2}-\d{4}")
_ONE_DIGIT_GROUP = re.compile(r"(?:^|\.)\d(?:\.|$)")
_IPV4_LIKE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_DATE = re.compile(
    r"(?:19|20)\d\d([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])(?!\d)"
    r"|(?:0?[1-9]|[12]\d|3[01])([-/.])(?:0?[1-9]|[12]\d|3[01])\2(?:19|20)?\d\d(?!\d)"
)


class PhoneRecognizer(Recognizer):
    """Telephone numbers, parsed and validated by ``phonenumbers`` for many regions.

    Runs of digits and separators are candidates; each is parsed on its own (cheap) rather
    than running the library's matcher over the whole text. A number that is valid in the
    US or the UK counts anywhere; valid elsewhere, or merely of a possible length, it
    counts only next to a phone word (``call``, ``mobile``, ``Phone:``).
    """

    entity = PiiType.PHONE
    name = "phone"
    trigger = r"\d[\d ().-]{5,}\d"
    _candidate = re.compile(
        r"(?<![\w+.-])(?:\+|00)?\(?\d[\d ().\-]{5,22}\d(?:\s?(?:x|ext\.?)\s?\d{1,6})?(?!\w|-\d|\.\d)"
    )

    def __init__(self) -> None:
        # phonenumbers compiles each region's patterns on first use and by default leaves
        # them to the re module's small cache, so busy processes recompile them (measured:
        # 20–50 ms stalls). Keep them compiled, and compile the usual regions now, when the
        # policy is built, rather than inside a request.
        re_util.enable_pattern_cache()
        for region in ("US", "GB", *_REGIONS_IN_CONTEXT):
            code = phonenumbers.country_code_for_region(region)
            # Validating a number looks at every region sharing its country code (+1: 25).
            for sibling in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ()):
                example = phonenumbers.example_number(sibling)
                if example is not None:
                    phonenumbers.is_valid_number(example)

    def find(self, text: str) -> Iterator[Span]:
        for m in self._candidate.finditer(text):
            start, end = m.span()
            value = m.group()
            digits = sum(c.isdigit() for c in _EXTENSION.split(value, 1)[0])
            if not 7 <= digits <= 15:
                continue
            date = _DATE.match(value)
            if date is not None and (date.end() == len(value) or value[date.end()] == " "):
                continue
            if _TIME_AFTER.match(text, end) or _IPV4_LIKE.fullmatch(value):
                continue
            if _SSN_SHAPE.fullmatch(value):
                continue  # 123-45-6789 is how the US writes social security numbers, not phones
            if "." in value and _ONE_DIGIT_GROUP.search(value):
                continue  # "92.0.4515.107" is a version; dotted phone numbers group digits in twos and threes
            span = self._parse(text, start, end, value)
            if span is not None:
                yield span

    @staticmethod
    def _parse(text: str, start: int, end: int, value: str) -> Span | None:
        context = near(text, start, end, _PHONE_WORDS, window_before=40, window_after=20)
        if value.startswith(("+", "00")):
            # "00" is the international call prefix of most of the world (GB's metadata knows it).
            number = _try_parse(value, None if value.startswith("+") else "GB")
            if number is None:
                return None
            if phonenumbers.is_valid_number(number):
                return Span(start, end, 0.95, validated=True)
            return Span(start, end, 0.7) if context and phonenumbers.is_possible_number(number) else None
        if not context and sum(c.isdigit() for c in value) < _MIN_NATIONAL_DIGITS:
            return None
        for parse_as, regions in _REGIONS_NO_CONTEXT:
            number = _try_parse(value, parse_as)
            if number is not None and any(
                phonenumbers.is_valid_number_for_region(number, r) for r in regions
            ):
                return Span(start, end, 0.9 if context else 0.75, validated=True)
        if not near(text, start, end, _PHONE_LABELS, window_before=40, window_after=20):
            return None  # "number" or "contact" alone do not make a foreign number a phone
        for region in _REGIONS_IN_CONTEXT:
            number = _try_parse(value, region)
            if number is not None and phonenumbers.is_valid_number_for_region(number, region):
                return Span(start, end, 0.8, validated=True)
        if before(text, start, _PHONE_LABELS, 24) and not _looks_like_other_number(value):
            return Span(start, end, 0.6)
        return None


def _looks_like_other_number(value: str) -> bool:
    """A bare run of digits with no separators is as likely an amount or an id as a phone number."""
    return value.isdigit() and len(value) != 10


def _try_parse(value: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
