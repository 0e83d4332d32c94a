"""What may be kept of an event that was rejected: everything but the POS card tokens.

A rejected event is stored as a dead letter, raw, so an operator can see what was sent. A
card token is never kept raw (it is hashed on arrival, see :mod:`shopstream.events.parse`),
and a rejected event must not be the way around that: wherever one appears in the raw JSON,
at any depth, the dead letter keeps its hash instead.
"""

from __future__ import annotations

from shopstream.events.normalize import hash_identifier

CARD_TOKEN_KEYS = frozenset({"card_token", "cardToken"})


def redact(raw: object) -> object:
    """``raw`` with every card token's value replaced by ``"sha256:" + its hash``.

    Examples:
        >>> kept = redact({"traits": {"card_token": "tok_4111", "name": "Ada"}, "n": [1]})
        >>> kept["traits"]["card_token"][:7], kept["traits"]["name"], kept["n"]
        ('sha256:', 'Ada', [1])
    """
    if isinstance(raw, dict):
        return {
            key: _hashed(value) if key in CARD_TOKEN_KEYS else redact(value)
            for key, value in raw.items()
        }
    if isinstance(raw, list):
        return [redact(value) for value in raw]
    return raw


def _hashed(value: object) -> object:
    if value is None or value == "":
        return value
    if isinstance(value, str | int) and not isinstance(value, bool):
        return "sha256:" + hash_identifier(str(value))
    return "[redacted]"
