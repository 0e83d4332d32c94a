"""The simulator: shoppers' sessions over time, as a time-ordered stream of raw events.

Sessions start as a Poisson process per shopper whose rate follows the
:class:`~shopstream.simulate.rhythm.DailyRhythm` in the shopper's local time; each session
goes to the web, the app or the home store by the shopper's habits (stores only while open;
some web sessions begin with an ad click). Campaign sends go out at their local hour, and
opens arrive over the following hours. Stores and the online warehouse are restocked to
their opening levels every morning (``Inventory Updated``). :class:`Simulator` is pure: it
yields ``(when, raw event)`` pairs and leaves sending them to the caller.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from functools import partial
from itertools import accumulate
from zoneinfo import ZoneInfo

from shopstream.catalog import ONLINE, Product
from shopstream.events import Channel
from shopstream.simulate.behaviour import Behaviour
from shopstream.simulate.campaigns import CAMPAIGNS, Campaign, Send
from shopstream.simulate.catalogue import Catalogue
from shopstream.simulate.datasets import RawEvent
from shopstream.simulate.response import acceptance
from shopstream.simulate.rhythm import DailyRhythm
from shopstream.simulate.sdks import iso
from shopstream.simulate.shoppers import Shopper
from shopstream.simulate.visit import TimedEvent, millis

_HOUR = timedelta(hours=1)
_AD_SHARE = 0.12  # web sessions that start with an ad click, among shoppers open to ads
_PUSH_BIAS = -2.5  # log-odds of opening a push for a product of average affinity


class Simulator:
    """Shoppers shopping, from ``start``, as raw Segment events in time order.

    Args:
        seed: the same seed (with the same catalogue and shoppers) gives the same events,
            ``messageId`` included; ``None`` draws one.
        catalogue: products, stores and opening stock.
        shoppers: who shops.
        start: when the simulation starts (timezone-aware).
        speed: simulated seconds per real second in :meth:`events`' schedule.
        rhythm: when shoppers are active.
        campaigns: the recurring email and push sends.

    Examples:
        >>> from datetime import UTC
        >>> from shopstream.simulate.catalogue import generate_catalogue
        >>> from shopstream.simulate.shoppers import generate_shoppers
        >>> catalogue = generate_catalogue(seed=5)
        >>> shoppers = generate_shoppers(catalogue, 200, seed=5)
        >>> start = datetime(2026, 3, 2, tzinfo=UTC)
        >>> sim = Simulator(5, catalogue, shoppers, start, speed=60.0)
        >>> due, raw = next(sim.events(timedelta(days=1)))
        >>> raw["timestamp"] == iso(start + (due - start) * 60)
        True
        >>> due, raw = next(sim.live(rate=10.0))
        >>> due == start and raw["timestamp"] == iso(start)
        True
    """

    def __init__(
        self,
        seed: int | None,
        catalogue: Catalogue,
        shoppers: Sequence[Shopper],
        start: datetime,
        speed: float = 1.0,
        *,
        rhythm: DailyRhythm | None = None,
        campaigns: Sequence[Campaign] = CAMPAIGNS,
    ) -> None:
        if start.tzinfo is None:
            msg = f"start must be timezone-aware; got {start!r}"
            raise ValueError(msg)
        if not (math.isfinite(speed) and speed > 0):
            msg = f"speed must be a positive number; got {speed!r}"
            raise ValueError(msg)
        self.seed = random.Random().getrandbits(64) if seed is None else seed
        self.catalogue = catalogue
        self.shoppers = tuple(shoppers)
        self.start = start
        self.speed = speed
        self.rhythm = rhythm or DailyRhythm()
        self.campaigns = tuple(campaigns)

    def events(self, duration: timedelta | None = None) -> Iterator[tuple[datetime, RawEvent]]:
        """``(due, raw)`` for the events of ``duration`` of simulated time (or forever).

        Each event's ``timestamp`` is when it happens on the simulated clock, which runs
        ``speed`` times faster than real time from ``start``; ``due`` is the real time to
        send it: ``start + (timestamp - start) / speed``. At speed 1 they are equal. A
        sender that stamps ``sentAt`` with the simulated time of sending lets the
        collector's clock-skew correction put the events on the real clock.
        """
        end = None if duration is None else self.start + duration
        for at, raw in self._stream(end):
            yield self.start + (at - self.start) / self.speed, raw

    def live(self, rate: float) -> Iterator[tuple[datetime, RawEvent]]:
        """An endless stream at ``rate`` events per second from ``start``, for demos and load.

        The k-th event is due at ``start + k / rate`` (to the millisecond) and is stamped
        with that time; the events are the simulation's, in its order, so sessions stay
        coherent while the simulated clock runs as fast as the rate needs.

        Raises:
            ValueError: ``rate`` is not a positive number.
        """
        if not (math.isfinite(rate) and rate > 0):
            msg = f"rate must be a positive number of events per second; got {rate!r}"
            raise ValueError(msg)
        return self._paced(rate)

    def _paced(self, rate: float) -> Iterator[tuple[datetime, RawEvent]]:
        for k, (_, raw) in enumerate(self._stream(None)):
            due = millis(self.start + timedelta(seconds=k / rate))
            raw["timestamp"] = iso(due)
            yield due, raw

    def _stream(self, end: datetime | None) -> Iterator[TimedEvent]:
        """Events in time order: every session starting before a window's end is played
        before the window's events are released, and no event precedes its session."""
        run = _Run(self)
        window = self.start
        while end is None or window < end:
            horizon = window + _HOUR
            run.schedule(window, horizon)
            for at, raw in run.release(horizon):
                if end is not None and at >= end:
                    return
                yield at, raw
            window = horizon


