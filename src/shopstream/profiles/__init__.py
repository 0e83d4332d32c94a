"""Live customer profiles: traits, consent, RFM, decayed affinities, recent views, cart,
wish list, orders, store visits and presence, and session intent.

:class:`Profiles` is fed every event in log order with the canonical customer id that
identity resolved; :class:`ProfileStore` is the port that ``storage/`` backends implement.
"""

from __future__ import annotations

from shopstream.profiles.audit import AuditEntry, AuditLog, MemoryAuditLog
from shopstream.profiles.collection import Profiles
from shopstream.profiles.compute import ProductLookup
from shopstream.profiles.errors import InvalidProfileRules, InvalidProfileSnapshot, ProfileError
from shopstream.profiles.features import Affinities, DecayedScore, RecentItems, decay
from shopstream.profiles.models import Order, OrderLine, Profile, Purpose, StoreVisits
from shopstream.profiles.presence import PresenceChange, PresenceFeed, presence_change, present_at
from shopstream.profiles.rules import ProfileRules
from shopstream.profiles.search import search_by_name
from shopstream.profiles.store import MemoryProfileStore, ProfileStore

__all__ = (
    "Affinities",
    "AuditEntry",
    "AuditLog",
    "DecayedScore",
    "InvalidProfileRules",
    "InvalidProfileSnapshot",
    "MemoryAuditLog",
    "MemoryProfileStore",
    "Order",
    "OrderLine",
    "PresenceChange",
    "PresenceFeed",
    "ProductLookup",
    "Profile",
    "ProfileError",
    "ProfileRules",
    "ProfileStore",
    "Profiles",
    "Purpose",
    "RecentItems",
    "StoreVisits",
    "decay",
    "presence_change",
    "present_at",
    "search_by_name",
)
