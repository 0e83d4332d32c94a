"""A simulated offer world for testing and evaluating policies: shoppers with hidden tastes.

Five offers (10 % off kitchen, free shipping, 20 % off fashion, double loyalty points, a
bundle) are shown to shoppers whose features (category affinities, purchase intent,
recency, loyalty membership, channel, hour of day) are drawn per round. A shopper takes
offer ``a`` up with probability ``logistic(theta_a . x)``; the hidden weights ``theta`` make
the best offer depend on the shopper (kitchen lovers want the kitchen discount, loyalty
members double points, app shoppers in the evening the bundle), so a contextual policy can
beat any single offer. Each weight carries seeded noise, so each seed is a slightly
different world.

Every round's reward for every offer is drawn up front (common random numbers), so policies
played on the same :class:`Rounds` face the same shoppers and the same luck, and regret is
measured against the hidden probabilities. Needs numpy (``pip install 'shopstream[ml]'``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from shopstream.decide._numpy import Vector, np
from shopstream.decide.errors import InvalidParams
from shopstream.decide.features import FeatureSpec
from shopstream.decide.policy import Policy
from shopstream.decide.ranking import ArmId

OFFERS: tuple[ArmId, ...] = tuple(
    ArmId(offer) for offer in ("kitchen-10", "free-shipping", "fashion-20", "loyalty-2x", "bundle")
)

SPEC = FeatureSpec(
    numeric=("affinity.kitchen", "affinity.fashion", "intent", "recency", "loyalty"),
    categorical={"channel": ("web", "app", "email")},
    cyclic={"hour": 24.0},
)

# The hidden log-odds weights, by offer and SPEC column; unnamed columns weigh 0.
_WEIGHTS = MappingProxyType(
    {
        "kitchen-10": {"bias": -3.2, "affinity.kitchen": 3.5},
        "free-shipping": {"bias": -2.2, "intent": 1.0, "channel=web": 0.3},
        "fashion-20": {"bias": -3.2, "affinity.fashion": 3.5},
        "loyalty-2x": {"bias": -3.6, "loyalty": 2.5, "recency": 1.0},
        "bundle": {"bias": -2.8, "channel=app": 1.2, "hour.sin": -1.0},
    }
)
_CHANNELS = ("web", "app", "email")
_CHANNEL_SHARES = (0.5, 0.3, 0.2)


@dataclass(frozen=True, slots=True)
class Rounds:
    """Shoppers one after another: their features and context vectors, every offer's hidden
    take-up probability, and the reward each offer would have earned."""

    arms: tuple[ArmId, ...]
    features: tuple[dict[str, float | str], ...]
    contexts: Vector  # (rounds, SPEC.dim)
    probabilities: Vector  # (rounds, arms)
    rewards: Vector  # (rounds, arms), 0 or 1

    def __len__(self) -> int:
        return len(self.features)


@dataclass(frozen=True, slots=True)
class Play:
    """What a policy did over :class:`Rounds`: its choices, their propensities, the rewards
    earned, and its regret against always choosing the best offer."""

    chosen: Vector  # (rounds,) arm positions
    propensities: Vector  # (rounds,)
    rewards: Vector  # (rounds,)
    regret: float  # sum over rounds of best probability minus the chosen one's


@dataclass(kw_only=True, slots=True, eq=False)
class OfferWorld:
    """The simulated shoppers and their hidden weights.

    Args:
        noise: the standard deviation of the seeded noise on every hidden weight.
        seed: the same seed gives the same weights and the same rounds.

    Examples:
        >>> world = OfferWorld(seed=3)
        >>> rounds = world.rounds(1000)
        >>> rounds.contexts.shape, rounds.probabilities.shape
        ((1000, 11), (1000, 5))
        >>> best = rounds.probabilities.argmax(axis=1)
        >>> len(set(best.tolist()))  # the best offer depends on the shopper
        5
    """

    noise: float = 0.2
    seed: int | None = None
    weights: Vector = field(init=False, repr=False)  # (arms, SPEC.dim)
    _rng: np.random.Generator = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not (np.isfinite(self.noise) and self.noise >= 0):
            msg = f"OfferWorld.noise must be finite and >= 0; got {self.noise!r}"
            raise InvalidParams(msg, field="noise")
        self._rng = np.random.default_rng(self.seed)
        weights = np.zeros((len(OFFERS), SPEC.dim))
        for row, offer in enumerate(OFFERS):
            for name, weight in _WEIGHTS[offer].items():
                weights[row, SPEC.names.index(name)] = weight
        self.weights = weights + self.noise * self._rng.standard_normal(weights.shape)

    def rounds(self, n: int) -> Rounds:
        """``n`` fresh shoppers, their take-up probabilities and their rewards."""
        rng = self._rng
        columns = {
            "affinity.kitchen": rng.beta(0.6, 1.6, n),
            "affinity.fashion": rng.beta(0.6, 1.6, n),
            "intent": rng.random(n),
            "recency": np.exp(-rng.exponential(14.0, n) / 14.0),
            "loyalty": (rng.random(n) < 0.3).astype(float),
            "hour": rng.random(n) * 24.0,
        }
        channels = rng.choice(len(_CHANNELS), size=n, p=_CHANNEL_SHARES)
        features = tuple(
            {
                **{name: float(values[i]) for name, values in columns.items()},
                "channel": _CHANNELS[channels[i]],
            }
            for i in range(n)
        )
        contexts = np.stack([SPEC.vector(f) for f in features]) if n else np.empty((0, SPEC.dim))
        probabilities = 1.0 / (1.0 + np.exp(-(contexts @ self.weights.T)))
        rewards = (rng.random(probabilities.shape) < probabilities).astype(float)
        return Rounds(OFFERS, features, contexts, probabilities, rewards)


def play(policy: Policy, rounds: Rounds) -> Play:
    """Show each round's shopper the policy's first choice and teach it the reward."""
    positions = {arm: i for i, arm in enumerate(rounds.arms)}
    n = len(rounds)
    chosen = np.empty(n, dtype=np.intp)
    propensities = np.empty(n)
    for t in range(n):
        context = rounds.contexts[t]
        first = policy.choose(context, rounds.arms, k=1).actions[0]
        chosen[t], propensities[t] = positions[first.arm], first.propensity
        policy.update(context, first.arm, float(rounds.rewards[t, chosen[t]]))
    steps = np.arange(n)
    regret = rounds.probabilities.max(axis=1) - rounds.probabilities[steps, chosen]
    return Play(chosen, propensities, rounds.rewards[steps, chosen], float(regret.sum()))
