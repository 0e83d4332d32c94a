"""Shopstream: a real-time omnichannel personalization engine for retailers."""

from __future__ import annotations

__version__ = "0.1.0"

from shopstream.engine import Engine
from shopstream.settings import Settings

__all__ = ("Engine", "Settings", "__version__")
