"""Partition leases in Redis (:class:`shopstream.scaleout.Leases`).

A lease is a key ``{prefix:o}:lease:{p}`` (in the online state's hash slot, whose script
checks it) holding a random fencing token, set with ``NX`` and an
expiry; only the holder of the token renews or releases it, in one script each. A worker
that dies stops renewing, its leases expire, and others take its partitions (and, with them,
its pending entries). Live workers are a sorted set scored by when each one's heartbeat runs
out, so every worker can count the pool and aim for its fair share of partitions.
"""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING

from shopstream.storage.redis._driver import available
from shopstream.storage.redis.hashtags import online_tag

if TYPE_CHECKING:
    from redis.asyncio import Redis

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisLeases:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self.prefix = prefix
        self._tag = online_tag(prefix)
        self._workers = f"{self._tag}:workers"
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    def key(self, partition: int) -> str:
        return f"{self._tag}:lease:{partition}"

    async def heartbeat(self, worker: str, ttl_ms: int) -> int:
        with available("Redis"):
            now = int(time.time() * 1000)
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zadd(self._workers, {worker: now + ttl_ms})
                pipe.zremrangebyscore(self._workers, "-inf", now)
                pipe.zcard(self._workers)
                *_, live = await pipe.execute()
            return int(live)

    async def acquire(self, partition: int, worker: str, ttl_ms: int) -> str | None:
        with available("Redis"):
            token = f"{worker}:{secrets.token_hex(8)}"
            taken = await self._redis.set(self.key(partition), token, nx=True, px=ttl_ms)
            return token if taken else None

    async def renew(self, partition: int, token: str, ttl_ms: int) -> bool:
        with available("Redis"):
            return bool(await self._renew(keys=[self.key(partition)], args=[token, ttl_ms]))

    async def release(self, partition: int, token: str) -> None:
        with available("Redis"):
            await self._release(keys=[self.key(partition)], args=[token])

    async def leave(self, worker: str) -> None:
        with available("Redis"):
            await self._redis.zrem(self._workers, worker)
