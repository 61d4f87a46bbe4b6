from __future__ import annotations

import pytest

from steward import Guard, parse_policy
from steward.anonymize import PseudonymVault
from steward.errors import InputError


def _guard() -> Guard:
    return Guard(
        parse_policy(
            {
                "name": "p",
                "sensitive_information": {
                    "anonymization": {"style": "pseudonym"},
                    "regexes": [{"name": "CODE", "pattern": r"\bK-\d{3}\b"}],
                },
            }
        )
    )


def test_pseudonyms_are_consistent_across_a_conversation_and_restorable() -> None:
    guard = _guard()
    first = guard.apply("Codes K-111 and K-222, again K-111.")
    assert first.output_text == "Codes {CODE_1} and {CODE_2}, again {CODE_1}."
    vault = first.vault
    assert vault is not None
    token = vault.seal("caller-secret")
    assert "K-111" not in token
    second = guard.apply("Now K-222 and K-333.", vault=PseudonymVault.open(token, "caller-secret"))
    assert second.output_text == "Now {CODE_2} and {CODE_3}."
    assert second.vault is not None
    answer = "Sure: {CODE_3} follows {CODE_1}; {CODE_9} is unknown."
    assert second.vault.restore(answer) == "Sure: K-333 follows K-111; {CODE_9} is unknown."


def test_a_wrong_key_or_tampered_vault_is_refused() -> None:
    vault = PseudonymVault()
    vault.pseudonym("NAME", "Alice")
    token = vault.seal("right")
    with pytest.raises(InputError, match="vault"):
        PseudonymVault.open(token, "wrong")
    with pytest.raises(InputError, match="vault"):
        PseudonymVault.open(token[:-4] + "AAAA", "right")
    with pytest.raises(InputError, match="vault_key"):
        vault.seal("")


def _sealed(key: str = "correct horse battery staple") -> str:
    vault = PseudonymVault()
    vault.pseudonym("EMAIL", "ann@example.org")
    return vault.seal(key)


def test_the_key_is_derived_with_scrypt_and_a_salt_of_each_vault() -> None:
    import base64
    import hashlib

    from cryptography.fernet import Fernet, InvalidToken

    token = _sealed()
    fmt, log2_n, r, p, salt, _check, body = token.split(".")
    assert (fmt, log2_n, r, p) == ("sv2", "15", "8", "1")  # the parameters travel with the vault
    assert len(salt) >= 21 and "ann@example.org" not in token
    assert _sealed().split(".")[4] != salt  # a fresh salt each time
    weak = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"correct horse battery staple").digest()))
    with pytest.raises(InvalidToken):
        weak.decrypt(body.encode())  # not the old sha256(passphrase) key
    assert (
        PseudonymVault.open(token, "correct horse battery staple").restore("{EMAIL_1}") == "ann@example.org"
    )


def test_a_wrong_passphrase_and_a_tampered_vault_are_told_apart() -> None:
    token = _sealed()
    with pytest.raises(InputError, match=r"^vault_key: the vault key is wrong"):
        PseudonymVault.open(token, "correct horse battery stapler")
    head, body = token.rsplit(".", 1)
    flipped = body[:40] + ("A" if body[40] != "A" else "B") + body[41:]
    with pytest.raises(InputError, match=r"^vault: was altered after it was sealed"):
        PseudonymVault.open(f"{head}.{flipped}", "correct horse battery staple")


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda t: t.replace("sv2.15.", "sv2.30.", 1), "out of range"),  # a memory bomb
        (lambda t: t.replace("sv2.15.8.", "sv2.15.0.", 1), "out of range"),
        (lambda t: t.replace("sv2.15.", "sv2.x.", 1), "is not a vault"),
        (lambda t: t + ".extra", "is not a vault"),
        (lambda t: "sv2.15.8.1.!!!.x.y", "is not a vault"),
        (lambda t: "not a token at all", "cannot be opened with this key, or was altered"),
        (lambda t: "sv2.15.8.1.AAAA.x.y", "is not a vault"),  # a salt of the wrong length
    ],
)
def test_malformed_tokens_are_input_errors(mangle: object, message: str) -> None:
    assert callable(mangle)
    with pytest.raises(InputError, match=message):
        PseudonymVault.open(mangle(_sealed()), "correct horse battery staple")


def test_vaults_sealed_before_scrypt_still_open() -> None:
    import base64
    import hashlib
    import json

    from cryptography.fernet import Fernet

    legacy = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"old-key").digest()))
    token = legacy.encrypt(json.dumps([["{NAME_1}", "Alice"]]).encode()).decode()
    vault = PseudonymVault.open(token, "old-key")
    assert vault.restore("{NAME_1}") == "Alice"
    assert vault.seal("old-key").startswith("sv2.")  # sealed again in the new format
    with pytest.raises(InputError, match="cannot be opened"):
        PseudonymVault.open(token, "other-key")


def test_entries_of_the_wrong_shape_are_refused() -> None:
    import base64
    import hashlib
    import json

    from cryptography.fernet import Fernet

    legacy = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"k").digest()))
    for payload in ([["{NAME_1}"]], [[1, 2]], {"a": 1}, [["nope", "x"]]):
        token = legacy.encrypt(json.dumps(payload).encode()).decode()
        with pytest.raises(InputError, match="is not a vault"):
            PseudonymVault.open(token, "k")
