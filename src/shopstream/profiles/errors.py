"""Errors of the profiles package."""

from __future__ import annotations

from shopstream.core import ShopstreamError


class ProfileError(ShopstreamError):
    code = "profiles.error"


class InvalidProfileRules(ProfileError, ValueError):
    """A :class:`~shopstream.profiles.ProfileRules` value is out of range; ``field`` names it."""

    code = "profiles.invalid-rules"


class InvalidProfileSnapshot(ProfileError, ValueError):
    code = "profiles.invalid-snapshot"
