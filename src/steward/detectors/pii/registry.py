"""The one list of PII recognizers; adding an entity type is one class plus one line here."""

from __future__ import annotations

from steward.detectors.pii.recognizer import Recognizer

__all__ = ["recognizer_classes"]


def recognizer_classes() -> list[type[Recognizer]]:
    """Every recognizer class, one or more per :class:`~steward.policy.schema.PiiType`."""
    from steward.detectors.pii.address import AddressRecognizer
    from steward.detectors.pii.contact import (
        EmailRecognizer,
        IpAddressRecognizer,
        MacAddressRecognizer,
        PhoneRecognizer,
        UrlRecognizer,
    )
    from steward.detectors.pii.credentials import (
        AwsAccessKeyRecognizer,
        AwsSecretKeyRecognizer,
        PasswordRecognizer,
        UsernameRecognizer,
    )
    from steward.detectors.pii.financial import (
        BankAccountRecognizer,
        CardCvvRecognizer,
        CardExpiryRecognizer,
        CardNumberRecognizer,
        IbanRecognizer,
        PinRecognizer,
        RoutingNumberRecognizer,
        SwiftCodeRecognizer,
    )
    from steward.detectors.pii.names import NameCueRecognizer, NameRecognizer
    from steward.detectors.pii.national_ids import (
        CaHealthNumberRecognizer,
        CaSinRecognizer,
        DriverIdRecognizer,
        UkNhsRecognizer,
        UkNinoRecognizer,
        UkUtrRecognizer,
        UsItinRecognizer,
        UsPassportRecognizer,
        UsSsnRecognizer,
    )
    from steward.detectors.pii.personal import AgeRecognizer
    from steward.detectors.pii.vehicle import LicensePlateRecognizer, VinRecognizer

    return [
        AddressRecognizer,
        AgeRecognizer,
        AwsAccessKeyRecognizer,
        AwsSecretKeyRecognizer,
        BankAccountRecognizer,
        CaHealthNumberRecognizer,
        CaSinRecognizer,
        CardCvvRecognizer,
        CardExpiryRecognizer,
        CardNumberRecognizer,
        DriverIdRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpAddressRecognizer,
        LicensePlateRecognizer,
        MacAddressRecognizer,
        NameCueRecognizer,
        NameRecognizer,
        PasswordRecognizer,
        PhoneRecognizer,
        PinRecognizer,
        RoutingNumberRecognizer,
        SwiftCodeRecognizer,
        UkNhsRecognizer,
        UkNinoRecognizer,
        UkUtrRecognizer,
        UrlRecognizer,
        UsItinRecognizer,
        UsPassportRecognizer,
        UsSsnRecognizer,
        UsernameRecognizer,
        VinRecognizer,
    ]
