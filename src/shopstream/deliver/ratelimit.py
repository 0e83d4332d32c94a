"""Per-channel rate limits: a token bucket that refills at ``rate`` a second up to ``burst``.

The deliverer claims from the outbox only as many entries of a channel as its bucket holds
tokens, so a slow channel never holds leased entries it cannot send in time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shopstream.deliver.errors import InvalidChannelConfig


@dataclass(slots=True)
class TokenBucket:
    """``rate`` sends a second on average, at most ``burst`` at once. Time is given, in
    seconds of any monotonic clock.

    Examples:
        >>> bucket = TokenBucket(rate=2, burst=2, now=0.0)
        >>> bucket.take(5, now=0.0), bucket.take(5, now=0.5), bucket.wait(now=0.5)
        (2, 1, 0.5)
    """

    rate: float
    burst: float
    now: float = 0.0
    _tokens: float = field(init=False)
    _at: float = field(init=False)

    def __post_init__(self) -> None:
        if self.rate <= 0:
            msg = f"rate must be > 0 sends a second; got {self.rate!r}"
            raise InvalidChannelConfig(msg, field="rate")
        if self.burst < 1:
            msg = f"burst must be >= 1; got {self.burst!r}"
            raise InvalidChannelConfig(msg, field="burst")
        self._tokens = float(self.burst)
        self._at = self.now

    def _refill(self, now: float) -> None:
        if now > self._at:
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now

    def available(self, now: float) -> int:
        self._refill(now)
        return int(self._tokens)

    def take(self, wanted: int, now: float) -> int:
        """Take up to ``wanted`` whole tokens; return how many were taken."""
        self._refill(now)
        taken = max(0, min(wanted, int(self._tokens)))
        self._tokens -= taken
        return taken

    def give_back(self, count: int) -> None:
        """Return tokens taken for sends that did not happen (fewer entries were due)."""
        self._tokens = min(self.burst, self._tokens + count)

    def wait(self, now: float) -> float:
        """Seconds until the next whole token."""
        self._refill(now)
        return max(0.0, (1.0 - self._tokens) / self.rate)
