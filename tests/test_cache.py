"""The one cache primitive: LRU eviction (a hot key survives), time-to-live, thread safety, and the
bearer-token memory built on it (a flood of new tokens no longer makes known callers pay scrypt again)."""

from __future__ import annotations

import threading

import pytest

from steward.cache import LruCache


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_eviction_drops_the_least_recently_used_so_a_hot_key_survives() -> None:
    cache: LruCache[str, int] = LruCache(3)
    cache.put("hot", 0)
    for i in range(100):
        assert cache.get("hot") == 0  # read between every insert: always the most recent
        cache.put(f"cold-{i}", i)
        assert len(cache) <= 3
    assert "hot" in cache
    assert cache.keys() == ["cold-98", "hot", "cold-99"]
    assert cache.get("cold-0") is None


def test_a_full_cache_forgets_one_entry_not_all() -> None:
    cache: LruCache[int, int] = LruCache(4)
    for i in range(4):
        cache.put(i, i)
    cache.put(4, 4)
    assert cache.keys() == [1, 2, 3, 4]


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    cache: LruCache[str, str] = LruCache(10, ttl_s=5.0, clock=clock)
    cache.put("k", "v")
    clock.now = 5.0
    assert cache.get("k") == "v"  # at the limit: still fresh
    clock.now = 5.5
    assert cache.get("k") is None
    assert "k" not in cache
    assert cache.get("k", "default") == "default"
    cache.put("k", "again")  # stored anew, its age starts now
    clock.now = 10.0
    assert cache.get("k") == "again"


def test_pop_discard_where_and_clear() -> None:
    cache: LruCache[tuple[str, int], int] = LruCache(10)
    for gid in ("a", "b"):
        for n in range(3):
            cache.put((gid, n), n)
    assert cache.pop(("a", 0)) == 0
    assert cache.pop(("a", 0)) is None
    assert cache.discard_where(lambda key: key[0] == "a") == 2
    assert sorted(cache.keys()) == [("b", 0), ("b", 1), ("b", 2)]
    cache.clear()
    assert len(cache) == 0


def test_size_zero_keeps_nothing_and_bad_bounds_are_refused() -> None:
    off: LruCache[str, int] = LruCache(0)
    off.put("k", 1)
    assert off.get("k") is None
    with pytest.raises(ValueError, match="maxsize"):
        LruCache(-1)
    with pytest.raises(ValueError, match="ttl_s"):
        LruCache(1, ttl_s=-1.0)


def test_threads_never_see_more_than_the_bound_or_a_broken_order() -> None:
    cache: LruCache[int, int] = LruCache(50)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(seed: int) -> None:
        try:
            start.wait()
            for i in range(5_000):
                key = (seed * 7919 + i) % 200
                cache.put(key, key)
                got = cache.get(key)
                assert got is None or got == key
                if i % 97 == 0:
                    cache.discard_where(lambda k: k % 13 == seed)
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(cache) <= 50
    assert len(set(cache.keys())) == len(cache)
    for key in list(cache.keys()):
        assert cache.get(key) == key


# -- the bearer-token memory ---------------------------------------------------------------------


class _Keys:
    """The one method the authenticator asks of the key store, over real scrypt-hashed keys."""

    def __init__(self, secrets_by_id: dict[str, str]) -> None:
        from steward.store.keys import Role, StoredKey, hash_secret

        self.stored = {
            key_id: StoredKey(key_id, Role.APP, hash_secret(secret), "", revoked=False)
            for key_id, secret in secrets_by_id.items()
        }

    def lookup(self, key_id: str) -> object:
        return self.stored.get(key_id)


def test_a_flood_of_new_tokens_does_not_make_a_known_caller_pay_scrypt_again(scrypt_calls: list[str]) -> None:
    from typing import cast

    from steward.server.auth import Authenticator
    from steward.store.keys import ApiKeyStore

    tokens = {f"STWKEY{n:014d}": f"secret-{n}" for n in range(5)}
    auth = Authenticator(cast(ApiKeyStore, _Keys(tokens)), ttl_s=60.0, max_remembered=3)
    (hot_id, hot_secret), *others = tokens.items()
    hot = f"{hot_id}.{hot_secret}"

    assert auth.bearer(hot).key_id == hot_id
    assert len(scrypt_calls) == 1
    for key_id, secret in others:  # more distinct tokens than the memory holds, the hot one between
        assert auth.bearer(f"{key_id}.{secret}").key_id == key_id
        assert auth.bearer(hot).key_id == hot_id
    # One scrypt check per token: the hot token was checked once, never again. Before the LRU,
    # the memory was emptied when full and the hot token paid the check again.
    assert scrypt_calls == [hot_secret] + [secret for _, secret in others]
    # The coldest token was evicted, so it alone pays again; a wrong secret is still refused.
    first_other = others[0]
    auth.bearer(f"{first_other[0]}.{first_other[1]}")
    assert scrypt_calls[-1] == first_other[1]
    from steward.errors import AuthError

    with pytest.raises(AuthError, match="secret is wrong"):
        auth.bearer(f"{hot_id}.not-the-secret")
