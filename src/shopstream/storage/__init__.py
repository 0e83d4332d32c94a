"""Backends implementing the domains' protocols: embedded SQLite, Redis, PostgreSQL."""

from __future__ import annotations

__all__ = ()
