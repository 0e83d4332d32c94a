"""The HTTP API: FastAPI routers over ``Engine``, problem-details errors, keys with scopes."""

from __future__ import annotations

from shopstream.api.app import create_app
from shopstream.api.auth import Key, KeyRing, Scope

__all__ = ("Key", "KeyRing", "Scope", "create_app")
