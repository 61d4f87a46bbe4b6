"""Cost of envelope encryption of kept text, and of re-wrapping data keys in a master-key rotation.

Run: ``python benchmarks/envelope_speed.py`` (a temporary SQLite database; no network).
Prints microseconds per seal and unseal of a 1,000-character text (the day's data key cached,
as in a running server) and the seconds to re-wrap 1,000 data keys (~3 years of 1 scope).
"""

from __future__ import annotations

import base64
import tempfile
import time
from datetime import date, timedelta

from steward.store.db import make_engine, session_factory, upgrade
from steward.store.envelope import Envelope, LocalKeyProvider, generate_master_key, rewrap


def main() -> None:
    """Measure and print."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        sessions = session_factory(engine)
        old = base64.b64decode(generate_master_key())
        envelope = Envelope(sessions, LocalKeyProvider(keys=[old]))
        text, n = "x" * 1000, 20_000
        envelope.encrypt(text, scope="review")  # make and cache the day's key
        start = time.perf_counter()
        tokens = [envelope.encrypt(text, scope="review") for _ in range(n)]
        sealed_us = (time.perf_counter() - start) / n * 1e6
        start = time.perf_counter()
        for token in tokens:
            envelope.decrypt(token)
        opened_us = (time.perf_counter() - start) / n * 1e6
        for i in range(999):
            envelope.encrypt("a", scope="audit", day=date(2020, 1, 1) + timedelta(days=i))
        new = LocalKeyProvider(keys=[base64.b64decode(generate_master_key()), old])
        start = time.perf_counter()
        report = rewrap(sessions, new)
        rewrap_s = time.perf_counter() - start
        engine.dispose()
    print(f"seal 1,000 chars: {sealed_us:.1f} us   unseal: {opened_us:.1f} us   (data key cached)")
    print(f"re-wrap {report.rewrapped} data keys: {rewrap_s:.2f} s")


if __name__ == "__main__":
    main()
