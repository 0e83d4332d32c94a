"""The persistence port of profiles, and its in-memory implementation.

Backends (``storage/``: SQLite, Redis, PostgreSQL) implement :class:`ProfileStore`. The
profile logic itself stays synchronous in :class:`~shopstream.profiles.Profiles`; a store
keeps profiles between processes, and a snapshot together with the offset it reflects.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from shopstream.core import CustomerId
from shopstream.profiles.models import Profile
from shopstream.profiles.snapshot import profile_from_dict, profile_to_dict


class ProfileStore(Protocol):
    async def get(self, customer_id: CustomerId) -> Profile | None: ...

    async def put(self, profiles: Iterable[Profile]) -> None:
        """Write profiles changed by the stream (each carries its own ``last_offset``)."""
        ...

    async def delete(self, customer_id: CustomerId) -> bool:
        """Erase a profile (deletion requests, the loser of a merge); False if absent."""
        ...


class MemoryProfileStore:
    """A :class:`ProfileStore` in memory, keeping copies so callers cannot alias its state."""

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data: dict[CustomerId, dict[str, Any]] = {}

    async def get(self, customer_id: CustomerId) -> Profile | None:
        data = self._data.get(customer_id)
        return None if data is None else profile_from_dict(customer_id, data)

    async def put(self, profiles: Iterable[Profile]) -> None:
        for profile in profiles:
            self._data[profile.customer_id] = profile_to_dict(profile)

    async def delete(self, customer_id: CustomerId) -> bool:
        return self._data.pop(customer_id, None) is not None
