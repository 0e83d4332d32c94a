"""``Engine``: one backend wired to every domain; the object every interface uses."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

from shopstream.catalog import Catalog, Product, Store, product_to_dict, store_to_dict
from shopstream.core import CustomerId, DroppedWrites, Offset, ProductId, StoreId, utcnow
from shopstream.decide import (
    Answer,
    Bid,
    Bidder,
    BidRequest,
    BidRules,
    ConfigFiles,
    DecideRuntime,
    Decision,
    DecisionId,
    LiveDecide,
)
from shopstream.decide import decide as decide_for
from shopstream.deliver import (
    AlertBoard,
    AudienceStore,
    DeliverConfig,
    Deliverer,
    MemoryAudiences,
    MemoryOutbox,
    Outbox,
    load_deliver_config,
)
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
from shopstream.experimenting import ExperimentBook
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
from shopstream.log.remote import RemoteCollector, least_busy
from shopstream.log.requests import collect_body, decode_body
from shopstream.measure import (
    Activity,
    DecisionLog,
    Exposure,
    ExposureLog,
    LoggedDecision,
    MemoryDecisionLog,
    MemoryOutcomeLog,
    OutcomeLog,
    measured_event,
    ranked_in_order,
)
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

if TYPE_CHECKING:
    from shopstream.storage.sqlite import SQLiteEventLog

logger = logging.getLogger(__name__)

_INDEX_EVERY_SECONDS = 1.0
_INDEX_SLICE = 2_000
_RECOMMEND_POLICY = "blend@1"


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
        decisions: DecisionLog | None = None,
        outbox: Outbox | None = None,
        audiences: AudienceStore | None = None,
        deliver_config: DeliverConfig | None = None,
        outcomes: OutcomeLog | None = None,
        experiments: ExperimentBook | None = None,
        config_files: ConfigFiles | None = None,
        collectors: Sequence[RemoteCollector] = (),
        closers: Sequence[Callable[[], None]] = (),
        dropped_writes: DroppedWrites | None = None,
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
        # Segment membership is read through ``self.bidder.segments`` (a SegmentMembership).
        self.bidder = Bidder(BidRules.from_mapping(settings.bid_rules), lambda: self.trends)
        self.exposures = exposures
        # Every answer whole, readable by its decision id (GET /v1/decisions/{id}).
        self.decisions: DecisionLog = decisions if decisions is not None else MemoryDecisionLog()
        # Where fired triggers write their activations; the deliverer sends from it.
        self.outbox: Outbox = outbox if outbox is not None else MemoryOutbox()
        self.audiences: AudienceStore = audiences if audiences is not None else MemoryAudiences()
        self.alerts = AlertBoard()
        self.deliver_config = deliver_config or DeliverConfig()
        # Outcomes and engagement for measure, keyed by log offset (replays add nothing).
        self.outcomes: OutcomeLog = outcomes if outcomes is not None else MemoryOutcomeLog()
        # Rows the stores' background writers refused and dropped (GET /metrics shows them).
        self.dropped_writes = dropped_writes if dropped_writes is not None else DroppedWrites()
        self.experiments = experiments if experiments is not None else ExperimentBook(None)
        self.deliverer: Deliverer | None = None
        self._delivering: asyncio.Task[None] | None = None
        self._delivery_client: httpx.AsyncClient | None = None
        # Triggers, segments, caps and the bandit: told of each event by ``live`` (through
        # ``_observe``), saved with the rest of the state.
        self.decide_state = LiveDecide(self.live, self.outbox, decided=self._decided)
        self.decide_runtime: DecideRuntime | None = None
        if config_files is not None:
            self.decide_runtime = DecideRuntime(
                self.decide_state, config_files, self._admin, now=utcnow,
                tick_seconds=settings.decide_tick_seconds,
            )  # fmt: skip
        self.consumer = Consumer(
            log,
            Fanout("state", [self.live, self.recommender, self.live_trends, self.decide_state]),
            states,
        )
        self._collector = Collector(
            log, max_event_bytes=settings.max_event_bytes, phone_region=settings.phone_region
        )
        self._collectors = tuple(collectors)
        # Requests in collector processes: processing and indexing take a quarter of the time
        # meanwhile (collecting here, it would only take longer to show what was collected).
        self._collecting = 0
        self.consumer.busy = lambda: self._collecting > 0
        self._closers = closers
        self._indexer: asyncio.Task[None] | None = None
        self._decider: asyncio.Task[None] | None = None
        self._background: list[asyncio.Task[None]] = []

    @classmethod
    def from_settings(cls, settings: Settings) -> Engine:
        """Build the engine on the backend the settings select (the embedded one by default)."""
        from shopstream.storage.configdir import ConfigDirectory, FileExperiments

        # Files of the config dir, whatever the backend (a broken one fails here, at start).
        config_dir = ConfigDirectory(settings.config_dir)
        deliver_config = load_deliver_config(settings.config_dir / "channels.yaml")
        dropped = DroppedWrites()
        if settings.redis_url is not None or settings.postgres_url is not None:
            from shopstream.storage.scaleout import build

            parts = build(settings, dropped=dropped)
            with _closed_if_failing(parts.closers):
                return cls(
                    settings, parts.log, parts.states, parts.index, audit=parts.audit,
                    exposures=parts.exposures, decisions=parts.decisions, outbox=parts.outbox,
                    audiences=parts.audiences, outcomes=parts.outcomes, config_files=config_dir,
                    deliver_config=deliver_config, experiments=ExperimentBook(parts.experiments),
                    closers=parts.closers, dropped_writes=dropped,
                )  # fmt: skip
        from shopstream.storage.sqlite import (
            SQLiteAudiences,
            SQLiteAuditLog,
            SQLiteDecisionLog,
            SQLiteEventLog,
            SQLiteExposureLog,
            SQLiteIdentityIndex,
            SQLiteOutbox,
            SQLiteOutcomeLog,
            SQLiteStateStore,
        )

        data = settings.data_dir
        log = SQLiteEventLog(data / "events.db", fsync=settings.fsync)
        states = SQLiteStateStore(data / "state.db", fsync=settings.fsync)
        index = SQLiteIdentityIndex(data / "index.db", data / "events.db")
        audit = SQLiteAuditLog(data / "audit.db", fsync=settings.fsync)
        exposures = SQLiteExposureLog(data / "exposures.db", dropped=dropped)
        decisions = SQLiteDecisionLog(data / "decisions.db", dropped=dropped)
        outbox = SQLiteOutbox(data / "outbox.db", fsync=settings.fsync)
        audiences = SQLiteAudiences(data / "outbox.db", fsync=settings.fsync)
        outcomes = SQLiteOutcomeLog(data / "outcomes.db", dropped=dropped)
        closers = (states.close, index.close, audit.close, exposures.close, decisions.close,
                   outbox.close, audiences.close, outcomes.close)  # fmt: skip
        with _closed_if_failing((*closers, log.close_now)):
            return cls(
                settings, log, states, index, audit=audit,
                exposures=exposures, decisions=decisions, outbox=outbox, audiences=audiences,
                deliver_config=deliver_config, outcomes=outcomes,
                experiments=ExperimentBook(FileExperiments(config_dir)), config_files=config_dir,
                collectors=_collector_processes(settings, log), closers=closers,
                dropped_writes=dropped,
            )  # fmt: skip

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the saved state, apply the log after it, then follow the log (only start the
        collector processes in the ``collect`` role)."""
        # Collector processes start while the state loads; the engine is ready with them.
        starting = asyncio.gather(*(collector.start() for collector in self._collectors))
        if self.settings.role == "collect":
            await starting
            return
        await self.consumer.restore()
        caught_up = await self.consumer.catch_up()
        await starting
        logger.info("live state at offset %d (%d events replayed)", self.live.offset, caught_up)
        self.consumer.start()
        self._indexer = asyncio.create_task(self._index_forever(), name="identity-index")
        if self.decide_runtime is not None:
            await self.decide_runtime.sync()
            self._decider = asyncio.create_task(self.decide_runtime.run(), name="decide-runtime")
        if self.settings.deliver:
            self._start_delivery()
        self._start_recommend_work()

    def _start_delivery(self) -> None:
        from shopstream.delivery import build_deliverer, http_client

        self._delivery_client = http_client()
        self.deliverer = build_deliverer(self, self.deliver_config, self._delivery_client)
        self._delivering = asyncio.create_task(self.deliverer.run(), name="deliverer")

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
        """Keep the identity index up with the log, a slice at a time. While collection
        requests are in flight it takes the share of the time the live state's consumer takes
        (a quarter): its thread would otherwise take the GIL from the requests' turns. A read
        of the index catches up first, whatever is left."""
        while True:
            began = time.perf_counter()
            indexed = await asyncio.to_thread(self.index.catch_up, _INDEX_SLICE)
            if indexed < _INDEX_SLICE:
                await asyncio.sleep(_INDEX_EVERY_SECONDS)
            elif self._collecting:
                await asyncio.sleep(self.consumer.pause_after(time.perf_counter() - began))

    async def close(self) -> None:
        for task in self._background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._delivering is not None:
            self._delivering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivering
            if self._delivery_client is not None:
                await self._delivery_client.aclose()
        for task in (self._decider, self._indexer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for collector in self._collectors:
            await collector.close()
        await self.consumer.stop(save=self.settings.role == "all")
        await self.log.close()
        for close in self._closers:
            close()

    async def ready(self) -> None:
        """Raise when the engine cannot take events now."""
        await self.log.ping()
        for collector in self._collectors:
            await collector.ping()

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

    async def collect_body(
        self, body: bytes, *, kind: str, source: str, received_at: datetime
    ) -> CollectResult:
        """Collect a request's body (``kind``: ``batch`` or one message type), in the collector
        process with the fewest requests in hand when there are some, else here."""
        if not self._collectors:
            return await collect_body(
                self._collector, decode_body(body), kind=kind, source=source,
                received_at=received_at,
            )  # fmt: skip
        collector = least_busy(self._collectors)
        self._collecting += 1
        try:
            return await collector.collect_body(
                body, kind=kind, source=source, received_at=received_at
            )
        finally:
            self._collecting -= 1

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
        try:
            self.decide_state.observe(offset, message, customer_id)
        except Exception:  # a bug in a trigger must not stop the live state
            logger.exception("decide failed on the event at offset %d", offset)
        if message.source == ADMIN_SOURCE:
            return
        at = message.received_at or self.live.clock
        try:
            self.activity.record(message, customer_id, at=at)
            measured = measured_event(offset, message, customer_id)
            if measured is not None:
                self.outcomes.record(measured)
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
        recorded as an exposure and in the decisions log under the returned decision id."""
        at = now or utcnow()
        live = self.recommender
        items = answer(request, customer_id, self.profiles.get(customer_id),
                       blend=live.blend, catalog=self.catalog,
                       rules=self.recommend_rules, now=at.timestamp(), trends=self.trends,
                       store_weight=live.weights.store_trending, content=live.content,
                       store_cache=live.store_cache)  # fmt: skip
        decision_id = DecisionId(f"d_{uuid.uuid4().hex}")
        placement = request.placement.value
        if self.exposures is not None:
            self.exposures.record(Exposure(
                decision_id, customer_id, placement, channel,
                tuple(i.product_id for i in items), tuple(i.reason for i in items),
                _RECOMMEND_POLICY, at,
            ))  # fmt: skip
        actions = ranked_in_order([(i.product_id, i.score, i.reason) for i in items])
        context = {"productId": request.product_id, "storeId": request.store_id}
        self._log_decision(
            Decision(decision_id, actions, _RECOMMEND_POLICY), customer_id, placement, channel,
            at, {k: v for k, v in context.items() if v is not None},
        )  # fmt: skip
        return decision_id, items

    def bid(self, request: BidRequest, *, now: float | None = None) -> Bid:
        """An ad bid multiplier and its reasons (``now``: epoch seconds, default the clock)."""
        return self.bidder.bid(request, now=time.time() if now is None else now)

    # -- Decide: next best action -----------------------------------------------------------

    def decide(
        self,
        customer_id: CustomerId,
        *,
        placement: str,
        channel: str = "web",
        limit: int | None = None,
        context: Mapping[str, str] | None = None,
        now: datetime | None = None,
    ) -> Answer:
        """Every eligible action for the customer, ranked, each with reason and propensity;
        recorded in the decisions log (with ``context``: what the request was about) and,
        when there are actions, as an exposure, under the answer's decision id."""
        at = now or utcnow()
        answer = decide_for(
            self.decide_state, customer_id, placement=placement, channel=channel, now=at,
            limit=limit,
        )  # fmt: skip
        self._decided(answer.decision, customer_id, placement, channel, at, context or {})
        return answer

    def _decided(
        self, decision: Decision, customer_id: CustomerId, placement: str, channel: str,
        at: datetime, context: Mapping[str, str],
    ) -> None:  # fmt: skip
        """Log a decision of the decide service or of a trigger (``trigger:<id>``)."""
        self._log_decision(decision, customer_id, placement, channel, at, context)
        if self.exposures is not None and decision.actions:
            self.exposures.record(Exposure(
                decision.decision_id, customer_id, placement, channel,
                tuple(ProductId(a.arm) for a in decision.actions),
                tuple(a.reason for a in decision.actions), decision.policy, at,
                tuple(a.propensity for a in decision.actions),
            ))  # fmt: skip

    def _log_decision(
        self, decision: Decision, customer_id: CustomerId, placement: str, channel: str,
        at: datetime, context: Mapping[str, str],
    ) -> None:  # fmt: skip
        arms = self.experiments.arms_of(customer_id, placement=placement, at=at)
        self.decisions.record(LoggedDecision.of(
            decision, customer_id, placement=placement, channel=channel, at=at,
            context=context, experiments=arms,
        ))  # fmt: skip

    def decision(self, decision_id: str) -> LoggedDecision | None:
        """The logged decision (an answer of :meth:`decide`, :meth:`recommend` or a trigger)."""
        return self.decisions.get(decision_id)

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


@contextlib.contextmanager
def _closed_if_failing(closers: Sequence[Callable[[], None]]) -> Iterator[None]:
    """Close the stores opened for an engine whose construction fails (a broken setting):
    their writer and poll threads and connections would outlive it."""
    try:
        yield
    except BaseException:
        for close in closers:
            with contextlib.suppress(Exception):
                close()
        raise


def _collector_processes(settings: Settings, log: SQLiteEventLog) -> list[RemoteCollector]:
    """The embedded backend's collector processes (see ``Settings.collectors``)."""
    from shopstream.storage.sqlite.collector_process import command

    count = settings.collectors
    if count is None:
        # Two: while one waits for its commit's fsync, the other parses (on two CPUs, a median
        # of 24,150 events/s through /v1/batch against 19,330 with one; three were no better).
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        count = 2 if (cpus or 1) >= 2 else 0
    run = command(
        log.path, fsync=settings.fsync, max_event_bytes=settings.max_event_bytes,
        phone_region=settings.phone_region,
    )  # fmt: skip
    return [RemoteCollector(run, on_append=log.notice, name=f"collector-{n}") for n in range(count)]


def _is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)
