"""Rendering pages: the templates, the headers every page carries, and reading forms."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from shopstream import __version__

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
_MAX_FORM_BYTES = 4096

# No inline script or style anywhere: page data travels as JSON in a <script type=
# "application/json"> block, read by the page's own script.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

templates = Jinja2Templates(directory=WEB_DIR / "templates")


@functools.cache
def _fingerprint(path: str) -> str:
    try:
        return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    except OSError:
        return __version__


def static(path: str) -> str:
    """The URL of a static file, with a fingerprint so browsers never run a stale one."""
    return f"/static/{path}?v={_fingerprint(path)}"


templates.env.globals["static"] = static
templates.env.globals["version"] = __version__


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> Response:
    return templates.TemplateResponse(
        request, name, context or {}, status_code=status, headers=SECURITY_HEADERS
    )


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body (small: sign-in forms only)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_FORM_BYTES:
            return {}
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return {}
    return {key: values[0] for key, values in fields.items()}
