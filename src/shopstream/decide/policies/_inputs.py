"""Checks and conversions every policy shares: contexts, arms, hyper-parameters, snapshots."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeVar

from shopstream.decide._numpy import Vector, np
from shopstream.decide.errors import InvalidContext, InvalidParams, InvalidSnapshot
from shopstream.decide.policy import JSONValue, Snapshot
from shopstream.decide.ranking import ArmId

T = TypeVar("T")


def check_context(owner: str, context: Vector, dim: int) -> Vector:
    """``context`` as a float vector of length ``dim`` with finite values, or raise."""
    vector = np.asarray(context, dtype=np.float64)
    if vector.shape != (dim,):
        msg = f"{owner}: context must be a vector of length {dim}; got shape {vector.shape}"
        raise InvalidContext(msg, field="context")
    if not np.isfinite(vector).all():
        msg = f"{owner}: context must be finite; got {vector.tolist()}"
        raise InvalidContext(msg, field="context")
    return vector


def check_arms(owner: str, arms: Sequence[ArmId], k: int | None) -> int:
    """How many arms to rank (``k``, capped at the number of arms), or raise."""
    if not arms:
        msg = f"{owner}: arms must name at least one arm; got none"
        raise InvalidContext(msg, field="arms")
    if len(set(arms)) != len(arms):
        msg = f"{owner}: arms must be distinct; got {list(arms)!r}"
        raise InvalidContext(msg, field="arms")
    if k is None:
        return len(arms)
    if k < 1:
        msg = f"{owner}: k must be >= 1; got {k!r}"
        raise InvalidContext(msg, field="k")
    return min(k, len(arms))


def require(owner: str, name: str, value: object, ok: bool, expected: str) -> None:
    """Raise :class:`InvalidParams` naming ``name`` unless ``ok``."""
    if not ok or (isinstance(value, float) and math.isnan(value)):
        msg = f"{owner}.{name} must be {expected}; got {value!r}"
        raise InvalidParams(msg, field=name)


def rng_state(rng: np.random.Generator) -> Snapshot:
    """The generator's state, as JSON-able values (PCG64's are plain ints)."""
    return dict(rng.bit_generator.state)


def restored_rng(state: JSONValue) -> np.random.Generator:
    rng = np.random.default_rng()
    try:
        rng.bit_generator.state = state
    except (TypeError, ValueError, KeyError) as exc:
        msg = f"snapshot.rng is not a numpy PCG64 state: {exc}"
        raise InvalidSnapshot(msg, field="rng") from exc
    return rng


def snapshot_field(snapshot: Snapshot, policy: str, key: str) -> JSONValue:
    """``snapshot[key]`` of a snapshot taken from ``policy``, or raise."""
    if snapshot.get("policy") != policy:
        msg = f"snapshot is of policy {snapshot.get('policy')!r}; expected {policy!r}"
        raise InvalidSnapshot(msg, field="policy")
    if key not in snapshot:
        msg = f"{policy} snapshot is missing {key!r}; it has {sorted(snapshot)}"
        raise InvalidSnapshot(msg, field=key)
    return snapshot[key]


def from_params(build: Callable[..., T], snapshot: Snapshot, policy: str) -> T:
    """``build(**snapshot["params"])``, raising :class:`InvalidSnapshot` for bad params."""
    params = snapshot_field(snapshot, policy, "params")
    if not isinstance(params, dict):
        msg = f"{policy} snapshot.params must be an object; got {type(params).__name__}"
        raise InvalidSnapshot(msg, field="params")
    try:
        return build(**params)
    except TypeError as exc:
        msg = f"{policy} snapshot.params do not fit the policy: {exc}"
        raise InvalidSnapshot(msg, field="params") from exc
