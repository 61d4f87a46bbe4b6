"""Time signing and verifying: images (C2PA) and text receipts (Ed25519), on this machine.

Usage, from the repository root (the chain from make_test_ca.sh):

    bash examples/provenance/make_test_ca.sh /tmp/ca && python examples/provenance/speed.py /tmp/ca

Prints the best of three runs per operation; nothing is asserted (speed depends on the machine).
"""

from __future__ import annotations

import sys
import timeit
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from steward.provenance.image import load_credentials, sign_image, verify_image
from steward.provenance.receipt import issue_receipt, verify_receipt

HERE = Path(__file__).resolve().parent


def main(ca: Path) -> None:
    creds = load_credentials(ca / "chain.pem", ca / "signer.key")
    image = (HERE / "sample.png").read_bytes()
    signed = sign_image(image, creds, generator="g", guardrail="g:1")
    anchors = (ca / "ca.pem").read_bytes()
    key = Ed25519PrivateKey.generate()
    text = "word " * 200

    def receipt() -> str:
        return issue_receipt(
            text,
            key=key,
            decision="PASSED",
            request_id="r",
            model="m",
            guardrail_id="g",
            guardrail_version="1",
        )

    token = receipt()
    cases: list[tuple[str, Callable[[], object], int]] = [
        ("sign an image (32x32 PNG)", lambda: sign_image(image, creds, generator="g", guardrail="g:1"), 50),
        ("verify an image", lambda: verify_image(signed), 200),
        ("verify an image with --trust", lambda: verify_image(signed, trust_anchors=anchors), 200),
        ("issue a receipt (1,000 characters)", receipt, 2000),
        ("verify a receipt (1,000 characters)", lambda: verify_receipt(text, token, key.public_key()), 2000),
    ]
    for name, fn, number in cases:
        best = min(timeit.repeat(fn, number=number, repeat=3)) / number
        print(f"{name}: {best * 1000:.3f} ms")
    print(f"a receipt is {len(token)} characters")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python examples/provenance/speed.py CA_DIR (made by make_test_ca.sh)")
    main(Path(sys.argv[1]))
