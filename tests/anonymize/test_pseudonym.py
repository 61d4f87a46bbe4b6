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
