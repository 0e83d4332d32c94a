"""When to try a failed delivery again: exponential backoff with jitter.

Attempt ``n`` (1 for the first retry) waits ``min(max_seconds, base_seconds * factor **
(n - 1))`` scaled by a uniform draw from ``[1 - jitter, 1]``, so deliverers that failed
together do not retry together. After ``max_attempts`` attempts the entry is a dead letter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from shopstream.deliver.errors import InvalidChannelConfig


@dataclass(frozen=True, slots=True)
class Backoff:
    """The retry schedule.

    Examples:
        >>> schedule = Backoff(base_seconds=1, factor=2, max_seconds=60, jitter=0)
        >>> [schedule.ceiling(n) for n in range(1, 8)]
        [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0]
    """

    base_seconds: float = 1.0
    factor: float = 2.0
    max_seconds: float = 300.0
    jitter: float = 0.5
    max_attempts: int = 8

    def __post_init__(self) -> None:
        checks = (
            ("base_seconds", self.base_seconds > 0, "> 0"),
            ("factor", self.factor >= 1, ">= 1"),
            ("max_seconds", self.max_seconds >= self.base_seconds, ">= base_seconds"),
            ("jitter", 0 <= self.jitter <= 1, "in [0, 1]"),
            ("max_attempts", self.max_attempts >= 1, ">= 1"),
        )
        for name, ok, expected in checks:
            if not ok:
                msg = f"retry.{name} must be {expected}; got {getattr(self, name)!r}"
                raise InvalidChannelConfig(msg, field=f"retry.{name}")

    def ceiling(self, retry: int) -> float:
        """The longest wait before retry number ``retry`` (1-based)."""
        exponent = min(max(retry - 1, 0), 64)  # beyond 2**64 every wait is max_seconds anyway
        return float(min(self.max_seconds, self.base_seconds * self.factor**exponent))

    def delay(self, retry: int, rng: random.Random) -> float:
        """The wait before retry number ``retry``: its ceiling times a draw in
        ``[1 - jitter, 1]``."""
        return self.ceiling(retry) * (1.0 - self.jitter * rng.random())

    def gives_up(self, attempts: int) -> bool:
        """Whether ``attempts`` failed attempts make a dead letter."""
        return attempts >= self.max_attempts
