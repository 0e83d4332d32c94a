"""Signed session cookies for the web apps: an associate at one store, and an admin.

A cookie is ``payload.signature``: the payload is base64url JSON with an expiry, the
signature an HMAC-SHA256 of the cookie's purpose and payload with the session secret
(``session_secret`` in the settings, else one made once and kept in the data dir), so a
cookie can be neither forged, extended, nor used for another purpose. Cookies are HttpOnly
and SameSite=Strict (no cross-site request carries them), Secure over HTTPS.

An admin's cookie holds a fingerprint of the admin key that was entered, never the key: it
stops working as soon as that key is removed from the configuration.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from shopstream.api.auth import AuthError, KeyRing, Scope, bearer
from shopstream.settings import Settings

ASSOCIATE_COOKIE = "shopstream_associate"
ADMIN_COOKIE = "shopstream_admin"
SESSION_SECONDS = 12 * 3600  # a shift


class Signer:
    """Signs and verifies payloads for one purpose each, with expiry.

    Examples:
        >>> signer = Signer(b"a secret of 16+ bytes")
        >>> token = signer.sign("admin", {"k": "f1"}, now=0.0)
        >>> signer.verify("admin", token, now=60.0)
        {'k': 'f1'}
        >>> signer.verify("associate", token, now=60.0) is None
        True
    """

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            msg = f"the session secret must be at least 16 bytes; got {len(secret)}"
            raise ValueError(msg)
        self._secret = secret

    @classmethod
    def from_settings(cls, settings: Settings) -> Signer:
        if settings.session_secret is not None:
            return cls(settings.session_secret.get_secret_value().encode("utf-8"))
        return cls(_stored_secret(settings.data_dir / "session-secret"))

    def _mac(self, purpose: str, payload: str) -> str:
        digest = hmac.new(self._secret, f"{purpose}.{payload}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).decode("ascii").rstrip("=")

    def sign(
        self, purpose: str, data: dict[str, Any], *, now: float, ttl: float = SESSION_SECONDS
    ) -> str:
        body = json.dumps({**data, "exp": int(now + ttl)}, separators=(",", ":"))
        payload = base64.urlsafe_b64encode(body.encode()).decode("ascii").rstrip("=")
        return f"{payload}.{self._mac(purpose, payload)}"

    def verify(self, purpose: str, token: str | None, *, now: float) -> dict[str, Any] | None:
        """The payload, or ``None`` when the token is missing, forged or expired."""
        if not token or token.count(".") != 1:
            return None
        payload, mac = token.split(".")
        if not hmac.compare_digest(mac, self._mac(purpose, payload)):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, binascii.Error):
            return None
        if not isinstance(data, dict) or not isinstance(data.get("exp"), int):
            return None
        if data.pop("exp") < now:
            return None
        return data


def _stored_secret(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip().encode("utf-8")


def set_session(request: Request, response: Response, name: str, token: str) -> None:
    response.set_cookie(
        name,
        token,
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_session(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="strict")


# -- associates ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssociateSession:
    associate_id: str
    name: str
    store_id: str


def sign_in_associate(request: Request, response: Response, session: AssociateSession) -> None:
    signer: Signer = request.app.state.signer
    data = {"a": session.associate_id, "n": session.name, "s": session.store_id}
    set_session(
        request, response, ASSOCIATE_COOKIE, signer.sign("associate", data, now=time.time())
    )


def associate_session(request: Request) -> AssociateSession | None:
    """The signed-in associate, if the cookie is valid and the associate still exists at
    that store."""
    signer: Signer = request.app.state.signer
    data = signer.verify("associate", request.cookies.get(ASSOCIATE_COOKIE), now=time.time())
    if data is None:
        return None
    associate = request.app.state.associates.get(str(data.get("a")))
    if associate is None or associate.store_id != data.get("s"):
        return None
    return AssociateSession(associate.id, associate.name, associate.store_id)


def require_associate(request: Request, store_id: str) -> AssociateSession:
    """The associate signed in at ``store_id``: 401 without a session, 403 for another store."""
    session = associate_session(request)
    if session is None:
        raise AuthError(401, "sign in to the associate app first")
    if session.store_id != store_id:
        msg = f"associate {session.associate_id} works at {session.store_id}, not {store_id}"
        raise AuthError(403, msg)
    return session


# -- admins ---------------------------------------------------------------------------------------


def fingerprint(secret: str) -> str:
    return hashlib.sha256(f"shopstream-admin:{secret}".encode()).hexdigest()[:32]


def sign_in_admin(request: Request, response: Response, secret: str) -> bool:
    """Set the admin cookie when ``secret`` is an admin key; ``False`` otherwise."""
    keys: KeyRing = request.app.state.keys
    key = keys.find(secret)
    if key is None or key.scope is not Scope.ADMIN:
        return False
    signer: Signer = request.app.state.signer
    token = signer.sign("admin", {"k": fingerprint(secret), "s": key.source}, now=time.time())
    set_session(request, response, ADMIN_COOKIE, token)
    return True


def admin_session(request: Request) -> bool:
    """Whether the admin cookie is valid and its key is still an admin key."""
    signer: Signer = request.app.state.signer
    data = signer.verify("admin", request.cookies.get(ADMIN_COOKIE), now=time.time())
    if data is None:
        return False
    keys: KeyRing = request.app.state.keys
    return any(
        key.scope is Scope.ADMIN and hmac.compare_digest(fingerprint(key.secret), str(data["k"]))
        for key in keys.keys
    )


def require_admin(request: Request) -> None:
    """An admin key as ``Authorization: Bearer``, or the dashboard's admin cookie."""
    if admin_session(request):
        return
    keys: KeyRing = request.app.state.keys
    keys.require(bearer(request.headers.get("authorization")), Scope.ADMIN)
