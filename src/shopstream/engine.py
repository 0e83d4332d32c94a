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
    Message,
    hash_identifier,
    normalize_email,
    normalize_phone,
    parse_message,
)
from shopstream.identity import IdentityGraph, UnknownCustomer, canonical_id
from shopstream.log import (
    Collector,
    CollectResult,
    Consumer,
    DeadLetter,
    EventIndex,
    EventLog,
    Fanout,
    LogRecord,
    StateStore,
)
from shopstream.measure import Activity, Exposure, ExposureLog
from shopstream.profiles import (
    AuditLog,
    MemoryAuditLog,
    PresenceFeed,
    Profiles,
    presence_change,
    search_by_name,
)
from shopstream.profiles.live import LiveState
from shopstream.recommend import Item, LiveRecommender, RecommendRequest, RecommendRules
from shopstream.recommend import recommend as answer
from shopstream.recommend.background import embed_forever, limit_blas_threads, refit_forever
from shopstream.recommend.content import load_text_encoder
from shopstream.recommend.weights import load_weights
from shopstream.settings import Settings
from shopstream.trends import LiveTrends, Trends

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
        audit: AuditLog | None = None,
        exposures: ExposureLog | None = None,
        closers: Sequence[Callable[[], None]] = (),
    ) -> None:
        self.settings = settings
        self.log = log
        self.index = index
        self.audit: AuditLog = audit if audit is not None else MemoryAuditLog()
        # Views of the stream for the web apps, fed as events are applied, not snapshotted:
        # after a restart they fill again from the events processed since.
        self.presence = PresenceFeed()
        self.activity = Activity()
        self.live_trends = LiveTrends(lambda product_id: self.live.catalog.product(product_id))
        self.live = LiveState(index.history, observer=self._observe)
        self.recommender = LiveRecommender(
            weights=load_weights(settings.recommend_weights) if settings.recommend_weights else None
        )
        self.recommend_rules = RecommendRules()
        self.exposures = exposures
        self.consumer = Consumer(
            log, Fanout("state", [self.live, self.recommender, self.live_trends]), states
        )
        self._collector = Collector(
            log, max_event_bytes=settings.max_event_bytes, phone_region=settings.phone_region
        )
        self._closers = closers
        self._indexer: asyncio.Task[None] | None = None
        self._background: list[asyncio.Task[None]] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> Engine:
        """Build the engine on the backend the settings select (the embedded one by default)."""
        if settings.redis_url is not None or settings.postgres_url is not None:
            msg = (
                "the Redis + PostgreSQL scale-out backend is not part of this version yet; "
                "run without --redis/--postgres for the embedded backend"
            )
            raise NotImplementedError(msg)
        from shopstream.storage.sqlite import (
            SQLiteAuditLog,
            SQLiteEventLog,
            SQLiteExposureLog,
            SQLiteIdentityIndex,
            SQLiteStateStore,
        )

        data = settings.data_dir
        log = SQLiteEventLog(data / "events.db", fsync=settings.fsync)
        states = SQLiteStateStore(data / "state.db", fsync=settings.fsync)
        index = SQLiteIdentityIndex(data / "index.db", data / "events.db")
        audit = SQLiteAuditLog(data / "audit.db", fsync=settings.fsync)
        exposures = SQLiteExposureLog(data / "exposures.db")
        return cls(
            settings, log, states, index, audit=audit,
            exposures=exposures,
            closers=(states.close, index.close, audit.close, exposures.close),
        )  # fmt: skip

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the saved state, apply the log after it, then follow the log."""
        await self.consumer.restore()
        caught_up = await self.consumer.catch_up()
        logger.info("live state at offset %d (%d events replayed)", self.live.offset, caught_up)
        self.consumer.start()
        self._indexer = asyncio.create_task(self._index_forever(), name="identity-index")
        self._start_recommend_work()

    def _start_recommend_work(self) -> None:
        """Product text embeddings (with the embeddings extra) and EASE retraining, off the
        event loop."""
        limit_blas_threads()
        encoder = load_text_encoder()
        if encoder is not None:
            work = embed_forever(self.recommender.content, encoder)
            self._background.append(asyncio.create_task(work, name="recommend-embed"))
        if self.recommender.ease is not None:
            work = refit_forever(self.recommender.ease)
            self._background.append(asyncio.create_task(work, name="recommend-refit"))

    async def _index_forever(self) -> None:
        while True:
            await asyncio.to_thread(self.index.catch_up)
            await asyncio.sleep(_INDEX_EVERY_SECONDS)

    async def close(self) -> None:
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
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
    def trends(self) -> Trends:
        return self.live_trends.trends

    @property
    def catalog(self) -> Catalog:
        return self.live.catalog

    @property
    def graph(self) -> IdentityGraph:
        return self.live.graph

    @property
    def profiles(self) -> Profiles:
        return self.live.profiles

    def search_customers(self, name: str, limit: int = 20) -> list[CustomerId]:
        """Customers whose name traits match ``name`` (identifiers: :meth:`customer`)."""
        return search_by_name(self.profiles, name, limit)

    def _observe(self, offset: Offset, message: Message, customer_id: CustomerId | None) -> None:
        at = message.received_at or self.live.clock
        try:
            self.activity.record(message, customer_id, at=at)
            change = presence_change(message, customer_id)
            if change is not None:
                self.presence.publish(change)
        except Exception:  # these are views: a bug in one must never stop the live state
            logger.exception("live views failed on the event at offset %d", offset)

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

    def shopper(self, id_type: str, value: str) -> CustomerId:
        """Like :meth:`customer`, but a shopper never seen yet gets the id they will have."""
        try:
            return self.customer(id_type, value)
        except UnknownCustomer:
            if id_type == "customerId":
                raise
            return canonical_id(self.identifier(id_type, value))

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

    # -- Decide: recommendations ---------------------------------------------------------------

    def recommend(
        self,
        customer_id: CustomerId,
        request: RecommendRequest,
        *,
        channel: str = "web",
        now: datetime | None = None,
    ) -> tuple[str, list[Item]]:
        """Ranked products for a customer and placement, each with its reason; the answer is
        recorded as an exposure under the returned decision id."""
        at = now or utcnow()
        live = self.recommender
        items = answer(request, customer_id, self.profiles.get(customer_id),
                       blend=live.blend, catalog=self.catalog,
                       rules=self.recommend_rules, now=at.timestamp(), trends=self.trends,
                       store_weight=live.weights.store_trending, content=live.content,
                       store_cache=live.store_cache)  # fmt: skip
        decision_id = f"d_{uuid.uuid4().hex}"
        if self.exposures is not None:
            self.exposures.record(Exposure(
                decision_id, customer_id, request.placement.value, channel,
                tuple(i.product_id for i in items), tuple(i.reason for i in items),
                "blend@1", at,
            ))  # fmt: skip
        return decision_id, items

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
