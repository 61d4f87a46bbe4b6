"""``steward provenance``: exit codes and one-line errors, as a user sees them."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from provenance_helpers import flip_pixel_byte, png

from steward.cli import main
from steward.provenance.keys import KEY_ENV


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv(KEY_ENV, raising=False)
    return CliRunner()


def _sign(runner: CliRunner, tmp_path: Path, ca: Path, key: Path | None = None) -> tuple[int, str, Path]:
    image = tmp_path / "cat.png"
    image.write_bytes(png())
    out = tmp_path / "cat.signed.png"
    result = runner.invoke(
        main,
        [
            "provenance", "sign", str(image), "--cert", str(ca / "chain.pem"),
            "--key", str(key or ca / "signer.key"), "--generator", "diffusion-x", "--guardrail", "img-bot:2",
        ],
    )  # fmt: skip
    return result.exit_code, result.output, out


def test_sign_then_verify(runner: CliRunner, tmp_path: Path, test_ca: Path) -> None:
    code, output, signed = _sign(runner, tmp_path, test_ca)
    assert code == 0 and f"signed: {signed}" in output
    result = runner.invoke(main, ["provenance", "verify", str(signed), "--trust", str(test_ca / "ca.pem")])
    assert result.exit_code == 0, result.output
    assert "valid and trusted" in result.output and "generator:    diffusion-x" in result.output
    assert "guardrail:    img-bot:2" in result.output and "AI-generated: yes" in result.output
    as_json = json.loads(runner.invoke(main, ["provenance", "verify", str(signed), "--json"]).output)
    assert as_json["ok"] is True and as_json["trusted"] is None and as_json["ai_generated"] is True


def test_tampered_image_exits_6_saying_changed(runner: CliRunner, tmp_path: Path, test_ca: Path) -> None:
    _, _, signed = _sign(runner, tmp_path, test_ca)
    bad = tmp_path / "bad.png"
    bad.write_bytes(flip_pixel_byte(signed.read_bytes()))
    result = runner.invoke(main, ["provenance", "verify", str(bad)])
    assert result.exit_code == 6
    assert "error: " in result.output and "CHANGED: the image or its manifest was altered" in result.output
    assert "Traceback" not in result.output


def test_wrong_key_and_non_image_exit_5(
    runner: CliRunner, tmp_path: Path, test_ca: Path, other_ca: Path
) -> None:
    code, output, _ = _sign(runner, tmp_path, test_ca, key=other_ca / "signer.key")
    assert code == 5 and "does not belong to the certificate" in output
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    for verb, extra in (
        ("verify", []),
        ("sign", ["--cert", str(test_ca / "chain.pem"), "--key", str(test_ca / "signer.key")]),
    ):
        result = runner.invoke(main, ["provenance", verb, str(text), *extra])
        assert (
            result.exit_code == 5
            and "notes.txt: is not a PNG, JPEG, GIF, WebP or TIFF image" in result.output
        )


def test_unsigned_image_exits_6(runner: CliRunner, tmp_path: Path) -> None:
    image = tmp_path / "plain.png"
    image.write_bytes(png())
    result = runner.invoke(main, ["provenance", "verify", str(image)])
    assert result.exit_code == 6 and "no Content Credentials" in result.output


def test_text_receipt_round_trip_and_three_failures(runner: CliRunner, tmp_path: Path) -> None:
    answer = tmp_path / "answer.txt"
    answer.write_bytes(b"The office opens at 9.\r\n")
    issued = runner.invoke(
        main,
        [
            "provenance",
            "sign-text",
            str(answer),
            "--model",
            "m1",
            "--guardrail",
            "bot:1",
            "--request-id",
            "r9",
        ],
    )
    assert issued.exit_code == 0, issued.output
    receipt = issued.output.strip()
    receipt_file = tmp_path / "answer.receipt"
    receipt_file.write_text(receipt + "\n")
    good = runner.invoke(main, ["provenance", "verify-text", str(answer), str(receipt_file)])
    assert good.exit_code == 0 and good.output.startswith("VALID") and "request id: r9" in good.output

    changed = tmp_path / "changed.txt"
    changed.write_text("The office opens at 10.\n")
    result = runner.invoke(main, ["provenance", "verify-text", str(changed), receipt])
    assert result.exit_code == 6 and "the text was changed" in result.output

    header, payload, sig = receipt.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["decision"] = "MASKED"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    result = runner.invoke(main, ["provenance", "verify-text", str(answer), f"{header}.{forged}.{sig}"])
    assert result.exit_code == 6 and "the receipt was altered after signing" in result.output
    assert "unverified" in result.output

    public = tmp_path / "other.jwk"
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from steward.provenance.keys import public_jwk

    public.write_text(json.dumps(public_jwk(Ed25519PrivateKey.generate().public_key())))
    result = runner.invoke(
        main, ["provenance", "verify-text", str(answer), receipt, "--public-key", str(public)]
    )
    assert result.exit_code == 6 and "signed by another key" in result.output


def test_key_prints_the_jwk_that_verifies(runner: CliRunner, tmp_path: Path) -> None:
    jwk = json.loads(runner.invoke(main, ["provenance", "key"]).stdout)
    path = tmp_path / "pub.jwk"
    path.write_text(json.dumps(jwk))
    answer = tmp_path / "a.txt"
    answer.write_text("hi")
    receipt = runner.invoke(main, ["provenance", "sign-text", str(answer)]).output.strip()
    result = runner.invoke(
        main, ["provenance", "verify-text", str(answer), receipt, "--public-key", str(path)]
    )
    assert result.exit_code == 0 and "decision:   PASSED" in result.output


def test_bad_text_and_receipt_inputs_exit_5(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe")
    result = runner.invoke(main, ["provenance", "sign-text", str(bad)])
    assert result.exit_code == 5 and "is not valid UTF-8" in result.output
    good = tmp_path / "good.txt"
    good.write_text("x")
    runner.invoke(main, ["provenance", "key"])
    result = runner.invoke(main, ["provenance", "verify-text", str(good), "not-a-receipt"])
    assert result.exit_code == 5 and "receipt: is neither a compact JWS" in result.output
    result = runner.invoke(main, ["provenance", "sign-text", str(good), "--guardrail", "nover"])
    assert result.exit_code == 5 and "guardrail: must be ID:VERSION" in result.output


def test_verify_text_without_any_key_says_what_to_pass(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("x")
    result = runner.invoke(main, ["provenance", "verify-text", str(good), "a.b.c"])
    assert result.exit_code == 5 and "--public-key" in result.output
