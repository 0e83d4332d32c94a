"""Deterministic shopper traffic for the scale-out tests: shoppers browse anonymously, some
sign in (merging clusters across partitions), add, remove and order."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from shopstream.events import Message, parse_message

START = datetime(2026, 3, 1, 9, tzinfo=UTC)


def traffic(count: int, seed: int = 7, shoppers: int = 60, products: int = 40) -> list[Message]:
    rng = random.Random(seed)
    messages = []
    for i in range(count):
        shopper = rng.randrange(shoppers)
        at = START + timedelta(seconds=i * 7)
        base: dict[str, Any] = {"anonymousId": f"anon-{shopper}", "messageId": f"m-{seed}-{i}",
                                "timestamp": at.isoformat()}  # fmt: skip
        roll = rng.random()
        product = f"p{rng.randrange(products)}"
        if roll < 0.08:
            user = f"user-{shopper // 3}"  # three devices per user: clusters merge
            raw = {**base, "type": "identify", "userId": user,
                   "traits": {"name": f"Name {i}", "tier": rng.choice(["gold", "silver"])}}  # fmt: skip
        elif roll < 0.6:
            raw = {**base, "type": "track", "event": "Product Viewed",
                   "properties": {"product_id": product}}  # fmt: skip
        elif roll < 0.75:
            raw = {**base, "type": "track", "event": "Product Added",
                   "properties": {"product_id": product, "quantity": rng.randint(1, 3)}}  # fmt: skip
        elif roll < 0.82:
            raw = {**base, "type": "track", "event": "Product Removed",
                   "properties": {"product_id": product, "quantity": 1}}  # fmt: skip
        elif roll < 0.9:
            raw = {**base, "type": "track", "event": "Order Completed",
                   "properties": {"order_id": f"o{i}", "total": round(rng.uniform(5, 200), 2),
                                  "products": [{"product_id": product, "quantity": 1}]}}  # fmt: skip
        else:
            raw = {**base, "type": "page", "name": "Home"}
        messages.append(parse_message(raw, source="web", received_at=at))
    return messages
