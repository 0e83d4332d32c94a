"""``Engine``: one backend wired to every domain; the object every interface uses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from shopstream.catalog import Catalog, Product, Store, product_to_dict, store_to_dict
from shopstream.core import CustomerId, Offset, ProductId, StoreId, utcnow
from shopstream.events import (
    ADMIN_SOURCE,
    ADMIN_USER,
    HASHED_ID_TYPES,
    AdminEvent,
    Identifier,
    IdType,
    hash_identifier,
    normalize_email,
    normalize_phone,
    parse_message,
)
from shopstream.identity import IdentityGraph, UnknownCustomer
from shopstream.log import (
    Collector,
    CollectResult,
    Consumer,
    DeadLetter,
    EventIndex,
    EventLog,
    LogRecord,
    StateStore,
)
from shopstream.profiles import Profiles
from shopstream.profiles.live import LiveState
from shopstream.settings import Settings

logger = logging.getLogger(__name__)

_INDEX_EVERY_SECONDS = 1.0


class Engine:
    """Shopstream as a Python library: collect events, read live profiles and the catalog.

    Examples:
        >>> engine = Engine.from_settings(Settings(data_dir=tmp_path))  # doctest: +SKIP
        >>> await engine.start()  # doctest: +SKIP
    """

    def __init__(
        self,
        settings: Settings,
        log: EventLog,
        states: StateStore,
        index: EventIndex,
        *,
        closers: Sequence[Callable[[], None]] = (),
    ) -> None:
        self.settings = settings
        self.log = log
        self.index = index
        self.live = LiveState(index.history)
        self.consumer = Consumer(log, self.live, states)
        self._collector = Collector(
            log, max_event_bytes=settings.max_event_bytes, phone_region=settings.phone_region
        )
        self._closers = closers
        self._indexer: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Engine:
        """Build the engine on the backend the settings select (the embedded one by default)."""
        if settings.redis_url is not None or settings.postgres_url is not None:
            msg = (
                "the Redis + PostgreSQL scale-out backend is not part of this version yet; "
                "run without --redis/--postgres for the embedded backend"
            )
            raise NotImplementedError(msg)
        from shopstream.storage.sqlite import SQLiteEventLog, SQLiteIdentityIndex, SQLiteStateStore

        data = settings.data_dir
        log = SQLiteEventLog(data / "events.db", fsync=settings.fsync)
        states = SQLiteStateStore(data / "state.db", fsync=settings.fsync)
        index = SQLiteIdentityIndex(data / "index.db", data / "events.db")
        return cls(settings, log, states, index, closers=(states.close, index.close))

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the saved state, apply the log after it, then follow the log."""
        await self.consumer.restore()
        caught_up = await self.consumer.catch_up()
        logger.info("live state at offset %d (%d events replayed)", self.live.offset, caught_up)
        self.consumer.start()
        self._indexer = asyncio.create_task(self._index_forever(), name="identity-index")

    async def _index_forever(self) -> None:
        while True:
            await asyncio.to_thread(self.index.catch_up)
            await asyncio.sleep(_INDEX_EVERY_SECONDS)

    async def close(self) -> None:
        if self._indexer is not None:
            self._indexer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._indexer
        await self.consumer.stop(save=True)
        await self.log.close()
        for close in self._closers:
            close()

    async def ready(self) -> None:
        """Raise when the engine cannot take events now."""
        await self.log.ping()

    # -- Detect: the write path ---------------------------------------------------------------

    async def collect(
        self,
        raws: Sequence[object],
        *,
        source: str,
        received_at: datetime,
        sent_at: datetime | None = None,
        default_type: str | None = None,
        path: str = "batch",
    ) -> CollectResult:
        """Validate, append durably, and dead-letter what is invalid."""
        return await self._collector.collect(
            raws, source=source, received_at=received_at, sent_at=sent_at,
            default_type=default_type, path=path,
        )  # fmt: skip

    async def processed(self, offset: Offset, timeout: float = 5.0) -> bool:
        """Wait until the live state reflects ``offset`` (read-your-writes)."""
        return await self.consumer.wait_until(offset, timeout)

    async def events(self, after: Offset, limit: int) -> list[LogRecord]:
        return await self.log.read(after, limit)

    async def dead_letters(self, after: int, limit: int) -> list[DeadLetter]:
        return await self.log.dead_letters(after, limit)

    # -- Detect: live state -------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        return self.live.catalog

    @property
    def graph(self) -> IdentityGraph:
        return self.live.graph

    @property
    def profiles(self) -> Profiles:
        return self.live.profiles

    def identifier(self, id_type: str, value: str) -> Identifier:
        """An identifier as the graph keys it: email, phone and card token normalised, hashed."""
        kind = IdType(id_type)
        if kind in HASHED_ID_TYPES and not _is_sha256(value):
            if kind is IdType.EMAIL:
                value = normalize_email(value)
            elif kind is IdType.PHONE:
                value = normalize_phone(value, self.settings.phone_region)
            value = hash_identifier(value)
        return Identifier(kind, value)

    def customer(self, id_type: str, value: str) -> CustomerId:
        """The canonical customer of any identifier (``customerId`` names one directly)."""
        if id_type == "customerId":
            customer_id = CustomerId(value)
            self.graph.identifiers_of(customer_id)  # raises UnknownCustomer
            return customer_id
        found = self.graph.customer_of(self.identifier(id_type, value))
        if found is None:
            msg = f"no customer has {id_type} {value!r}"
            raise UnknownCustomer(msg, field="id")
        return found

    def profile(self, customer_id: CustomerId, now: datetime | None = None) -> dict[str, Any]:
        """The profile as the API shows it, with the customer's identifiers and merges."""
        at = now or utcnow()
        view = self.profiles.view(customer_id, now=at) or {}
        return {
            **view,
            "customerId": customer_id,
            "identifiers": [
                {"type": str(i.type), "value": i.value}
                for i in self.graph.identifiers_of(customer_id)
            ],
            "merges": [
                {"id": m.id, "winner": m.winner, "loser": m.loser, "offset": m.offset,
                 "messageId": m.message_id, "at": m.at}
                for m in self.graph.merges_of(customer_id)
            ],
        }  # fmt: skip

    async def customer_events(
        self, customer_id: CustomerId, after: Offset, limit: int
    ) -> list[tuple[Offset, bytes]]:
        """The customer's events in log order, from every identifier they have had."""
        identifiers = self.graph.identifiers_of(customer_id)
        offsets = await asyncio.to_thread(self.index.offsets, identifiers)
        wanted = [o for o in offsets if o > after][:limit]
        payloads: list[tuple[Offset, bytes]] = await asyncio.to_thread(self.index.payloads, wanted)
        return payloads

    # -- operator changes: logged, so a replay reproduces them ------------------------------------

    async def upsert_products(self, products: Sequence[Product]) -> Offset:
        return await self._admin(
            AdminEvent.PRODUCTS_UPSERTED, {"products": [product_to_dict(p) for p in products]}
        )

    async def upsert_stores(self, stores: Sequence[Store]) -> Offset:
        return await self._admin(
            AdminEvent.STORES_UPSERTED, {"stores": [store_to_dict(s) for s in stores]}
        )

    async def set_stock(self, levels: Sequence[tuple[StoreId, ProductId, int]]) -> Offset:
        return await self._admin(AdminEvent.STOCK_SET, {"levels": [list(x) for x in levels]})

    async def unmerge(self, merge_id: str) -> Offset:
        self.graph.merge(merge_id)  # raises UnknownMerge before anything is logged
        return await self._admin(AdminEvent.IDENTITY_UNMERGED, {"merge_id": merge_id})

    async def _admin(self, event: AdminEvent, properties: dict[str, Any]) -> Offset:
        now = utcnow()
        raw = {
            "type": "track",
            "event": str(event),
            "userId": ADMIN_USER,
            "messageId": f"admin-{uuid.uuid4()}",
            "properties": properties,
        }
        message = parse_message(raw, source=ADMIN_SOURCE, received_at=now)
        [offset] = await self.log.append([message])
        await self.processed(offset)
        return offset


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)
