"""Credentials: user names and passwords written out in text, and AWS access keys.

User names and passwords have no shape of their own, so they count only when the text
says what they are (``username: jdoe``, ``my password is hunter2``). AWS access key
ids have a fixed prefix and alphabet; secret keys are 40 base64 characters and count
next to secret-key words or an access key id. The AWS keys are pattern rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from steward.detectors.pii.pattern import Context, PatternRow, Tier
from steward.detectors.pii.recognizer import Recognizer, Span
from steward.policy.schema import PiiType

__all__ = ["AWS_ACCESS_KEY", "AWS_SECRET_KEY", "PasswordRecognizer", "UsernameRecognizer"]


#: The four-letter prefix of an AWS key id says what it identifies (AWS's "unique identifiers" table).
_AWS_PREFIXES = "AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA"

AWS_ACCESS_KEY = PatternRow(
    entity=PiiType.AWS_ACCESS_KEY,
    name="aws_access_key",
    description="AWS access key ids: a four-letter type prefix and 16 base32 characters (A-Z, 2-7). "
    "AKIA (long-term) and ASIA (temporary, STS) are access keys proper and score 1.0; the other "
    "prefixes (ABIA, ACCA, AGPA, AIDA, AIPA, ANPA, ANVA, APKA, AROA) name other IAM entities.",
    pattern=r"(?<![A-Za-z0-9])(" + _AWS_PREFIXES + r")[A-Z2-7]{16}(?![A-Za-z0-9])",
    shape=r"(?:" + _AWS_PREFIXES + r")[A-Z2-7]{16}",
    tiers=(Tier(1.0, when=lambda m: m.group(1) in ("AKIA", "ASIA")), Tier(0.9)),
)


_HEX = re.compile(r"[0-9a-fA-F]{40}")


def _could_be_secret(value: str) -> bool:
    """Not a git hash (40 hex digits), a run of letters or a plain number."""
    return not (_HEX.fullmatch(value) or value.isalpha() or value.isdigit())


AWS_SECRET_KEY = PatternRow(
    entity=PiiType.AWS_SECRET_KEY,
    name="aws_secret_key",
    description="AWS secret access keys: 40 base64 characters with no structure or checksum, so "
    "only next to secret-key words or an AKIA/ASIA access key id (they are issued as a pair).",
    pattern=r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])",
    shape=r"[A-Za-z0-9/+]{40}",
    keep=_could_be_secret,
    tiers=(
        Tier(
            0.95,
            context=Context(
                r"(?:aws_?secret|secret_?access_?key|secret\s+(?:access\s+)?key|aws.{0,20}secret|"
                r"\bAKIA[A-Z2-7]{16}\b|\bASIA[A-Z2-7]{16}\b)",
                before=120,
                after=60,
            ),
        ),
    ),
)


#: Words that follow "password is/to" in ordinary sentences about passwords.
_NOT_A_PASSWORD = frozenset(
    [
        "a",
        "an",
        "the",
        "my",
        "your",
        "his",
        "her",
        "our",
        "their",
        "this",
        "that",
        "it",
        "its",
        "not",
        "too",
        "very",
        "so",
        "now",
        "still",
        "also",
        "only",
        "just",
        "being",
        "been",
        "be",
        "is",
        "was",
        "are",
        "were",
        "required",
        "needed",
        "incorrect",
        "correct",
        "wrong",
        "invalid",
        "expired",
        "changed",
        "reset",
        "strong",
        "weak",
        "secure",
        "safe",
        "long",
        "short",
        "different",
        "same",
        "new",
        "old",
        "something",
        "anything",
        "nothing",
        "empty",
        "missing",
        "case",
        "sensitive",
        "protected",
        "encrypted",
        "hashed",
        "stored",
        "saved",
        "set",
        "for",
        "of",
        "on",
        "in",
        "at",
        "by",
        "with",
        "and",
        "or",
        "to",
        "from",
        "into",
        "please",
        "here",
        "below",
        "above",
        "password",
    ]
)
_PASSWORD = re.compile(
    r"(?i)\b(?:password|passwd|pwd|pass\s?phrase|pw)\b(?:\s+(is|was|to)\b|\s*[:=]|\s*:=)\s*"
    r"[\"'“‘`]?([^\s\"'”’`]{3,128})"
)


class PasswordRecognizer(Recognizer):
    """Passwords written out after ``password:``, ``password=``, ``password is`` or ``password to``."""

    entity = PiiType.PASSWORD
    name = "password"
    trigger = r"(?i)\b(?:password|passwd|pwd|pass ?phrase|pw)\b *(?:is|was|to|=|:)"

    def find(self, text: str) -> Iterator[Span]:
        for m in _PASSWORD.finditer(text):
            start, end = m.span(2)
            quoted = start > 0 and text[start - 1] in "\"'“‘`"
            while not quoted and end > start and text[end - 1] in ".,;:!?)]}":
                end -= 1
            value = text[start:end]
            if len(value) < 3 or value.lower() in _NOT_A_PASSWORD or value[0] in "(<[":
                continue  # a word, or markup and asides ("Password:</label>", "(the password …)")
            if m.group(1) and value.isalpha() and value.islower():
                # "a longer password is harder": after a verb, a plain word is an adjective.
                continue
            strong = any(c.isdigit() for c in value) or not value.isalpha() or not value.islower()
            yield Span(start, end, 0.9 if strong else 0.7)


_USERNAME = re.compile(
    r"(?i)\b(?:user\s?name|user\s?id|login(?:\s+name|\s+id)?|screen\s?name|handle|account\s+name)\b"
    r"(?:\s+(?:is|was)\b|\s*[:=])\s*[\"'“‘`]?(@?[\w][\w.@+-]{1,63})"
)


class UsernameRecognizer(Recognizer):
    """Account user names after ``username:``, ``login is`` and the like (a bare "User:" is a chat role, not one)."""

    entity = PiiType.USERNAME
    name = "username"
    trigger = r"(?i)(?:user ?name|user ?id|login|screen ?name|handle|account name)\b(?: +(?:is|was)| *[:=])"

    def find(self, text: str) -> Iterator[Span]:
        for m in _USERNAME.finditer(text):
            start, end = m.span(1)
            while end > start and text[end - 1] in ".,;:!?":
                end -= 1
            if text[start:end].lower() in _NOT_A_PASSWORD:
                continue
            yield Span(start, end, 0.85)
