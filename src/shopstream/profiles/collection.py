"""The live profiles of all customers: the container the stream processor feeds."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from shopstream.core import CustomerId
from shopstream.events import Message
from shopstream.profiles.compute import ProductLookup, apply_message
from shopstream.profiles.errors import InvalidProfileSnapshot
from shopstream.profiles.merging import merge_into
from shopstream.profiles.models import Profile
from shopstream.profiles.rules import ProfileRules
from shopstream.profiles.snapshot import profile_from_dict, profile_to_dict
from shopstream.profiles.view import render

logger = logging.getLogger(__name__)

SNAPSHOT_VERSION = 1


class Profiles:
    """Live profiles keyed by canonical customer id, fed in log order.

    Each profile remembers the last offset it applied, so feeding an event twice (a replay
    after a crash, a resumed snapshot) changes nothing.

    Args:
        rules: weights, half-lives and bounds; see :class:`ProfileRules`.
        lookup: finds a catalog product by id, to fill in category and brand when an event
            lacks them (typically ``catalog.product``).

    Examples:
        >>> from datetime import UTC, datetime
        >>> from shopstream.events import parse_message
        >>> t = datetime(2026, 1, 1, tzinfo=UTC)
        >>> m = parse_message({"type": "track", "userId": "u1", "event": "Product Added",
        ...     "properties": {"product_id": "p1", "quantity": 2}}, source="s", received_at=t)
        >>> profiles = Profiles()
        >>> profiles.apply(CustomerId("c1"), m, offset=0, now=t)
        True
        >>> profiles.apply(CustomerId("c1"), m, offset=0, now=t)
        False
        >>> profiles.get(CustomerId("c1")).cart
        {'p1': 2}
    """

    __slots__ = ("_lookup", "_profiles", "rules")

    def __init__(
        self, rules: ProfileRules | None = None, *, lookup: ProductLookup | None = None
    ) -> None:
        self.rules = rules if rules is not None else ProfileRules()
        self._lookup = lookup
        self._profiles: dict[CustomerId, Profile] = {}

    def apply(
        self, customer_id: CustomerId, message: Message, *, offset: int, now: datetime
    ) -> bool:
        """Fold one logged event into a customer's profile, creating it on first sight.

        ``now`` is used to let go of presence that has already expired, so that an idle
        profile does not keep it; views evaluate expiry at their own ``now`` regardless.

        Returns:
            False when the profile had already applied ``offset`` (a replay).
        """
        profile = self._profiles.get(customer_id)
        if profile is None:
            profile = self._profiles[customer_id] = Profile(customer_id)
        elif offset <= profile.last_offset:
            return False
        profile.last_offset = offset
        apply_message(profile, message, self.rules, self._lookup)
        if profile.presence_at is not None and (
            now.timestamp() - profile.presence_at > self.rules.presence_ttl.total_seconds()
        ):
            profile.store_id = profile.zone_id = profile.presence_at = None
        return True

    def get(self, customer_id: CustomerId) -> Profile | None:
        return self._profiles.get(customer_id)

    def view(
        self, customer_id: CustomerId, *, now: datetime, top: int = 10
    ) -> dict[str, Any] | None:
        """The JSON-able view of a profile at ``now`` (see :func:`~.view.render`)."""
        profile = self._profiles.get(customer_id)
        if profile is None:
            return None
        return render(profile, self.rules, now, top=top, lookup=self._lookup)

    def merge(self, winner: CustomerId, loser: CustomerId) -> Profile | None:
        """Move ``loser``'s state into ``winner`` and forget ``loser``.

        Returns:
            The winner's profile; ``None`` when neither customer has one.
        """
        if winner == loser:
            return self._profiles.get(winner)
        theirs = self._profiles.pop(loser, None)
        ours = self._profiles.get(winner)
        if theirs is None:
            return ours
        if ours is None:
            ours = self._profiles[winner] = Profile(winner)
        merge_into(ours, theirs, self.rules)
        logger.debug("merged profile %s into %s", loser, winner)
        return ours

    def drop(self, customer_id: CustomerId) -> bool:
        """Forget a profile (deletion, or before a rebuild); False if there was none."""
        return self._profiles.pop(customer_id, None) is not None

    def rebuild(
        self,
        customer_id: CustomerId,
        messages: Iterable[tuple[int, Message]],
        *,
        now: datetime,
    ) -> Profile | None:
        """Replace a profile by one built from ``(offset, message)`` pairs, as on unmerge.

        Returns:
            The new profile; ``None`` when ``messages`` was empty.
        """
        self._profiles.pop(customer_id, None)
        for offset, message in messages:
            self.apply(customer_id, message, offset=offset, now=now)
        return self._profiles.get(customer_id)

    def __len__(self) -> int:
        return len(self._profiles)

    def __iter__(self) -> Iterator[CustomerId]:
        return iter(self._profiles)

    def __contains__(self, customer_id: object) -> bool:
        return customer_id in self._profiles

    def to_snapshot(self) -> dict[str, Any]:
        """Every profile as JSON-able data (the rules and lookup are configuration, not state)."""
        return {
            "version": SNAPSHOT_VERSION,
            "profiles": {cid: profile_to_dict(p) for cid, p in self._profiles.items()},
        }

    @classmethod
    def from_snapshot(
        cls,
        data: Mapping[str, Any],
        rules: ProfileRules | None = None,
        *,
        lookup: ProductLookup | None = None,
    ) -> Profiles:
        """Rebuild the container from :meth:`to_snapshot`'s output.

        Raises:
            InvalidProfileSnapshot: another version, or a malformed profile.
        """
        if data.get("version") != SNAPSHOT_VERSION:
            msg = (
                f"profiles snapshot version must be {SNAPSHOT_VERSION}; got {data.get('version')!r}"
            )
            raise InvalidProfileSnapshot(msg, field="version")
        profiles = cls(rules, lookup=lookup)
        for cid, item in data.get("profiles", {}).items():
            profiles._profiles[CustomerId(cid)] = profile_from_dict(CustomerId(cid), item)
        return profiles
