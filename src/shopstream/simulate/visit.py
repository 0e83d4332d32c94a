"""One session being written: its clock, the device that reports it, and its events.

A :class:`Visit` advances a clock by human-looking pauses (lognormal around a median) and
turns each step into the message its sender would send: a ``screen`` in the app, a ``page``
with analytics.js's page fields on the web, ``track`` and ``identify`` calls in between.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta

from shopstream.catalog import Product
from shopstream.events import EventName, MessageType
from shopstream.simulate.datasets import RawEvent
from shopstream.simulate.sdks import SITE, Sender

TimedEvent = tuple[datetime, RawEvent]
"""A raw event and the moment it happens (its ``timestamp``)."""


class Visit:
    """One session being written: its clock, its sender, the current page, its events.

    ``web`` says the sender is analytics.js on a web page: views are ``page`` calls and
    every message carries the current ``context.page``; otherwise views are app screens. A
    visit without a sender is one no device reports (a store walk without the app): its
    clock runs, and nothing is sent.
    """

    __slots__ = ("at", "events", "page", "rng", "sender", "web")

    def __init__(
        self, sender: Sender | None, at: datetime, rng: random.Random, *, web: bool = False
    ) -> None:
        self.sender = sender
        self.at = millis(at)
        self.rng = rng
        self.web = web
        self.page: dict[str, str] | None = None
        self.events: list[TimedEvent] = []

    def wait(self, median_seconds: float) -> None:
        seconds = max(0.05, self.rng.lognormvariate(math.log(median_seconds), 0.6))
        self.at = millis(self.at + timedelta(seconds=seconds))

    def _emit(self, kind: MessageType, **body: object) -> None:
        if self.sender is not None:
            message_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
            page = self.page if self.web else None
            raw = self.sender.message(kind, at=self.at, message_id=message_id, page=page, **body)
            self.events.append((self.at, raw))
        self.at += timedelta(milliseconds=1 + self.rng.randrange(400))

    def track(self, event: EventName, properties: Mapping[str, object]) -> None:
        self._emit(MessageType.TRACK, event=str(event), properties=dict(properties))

    def identify(self, traits: Mapping[str, object]) -> None:
        self._emit(MessageType.IDENTIFY, traits=dict(traits))

    def view(self, screen: str, path: str, title: str, properties: Mapping[str, object]) -> None:
        """A ``screen`` in the app, a ``page`` on the web (analytics.js's page fields)."""
        if not self.web:
            self._emit(MessageType.SCREEN, name=screen, properties=dict(properties))
            return
        bare, _, query = path.partition("?")
        referrer = self.page["url"] if self.page else ""
        self.page = {
            "path": bare,
            "referrer": referrer,
            "search": f"?{query}" if query else "",
            "title": f"{title} | Shopstream",
            "url": SITE + path,
        }
        self._emit(MessageType.PAGE, name=screen, properties=dict(self.page))


def product_properties(product: Product) -> dict[str, object]:
    """A product as the e-commerce spec describes it in events."""
    item: dict[str, object] = {
        "product_id": product.id,
        "name": product.name,
        "category": " > ".join(product.category),
        "price": product.price,
        "url": f"{SITE}/p/{product.id}",
    }
    if product.brand:
        item["brand"] = product.brand
    colour = product.attributes.get("colour")
    if colour is not None:
        item["variant"] = colour
    return item


def millis(moment: datetime) -> datetime:
    """The moment truncated to the millisecond, the precision of an ISO timestamp sent."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
