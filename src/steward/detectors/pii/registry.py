"""The one list of PII recognizers: pattern rows (data) and the classes with real logic.

Adding an entity type found by pattern → validator → context words → score is one
:class:`~steward.detectors.pii.pattern.PatternRow` in its domain module and one line
here; a type that needs more is one class plus one line. The order is fixed (findings of
equal span and score are reported in it), so new entries go where their name sorts.
"""

from __future__ import annotations

from steward.detectors.pii.pattern import PatternRow
from steward.detectors.pii.recognizer import Recognizer

__all__ = ["pattern_rows", "recognizer_classes"]


def _entries() -> list[type[Recognizer] | PatternRow]:
    from steward.detectors.pii import contact, credentials, financial, national_ids, vehicle
    from steward.detectors.pii.address import AddressRecognizer
    from steward.detectors.pii.names import NameCueRecognizer, NameRecognizer
    from steward.detectors.pii.personal import AgeRecognizer

    return [
        AddressRecognizer,
        AgeRecognizer,
        credentials.AWS_ACCESS_KEY,
        credentials.AWS_SECRET_KEY,
        financial.BANK_ACCOUNT,
        national_ids.CA_HEALTH_NUMBER,
        national_ids.CA_SIN,
        financial.CARD_CVV,
        financial.CARD_EXPIRY,
        financial.CARD_NUMBER,
        national_ids.DRIVER_ID,
        contact.EmailRecognizer,
        financial.IbanRecognizer,
        contact.IpAddressRecognizer,
        vehicle.LICENSE_PLATE,
        contact.MAC_ADDRESS,
        NameCueRecognizer,
        NameRecognizer,
        credentials.PasswordRecognizer,
        contact.PhoneRecognizer,
        financial.PIN,
        financial.ROUTING_NUMBER,
        financial.SWIFT_CODE,
        national_ids.UK_NHS,
        national_ids.UK_NINO,
        national_ids.UK_UTR,
        contact.UrlRecognizer,
        national_ids.US_ITIN,
        national_ids.US_PASSPORT,
        national_ids.US_SSN,
        credentials.UsernameRecognizer,
        vehicle.VinRecognizer,
    ]


def pattern_rows() -> list[PatternRow]:
    """Every recognizer that is a table row."""
    return [e for e in _entries() if isinstance(e, PatternRow)]


def recognizer_classes() -> list[type[Recognizer]]:
    """Every recognizer class, one or more per :class:`~steward.policy.schema.PiiType`.

    Rows become classes through :func:`~steward.detectors.pii.pattern.recognizer_for`, so
    the detector builds every recognizer the same way.
    """
    from steward.detectors.pii.pattern import recognizer_for

    return [recognizer_for(e) if isinstance(e, PatternRow) else e for e in _entries()]
