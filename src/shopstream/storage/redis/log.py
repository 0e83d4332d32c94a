"""The scale-out event log: partitioned Redis Streams with one global offset.

Keys (``P`` = ``{prefix}``, braces included: a hash tag, so the whole log of a prefix is one
Redis Cluster slot and every script below runs on a cluster; see :mod:`.hashtags`):

- ``P:offset``: the last offset given (a string integer).
- ``P:dedupe:<start>``: hashes from ``(source, messageId)`` to the offset first given to it, one
  per bucket of ``dedupe_bucket`` seconds (``start``: the bucket's first second, Unix time),
  each expiring once no append within the dedupe window can need it (below).
- ``P:log``: the order stream, every event once in global offset order (fields ``payload``,
  ``partition``). ``read`` pages it with one XRANGE.
- ``P:events:<p>``: partition ``p`` of ``partitions`` (fields ``offset``, ``payload``), for the
  worker pool's consumer groups. An event goes to ``stable_hash(identities[0]) % partitions``,
  so one shopper's events stay in one partition, in order.
- ``P:meta``: the partition count the log was created with (an append with another count fails
  rather than scatter a shopper's events over two partitionings), and ``seeded``: the sentinel
  that this Redis holds the log (below).
- ``P:checkpoints``: a hash from consumer to committed offset.
- ``P:dead`` and ``P:dead:seq``: the dead-letter stream and its id counter; the workers
  archive dead letters and trim them (:meth:`RedisEventLog.trim_dead_letters`).

Every stream entry's id is ``<offset>-0`` (``<id>-0`` for dead letters): ids increase because
offsets do, so ``read(after)`` is ``XRANGE P:log (<after+1>-0) +`` and a partition entry's id
tells its offset. Both streams carry the payload (memory for one round trip when a worker
reads); :meth:`RedisEventLog.trim_archived` trims them below what the workers acknowledged,
which they do only once an event is archived (``shopstream.scaleout``).

One Lua script (``_APPEND``, run by EVALSHA) appends a batch atomically: for each message it
looks its key up in the live dedupe buckets; a repeat (in the log, or earlier in the batch)
gets its first offset; a new one gets the next offset and is added to the current bucket, the
order stream and its partition. Many collectors may append at once; nothing is appended
twice, and a retried append (a timeout after Redis ran the script) gets the same offsets back,
so the client retries connection errors. Durability is Redis's: ``appendonly yes`` with
``appendfsync always`` (or ``everysec``) is the operator's fsync policy.

The dedupe map is bounded by a window (7 days by default, as Segment's messageId dedupe): a
retry sent within the window of the first attempt is never appended twice; one sent later may
be. With buckets of ``L`` seconds and a window of ``W``, the script runs at ``now`` (the Redis
server's clock, so collectors' clocks never disagree), writes to bucket ``b = now // L`` and
looks in buckets ``b - k .. b`` with ``k = ceil(W / L)``: a retry at most ``W`` after a first
append at ``t`` falls in a bucket at most ``k`` after ``t``'s. Bucket ``b`` expires at the end
of bucket ``b + k`` (``EXPIREAT``), after which no append looks in it. So at most ``k + 1``
buckets live: memory is about ``W + L`` of message ids (8 days for the default 7-day window
and 1-day buckets). A message is looked up in each live bucket, with one ``HMGET`` a bucket for
the whole batch (buckets that do not exist are skipped): ``benchmarks/dedupe_window.py``
measures what the window costs the append.

With ``replicas`` (``redis_replicas``), an append also waits (``WAIT``, on the connection
that ran the script) until that many replicas have it, ``replicas_timeout_ms`` at most; fewer
is :class:`shopstream.log.LogUnavailable`: the API answers 503, the client retries, and the
retry, a repeat, gets its first offsets back and waits again. The script writes the offset
counter even for a batch of repeats, so that wait covers the first append too. A 200 then
means "on the primary and on ``replicas`` replicas" (in their memory: each fsyncs its AOF by
its own policy), which survives the loss of the primary's host when a replica is promoted.

Redis restarting empty (no AOF, or an AOF lost with its disk): the append and dead-letter
scripts refuse to run until ``P:meta`` has ``seeded``; the log then rebuilds itself from its
history, the PostgreSQL archive (:meth:`RedisEventLog.seed`): the offset and dead-letter
counters resume :data:`RESEED_GAP` past the archive's high water (never an offset the archive
holds, or one an append in flight may still archive), and the message ids the archive received
within the dedupe window go back into their day buckets. Consumer groups, found gone
(``NOGROUP``), are made again from the start of the new streams. What Redis held and the
archive did not (with ``ack=redis``, what the workers had not yet archived) is lost.

Connection errors and timeouts become :class:`shopstream.log.LogUnavailable`, so the API
answers 503 and clients retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol, TypeVar

from shopstream.core import Clock, Offset, stable_hash
from shopstream.events import Message, message_from_json, message_to_json
from shopstream.log import DeadLetter, LogError, LogRecord, LogUnavailable
from shopstream.storage.redis._driver import require_redis
from shopstream.storage.redis.hashtags import log_tag

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)
T = TypeVar("T")

DEDUPE_WINDOW = timedelta(days=7)
"""How long a repeated ``(source, messageId)`` is recognised (Segment's messageId window)."""

DEDUPE_BUCKET = timedelta(days=1)
"""The dedupe map's bucket: the window is rounded up to whole buckets."""

_APPEND = """
-- KEYS: offset counter, meta hash, order stream, partition streams 0..P-1
-- ARGV: partition count, dedupe bucket key base, now (s; '' = this server's clock),
--       bucket length (s), buckets looked back, then (dedupe key, partition, payload) each
-- Returns each message's offset; a repeat's negated (it was appended before, as then sent)
if redis.call('HEXISTS', KEYS[2], 'seeded') == 0 then
    return redis.error_reply('SHOPSTREAM_UNSEEDED the log is not seeded from its history')
end
local partitions = ARGV[1]
local known = redis.call('HGET', KEYS[2], 'partitions')
if not known then
    redis.call('HSET', KEYS[2], 'partitions', partitions)
elseif known ~= partitions then
    return redis.error_reply('ERR shopstream: the log has ' .. known .. ' partitions, not ' .. partitions)
end
local now = tonumber(ARGV[3]) or tonumber(redis.call('TIME')[1])
local length = tonumber(ARGV[4])
local back = tonumber(ARGV[5])
local current = math.floor(now / length)
local bucket = ARGV[2] .. string.format('%d', current * length)
local live = {}
for b = current, current - back, -1 do
    local key = ARGV[2] .. string.format('%d', b * length)
    if redis.call('EXISTS', key) == 1 then live[#live + 1] = key end
end
-- Every message's first offset, if any, with one HMGET a live bucket (1,000 fields a call)
local fields = {}
for i = 6, #ARGV, 3 do fields[#fields + 1] = ARGV[i] end
local firsts = {}
for _, key in ipairs(live) do
    for from = 1, #fields, 1000 do
        local upto = math.min(from + 999, #fields)
        local got = redis.call('HMGET', key, unpack(fields, from, upto))
        for j = from, upto do
            if not firsts[j] and got[j - from + 1] then firsts[j] = got[j - from + 1] end
        end
    end
end
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local start = last
local offsets = {}
local here = {}  -- keys appended earlier in this batch -> offset
for j, field in ipairs(fields) do
    local i = 3 + 3 * j
    local first = firsts[j] or here[field]
    if first then
        offsets[j] = -tonumber(first)
    else
        last = last + 1
        local offset = string.format('%d', last)
        local id = offset .. '-0'
        here[field] = offset
        redis.call('HSET', bucket, field, offset)
        redis.call('XADD', KEYS[3], id, 'payload', ARGV[i + 2], 'partition', ARGV[i + 1])
        redis.call('XADD', KEYS[4 + tonumber(ARGV[i + 1])], id, 'offset', offset, 'payload', ARGV[i + 2])
        offsets[j] = last
    end
end
if last ~= start then
    redis.call('EXPIREAT', bucket, string.format('%d', (current + back + 1) * length))
end
-- Written even when nothing is new: a WAIT after a batch of repeats then covers the writes
-- that first appended them (replication is in order).
redis.call('SET', KEYS[1], string.format('%d', last))
return offsets
"""

# Offsets compared as decimal strings, so any 64-bit offset compares exactly (Lua numbers are
# doubles).
_CHECKPOINT = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
local new = ARGV[2]
if (not current) or #new > #current or (#new == #current and new > current) then
    redis.call('HSET', KEYS[1], ARGV[1], new)
end
return 0
"""

# KEYS: dead-letter stream, its id counter, meta hash. Returns the ids given.
_DEAD_LETTER = """
if redis.call('HEXISTS', KEYS[3], 'seeded') == 0 then
    return redis.error_reply('SHOPSTREAM_UNSEEDED the log is not seeded from its history')
end
local ids = {}
for i = 1, #ARGV, 5 do
    local id = redis.call('INCR', KEYS[2])
    redis.call('XADD', KEYS[1], string.format('%d-0', id), 'source', ARGV[i],
        'received_at', ARGV[i + 1], 'field', ARGV[i + 2], 'reason', ARGV[i + 3],
        'payload', ARGV[i + 4])
    ids[#ids + 1] = id
end
return ids
"""

# Raises the offset counter and the dead-letter id counter to at least what the history
# (the archive) holds; never lowers them. KEYS: offset counter, dead-letter id counter.
_SEED_COUNTERS = """
for i = 1, 2 do
    local current = tonumber(redis.call('GET', KEYS[i]) or '0')
    local seed = tonumber(ARGV[i])
    if seed > current then redis.call('SET', KEYS[i], ARGV[i]) end
end
return 0
"""


_UNSEEDED = "SHOPSTREAM_UNSEEDED"
_SEED_PAGE = 10_000

RESEED_GAP = 2**20
"""How far past the archive's high water a rebuilt log resumes its offsets (and dead-letter
ids): an append in flight when Redis lost its memory (run in Redis, its archive write not yet
committed) keeps offsets no later append is given; a jump in a 63-bit space costs nothing."""


class ArchivedId(NamedTuple):
    """One archived event's dedupe key and offset, and when it was received."""

    source: str
    message_id: str
    offset: Offset
    received_at: datetime


class LogHistory(Protocol):
    """What the log is rebuilt from when Redis lost its memory: the PostgreSQL archive."""

    async def high_water(self) -> tuple[Offset, int]:
        """The largest offset and dead-letter id stored or read past (0 for none): the log
        hands out neither again."""
        ...

    async def recent_ids(self, since: datetime, after: Offset, limit: int) -> list[ArchivedId]:
        """Up to ``limit`` events received at or after ``since`` with offsets above
        ``after``, by offset."""
        ...


@dataclass(frozen=True, slots=True)
class GroupEntry:
    """One partition entry delivered to a consumer of a group; ack it once processed."""

    partition: int
    entry_id: str
    offset: Offset
    payload: bytes

    @property
    def message(self) -> Message:
        return message_from_json(self.payload)


def _dedupe_key(message: Message) -> str:
    return _dedupe_field(*message.dedupe_key)


def _dedupe_field(source: str, message_id: str) -> str:
    return f"{len(source)}:{source}{message_id}"  # length-prefixed: unambiguous


def _stream_items(reply: Any) -> Iterator[tuple[bytes, list[tuple[bytes, Any]]]]:
    """``(stream, entries)`` pairs of an XREAD/XREADGROUP reply, in RESP2 or RESP3 shape."""
    if not reply:
        return
    yield from reply.items() if isinstance(reply, dict) else reply


class RedisEventLog:
    """:class:`shopstream.log.EventLog` on Redis Streams, plus consumer groups for workers.

    ``url`` is a ``redis://`` URL; ``prefix`` namespaces every key; ``partitions`` is fixed
    for the life of a prefix. Blocking reads block at most ``block_slice`` seconds a call
    (looping up to their timeout), so they never outlast ``socket_timeout``.

    A repeated ``(source, messageId)`` appended within ``dedupe_window`` of its first append
    gets its first offset (see the module). ``dedupe_bucket`` must be the same for every
    collector of a prefix (it names the buckets); the window may differ. ``clock`` stands in
    for the Redis server's clock (tests); production leaves it ``None``.

    ``replicas`` > 0: an append succeeds only once that many replicas acknowledged it within
    ``replicas_timeout_ms`` (see the module), and :meth:`ping` fails while fewer are connected.

    ``cluster``: ``url`` names a node of a Redis Cluster (``redis.asyncio.cluster.RedisCluster``
    finds the rest). With ``replicas`` too, the append and its ``WAIT`` run on one plain
    connection to the primary of the log's slot (the whole log is one slot), found from the
    cluster's map and found again after an error (a failover moves the slot).

    ``history`` (the archive) is what the log is rebuilt from when Redis restarts empty
    (:meth:`seed`); without one, an empty Redis is a new, empty log.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "shopstream",
        partitions: int = 16,
        socket_timeout: float = 5.0,
        block_slice: float = 1.0,
        dedupe_window: timedelta = DEDUPE_WINDOW,
        dedupe_bucket: timedelta = DEDUPE_BUCKET,
        clock: Clock | None = None,
        replicas: int = 0,
        replicas_timeout_ms: int = 1_000,
        cluster: bool = False,
        history: LogHistory | None = None,
    ) -> None:
        if partitions < 1:
            msg = f"partitions must be at least 1, not {partitions}"
            raise ValueError(msg)
        if replicas < 0 or replicas_timeout_ms <= 0:
            msg = (
                f"replicas ({replicas}) must be >= 0 and the timeout ({replicas_timeout_ms} ms) > 0"
            )
            raise ValueError(msg)
        self.replicas = replicas
        self._replicas_timeout_ms = replicas_timeout_ms
        tag = log_tag(prefix)
        bucket_s = dedupe_bucket.total_seconds()
        if bucket_s < 1 or bucket_s != int(bucket_s) or dedupe_window <= timedelta(0):
            msg = (
                f"the dedupe window must be positive ({dedupe_window}) and its bucket a whole"
                f" number of seconds ({dedupe_bucket})"
            )
            raise ValueError(msg)
        self.dedupe_bucket = int(bucket_s)
        self.dedupe_buckets_back = math.ceil(dedupe_window.total_seconds() / bucket_s)
        self._clock = clock
        redis = require_redis()
        from redis.asyncio.retry import Retry  # the driver is importable: require_redis said so
        from redis.backoff import ExponentialWithJitterBackoff
        from redis.exceptions import (
            AskError,
            ClusterDownError,
            MovedError,
            ReadOnlyError,
            ResponseError,
            TryAgainError,
        )
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        self._unavailable: tuple[type[Exception], ...] = (
            RedisConnectionError,
            RedisTimeoutError,
            ReadOnlyError,  # a replica after a failover: not writable now, retry
            ClusterDownError,  # a cluster between a primary's loss and its replica's promotion
            MovedError,  # the log's slot moved (failover, resharding) under a direct connection
            AskError,
            TryAgainError,
        )
        self._response_error = ResponseError
        client = redis.RedisCluster if cluster else redis.Redis
        # Retrying is safe: an append retried after Redis ran it gets its offsets back.
        self._options: dict[str, Any] = {
            "socket_timeout": socket_timeout,
            "socket_connect_timeout": socket_timeout,
            "retry": Retry(ExponentialWithJitterBackoff(cap=0.25, base=0.01), 3),
        }
        self._cluster = cluster
        self._primary: Redis | None = None  # on a cluster: the log slot's primary, for WAIT
        self._redis: Redis = client.from_url(
            url,
            **self._options,
        )
        self.prefix = prefix
        self.partitions = partitions
        self._block_slice = min(block_slice, socket_timeout / 2)
        self._offset = f"{tag}:offset"
        self.dedupe_base = f"{tag}:dedupe:"
        self._log = f"{tag}:log"
        self._meta = f"{tag}:meta"
        self._checkpoints = f"{tag}:checkpoints"
        self._dead = f"{tag}:dead"
        self._dead_seq = f"{tag}:dead:seq"
        self._streams = [self.partition_key(p) for p in range(partitions)]
        self._append = self._redis.register_script(_APPEND)
        self._checkpoint = self._redis.register_script(_CHECKPOINT)
        self._dead_letter = self._redis.register_script(_DEAD_LETTER)
        self._seed_counters = self._redis.register_script(_SEED_COUNTERS)
        self._groups: set[str] = set()
        self._history = history
        self._seeding = asyncio.Lock()

    def partition_key(self, partition: int) -> str:
        return f"{log_tag(self.prefix)}:events:{partition}"

    def partition_of(self, message: Message) -> int:
        """The partition of ``message``: its first identity's stable hash, mod partitions."""
        if not message.identities:
            return 0
        identity = message.identities[0]
        return stable_hash(f"{identity.type}:{identity.value}") % self.partitions

    @contextlib.contextmanager
    def _available(self) -> Iterator[None]:
        try:
            yield
        except self._unavailable as exc:
            msg = f"the Redis event log is unavailable: {exc}"
            raise LogUnavailable(msg) from exc
        except self._response_error as exc:
            if not _group_gone(exc):
                raise
            self._groups.clear()  # made again on the next read
            msg = f"a consumer group is gone (Redis restarted empty?): {exc}"
            raise LogUnavailable(msg) from exc

    # -- rebuilding after Redis lost its memory ------------------------------------------------

    async def seed(self) -> int:
        """Rebuild what the log keeps in Redis from its history, once: the offset counter and
        the dead-letter id counter (raised to :data:`RESEED_GAP` past the history's high
        water, never lowered), the dedupe map of the window; then mark the log seeded
        (``P:meta`` ``seeded``), which the append and dead-letter scripts require. Returns the
        dedupe entries restored.

        Appends are refused until then, so none is given an offset the archive holds, and a
        retry of an archived event within the window gets its first offset back. Many
        collectors may seed at once: counters only rise, and they write the same entries. A
        log appended to by a version without the sentinel (``P:meta`` has its partition count,
        which only an append writes) kept its memory: it is only marked.
        """
        async with self._seeding:
            with self._available():
                async with self._redis.pipeline(transaction=False) as pipe:
                    pipe.hexists(self._meta, "seeded")
                    pipe.hexists(self._meta, "partitions")
                    seeded, appended = await pipe.execute()
                if seeded:
                    return 0
                if appended:  # written before the sentinel existed, and Redis kept it
                    await self._redis.hset(self._meta, "seeded", "1")
                    return 0
            history = self._history
            offset, dead = (Offset(0), 0) if history is None else await history.high_water()
            # A log with history resumes past a gap; a new one (nothing archived) from 1.
            offset, dead = Offset(offset and offset + RESEED_GAP), dead and dead + RESEED_GAP
            with self._available():
                await self._seed_counters(keys=[self._offset, self._dead_seq], args=[offset, dead])
            restored = 0 if history is None else await self._seed_dedupe(history)
            with self._available():
                await self._redis.hset(self._meta, "seeded", "1")
        if offset or dead or restored:
            logger.warning(
                "the Redis event log %s was empty: rebuilt from the archive (offsets after %d, "
                "dead letters after %d, %d message ids of the dedupe window)",
                self.prefix, offset, dead, restored,
            )  # fmt: skip
        return restored

    async def _seed_dedupe(self, history: LogHistory) -> int:
        """The archive's message ids received within the live buckets, each into the bucket
        of its ``received_at`` (the collector's clock, close to Redis's that named it). The
        next page is read from the archive while this one is written to Redis."""
        length, back = self.dedupe_bucket, self.dedupe_buckets_back
        current = await self._now() // length
        since = datetime.fromtimestamp((current - back) * length, UTC)
        ids = await history.recent_ids(since, Offset(0), _SEED_PAGE)
        restored = 0
        while ids:
            following = (
                asyncio.ensure_future(history.recent_ids(since, ids[-1].offset, _SEED_PAGE))
                if len(ids) == _SEED_PAGE
                else None
            )
            try:
                await self._restore_ids(ids, current)
            except BaseException:
                if following is not None:
                    following.cancel()
                raise
            restored += len(ids)
            ids = await following if following is not None else []
        return restored

    async def _restore_ids(self, ids: Sequence[ArchivedId], current: int) -> None:
        length, back = self.dedupe_bucket, self.dedupe_buckets_back
        buckets: dict[int, dict[str, int]] = defaultdict(dict)
        for a in ids:  # by offset: a later first append of a key wins, as lookups find it
            bucket = min(int(a.received_at.timestamp()) // length, current)
            buckets[bucket][_dedupe_field(a.source, a.message_id)] = a.offset
        with self._available():
            async with self._redis.pipeline(transaction=False) as pipe:
                for bucket, fields in buckets.items():
                    key = f"{self.dedupe_base}{bucket * length}"
                    pipe.hset(key, mapping=fields)  # type: ignore[arg-type]
                    pipe.expireat(key, (bucket + back + 1) * length)
                await pipe.execute()

    async def _now(self) -> int:
        """Now, in seconds: the stand-in clock, else the Redis server's (as the script's)."""
        if self._clock is not None:
            return int(self._clock.now().timestamp())
        with self._available():
            seconds, _ = await self._redis.time()
        return int(seconds)

    async def _seeded(self, call: Callable[[], Awaitable[T]]) -> T:
        """``call()``; if Redis says the log is not seeded (it restarted empty), seed, again."""
        try:
            return await call()
        except self._response_error as exc:
            if isinstance(exc, self._unavailable) or _UNSEEDED not in str(exc):
                raise
        await self.seed()
        return await call()

    # -- the EventLog protocol ----------------------------------------------------------------

    async def append(
        self, messages: Sequence[Message], *, payloads: Sequence[bytes] | None = None
    ) -> list[Offset]:
        return [offset for offset, _ in await self.append_marked(messages, payloads=payloads)]

    async def append_marked(
        self, messages: Sequence[Message], *, payloads: Sequence[bytes] | None = None
    ) -> list[tuple[Offset, bool]]:
        """As :meth:`append`, with whether each message was new (``False``: a repeat, whose
        offset holds the payload as first appended)."""
        if not messages:
            return []
        logged = payloads if payloads is not None else [message_to_json(m) for m in messages]
        now = "" if self._clock is None else str(int(self._clock.now().timestamp()))
        args: list[str | bytes | int] = [
            self.partitions, self.dedupe_base, now, self.dedupe_bucket, self.dedupe_buckets_back,
        ]  # fmt: skip
        for message, payload in zip(messages, logged, strict=True):
            args += [_dedupe_key(message), self.partition_of(message), payload]
        keys = [self._offset, self._meta, self._log, *self._streams]
        with self._available():
            try:
                if self.replicas:
                    offsets = await self._seeded(lambda: self._append_and_wait(keys, args))
                else:
                    offsets = await self._seeded(lambda: self._append(keys=keys, args=args))
            except self._response_error as exc:
                if isinstance(exc, self._unavailable):
                    raise
                msg = f"the Redis event log refused the append: {exc}"
                raise LogError(msg) from exc
        return [(Offset(abs(int(o))), int(o) > 0) for o in offsets]

    async def _log_primary(self) -> Redis:
        """Where the log's writes go: this client, or on a cluster the primary of its slot."""
        if not self._cluster:
            return self._redis
        if self._primary is None:
            import redis.asyncio as redis

            await self._redis.initialize()  # type: ignore[attr-defined]
            node = self._redis.get_node_from_key(self._offset)  # type: ignore[attr-defined]
            self._primary = redis.Redis(host=node.host, port=node.port, **self._options)
        return self._primary

    async def _append_and_wait(self, keys: list[str], args: list[str | bytes | int]) -> Any:
        """The append script, then WAIT on the same connection (a pipeline holds one)."""
        primary = await self._log_primary()
        try:
            async with primary.pipeline(transaction=False) as pipe:
                await self._append(keys=keys, args=args, client=pipe)
                pipe.execute_command("WAIT", self.replicas, self._replicas_timeout_ms)
                offsets, acknowledged = await pipe.execute()
        except Exception:
            await self._forget_primary()  # MOVED or gone: ask the cluster again next time
            raise
        if int(acknowledged) < self.replicas:
            msg = (
                f"the append reached {acknowledged} of {self.replicas} Redis replicas within "
                f"{self._replicas_timeout_ms} ms"
            )
            raise LogUnavailable(msg)
        return offsets

    async def read(self, after: Offset, limit: int) -> list[LogRecord]:
        if limit <= 0:
            return []
        with self._available():
            entries = await self._redis.xrange(self._log, f"{after + 1}-0", "+", count=limit)
        return [LogRecord(_offset_of(entry_id), fields[b"payload"]) for entry_id, fields in entries]

    async def payloads(self, offsets: Sequence[Offset]) -> dict[Offset, bytes]:
        """The logged payloads of ``offsets`` still in the order stream (trimmed ones are not)."""
        with self._available():
            async with self._redis.pipeline(transaction=False) as pipe:
                for offset in offsets:
                    pipe.xrange(self._log, f"{offset}-0", f"{offset}-0", count=1)
                replies = await pipe.execute()
        return {
            offset: entries[0][1][b"payload"]
            for offset, entries in zip(offsets, replies, strict=True)
            if entries
        }

    async def last_offset(self) -> Offset:
        with self._available():
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.get(self._offset)
                pipe.hexists(self._meta, "seeded")
                value, seeded = await pipe.execute()
        if not seeded:  # Redis restarted empty (or a new log): the offset is the archive's
            await self.seed()
            with self._available():
                value = await self._redis.get(self._offset)
        return Offset(int(value or 0))

    async def wait_for(self, after: Offset, timeout: float) -> bool:
        async def poll(block_ms: int | None) -> bool:
            reply = await self._redis.xread({self._log: f"{after}-0"}, count=1, block=block_ms)
            return any(True for _ in _stream_items(reply))

        return await self._blocking(poll, timeout)

    async def checkpoint(self, consumer: str, offset: Offset) -> None:
        if offset < 0:
            msg = f"a checkpoint is an offset (>= 0), not {offset}"
            raise ValueError(msg)
        with self._available():
            await self._checkpoint(keys=[self._checkpoints], args=[consumer, str(int(offset))])

    async def committed(self, consumer: str) -> Offset:
        with self._available():
            value = await self._redis.hget(self._checkpoints, consumer)
        return Offset(int(value or 0))

    async def dead_letter(self, letters: Sequence[DeadLetter]) -> list[DeadLetter]:
        """Store ``letters``; returns them with the ids they were given."""
        if not letters:
            return []
        args: list[str | bytes] = []
        for d in letters:
            args += [d.source, d.received_at.isoformat(), d.field, d.reason, d.payload]
        keys = [self._dead, self._dead_seq, self._meta]
        with self._available():
            ids = await self._seeded(lambda: self._dead_letter(keys=keys, args=args))
        return [replace(d, id=int(i)) for d, i in zip(letters, ids, strict=True)]

    async def trim_dead_letters(self, through: int) -> None:
        """Drop the dead letters with ids up to ``through`` (they are archived)."""
        with self._available():
            await self._redis.xtrim(self._dead, minid=f"{through + 1}-0", approximate=False)

    async def dead_letters(self, after: int, limit: int) -> list[DeadLetter]:
        if limit <= 0:
            return []
        with self._available():
            entries = await self._redis.xrange(self._dead, f"{after + 1}-0", "+", count=limit)
        return [
            DeadLetter(
                f[b"source"].decode(),
                datetime.fromisoformat(f[b"received_at"].decode()),
                f[b"field"].decode(),
                f[b"reason"].decode(),
                f[b"payload"],
                id=_offset_of(entry_id),
            )
            for entry_id, f in entries
        ]

    async def ping(self) -> None:
        with self._available():
            await self._redis.ping()
            if self.replicas:
                primary = await self._log_primary()
                try:
                    info = await primary.info("replication")
                except Exception:
                    await self._forget_primary()
                    raise
                connected = int(info.get("connected_slaves", 0))
                if connected < self.replicas:
                    msg = f"{connected} of {self.replicas} Redis replicas are connected"
                    raise LogUnavailable(msg)

    async def _forget_primary(self) -> None:
        if self._primary is not None:
            primary, self._primary = self._primary, None
            await primary.aclose()

    async def close(self) -> None:
        await self._forget_primary()
        await self._redis.aclose()

    # -- consumer groups (the worker pool) ----------------------------------------------------

    async def ensure_group(self, group: str, *, after: Offset = Offset(0)) -> None:
        """Create ``group`` on every partition (if missing), delivering offsets after ``after``."""
        with self._available():
            async with self._redis.pipeline(transaction=False) as pipe:
                for stream in self._streams:
                    pipe.xgroup_create(stream, group, id=f"{after}-0", mkstream=True)
                results = await pipe.execute(raise_on_error=False)
        for result in results:
            if isinstance(result, Exception) and "BUSYGROUP" not in str(result):
                raise result
        self._groups.add(group)

    async def group_read(
        self,
        group: str,
        consumer: str,
        count: int,
        block_ms: int | None = None,
        *,
        partitions: Iterable[int] | None = None,
    ) -> list[GroupEntry]:
        """New entries for ``consumer`` of ``group``, by offset; up to ``count`` a partition.

        Blocks up to ``block_ms`` (``None`` or 0: not at all) until some partition has an entry.
        ``partitions`` limits the read to those partitions (default: all). Entries stay
        pending for ``consumer`` until :meth:`ack`; :meth:`claim_stale` takes them over if it dies.
        """
        if group not in self._groups:
            await self.ensure_group(group)
        chosen = range(self.partitions) if partitions is None else sorted(set(partitions))
        streams = {self._streams[p]: ">" for p in chosen}
        index = {stream.encode(): p for p, stream in enumerate(self._streams)}
        found: list[GroupEntry] = []

        async def poll(block: int | None) -> bool:
            reply = await self._redis.xreadgroup(group, consumer, streams, count=count, block=block)
            for stream, entries in _stream_items(reply):
                found.extend(_entries(index[stream], entries))
            return bool(found)

        timeout = 0.0 if block_ms is None else block_ms / 1000
        await self._blocking(poll, timeout)
        return sorted(found, key=lambda e: e.offset)

    async def ack(self, group: str, entries: Iterable[GroupEntry]) -> int:
        """Acknowledge processed entries; the number that were pending."""
        by_partition: dict[int, list[str]] = defaultdict(list)
        for entry in entries:
            by_partition[entry.partition].append(entry.entry_id)
        if not by_partition:
            return 0
        with self._available():
            async with self._redis.pipeline(transaction=False) as pipe:
                for partition, ids in by_partition.items():
                    pipe.xack(self._streams[partition], group, *ids)
                acked = await pipe.execute()
        return sum(int(n) for n in acked)

    async def claim_stale(
        self, group: str, consumer: str, min_idle_ms: int, count: int = 100
    ) -> list[GroupEntry]:
        """Take over (XAUTOCLAIM) up to ``count`` entries pending longer than ``min_idle_ms``."""
        claimed: list[GroupEntry] = []
        with self._available():
            for partition, stream in enumerate(self._streams):
                cursor: str | bytes = "0-0"
                while len(claimed) < count:
                    reply = await self._redis.xautoclaim(
                        stream,
                        group,
                        consumer,
                        min_idle_ms,
                        start_id=cursor,
                        count=count - len(claimed),
                    )
                    cursor, entries = reply[0], reply[1]
                    claimed.extend(_entries(partition, entries))
                    if cursor in (b"0-0", "0-0"):
                        break
        return sorted(claimed, key=lambda e: e.offset)

    async def pending(self, group: str) -> int:
        """How many entries of ``group`` were delivered and not yet acknowledged."""
        with self._available():
            async with self._redis.pipeline(transaction=False) as pipe:
                for stream in self._streams:
                    pipe.xpending(stream, group)
                summaries = await pipe.execute()
        return sum(int(s["pending"]) for s in summaries)

    @property
    def client(self) -> Redis:
        """The connection pool, for stores that share this Redis (online state, leases)."""
        return self._redis

    async def claim(self, group: str, consumer: str, partition: int) -> list[GroupEntry]:
        """Take over every pending entry of ``partition`` (XAUTOCLAIM, any idle time), by offset.

        For the worker that now holds the partition's lease: whoever read them before is gone.
        """
        if group not in self._groups:
            await self.ensure_group(group)
        stream = self._streams[partition]
        claimed: list[GroupEntry] = []
        cursor: str | bytes = "0-0"
        with self._available():
            while True:
                reply = await self._redis.xautoclaim(
                    stream, group, consumer, 0, start_id=cursor, count=500
                )
                cursor, entries = reply[0], reply[1]
                claimed.extend(_entries(partition, entries))
                if cursor in (b"0-0", "0-0"):
                    break
        return sorted(claimed, key=lambda e: e.offset)

    async def trim_archived(self, group: str) -> Offset:
        """Trim every stream below the first offset ``group`` has not acknowledged.

        Workers acknowledge an entry only once it is archived, so what is trimmed is in the
        archive. A partition's first unacknowledged entry is its oldest pending one or, with
        none pending, the first it has not delivered; the order stream is trimmed below the
        smallest of these over all partitions. Returns that offset minus one.

        The last delivered id is read before the pending summary: an entry delivered between
        the two is then pending (counted) or after that id (not trimmed). The other order
        could see nothing pending, then a later delivered id, and trim entries just read.
        """
        if group not in self._groups:
            await self.ensure_group(group)
        firsts: list[int] = []
        with self._available():
            last = int(await self._redis.get(self._offset) or 0)
            for stream in self._streams:
                first = await self._first_undone(stream, group, last)
                await self._redis.xtrim(stream, minid=f"{first}-0", approximate=False)
                firsts.append(first)
            floor = min(firsts, default=last + 1)
            await self._redis.xtrim(self._log, minid=f"{floor}-0", approximate=False)
        return Offset(floor - 1)

    async def resume_points(self, group: str) -> list[Offset]:
        """Per partition, the first offset ``group`` will deliver (again): its oldest pending
        entry, else the first it has not delivered, else one past the log's end. Seeds the
        log first if Redis restarted empty (so the end is past the archive), and makes the
        group if it is missing (it then delivers each stream from its start)."""
        await self.last_offset()
        await self.ensure_group(group)
        with self._available():
            last = int(await self._redis.get(self._offset) or 0)
            return [Offset(await self._first_undone(s, group, last)) for s in self._streams]

    async def _first_undone(self, stream: str, group: str, last: int) -> int:
        """The first offset of ``stream`` that ``group`` has not acknowledged (see
        :meth:`trim_archived` for why the last delivered id is read first)."""
        groups = await self._redis.xinfo_groups(stream)
        info = next((g for g in groups if _text(g["name"]) == group), None)
        if info is None:  # Redis restarted empty: the group is made again
            self._groups.clear()
            msg = f"the consumer group {group!r} is gone from {stream}"
            raise LogUnavailable(msg)
        delivered = _offset_of(info["last-delivered-id"])
        summary = await self._redis.xpending(stream, group)
        if int(summary["pending"]):
            return _offset_of(summary["min"])
        after = await self._redis.xrange(stream, f"({delivered}-0", "+", count=1)
        return _offset_of(after[0][0]) if after else last + 1

    async def first_offset(self) -> Offset | None:
        """The oldest offset still in the order stream (``None`` when it is empty)."""
        with self._available():
            entries = await self._redis.xrange(self._log, "-", "+", count=1)
        return _offset_of(entries[0][0]) if entries else None

    async def _blocking(
        self, poll: Callable[[int | None], Awaitable[bool]], timeout: float
    ) -> bool:
        """Call ``poll`` until it finds something or ``timeout`` passes, a slice a call."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        with self._available():
            while True:
                remaining = deadline - loop.time()
                block = int(min(remaining, self._block_slice) * 1000)
                if await poll(block if block > 0 else None):
                    return True
                if block <= 0:
                    return False


def _offset_of(entry_id: bytes | str) -> Offset:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return Offset(int(text.partition("-")[0]))


def _group_gone(exc: Exception) -> bool:
    """A stream or consumer group missing (a Redis that restarted empty)."""
    text = str(exc)
    return text.startswith("NOGROUP") or "no such key" in text.lower()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _entries(partition: int, entries: Iterable[Any]) -> Iterator[GroupEntry]:
    for entry_id, fields in entries:
        if not fields:  # deleted from the stream while pending (Redis 6.2 shape)
            continue
        text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
        yield GroupEntry(partition, text, Offset(int(fields[b"offset"])), fields[b"payload"])
