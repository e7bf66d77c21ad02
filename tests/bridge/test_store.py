"""The state stores keep one contract: put, add, get, take, delete, expiry.

Each store runs the same checks; the SQLite one must also keep its keys
across a close and a reopen of its file, which is what a restart does.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bridge.store import MemoryStore, StateStore
from bridge.store_redis import RedisStore
from bridge.store_sqlite import SqliteStore
from tests.support.services import REDIS_URL, unavailable


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StateStore]:
    if request.param == "memory":
        yield MemoryStore()
    elif request.param == "sqlite":
        sqlite = await SqliteStore.open(tmp_path / "bridge.sqlite3")
        yield sqlite
        await sqlite.close()
    else:
        redis = Redis.from_url(REDIS_URL)
        try:
            await redis.ping()
        except (OSError, RedisError) as exc:
            await redis.aclose()
            unavailable(f"Redis at {REDIS_URL}", exc)
        yield RedisStore(redis, prefix=f"fb:test:{uuid.uuid4().hex[:8]}:")
        await redis.aclose()


async def test_put_get_and_replace(store: StateStore) -> None:
    assert await store.get("k") is None
    await store.put("k", "one")
    await store.put("k", "two")
    assert await store.get("k") == "two"


async def test_add_only_sets_an_absent_key(store: StateStore) -> None:
    assert await store.add("k", "first", 60)
    assert not await store.add("k", "second", 60)
    assert await store.get("k") == "first"


async def test_take_hands_a_value_to_one_caller(store: StateStore) -> None:
    await store.put("code", "pending", 60)
    taken = await asyncio.gather(*(store.take("code") for _ in range(5)))
    assert [t for t in taken if t is not None] == ["pending"]
    assert await store.get("code") is None


async def test_delete_says_whether_the_key_was_there(store: StateStore) -> None:
    await store.put("k", "v")
    assert await store.delete("k")
    assert not await store.delete("k")


async def test_an_expired_key_is_gone_and_may_be_added_again(store: StateStore) -> None:
    await store.put("short", "v", 0.05)
    await store.put("long", "v", 60)
    await asyncio.sleep(0.2)
    assert await store.get("short") is None
    assert await store.take("short") is None
    assert await store.add("short", "again", 60)
    assert await store.get("short") == "again"
    assert await store.get("long") == "v"


async def test_sqlite_keeps_its_keys_across_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "bridge.sqlite3"
    first = await SqliteStore.open(path)
    await first.put("token:abc", '{"user_id": "u1"}')
    await first.put("revoked:def", "1", 3600)
    await first.put("gone", "1", 0.01)
    await first.close()
    await asyncio.sleep(0.05)
    second = await SqliteStore.open(path)
    try:
        assert await second.get("token:abc") == '{"user_id": "u1"}'
        assert await second.get("revoked:def") == "1"
        assert await second.get("gone") is None
    finally:
        await second.close()


async def test_claim_goes_to_the_first_and_is_renewed_only_by_it(store: StateStore) -> None:
    assert await store.claim("lease", "alice", 60) == ("alice", 60)
    holder, left = await store.claim("lease", "bob", 60)
    assert holder == "alice"
    assert 0 < left <= 60
    assert await store.claim("lease", "alice", 30) == ("alice", 30)  # renewed, not stolen
    assert await store.get("lease") == "alice"


async def test_concurrent_claims_have_one_winner(store: StateStore) -> None:
    claims = await asyncio.gather(*(store.claim("lease", f"c{n}", 60) for n in range(8)))
    winners = {holder for holder, _ in claims}
    assert len(winners) == 1
    [winner] = winners
    assert sum(1 for n in range(8) if claims[n][0] == f"c{n}") == 1
    assert await store.get("lease") == winner


async def test_a_lapsed_claim_goes_to_the_next_asker(store: StateStore) -> None:
    assert (await store.claim("lease", "alice", 0.05))[0] == "alice"
    await asyncio.sleep(0.1)
    assert (await store.claim("lease", "bob", 60))[0] == "bob"


async def test_release_deletes_only_the_holders_key(store: StateStore) -> None:
    await store.claim("lease", "alice", 60)
    assert not await store.release("lease", "bob")
    assert await store.get("lease") == "alice"
    assert await store.release("lease", "alice")
    assert not await store.release("lease", "alice")
    assert (await store.claim("lease", "bob", 60))[0] == "bob"
