"""The server-key fingerprint: recorded once, then told apart from another key (both backends)."""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import delete

from steward.store.db import make_engine, session_factory, upgrade
from steward.store.keycheck import KeyCheck, check_server_key, key_fingerprint
from steward.store.keys import ApiKeyStore, Role
from steward.store.models.core import ServerKeyCheck
from steward.store.sealing import Sealer


def test_the_first_key_is_recorded_and_another_differs(fresh_db_url: str) -> None:
    upgrade(fresh_db_url)
    engine = make_engine(fresh_db_url)
    try:
        sessions = session_factory(engine)
        mine, other = Fernet.generate_key(), Fernet.generate_key()
        assert check_server_key(sessions, mine) is KeyCheck.RECORDED
        assert check_server_key(sessions, mine) is KeyCheck.MATCHES
        assert check_server_key(sessions, other) is KeyCheck.DIFFERS
        with sessions() as session:
            stored = session.get(ServerKeyCheck, "server-key")
            assert stored is not None and stored.fingerprint == key_fingerprint(mine)
            assert mine.decode() not in stored.fingerprint  # a fingerprint, never the key

        # A database from before fingerprints: the sealed secrets decide.
        ApiKeyStore(sessions, Sealer(mine)).create(Role.ADMIN)
        with sessions() as session:
            session.execute(delete(ServerKeyCheck))
            session.commit()
        assert check_server_key(sessions, other) is KeyCheck.DIFFERS  # cannot open the secrets
        assert check_server_key(sessions, mine) is KeyCheck.RECORDED
    finally:
        engine.dispose()
