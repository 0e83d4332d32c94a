"""Triggers as a stream processor: :class:`LiveDecide`.

It is a member of the engine's :class:`~shopstream.log.Fanout` (saved and restored with the
rest of the state, at the same offset) and is told of every event, operator changes
included, by :class:`~shopstream.profiles.live.LiveState` right after that event is applied
(:meth:`observe`): so it sees each event with the profile, catalog and resolved customer as
of that event, whatever the slices the consumer reads, and a replay makes the same choices.

Everything it acts on comes from the log: the configuration (a ``Decide Config Set`` admin
event carries each new YAML text), the clock (the latest ``receivedAt``; ``Clock Ticked``
admin events move it when no traffic does), stock and prices. An activation's key is the
trigger, the event that caused it and the customer, so a replay writes nothing new to the
outbox; the caps, budgets, timers, segment memberships and bandit it keeps are saved with
the state.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson

from shopstream.core import CustomerId, Offset, ProductId
from shopstream.decide.activation import Activation, ActivationSink
from shopstream.decide.chooser import Chooser, context_features
from shopstream.decide.config import DecideConfig, Offer, Trigger, TriggerType
from shopstream.decide.decision import Decision, DecisionId
from shopstream.decide.eligibility import Verdict, judge, local_day, time_zone
from shopstream.decide.errors import InvalidConfig
from shopstream.decide.facts import Facts, RecentEvents
from shopstream.decide.ledger import Ledger
from shopstream.decide.timers import Timer, Timers
from shopstream.decide.watchlist import Watchlist
from shopstream.events import ADMIN_SOURCE, AdminEvent, EventName, Message
from shopstream.profiles.live import LiveState

logger = logging.getLogger(__name__)

Decided = Callable[[Decision, CustomerId, str, str, datetime, Mapping[str, str]], None]
"""Told of every decision made (customer, placement, channel, time, context: what it was
about): exposures and the decisions log."""

_DAY = 86400.0
_EXPIRE_EVERY = 10_000
_STOCK_EVENTS = frozenset({EventName.INVENTORY_UPDATED, EventName.ORDER_COMPLETED})


def decision_id_for(key: str) -> DecisionId:
    """The decision id of a triggered activation: a function of its key, for replays."""
    return DecisionId("d_" + hashlib.sha256(key.encode()).hexdigest()[:32])


class LiveDecide:
    """Triggers, segments, caps, budgets and the bandit, kept from the log.

    Args:
        live: the live state whose observer calls :meth:`observe`.
        sink: where activations go (the deliver domain's outbox).
        decided: told of every decision, for exposures.
    """

    name = "decide"

    def __init__(
        self, live: LiveState, sink: ActivationSink, *, decided: Decided | None = None
    ) -> None:
        self._live = live
        self.sink = sink
        self._decided = decided
        self.config = DecideConfig.build({})
        self.chooser = Chooser(self.config.offers_file.policy)
        self.timers = Timers()
        self.ledger = Ledger()
        self.recent = RecentEvents()
        self.watch = Watchlist()
        self.members: dict[str, set[CustomerId]] = {}
        self.open_rewards: dict[CustomerId, list[str]] = {}
        self.stats: Counter[str] = Counter()  # a view: fired and skipped, by reason
        # A view too: the latest segment entries and exits (time, customer, segment, which).
        self.transitions: deque[tuple[float, CustomerId, str, str]] = deque(maxlen=200)
        self._offset = Offset(0)
        self._since_expiry = 0

    # -- Processor --------------------------------------------------------------------------

    @property
    def offset(self) -> Offset:
        return self._offset

    def apply(self, events: Iterable[tuple[Offset, Message]]) -> None:
        """Advance the offset; the events themselves came through :meth:`observe`."""
        for offset, _ in events:
            if offset > self._offset:
                self._offset = offset

    def dump(self) -> bytes:
        return orjson.dumps(
            {
                "offset": self._offset,
                "config": dict(self.config.texts),
                # stdlib json: a numpy generator's state holds 128-bit integers
                "policy": json.dumps(self.chooser.to_snapshot()),
                "timers": self.timers.to_snapshot(),
                "ledger": self.ledger.to_snapshot(),
                "recent": self.recent.to_snapshot(),
                "watch": self.watch.to_snapshot(),
                "members": {s: sorted(m) for s, m in self.members.items()},
                "open_rewards": self.open_rewards,
            }
        )

    def load(self, state: bytes) -> None:
        data = orjson.loads(state)
        self._offset = Offset(data["offset"])
        self.config = DecideConfig.build(data["config"])
        self.chooser = Chooser(self.config.offers_file.policy, json.loads(data["policy"]))
        self.timers = Timers.from_snapshot(data["timers"])
        self.ledger = Ledger.from_snapshot(data["ledger"])
        self.recent = RecentEvents.from_snapshot(data["recent"])
        self.watch = Watchlist.from_snapshot(data["watch"])
        self.members = {s: {CustomerId(c) for c in m} for s, m in data["members"].items()}
        self.open_rewards = {CustomerId(c): list(k) for c, k in data["open_rewards"].items()}

    # -- the stream ---------------------------------------------------------------------------

    @property
    def clock(self) -> float:
        return self._live.clock.timestamp()

    def observe(self, offset: Offset, message: Message, customer_id: CustomerId | None) -> None:
        """Act on one event, applied to the live state just before."""
        if offset <= self._offset:
            return
        now = self.clock
        for timer in self.timers.due(now):
            self._on_timer(timer)
        if message.source == ADMIN_SOURCE:
            self._on_admin(message)
        elif customer_id is None:
            if self.watch.wishers and message.type == "track" and message.event in _STOCK_EVENTS:
                self._check_stock(message)
        else:
            self._on_event(message, customer_id, now)
        self._since_expiry += 1
        if self._since_expiry >= _EXPIRE_EVERY:
            self._expire(now)

    def _on_admin(self, message: Message) -> None:
        props: dict[str, Any] = message.properties
        if message.event == AdminEvent.DECIDE_CONFIG_SET:
            self._set_config(props["texts"])
        elif message.event == AdminEvent.STOCK_SET:
            for _, product, _ in props["levels"]:
                self._restock(ProductId(product), message)
        elif message.event == AdminEvent.PRODUCTS_UPSERTED:
            for product in props["products"]:
                price = product.get("price")
                if isinstance(price, (int, float)):
                    self._reprice(ProductId(product["id"]), float(price), message)

    def _set_config(self, texts: dict[str, str]) -> None:
        try:
            config = DecideConfig.build({**self.config.texts, **texts})
        except InvalidConfig as exc:  # validated before it was logged; a newer rule may differ
            logger.error("logged configuration no longer validates, kept the old: %s", exc)
            return
        if config.offers_file.policy != self.config.offers_file.policy:
            self.chooser = Chooser(config.offers_file.policy)
        self.config = config
        self.recent.tracked = config.counted
        for segment in list(self.members):
            if segment not in config.segments:
                del self.members[segment]

    def _on_event(self, message: Message, customer_id: CustomerId, now: float) -> None:
        profile = self._live.profiles.get(customer_id)
        event = message.event if message.type == "track" else None
        if event is not None:
            self.recent.record(customer_id, event, now)
            if event == self.config.offers_file.policy.reward_event:
                self._reward(customer_id, 1.0)
            if self.watch.wishers:  # only wished-for products are watched
                if event in _STOCK_EVENTS:
                    self._check_stock(message)
                self._check_prices(message)
            for trigger in self.config.cancelled_by.get(event, ()):
                self.timers.cancel("absence", trigger.id, customer_id)
        if profile is not None and (profile.wishlist or customer_id in self.watch.wishes):
            catalog = self._live.catalog
            wished = profile.wishlist or []
            self.watch.update(
                customer_id,
                profile.wishlist,
                {p: _total_stock(catalog.stock_by_location(p)) for p in wished},
                {p: getattr(catalog.product(p), "price", None) for p in wished},
            )
        started = self.config.started_by.get(event, ()) if event is not None else ()
        if not (self.config.segment_rules or started):
            return  # nothing reads this customer's facts: do not build them
        facts = self.facts(customer_id, now, message)
        for segment, entered in self._segments(customer_id, facts):
            self.transitions.append((now, customer_id, segment, "enter" if entered else "exit"))
            for trigger in self.config.triggers:
                if (
                    trigger.type is TriggerType.SEGMENT_ENTRY
                    and trigger.segment == segment
                    and (trigger.transition == "enter") == entered
                ):
                    self._fire(trigger, customer_id, message.message_id, {"segment": segment})
        for trigger in started:
            condition = self.config.conditions.get(trigger.id)
            if condition is not None and not condition(facts):
                self.stats[f"{trigger.id}: condition false"] += 1
                continue
            if trigger.type is TriggerType.EVENT:
                self._fire(trigger, customer_id, message.message_id, _about(message))
            elif trigger.type is TriggerType.ABSENCE:
                if trigger.restart or not self.timers.armed("absence", trigger.id, customer_id):
                    self.timers.arm(
                        now + (trigger.within or 0.0), "absence", trigger.id, customer_id,
                        message.message_id or "", _about(message),
                    )  # fmt: skip
            elif trigger.type is TriggerType.PROXIMITY:
                self._proximity(trigger, customer_id, message)

    def _proximity(self, trigger: Trigger, customer_id: CustomerId, message: Message) -> None:
        props = message.properties
        store_id, zone_id = props.get("store_id"), props.get("zone_id")
        store = self._live.catalog.store(store_id) if store_id else None
        zone = store.zone(zone_id) if store is not None and zone_id else None
        profile = self._live.profiles.get(customer_id)
        if zone is None or profile is None or profile.categories is None:
            self.stats[f"{trigger.id}: unknown zone or no affinities"] += 1
            return
        half_life = self._live.profiles.rules.affinity_half_life.total_seconds()
        top = profile.categories.top(self.clock, half_life, trigger.top_categories)
        total = sum(profile.categories.values) or 1.0
        for key, score in top:
            path = tuple(key.split("/"))
            if score / total >= trigger.min_affinity and zone.depth_for(path) > 0:
                about = {"store_id": store_id, "zone_id": zone_id, "zone": zone.name,
                         "category": key, "affinity": round(score / total, 4)}  # fmt: skip
                self._fire(trigger, customer_id, message.message_id, about)
                return
        self.stats[f"{trigger.id}: zone not among the customer's affinities"] += 1

    def _segments(self, customer_id: CustomerId, facts: Facts) -> list[tuple[str, bool]]:
        changes: list[tuple[str, bool]] = []
        for segment, rule in self.config.segment_rules.items():
            members = self.members.setdefault(segment, set())
            inside = bool(rule(facts))
            if inside != (customer_id in members):
                if inside:
                    members.add(customer_id)
                else:
                    members.discard(customer_id)
                changes.append((segment, inside))
        return changes

    def segments_of(self, customer_id: CustomerId) -> list[str]:
        return sorted(s for s, m in self.members.items() if customer_id in m)

    # -- stock and prices -------------------------------------------------------------------

    def _check_stock(self, message: Message) -> None:
        props = message.properties
        products = [props.get("product_id")] + [
            line.get("product_id") for line in props.get("products") or ()
        ]
        for product in products:
            if product is not None:
                self._restock(ProductId(product), message)

    def _restock(self, product: ProductId, message: Message) -> None:
        if product not in self.watch.wishers:
            return
        quantity = _total_stock(self._live.catalog.stock_by_location(product))
        if not self.watch.restocked(product, quantity):
            return
        for trigger in self.config.triggers:
            if trigger.type is TriggerType.BACK_IN_STOCK:
                for customer in sorted(self.watch.wishers.get(product, ())):
                    about = {"product_id": product, "quantity": quantity}
                    self._fire(trigger, customer, message.message_id, about)

    def _check_prices(self, message: Message) -> None:
        props = message.properties
        for line in (props, *(props.get("products") or ())):
            product, price = line.get("product_id"), line.get("price")
            if product is not None and isinstance(price, (int, float)) and price >= 0:
                self._reprice(ProductId(product), float(price), message)

    def _reprice(self, product: ProductId, price: float, message: Message) -> None:
        if product not in self.watch.wishers:
            return
        before = self.watch.repriced(product, price)
        if before is None:
            return
        for trigger in self.config.triggers:
            if trigger.type is TriggerType.PRICE_DROP and price <= before * (1 - trigger.min_drop):
                for customer in sorted(self.watch.wishers.get(product, ())):
                    about = {"product_id": product, "old_price": before, "price": price}
                    self._fire(trigger, customer, message.message_id, about)

    # -- firing -----------------------------------------------------------------------------

    def _on_timer(self, timer: Timer) -> None:
        if timer.kind == "reward":
            keys = self.open_rewards.get(timer.customer_id, [])
            if timer.trigger_id in keys:
                keys.remove(timer.trigger_id)
                if not keys:
                    del self.open_rewards[timer.customer_id]
            self.chooser.update(dict(timer.data["features"]), timer.data["arm"], 0.0)
            return
        trigger = next((t for t in self.config.triggers if t.id == timer.trigger_id), None)
        if trigger is not None:
            self._fire(trigger, timer.customer_id, timer.message_id, timer.data)

    def _reward(self, customer_id: CustomerId, reward: float) -> None:
        for key in self.open_rewards.pop(customer_id, []):
            for timer_data in self._reward_data(key, customer_id):
                self.chooser.update(dict(timer_data["features"]), timer_data["arm"], reward)

    def _reward_data(self, key: str, customer_id: CustomerId) -> list[dict[str, Any]]:
        timer = self.timers.take("reward", key, customer_id)
        return [dict(timer.data)] if timer is not None else []

    def facts(self, customer_id: CustomerId, now: float, message: Message | None) -> Facts:
        live = self._live
        profile = live.profiles.get(customer_id)
        default = self.config.offers_file.eligibility.timezone
        members = self.members
        return Facts(
            customer_id, profile, now=now, rules=live.profiles.rules,
            zone=lambda: time_zone(profile, live.catalog, default),
            recent=self.recent, message=message,
            segments=lambda s: customer_id in members.get(s, ()),
            price=lambda p: getattr(live.catalog.product(ProductId(p)), "price", None),
        )  # fmt: skip

    def verdicts(
        self, offers: Iterable[Offer], channels: tuple[str, ...], facts: Facts
    ) -> list[Verdict]:
        customer_id = facts.customer_id
        members = self.members
        return [
            judge(
                offer,
                channels,
                facts,
                config=self.config,
                ledger=self.ledger,
                catalog=self._live.catalog,
                in_segment=lambda s: customer_id in members.get(s, ()),
            )
            for offer in offers
        ]

    def _fire(
        self,
        trigger: Trigger,
        customer_id: CustomerId,
        message_id: str | None,
        about: dict[str, Any],
    ) -> None:
        now = self.clock
        last = self.ledger.last_fired(trigger.id, customer_id)
        if (
            trigger.suppress_for is not None
            and last is not None
            and now - last < trigger.suppress_for
        ):
            self.stats[f"{trigger.id}: suppressed (cool-down)"] += 1
            return
        facts = self.facts(customer_id, now, None)
        offers = [self.config.offers[o] for o in trigger.offers]
        verdicts = self.verdicts(offers, tuple(trigger.channels), facts)
        eligible = {v.offer_id: v for v in verdicts if v.eligible}
        if not eligible:
            for verdict in verdicts:
                # the kind of reason, not its figures: the counter's keys stay few
                for reason in verdict.reason.split("; "):
                    self.stats[f"{trigger.id}: {reason.split(' (')[0]}"] += 1
            logger.debug("trigger %s for %s: nothing eligible", trigger.id, customer_id)
            return
        key = f"{trigger.id}:{message_id or ''}:{customer_id}"
        first_channel = next(iter(eligible.values())).channels[0]
        features = context_features(facts, first_channel)
        ranking = self.chooser.rank(features, list(eligible))
        chosen = ranking.actions[0]
        offer = self.config.offers[chosen.arm]
        channel = eligible[chosen.arm].channels[0]
        decision_id = decision_id_for(key)
        at = datetime.fromtimestamp(now, UTC)
        payload = {
            "trigger": {"id": trigger.id, "type": str(trigger.type), **about},
            "offer": {"id": offer.id, "content": offer.content,
                      "discount": self.config.discounts[offer.id]},
            "reason": f"{trigger.type} trigger {trigger.id}; {chosen.reason}",
            "propensity": chosen.propensity,
            "policy": ranking.policy,
            "ranked": [{"id": a.arm, "propensity": a.propensity, "score": a.score} for a in ranking.actions],
        }  # fmt: skip
        activation = Activation(
            key, customer_id, channel, str(offer.kind), trigger.id, offer.id, decision_id,
            payload, at,
        )  # fmt: skip
        self.sink.put([activation])
        self.ledger.record(customer_id, channel, local_day(now, facts.zone), offer.id, offer.cost)
        self.ledger.fire(trigger.id, customer_id, now)
        window = self.config.offers_file.policy.reward_window
        self.timers.arm(now + window, "reward", key, customer_id, message_id or "",
                        {"arm": offer.id, "features": features})  # fmt: skip
        self.open_rewards.setdefault(customer_id, []).append(key)
        self.stats[f"{trigger.id}: fired"] += 1
        if self._decided is not None:
            decision = Decision.from_ranking(decision_id, ranking)
            context = {name: str(value) for name, value in about.items()}
            self._decided(decision, customer_id, f"trigger:{trigger.id}", channel, at, context)

    def _expire(self, now: float) -> None:
        self._since_expiry = 0
        oldest = datetime.fromtimestamp(now - 2 * _DAY, UTC).date().isoformat()
        longest = max((t.suppress_for or 0.0 for t in self.config.triggers), default=0.0)
        self.ledger.expire(oldest, now - longest)


def _total_stock(levels: dict[Any, int]) -> int:
    return sum(q for q in levels.values() if q > 0)


def _about(message: Message) -> dict[str, Any]:
    """What the activation says about the event that caused it."""
    props = message.properties
    about: dict[str, Any] = {"event": message.event}
    for key in ("product_id", "store_id", "zone_id", "order_id", "category"):
        if key in props:
            about[key] = props[key]
    return about
