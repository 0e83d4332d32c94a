"""Forward exponential decay: decayed sums that are exact whatever the order of updates.

A weight ``w`` observed at ``t`` is stored as ``w * 2**((t - landmark) / half_life)``. Sums
of stored values then compare and rank exactly like the decayed values they stand for, at
any moment, with no per-update multiplication of everything already stored; only reading
a value as of a moment divides by that moment's factor. When factors would grow too large
the landmark moves forward and the owner rescales what it holds by :meth:`advance`'s factor.
"""

from __future__ import annotations

import math

_MAX_EXPONENT = 256.0  # 2**256 is far from overflow, and rescaling then is very rare


class ForwardDecay:
    """The forward factors of one half-life (``math.inf`` never decays).

    Examples:
        >>> clock = ForwardDecay(half_life=60.0)
        >>> stored = 4.0 * clock.factor(0.0) + 1.0 * clock.factor(60.0)
        >>> clock.value(stored, at=120.0)
        1.5
    """

    __slots__ = ("half_life", "landmark")

    def __init__(self, half_life: float) -> None:
        self.half_life = half_life
        self.landmark: float | None = None

    def factor(self, at: float) -> float:
        """The multiplier of a weight observed at ``at`` (the first call sets the landmark)."""
        if self.landmark is None:
            self.landmark = at
        return math.exp2((at - self.landmark) / self.half_life)

    def value(self, stored: float, at: float) -> float:
        """A stored sum as its decayed value at ``at``."""
        if self.landmark is None:
            return stored
        return stored * math.exp2(-(at - self.landmark) / self.half_life)

    def advance(self, at: float) -> float:
        """Move the landmark to ``at`` if factors there would be too large.

        Returns:
            The factor every stored value must be multiplied by: 1.0 when nothing moved.
        """
        if self.landmark is None or (at - self.landmark) / self.half_life < _MAX_EXPONENT:
            return 1.0
        rescale = math.exp2(-(at - self.landmark) / self.half_life)
        self.landmark = at
        return rescale