class _Run:
    """The state of one pass of a simulation: its RNG, behaviour, and pending work."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.rng = random.Random(sim.seed)
        self.behaviour = Behaviour(sim.catalogue, seed=self.rng.getrandbits(64))
        self.starts: list[tuple[datetime, int, str, Callable[[], list[TimedEvent]]]] = []
        self.busy: dict[str, datetime] = {}
        self.pending: list[tuple[datetime, int, RawEvent]] = []
        self.sequence = 0
        self.sends: dict[tuple[str, date], Send] = {}
        self.sent: set[tuple[str, str, date]] = set()
        by_zone: dict[str, list[Shopper]] = {}
        for shopper in sim.shoppers:
            by_zone.setdefault(shopper.timezone, []).append(shopper)
        self.zones = [
            (ZoneInfo(name), members, list(accumulate(s.sessions_per_day for s in members)))
            for name, members in by_zone.items()
        ]

    def schedule(self, window: datetime, horizon: datetime) -> None:
        """Draw the sessions, campaign opens and deliveries that start in
        ``[window, horizon)``."""
        self._deliveries(window)
        for tz, shoppers, cumulative in self.zones:
            local = window.astimezone(tz)
            per_hour = cumulative[-1] / 24 * self.sim.rhythm.intensity(local)
            at = window
            while per_hour > 0:
                at += timedelta(hours=self.rng.expovariate(per_hour))
                if at >= horizon:
                    break
                shopper = self.rng.choices(shoppers, cum_weights=cumulative)[0]
                self._start(at, shopper.id, self._session(shopper, at))
            for campaign in self.sim.campaigns:
                # The set keeps a send single when clocks go back and an hour repeats.
                key = (campaign.id, str(tz), local.date())
                if campaign.due(local) and key not in self.sent:
                    self.sent.add(key)
                    self._campaign(campaign, local.date(), window, shoppers)

    def _deliveries(self, window: datetime) -> None:
        """Restock each store (and, with the first store's, the online warehouse) daily,
        two hours before opening."""
        for index, store in enumerate(self.sim.catalogue.stores):
            local = window.astimezone(ZoneInfo(store.timezone))
            key = ("restock", str(store.id), local.date())
            if local.hour != max(0, self.sim.rhythm.opens - 2) or key in self.sent:
                continue
            self.sent.add(key)
            locations = (store.id, ONLINE) if index == 0 else (store.id,)
            for location in locations:
                play = partial(self.behaviour.restock, location, window)
                self._start(window, f"stock:{location}", play)

    def release(self, horizon: datetime) -> Iterator[TimedEvent]:
        """Play the sessions that start before ``horizon`` and yield the events before it.

        A shopper does one thing at a time: a session that would start while their
        previous one is still going does not happen.
        """
        while self.starts and self.starts[0][0] < horizon:
            start, _, who, play = heapq.heappop(self.starts)
            if who in self.busy and start <= self.busy[who]:
                continue
            events = play()
            self.busy[who] = events[-1][0] if events else start
            for at, raw in events:
                self.sequence += 1
                heapq.heappush(self.pending, (at, self.sequence, raw))
        while self.pending and self.pending[0][0] < horizon:
            at, _, raw = heapq.heappop(self.pending)
            yield at, raw

    def _start(self, at: datetime, who: str, play: Callable[[], list[TimedEvent]]) -> None:
        """Queue a visit by ``who`` (a shopper, or the stock system of a location)."""
        self.sequence += 1
        heapq.heappush(self.starts, (at, self.sequence, who, play))

    def _session(self, shopper: Shopper, at: datetime) -> Callable[[], list[TimedEvent]]:
        habits = dict(shopper.channels)
        if not self.sim.rhythm.is_open(at.astimezone(ZoneInfo(shopper.timezone))):
            habits[Channel.STORE] = 0.0
        channels = [channel for channel, weight in habits.items() if weight > 0]
        if not channels:
            return _stays_home  # a store-only shopper while the store is closed
        channel = self.rng.choices(channels, weights=[habits[c] for c in channels])[0]
        if channel is Channel.STORE:
            store = self.sim.catalogue.store(shopper.home_store)
            return partial(self.behaviour.store_visit, shopper, at, store)
        if channel is Channel.WEB and shopper.consent.get("ads") and self.rng.random() < _AD_SHARE:
            return partial(self.behaviour.ad, shopper, at)
        return partial(self.behaviour.online, shopper, at, channel=channel)

    def _campaign(
        self, campaign: Campaign, day: date, window: datetime, shoppers: Sequence[Shopper]
    ) -> None:
        send = self._send(campaign, day)
        for shopper in shoppers:
            if not campaign.reaches(shopper):
                continue
            if campaign.channel is Channel.EMAIL:
                if self.rng.random() >= campaign.open_rate:
                    continue
                delay = self.rng.lognormvariate(math.log(1.5), 1.0)
                at = window + timedelta(hours=min(delay, 48.0))
                self._start(at, shopper.id, partial(self.behaviour.email, shopper, at, send))
            else:
                opened = acceptance(
                    shopper.taste, send.products, self.sim.catalogue, bias=_PUSH_BIAS
                )
                if self.rng.random() >= opened:
                    continue
                at = window + timedelta(minutes=self.rng.expovariate(1 / 20))
                self._start(at, shopper.id, partial(self.behaviour.push, shopper, at, send))

    def _send(self, campaign: Campaign, day: date) -> Send:
        """The send of a campaign on a local date: the same in every time zone."""
        key = (campaign.id, day)
        send = self.sends.get(key)
        if send is None:
            departments = sorted({p.category[0] for p in self.sim.catalogue.products if p.category})
            department = departments[day.toordinal() % len(departments)] if departments else ""
            pool = [
                p for p in self.sim.catalogue.products if p.category[:1] == (department,)
            ] or list(self.sim.catalogue.products)
            products: tuple[Product, ...] = tuple(
                self.rng.sample(pool, k=min(len(pool), campaign.items))
            )
            headline = f"{campaign.name}: {department}" if department else campaign.name
            send = self.sends[key] = Send(
                campaign, f"{campaign.id}-{day.isoformat()}", headline, products
            )
        return send


def _stays_home() -> list[TimedEvent]:
    return []
