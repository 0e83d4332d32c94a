"""Shared primitives every package may use: ids, clock, the root error, stable hashing, the
count of rows the background writers dropped, the NUL no store keeps."""

from __future__ import annotations

from shopstream.core.clock import Clock, FakeClock, SystemClock, utcnow
from shopstream.core.config_file import InvalidConfigFile, load_model, parse_model
from shopstream.core.dropped import DroppedWrites
from shopstream.core.errors import ShopstreamError
from shopstream.core.hashing import sha256_hex, stable_hash, stable_hex
from shopstream.core.ids import CustomerId, MessageId, Offset, ProductId, SourceName, StoreId
from shopstream.core.text import has_nul

__all__ = (
    "Clock",
    "CustomerId",
    "DroppedWrites",
    "FakeClock",
    "InvalidConfigFile",
    "MessageId",
    "Offset",
    "ProductId",
    "ShopstreamError",
    "SourceName",
    "StoreId",
    "SystemClock",
    "has_nul",
    "load_model",
    "parse_model",
    "sha256_hex",
    "stable_hash",
    "stable_hex",
    "utcnow",
)
