from __future__ import annotations

import pytest
from tests.detectors.pii.conftest import spans_of

from steward.policy.schema import PiiType

E = PiiType


def test_aws_access_key_ids(find):
    text = "key AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A"
    assert find(E.AWS_ACCESS_KEY, text) == spans_of(text, "AKIAIOSFODNN7EXAMPLE", "ASIAY34FZKBOKMUTVV7A")
    assert find(E.AWS_ACCESS_KEY, "AKIAIOSFODNN7EXAMPL is one short") == []
    assert find(E.AWS_ACCESS_KEY, "AKIAIOSFODNN7EXAMPLE1 is one long") == []


def test_aws_secret_key_needs_context(find):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    text = f"aws_secret_access_key = {secret}"
    assert find(E.AWS_SECRET_KEY, text) == spans_of(text, secret)
    assert find(E.AWS_SECRET_KEY, f"hash {secret}") == []
    sha = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert find(E.AWS_SECRET_KEY, f"secret key {sha}") == []  # a git hash, not a key


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("password: hunter2", "hunter2"),
        ("my password is Tr0ub4dor&3.", "Tr0ub4dor&3"),
        ('PASSWORD="s3cr3t!"', "s3cr3t!"),
        ("changed the pwd to CorrectHorse9", "CorrectHorse9"),
    ],
)
def test_password_in_context(find, text, value):
    assert find(E.PASSWORD, text) == spans_of(text, value)


@pytest.mark.parametrize(
    "text",
    [
        "Reset your password for the account",
        "Your password is incorrect",
        "password is required",
        "I passed the exam",
    ],
)
def test_password_near_misses(find, text):
    assert find(E.PASSWORD, text) == []


def test_username_in_context(find):
    text = "username: jdoe42, login is j.doe@corp"
    assert find(E.USERNAME, text) == spans_of(text, "jdoe42", "j.doe@corp")
    assert find(E.USERNAME, "User: how do I bake bread?") == []  # a chat role, not a user name
    assert find(E.USERNAME, "She had login issues all week") == []


@pytest.mark.parametrize(
    "text",
    [
        '<label for="password">Password:</label>',
        "- Password: (the password you chose)",
        'password = "password"',
    ],
)
def test_markup_and_placeholders_are_not_passwords(find, text):
    assert find(E.PASSWORD, text) == []
