"""Identifier types: never pass a bare ``str`` where an id is meant."""

from __future__ import annotations

from typing import NewType

CustomerId = NewType("CustomerId", str)
ProductId = NewType("ProductId", str)
StoreId = NewType("StoreId", str)
MessageId = NewType("MessageId", str)
SourceName = NewType("SourceName", str)
Offset = NewType("Offset", int)
