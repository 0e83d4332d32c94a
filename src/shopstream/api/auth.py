"""Keys and scopes.

Write keys ingest only and come as the HTTP Basic user name (as Segment's SDKs send them) or
as ``writeKey`` in the body. Server keys read profiles and decide; admin keys also read the log
and change configuration. Both come as ``Authorization: Bearer KEY``. A missing or unknown key
is 401; a known key of the wrong scope is 403.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from shopstream.settings import Settings


class Scope(StrEnum):
    WRITE = "write"
    SERVER = "server"
    ADMIN = "admin"


# What each scope may do: admin keys can do everything a server key can.
_GRANTS = {
    Scope.WRITE: {Scope.WRITE},
    Scope.SERVER: {Scope.SERVER},
    Scope.ADMIN: {Scope.SERVER, Scope.ADMIN},
}


@dataclass(frozen=True, slots=True)
class Key:
    secret: str
    scope: Scope
    source: str

    def allows(self, needed: Scope) -> bool:
        return needed in _GRANTS[self.scope]


class AuthError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class KeyRing:
    """The configured keys, looked up in constant time per candidate."""

    def __init__(self, keys: list[Key]) -> None:
        self._keys = {key.secret: key for key in keys}

    @property
    def keys(self) -> list[Key]:
        return list(self._keys.values())

    def find(self, secret: str) -> Key | None:
        key = self._keys.get(secret)
        if key is not None and hmac.compare_digest(key.secret, secret):
            return key
        return None

    def require(self, secret: str | None, needed: Scope) -> Key:
        if not secret:
            raise AuthError(401, f"this needs a key with the {needed} scope")
        key = self.find(secret)
        if key is None:
            raise AuthError(401, "the key is not valid")
        if not key.allows(needed):
            raise AuthError(403, f"a {key.scope} key cannot do this; it needs the {needed} scope")
        return key

    @classmethod
    def from_settings(cls, settings: Settings) -> tuple[KeyRing, bool]:
        """Keys from settings; with none configured, keys kept in the data dir (made once).

        Returns the ring and whether the keys were generated (so the CLI prints them).
        """
        keys = [_write_key(raw) for raw in settings.write_keys]
        keys += [Key(raw, Scope.SERVER, "server") for raw in settings.server_keys]
        keys += [Key(raw, Scope.ADMIN, "admin") for raw in settings.admin_keys]
        if keys:
            return cls(keys), False
        return cls(_generated(settings.data_dir / "keys.json")), True


def _write_key(raw: str) -> Key:
    source, sep, secret = raw.partition(":")
    return Key(secret, Scope.WRITE, source) if sep else Key(raw, Scope.WRITE, "default")


def _generated(path: Path) -> list[Key]:
    if path.exists():
        stored = json.loads(path.read_text())
    else:
        stored = {scope.value: f"{scope.value[0]}k_{secrets.token_urlsafe(18)}" for scope in Scope}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored, indent=2))
        path.chmod(0o600)
    return [
        Key(stored["write"], Scope.WRITE, "default"),
        Key(stored["server"], Scope.SERVER, "server"),
        Key(stored["admin"], Scope.ADMIN, "admin"),
    ]


def basic_user(header: str | None) -> str | None:
    """The user name of an HTTP Basic ``Authorization`` header (a Segment write key)."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0]


def bearer(header: str | None) -> str | None:
    if not header or header[:7].lower() != "bearer ":
        return None
    return header[7:].strip() or None
