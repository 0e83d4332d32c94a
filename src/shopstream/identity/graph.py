"""The identity graph: identifiers -> canonical customer id, merges, guardrails, splits.

Pure, synchronous and in memory; :mod:`shopstream.identity.store` wraps it for the engine.

Model:
    * Every identifier seen is a customer of its own until an event links it. All the
      linkable identifiers on one message belong to one customer, so a message links the
      clusters of its identifiers (identify, alias and any event with two or more).
    * A cluster's *anchor* is its highest-priority identifier (:data:`~.keys.PRIORITY`, then
      smallest value) and its id is ``canonical_id(anchor)``. The id is a function of the
      cluster alone, so without guardrails the same links in any order give the same
      partition and the same ids.
    * Links form a spanning forest: a link between two clusters is kept as an edge (in a
      :class:`Merge` when both customers existed, else as a plain attachment of the
      identifiers first seen in the event); links inside one cluster add nothing. Undoing a
      merge cuts its edge, which splits the tree in exactly two.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping
from datetime import datetime

from shopstream.core import CustomerId, MessageId, Offset
from shopstream.events import Identifier, IdType
from shopstream.identity.errors import InvalidIdentityInput, UnknownCustomer, UnknownMerge
from shopstream.identity.forest import cut
from shopstream.identity.guardrails import cap_exceeded, forbidden_between
from shopstream.identity.keys import (
    customer_of_key,
    identifier_of,
    is_anonymous,
    key_of,
    sorted_keys,
)
from shopstream.identity.merges import Merge, Refusal, RefusalReason, Resolution, Side, Split
from shopstream.identity.rules import IdentityRules
from shopstream.identity.snapshot import GraphParts, GraphSnapshot, dump, load

logger = logging.getLogger(__name__)


class IdentityGraph:
    """Identifiers -> customers, built from the event log in offset order.

    Replay: ``resolve`` ignores any offset at or below :attr:`offset`, so re-delivered events
    change nothing. A refused link leaves the refused identifiers with their own customer.

    Examples:
        >>> from datetime import UTC, datetime
        >>> from shopstream.events import IdType
        >>> graph, now = IdentityGraph(), datetime(2026, 1, 1, tzinfo=UTC)
        >>> anon, user = Identifier(IdType.ANONYMOUS_ID, "a1"), Identifier(IdType.USER_ID, "u1")
        >>> first = graph.resolve([anon], offset=Offset(0), message_id=MessageId("m0"), now=now)
        >>> login = graph.resolve([anon, user], offset=Offset(1), message_id=MessageId("m1"), now=now)
        >>> (login.merged[0].loser == first.customer_id, graph.customer_of(anon) == login.customer_id)
        (True, True)
    """

    __slots__ = (
        "_clock",
        "_forbidden",
        "_idle",
        "_links",
        "_members",
        "_merges",
        "_merges_of",
        "_never",
        "_offset",
        "_owner",
        "_refusals",
        "_rules",
    )

    def __init__(self, rules: IdentityRules | None = None) -> None:
        self._rules = rules if rules is not None else IdentityRules()
        self._never = frozenset(key_of(identifier) for identifier in self._rules.never_merge)
        self._owner: dict[str, CustomerId] = {}
        # Each cluster's keys; the anchor (smallest key) is always first.
        self._members: dict[CustomerId, list[str]] = {}
        # Forest edges of attachments: identifier first seen in an event -> what it joined.
        self._links: dict[str, str] = {}
        self._merges: dict[str, Merge] = {}
        self._merges_of: dict[CustomerId, list[str]] = {}
        # Anonymous customers -> last activity (epoch seconds), least recently active first.
        self._idle: OrderedDict[CustomerId, float] = OrderedDict()
        self._forbidden: dict[str, set[str]] = {}
        self._refusals: deque[Refusal] = deque(maxlen=self._rules.max_refusals)
        self._offset = -1
        self._clock: float | None = None

    @property
    def rules(self) -> IdentityRules:
        return self._rules

    @property
    def offset(self) -> int:
        """The highest log offset applied (-1 before any): a snapshot reflects the log to here."""
        return self._offset

    def __len__(self) -> int:
        return len(self._members)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IdentityGraph):
            return NotImplemented
        return self.to_snapshot() == other.to_snapshot()

    __hash__ = None  # type: ignore[assignment]

    # --- lookups -------------------------------------------------------------------------

    def customer_of(self, identifier: Identifier) -> CustomerId | None:
        return self._owner.get(key_of(identifier))

    def identifiers_of(self, customer_id: CustomerId) -> tuple[Identifier, ...]:
        """Every identifier of a customer, highest priority first.

        Raises:
            UnknownCustomer: no customer has this id.
        """
        return tuple(identifier_of(key) for key in sorted(self._cluster(customer_id)))

    def merges_of(self, customer_id: CustomerId) -> tuple[Merge, ...]:
        """The merges that built a customer as it is now, oldest first.

        Raises:
            UnknownCustomer: no customer has this id.
        """
        self._cluster(customer_id)
        merges = (self._merges[merge_id] for merge_id in self._merges_of.get(customer_id, ()))
        return tuple(sorted(merges, key=lambda merge: (merge.offset, merge.loser)))

    def merge(self, merge_id: str) -> Merge:
        """A recorded merge by :attr:`Merge.id`.

        Raises:
            UnknownMerge: it was never made, was undone, or its customer expired.
        """
        found = self._merges.get(merge_id)
        if found is None:
            msg = f"no recorded merge has id {merge_id!r}"
            raise UnknownMerge(msg, field="merge_id")
        return found

    def refusals(self) -> tuple[Refusal, ...]:
        """The most recent refused links (up to ``rules.max_refusals``), oldest first."""
        return tuple(self._refusals)

    def partition(self) -> dict[CustomerId, frozenset[Identifier]]:
        """Every customer with its identifiers: the graph's state, for tests and audits."""
        return {
            customer_id: frozenset(identifier_of(key) for key in members)
            for customer_id, members in self._members.items()
        }

    # --- the main verb -------------------------------------------------------------------

    def resolve(
        self,
        identifiers: Iterable[Identifier],
        *,
        offset: Offset,
        message_id: MessageId,
        now: datetime,
    ) -> Resolution:
        """Apply one event's identifiers and say which customer the event belongs to.

        The event's linkable identifiers are grouped by current customer (new ones each
        start one) and joined to the group holding the event's highest-priority identifier,
        group by group in priority order. A join that would pass a cap, or that an unmerge
        forbade, is refused: that group stays its own customer and a :class:`Refusal` is
        recorded. Never-merge identifiers are resolved to their own customer and link
        nothing; an event carrying only those resolves to the best of them.

        Args:
            identifiers: the normalised message's ``identities``.
            offset: the event's log offset; offsets at or below :attr:`offset` are replays
                and change nothing.
            message_id: recorded on merges and refusals.
            now: the event's time; it marks the customers active.

        Raises:
            InvalidIdentityInput: no identifiers, an unknown type, or a naive ``now``.
        """
        keys = sorted_keys(identifiers)
        if not keys:
            msg = "resolve needs at least one identifier; got none"
            raise InvalidIdentityInput(msg, field="identifiers")
        if now.tzinfo is None:
            _seconds(now)  # raises
        moment = now.timestamp()
        never = self._never
        linkable = ([key for key in keys if key not in never] or keys[:1]) if never else keys
        if offset <= self._offset:
            return Resolution(self._owner.get(linkable[0]) or customer_of_key(linkable[0]))
        self._offset = offset
        self._clock = moment if self._clock is None else max(self._clock, moment)
        if len(linkable) == len(keys):
            # Nothing to link, the usual event: one identifier (never-merge or not), or
            # several that are all one customer's already. What _link would do, minus its work.
            customer_id = self._owner.get(keys[0])
            if customer_id is None and len(keys) == 1:
                customer_id = self._ensure(keys[0])
            if customer_id is not None and (
                len(keys) == 1 or all(self._owner.get(key) == customer_id for key in keys[1:])
            ):
                self._touch(customer_id, self._clock)
                return Resolution(customer_id)
        touched = [self._ensure(key) for key in keys if key in never]
        customer, merged, refused = self._link(linkable, offset, message_id, now, touched)
        for customer_id in (customer, *touched):
            self._touch(customer_id, self._clock)
        self._refusals.extend(refused)
        return Resolution(customer, tuple(merged), tuple(refused))

    def _link(
        self,
        keys: list[str],
        offset: Offset,
        message_id: MessageId,
        now: datetime,
        touched: list[CustomerId],
    ) -> tuple[CustomerId, list[Merge], list[Refusal]]:
        fresh: set[CustomerId] = set()
        groups: dict[CustomerId, str] = {}  # customer -> the event's best key in it
        for key in keys:
            customer_id = self._owner.get(key)
            if customer_id is None:
                customer_id = self._ensure(key)
                fresh.add(customer_id)
            groups.setdefault(customer_id, key)
        best = keys[0]
        merged: list[Merge] = []
        refused: list[Refusal] = []
        current, *others = groups
        for other in others:
            link = (identifier_of(best), identifier_of(groups[other]))
            reason, id_type = self._refusal(current, other)
            if reason is not None:
                refused.append(
                    Refusal(current, other, link, reason, id_type, offset, message_id, now)
                )
                touched.append(other)
                continue
            winner, loser = self._join(current, other)
            ends = (best, groups[other]) if winner == current else (groups[other], best)
            if loser in fresh:
                # Nobody knew the loser before this event: an attachment, not a merge.
                self._links[ends[1]] = ends[0]
            else:
                link = (identifier_of(ends[0]), identifier_of(ends[1]))
                merge = Merge(winner, loser, link, offset, message_id, now)
                self._merges[merge.id] = merge
                self._merges_of.setdefault(winner, []).append(merge.id)
                merged.append(merge)
                logger.debug("merged %s into %s at offset %d", loser, winner, offset)
                fresh.discard(winner)
            fresh.discard(loser)
            current = winner
        return current, merged, refused

    # --- admin and housekeeping ---------------------------------------------------------

    def unmerge(self, merge_id: str, *, now: datetime) -> Split:
        """Undo a recorded merge: split its customer back into two, for good.

        The merge's link is cut from the customer's spanning forest, which leaves exactly
        two trees: each identifier, including those added after the merge, goes with the
        side it was linked through. Each side is named by its own anchor, so one side
        usually keeps the customer's id. The merge leaves the history, and its two linked
        identifiers are forbidden to share a customer again: any later link that would
        join their customers is refused (:attr:`RefusalReason.FORBIDDEN`).

        An unmerge is an admin decision and not an event: to survive a restart it must be
        logged and re-applied in log order, like events.

        Raises:
            UnknownMerge: no recorded merge has this id.
        """
        undone = self.merge(merge_id)
        winner_key, loser_key = key_of(undone.link[0]), key_of(undone.link[1])
        previous = self._owner[winner_key]
        members = self._members.pop(previous)
        history = self._merges_of.pop(previous)
        history.remove(merge_id)
        del self._merges[merge_id]
        self._idle.pop(previous, None)
        edges = [
            (key_of(m.link[0]), key_of(m.link[1])) for m in map(self._merges.get, history) if m
        ]
        winner_side = cut(members, self._links, edges, winner_key)
        moment = _seconds(now)
        self._clock = moment if self._clock is None else max(self._clock, moment)
        sides = []
        for keys in (winner_side, set(members) - winner_side):
            anchor = min(keys)
            customer_id = customer_of_key(anchor)
            self._members[customer_id] = [anchor, *(key for key in keys if key != anchor)]
            for key in keys:
                self._owner[key] = customer_id
            mine = [i for i in history if key_of(self._merges[i].link[0]) in keys]
            if mine:
                self._merges_of[customer_id] = mine
            self._touch(customer_id, self._clock)
            sides.append(Side(customer_id, self.identifiers_of(customer_id)))
        self._forbidden.setdefault(winner_key, set()).add(loser_key)
        self._forbidden.setdefault(loser_key, set()).add(winner_key)
        logger.info("unmerged %s: %s and %s", merge_id, sides[0].customer_id, sides[1].customer_id)
        return Split(undone, previous, sides[0], sides[1])

    def expire(self, now: datetime) -> list[CustomerId]:
        """Forget anonymous customers inactive for ``rules.anonymous_ttl``; return their ids.

        Activity is stamped with the latest event time the graph has seen, so the least
        recently active customer always comes first and this costs only what it removes.
        A customer holding any non-anonymous identifier never expires here.
        """
        cutoff = _seconds(now) - self._rules.anonymous_ttl.total_seconds()
        expired: list[CustomerId] = []
        while self._idle:
            customer_id, seen = next(iter(self._idle.items()))
            if seen > cutoff:
                break
            self._idle.popitem(last=False)
            self._drop(customer_id)
            expired.append(customer_id)
        if expired:
            logger.info("expired %d anonymous customers", len(expired))
        return expired

    def _drop(self, customer_id: CustomerId) -> None:
        for key in self._members.pop(customer_id):
            del self._owner[key]
            self._links.pop(key, None)
            for partner in self._forbidden.pop(key, ()):
                others = self._forbidden.get(partner)
                if others is not None:
                    others.discard(key)
                    if not others:
                        del self._forbidden[partner]
        for merge_id in self._merges_of.pop(customer_id, ()):
            del self._merges[merge_id]

    # --- snapshots -----------------------------------------------------------------------

    def to_snapshot(self) -> GraphSnapshot:
        """The graph as canonical JSON-serialisable data, including :attr:`offset`."""
        return dump(
            GraphParts(
                offset=self._offset,
                clock=self._clock,
                members=self._members,
                links=self._links,
                merges=self._merges,
                merges_of=self._merges_of,
                idle=self._idle,
                forbidden=self._forbidden,
                refusals=list(self._refusals),
            )
        )

    @classmethod
    def from_snapshot(
        cls, data: GraphSnapshot | Mapping[str, object], rules: IdentityRules | None = None
    ) -> IdentityGraph:
        """A graph in the state a snapshot describes; feed it the log after its ``offset``.

        Raises:
            InvalidSnapshot: the snapshot is of another version or malformed.
        """
        parts = load(data)
        graph = cls(rules)
        graph._offset, graph._clock = parts.offset, parts.clock
        graph._members, graph._links = parts.members, parts.links
        graph._merges, graph._merges_of = parts.merges, parts.merges_of
        graph._idle, graph._forbidden = parts.idle, parts.forbidden
        graph._refusals.extend(parts.refusals)
        graph._owner = {key: cid for cid, keys in parts.members.items() for key in keys}
        return graph

    def _ensure(self, key: str) -> CustomerId:
        """The customer of ``key``, starting a customer of its own if it is new."""
        customer_id = self._owner.get(key)
        if customer_id is None:
            customer_id = customer_of_key(key)
            self._owner[key] = customer_id
            self._members[customer_id] = [key]
        return customer_id

    def _join(self, first: CustomerId, second: CustomerId) -> tuple[CustomerId, CustomerId]:
        """Merge two clusters; the one with the smaller anchor keeps its id (winner, loser)."""
        if self._members[first][0] < self._members[second][0]:
            winner, loser = first, second
        else:
            winner, loser = second, first
        moved = self._members.pop(loser)
        self._members[winner].extend(moved)
        for key in moved:
            self._owner[key] = winner
        history = self._merges_of.pop(loser, None)
        if history:
            self._merges_of.setdefault(winner, []).extend(history)
        self._idle.pop(loser, None)
        return winner, loser

    def _refusal(
        self, first: CustomerId, second: CustomerId
    ) -> tuple[RefusalReason | None, IdType | None]:
        """Why the guardrails refuse joining two customers, or ``(None, None)``."""
        a, b = self._members[first], self._members[second]
        small, large = (a, second) if len(a) <= len(b) else (b, first)
        if self._forbidden and forbidden_between(small, large, self._owner, self._forbidden):
            return RefusalReason.FORBIDDEN, None
        id_type = cap_exceeded(a, b, self._rules.caps)
        return (None, None) if id_type is None else (RefusalReason.CAP, id_type)

    def _touch(self, customer_id: CustomerId, moment: float) -> None:
        self._idle.pop(customer_id, None)
        if is_anonymous(self._members[customer_id][0]):
            self._idle[customer_id] = moment

    def _cluster(self, customer_id: CustomerId) -> list[str]:
        members = self._members.get(customer_id)
        if members is None:
            msg = f"no customer has id {customer_id!r}"
            raise UnknownCustomer(msg, field="customer_id")
        return members


def _seconds(moment: datetime) -> float:
    if moment.tzinfo is None:
        msg = f"times must be timezone-aware UTC; got naive {moment.isoformat()}"
        raise InvalidIdentityInput(msg, field="now")
    return moment.timestamp()
