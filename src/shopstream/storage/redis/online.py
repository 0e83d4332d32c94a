"""The shared online state in Redis (:class:`shopstream.scaleout.OnlineState`).

Keys (``P`` = ``{prefix:o}``, one hash slot with the leases; ``c`` a customer id, ``k`` an
identifier's graph key):

- ``P:applied:<n>``: bitmaps, one bit per offset (``2**24`` offsets a key): applied or not.
  ``P:applied:dropped``: how many of them, from ``n = 0``, were dropped (below).
- ``P:idn:<k>``: the customer of identifier ``k``; ``P:members:<c>``: the identifiers of ``c``.
- ``P:prof:<c>``: a hash of ``head`` (the cluster's smallest key, which names it),
  ``events``, ``ch:<channel>``, ``ev:<event>``, ``orders``, ``revenue_cents`` (sums), ``first``
  and ``last`` (event times in ms: minimum and maximum).
- ``P:traits:<c>`` and ``P:traitat:<c>``: trait -> JSON value, and the ``(time, offset)`` sort
  key of the value kept (latest wins, whatever order events are applied in).
- ``P:views:<c>``: a sorted set of products by latest view time, the most recent 20.
- ``P:cart:<c>``: product -> quantity added minus removed.
- ``P:recent:<k>``: an identifier's recent views (co-visitation window).
- ``P:covis:<product>``: other product -> times viewed by one device within the window.
- ``P:count:<counter>``: product -> count (``views``, ``adds``, ``purchases``).
- ``P:renamed``: customer -> the customer it was merged into (a record, not state).
- ``P:merges``: a stream of merges (offset, loser, winner, message id, time), written in the
  same step as the merge, drained into PostgreSQL's ``identity_merges`` by :meth:`drain_merges`.
- ``P:seeded``: the sentinel: the state is whole up to this offset (rebuilt from the archive,
  or ``kept`` by a Redis that never lost it). An emptied Redis has none, and the apply script
  refuses live batches until a worker has rebuilt the state (``shopstream.scaleout.rebuild``).
- ``P:rebuild``: the plan of a rebuild under way (per partition the offset it replays up to,
  the events to replay, the offset read up to, the events applied); ``P:rebuild:lease``: the
  lease of the one worker rebuilding, whose token fences the rebuild's batches as partition
  leases fence live ones.

One Lua script applies a batch: it first checks the caller still holds every partition lease
it names (fencing: a worker that paused past its lease cannot write), then per event sets the
event's bit and, only if it was not set, applies the event, all in one atomic step. The
script builds key names as it goes, all starting with ``P``: the slot of the lease keys it
declares, so it runs on Redis Cluster (the whole online state of a prefix on one slot; see
docs/scale-out.md for splitting it by customer).

The applied bitmaps would grow by 2 MB every ``2**24`` offsets, forever. :meth:`forget_applied`
drops the ones whose every offset is at or below the log's trim floor: the workers acknowledge
an entry only after applying it (and archiving it), and trim below the first entry any
partition has not acknowledged, so every offset there was applied, and none can be delivered
again (it is gone from the streams; the pending entries a crash leaves behind are above the
floor, and their bitmaps stay). The apply script treats an offset in a dropped bitmap as
applied, so even a batch held in some paused worker's memory could not apply it twice (its
lease fencing refuses it first anyway). A replay below the floor reads the PostgreSQL archive
and never touches the online state, but for the rebuild after Redis lost the state: then
nothing is dropped until the rebuild is done (``forget_applied`` needs the sentinel), so the
rebuild finds the bits of the offsets it replays clear.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import orjson

from shopstream.core import CustomerId, Offset
from shopstream.scaleout import LeaseLost, Merged, OnlineStateLost, OnlineUpdate, RebuildPlan
from shopstream.scaleout.updates import COVISIT_WINDOW_MS, RECENT_VIEWS
from shopstream.storage.redis._driver import available
from shopstream.storage.redis.hashtags import online_tag
from shopstream.storage.redis.leases import RedisLeases

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

BITS_PER_KEY = 2**24

_APPLY = """
-- ARGV: prefix, recent views kept, co-visitation window (ms), bits a key, JSON batch, mode;
-- mode 'live': KEYS the lease keys of the partitions in the batch, then ARGV one fencing
--   token per lease key; refused unless the state is whole (P:seeded);
-- mode 'rebuild': KEYS[1] the rebuild lease, then ARGV its token, its time to live (ms) and
--   the offset the archive was read up to (the plan's progress, written with the batch).
-- An offset in a dropped bitmap (every one of its offsets was applied) counts as applied.
local P = ARGV[1]
local mode = ARGV[6]
if mode == 'live' then
    if redis.call('EXISTS', P .. ':seeded') == 0 then
        return redis.error_reply('UNSEEDED the online state is not rebuilt from the archive')
    end
    for i, key in ipairs(KEYS) do
        if redis.call('GET', key) ~= ARGV[6 + i] then
            return redis.error_reply('LEASE ' .. key)
        end
    end
else
    if redis.call('GET', KEYS[1]) ~= ARGV[7] then
        return redis.error_reply('LEASE ' .. KEYS[1])
    end
    redis.call('PEXPIRE', KEYS[1], ARGV[8])
end
local keep = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local per_key = tonumber(ARGV[4])
local batch = cjson.decode(ARGV[5])

local function trim(key, n)
    redis.call('ZREMRANGEBYRANK', key, 0, -(n + 1))
end

local function merge(loser, winner, u)
    local members = redis.call('SMEMBERS', P .. ':members:' .. loser)
    for _, m in ipairs(members) do
        redis.call('SET', P .. ':idn:' .. m, winner)
        redis.call('SADD', P .. ':members:' .. winner, m)
    end
    local prof = redis.call('HGETALL', P .. ':prof:' .. loser)
    local wkey = P .. ':prof:' .. winner
    for i = 1, #prof, 2 do
        local f, v = prof[i], prof[i + 1]
        if f == 'head' or f == 'first' then
            local mine = redis.call('HGET', wkey, f)
            local smaller
            if f == 'head' then smaller = (not mine) or v < mine
            else smaller = (not mine) or tonumber(v) < tonumber(mine) end
            if smaller then redis.call('HSET', wkey, f, v) end
        elseif f == 'last' then
            local mine = redis.call('HGET', wkey, f)
            if (not mine) or tonumber(v) > tonumber(mine) then redis.call('HSET', wkey, f, v) end
        else
            redis.call('HINCRBY', wkey, f, v)
        end
    end
    local at = redis.call('HGETALL', P .. ':traitat:' .. loser)
    for i = 1, #at, 2 do
        local name, key = at[i], at[i + 1]
        local mine = redis.call('HGET', P .. ':traitat:' .. winner, name)
        if (not mine) or key > mine then
            redis.call('HSET', P .. ':traitat:' .. winner, name, key)
            redis.call('HSET', P .. ':traits:' .. winner, name,
                redis.call('HGET', P .. ':traits:' .. loser, name))
        end
    end
    local views = P .. ':views:' .. winner
    redis.call('ZUNIONSTORE', views, 2, views, P .. ':views:' .. loser, 'AGGREGATE', 'MAX')
    trim(views, keep)
    local cart = redis.call('HGETALL', P .. ':cart:' .. loser)
    for i = 1, #cart, 2 do
        redis.call('HINCRBY', P .. ':cart:' .. winner, cart[i], cart[i + 1])
    end
    for _, part in ipairs({'members', 'prof', 'traits', 'traitat', 'views', 'cart'}) do
        redis.call('DEL', P .. ':' .. part .. ':' .. loser)
    end
    redis.call('HSET', P .. ':renamed', loser, winner)
    redis.call('XADD', P .. ':merges', '*', 'offset', string.format('%d', u.o), 'loser', loser,
        'winner', winner, 'message_id', u.m, 'at', string.format('%d', u.t))
end

local function resolve(ids, u)
    -- the cluster named by the smallest key among every cluster and new identifier here
    local head, name = nil, nil
    local clusters, current = {}, {}
    for i, pair in ipairs(ids) do
        local c = redis.call('GET', P .. ':idn:' .. pair[1])
        current[i] = c
        local h, n
        if c then
            if clusters[c] == nil then
                clusters[c] = redis.call('HGET', P .. ':prof:' .. c, 'head')
            end
            h = clusters[c]; n = c
        else
            h = pair[1]; n = pair[2]
        end
        if head == nil or h < head then head, name = h, n end
    end
    for c, _ in pairs(clusters) do
        if c ~= name then merge(c, name, u) end
    end
    for i, pair in ipairs(ids) do
        if current[i] ~= name then  -- new, or in a cluster merged just now (merge moved it)
            redis.call('SET', P .. ':idn:' .. pair[1], name)
            redis.call('SADD', P .. ':members:' .. name, pair[1])
        end
    end
    if clusters[name] == nil or head < clusters[name] then
        redis.call('HSET', P .. ':prof:' .. name, 'head', head)
    end
    return name
end

local function apply(u, c)
    local prof = P .. ':prof:' .. c
    redis.call('HINCRBY', prof, 'events', 1)
    redis.call('HINCRBY', prof, 'ev:' .. u.e, 1)
    if u.ch ~= '' then redis.call('HINCRBY', prof, 'ch:' .. u.ch, 1) end
    local first = redis.call('HGET', prof, 'first')
    local t = string.format('%d', u.t)
    if (not first) or u.t < tonumber(first) then redis.call('HSET', prof, 'first', t) end
    local last = redis.call('HGET', prof, 'last')
    if (not last) or u.t > tonumber(last) then redis.call('HSET', prof, 'last', t) end
    if u.ord > 0 then
        redis.call('HINCRBY', prof, 'orders', u.ord)
        redis.call('HINCRBY', prof, 'revenue_cents', string.format('%d', u.rev))
    end
    local sort_key = string.format('%016d%016d', u.t, u.o)
    for name, value in pairs(u.tr) do
        local mine = redis.call('HGET', P .. ':traitat:' .. c, name)
        if (not mine) or sort_key > mine then
            redis.call('HSET', P .. ':traitat:' .. c, name, sort_key)
            redis.call('HSET', P .. ':traits:' .. c, name, value)
        end
    end
    local views = P .. ':views:' .. c
    local recent = P .. ':recent:' .. u.ids[1][1]
    for _, pid in ipairs(u.v) do
        redis.call('ZADD', views, 'GT', u.t, pid)
        trim(views, keep)
        local near = redis.call('ZRANGEBYSCORE', recent, u.t - window, u.t + window)
        for _, other in ipairs(near) do
            if other ~= pid then
                redis.call('HINCRBY', P .. ':covis:' .. pid, other, 1)
                redis.call('HINCRBY', P .. ':covis:' .. other, pid, 1)
            end
        end
        redis.call('ZADD', recent, 'GT', u.t, pid)
        trim(recent, keep)
    end
    for pid, delta in pairs(u.cart) do
        redis.call('HINCRBY', P .. ':cart:' .. c, pid, string.format('%d', delta))
    end
end

local dropped = tonumber(redis.call('GET', P .. ':applied:dropped') or '0')
local out = {}
for _, u in ipairs(batch) do
    local n = math.floor(u.o / per_key)
    local seen = 1
    if n >= dropped then
        seen = redis.call('SETBIT', P .. ':applied:' .. string.format('%d', n), u.o % per_key, 1)
    end
    local customer = ''
    if #u.ids > 0 then
        if seen == 1 then
            customer = redis.call('GET', P .. ':idn:' .. u.ids[1][1]) or ''
        else
            customer = resolve(u.ids, u)
            apply(u, customer)
        end
    end
    if seen == 0 then
        for counter, pids in pairs(u.cnt) do
            for _, pid in ipairs(pids) do
                redis.call('HINCRBY', P .. ':count:' .. counter, pid, 1)
            end
        end
    end
    out[#out + 1] = customer
end
if mode == 'rebuild' then
    redis.call('HSET', P .. ':rebuild', 'done', ARGV[9])
    redis.call('HINCRBY', P .. ':rebuild', 'rebuilt', #batch)
end
return out
"""

_FORGET_APPLIED = """
-- KEYS: the count of bitmaps dropped, the sentinel; ARGV: the bitmaps' key base, the first
-- bitmap to keep. Nothing is dropped while the state is not whole: a trim floor learnt from
-- streams that restarted empty is far above offsets the rebuild has still to apply.
if redis.call('EXISTS', KEYS[2]) == 0 then
    return 0
end
local from = tonumber(redis.call('GET', KEYS[1]) or '0')
local upto = tonumber(ARGV[2])
for n = from, upto - 1 do
    redis.call('DEL', ARGV[1] .. string.format('%d', n))
end
if upto > from then
    redis.call('SET', KEYS[1], string.format('%d', upto))
    return upto - from
end
return 0
"""


_PLAN_REBUILD = """
-- KEYS: the rebuild lease, the plan, the sentinel, then the dropped count and every applied
--       bitmap the offsets so far can have
-- ARGV: the lease's token, the partitions' bounds (JSON), the events to replay
-- Returns 'planned', 'resumed' (a plan was stored: a rebuilder died), or 'seeded' (nothing
-- to do; the lease is released): the state is whole, or holds applied offsets, which a state
-- rebuilt from empty has only once a plan is stored, so it kept its memory (written by a
-- version before the sentinel) and is only marked.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return redis.error_reply('LEASE ' .. KEYS[1])
end
if redis.call('EXISTS', KEYS[2]) == 1 then
    return 'resumed'
end
local kept = false
for i = 4, #KEYS do
    if redis.call('EXISTS', KEYS[i]) == 1 then kept = true; break end
end
if redis.call('EXISTS', KEYS[3]) == 1 or kept then
    if kept then redis.call('SET', KEYS[3], 'kept') end
    redis.call('DEL', KEYS[1])
    return 'seeded'
end
redis.call('HSET', KEYS[2], 'bounds', ARGV[2], 'total', ARGV[3], 'done', '0', 'rebuilt', '0')
return 'planned'
"""

_FINISH_REBUILD = """
-- KEYS: the rebuild lease, the plan, the sentinel; ARGV: the lease's token, the offset the
-- state is whole up to (its partitions' bounds less one: the streams deliver the rest)
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
    return redis.error_reply('LEASE ' .. KEYS[1])
end
redis.call('SET', KEYS[3], ARGV[2])
redis.call('DEL', KEYS[2], KEYS[1])
return 1
"""


class RedisOnlineState:
    """Applies :class:`OnlineUpdate` batches atomically and at most once (see the module).

    ``bits_per_key`` is fixed for the life of a prefix (it maps offsets to bitmaps); tests
    make it small to see bitmaps dropped.
    """

    def __init__(
        self, redis: Redis, prefix: str, leases: RedisLeases, *, bits_per_key: int = BITS_PER_KEY
    ) -> None:
        self._redis = redis
        self.prefix = online_tag(prefix)
        self._leases = leases
        self.bits_per_key = bits_per_key
        self._apply = redis.register_script(_APPLY)
        self._forget_applied = redis.register_script(_FORGET_APPLIED)
        self._plan_rebuild = redis.register_script(_PLAN_REBUILD)
        self._finish_rebuild = redis.register_script(_FINISH_REBUILD)
        self._seeded = f"{self.prefix}:seeded"
        self._plan = f"{self.prefix}:rebuild"
        self._rebuild_lease = f"{self.prefix}:rebuild:lease"
        from redis.exceptions import ResponseError

        self._response_error = ResponseError

    async def apply(
        self, updates: Sequence[OnlineUpdate], fences: Mapping[int, str]
    ) -> list[CustomerId | None]:
        if not updates:
            return []
        partitions = sorted(fences)
        keys = [self._leases.key(p) for p in partitions]
        return await self._run(updates, keys, ["live", *(fences[p] for p in partitions)])

    async def _run(
        self, updates: Sequence[OnlineUpdate], keys: list[str], mode: list[str | int]
    ) -> list[CustomerId | None]:
        batch = orjson.dumps([u.to_wire() for u in updates])
        args: list[str | int | bytes] = [self.prefix, RECENT_VIEWS, COVISIT_WINDOW_MS]
        args += [self.bits_per_key, batch, *mode]
        try:
            with available("the Redis online state"):
                customers = await self._apply(keys=keys, args=args)
        except self._response_error as exc:
            if str(exc).startswith("LEASE"):
                msg = f"a lease was lost before the batch was applied: {exc}"
                raise LeaseLost(msg) from exc
            if str(exc).startswith("UNSEEDED"):
                msg = f"the online state {self.prefix} is empty (Redis lost it?): {exc}"
                raise OnlineStateLost(msg) from exc
            raise
        return [CustomerId(c.decode()) if c else None for c in customers]

    # -- rebuilding from the archive (shopstream.scaleout.rebuild) -----------------------------

    async def seeded(self) -> bool:
        with available("the Redis online state"):
            return bool(await self._redis.exists(self._seeded))

    async def take_rebuild(self, worker: str, ttl_ms: int) -> str | None:
        with available("the Redis online state"):
            token = f"{worker}:{secrets.token_hex(8)}"
            taken = await self._redis.set(self._rebuild_lease, token, nx=True, px=ttl_ms)
        return token if taken else None

    async def rebuild_plan(self) -> RebuildPlan | None:
        with available("the Redis online state"):
            raw = await self._redis.hgetall(self._plan)
        if not raw:
            return None
        fields = {k.decode(): v.decode() for k, v in raw.items()}
        return RebuildPlan(
            tuple(Offset(b) for b in orjson.loads(fields["bounds"])), int(fields["total"]),
            Offset(int(fields["done"])), int(fields["rebuilt"]),
        )  # fmt: skip

    async def plan_rebuild(self, token: str, plan: RebuildPlan) -> RebuildPlan | None:
        bitmaps = max(plan.bounds, default=0) // self.bits_per_key + 1
        keys = [self._rebuild_lease, self._plan, self._seeded, f"{self.prefix}:applied:dropped"]
        keys += [f"{self.prefix}:applied:{n}" for n in range(bitmaps)]
        args: list[str | int | bytes] = [
            token,
            orjson.dumps([int(b) for b in plan.bounds]),
            plan.total,
        ]
        outcome = await self._rebuild_script(self._plan_rebuild, keys, args)
        return None if outcome == b"seeded" else await self.rebuild_plan()

    async def apply_rebuilt(
        self, updates: Sequence[OnlineUpdate], token: str, ttl_ms: int, done: Offset
    ) -> None:
        await self._run(updates, [self._rebuild_lease], ["rebuild", token, ttl_ms, int(done)])

    async def finish_rebuild(self, token: str, through: Offset) -> None:
        keys = [self._rebuild_lease, self._plan, self._seeded]
        await self._rebuild_script(self._finish_rebuild, keys, [token, int(through)])

    async def _rebuild_script(
        self, script: AsyncScript, keys: list[str], args: list[str | int | bytes]
    ) -> bytes:
        try:
            with available("the Redis online state"):
                return await script(keys=keys, args=args)  # type: ignore[no-any-return]
        except self._response_error as exc:
            if str(exc).startswith("LEASE"):
                msg = f"the rebuild lease was lost: {exc}"
                raise LeaseLost(msg) from exc
            raise

    async def forget_applied(self, through: Offset) -> int:
        """Drop the applied bitmaps of offsets all at or below ``through``, which must be
        offsets every one of which was applied and none of which can be delivered again (the
        log's trim floor). Returns how many were dropped."""
        keep = (int(through) + 1) // self.bits_per_key  # bitmaps 0 .. keep-1 end at or below
        with available("the Redis online state"):
            dropped = await self._forget_applied(
                keys=[f"{self.prefix}:applied:dropped", self._seeded],
                args=[f"{self.prefix}:applied:", keep],
            )
        return int(dropped)

    async def merges(self, limit: int = 1000) -> list[Merged]:
        """The oldest merges not yet drained (see :meth:`forget_merges`)."""
        with available("the Redis online state"):
            entries = await self._redis.xrange(f"{self.prefix}:merges", count=limit)
        return [
            Merged(
                entry_id.decode(), Offset(int(f[b"offset"])), CustomerId(f[b"loser"].decode()),
                CustomerId(f[b"winner"].decode()), f[b"message_id"].decode(), int(f[b"at"]),
            )
            for entry_id, f in entries
        ]  # fmt: skip

    async def forget_merges(self, merged: Sequence[Merged]) -> None:
        """Drop merges once they are stored elsewhere."""
        if merged:
            with available("the Redis online state"):
                await self._redis.xdel(f"{self.prefix}:merges", *[m.entry_id for m in merged])

    async def snapshot(self) -> dict[str, object]:
        """Every key of the online state but the applied bitmaps, the rename record, the
        leases and the rebuild's bookkeeping, as plain values, named without ``P:``: to compare two states (tests, the
        benchmark)."""
        out: dict[str, object] = {}
        skip = ("applied:", "renamed", "merges", "lease:", "workers", "seeded", "rebuild")
        async for raw in self._redis.scan_iter(match=f"{self.prefix}:*", count=1000):
            key = raw.decode().removeprefix(f"{self.prefix}:")
            if key.startswith(skip):
                continue
            kind = (await self._redis.type(raw)).decode()
            if kind == "string":
                out[key] = (await self._redis.get(raw)).decode()
            elif kind == "hash":
                out[key] = {
                    k.decode(): v.decode() for k, v in (await self._redis.hgetall(raw)).items()
                }
            elif kind == "set":
                out[key] = sorted(m.decode() for m in await self._redis.smembers(raw))
            elif kind == "zset":
                out[key] = [
                    (m.decode(), s)
                    for m, s in await self._redis.zrange(raw, 0, -1, withscores=True)
                ]
        return out
