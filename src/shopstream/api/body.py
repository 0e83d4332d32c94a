"""Reading a request body within limits: size, gzip (bombs included) and JSON."""

from __future__ import annotations

import zlib

import orjson
from starlette.requests import Request

from shopstream.api.errors import ProblemError


async def read_json(request: Request, limit: int) -> object:
    """The decoded JSON body; 413 past ``limit`` bytes (before and after gunzip), 400 if not JSON."""
    body = await read_body(request, limit)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ProblemError(
            400, "request.json", f"the body is not valid JSON: {exc}", field="body"
        ) from None


async def read_body(request: Request, limit: int) -> bytes:
    """The body's bytes, gunzipped; 413 past ``limit`` bytes (before and after gunzip), 400
    if empty."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding == "gzip":
        body = _gunzip(body, limit)
    elif encoding not in ("identity", ""):
        msg = f"content-encoding {encoding!r} is not supported; send gzip or identity"
        raise ProblemError(415, "request.encoding", msg, field="content-encoding")
    if not body:
        raise ProblemError(400, "request.empty", "the request body is empty", field="body")
    return body


def _gunzip(body: bytes, limit: int) -> bytes:
    """Inflate every gzip member (RFC 1952 allows several), never past ``limit`` + 1 bytes."""
    out = b""
    rest = body
    try:
        while True:
            inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
            out += inflater.decompress(rest, limit + 1 - len(out))
            if len(out) > limit or inflater.unconsumed_tail:
                raise _too_large(len(out), limit, unzipped=True)
            if not inflater.eof:
                # A cut-off stream: its end (and CRC) never came.
                raise zlib.error("the gzip stream is truncated")
            rest = inflater.unused_data
            if not rest.strip(b"\0"):  # trailing NUL padding is allowed, as gzip(1) does
                return out
    except zlib.error as exc:
        raise ProblemError(
            400, "request.gzip", f"the body is not valid gzip: {exc}", field="content-encoding"
        ) from None


def _too_large(size: int, limit: int, *, unzipped: bool = False) -> ProblemError:
    what = "unzipped body" if unzipped else "body"
    at_least = "at least " if unzipped else ""
    msg = f"the {what} is {at_least}{size:,} bytes; the limit is {limit:,}"
    return ProblemError(413, "request.too-large", msg, field="body", limit=limit)


async def read_text(request: Request, limit: int) -> str:
    """A UTF-8 text body (a CSV import) within ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
    try:
        return b"".join(chunks).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProblemError(
            400, "request.encoding", f"the body is not UTF-8: {exc}", field="body"
        ) from None


async def read_yaml_text(
    request: Request, limit: int, *, what: str, too_large: str, invalid: str
) -> str:
    """A configuration body as text: 413 (code ``too_large``) past ``limit`` bytes, 400
    (code ``invalid``) if it is not UTF-8; ``what`` names it in the messages."""
    raw = await request.body()
    if len(raw) > limit:
        msg = f"{what} must be at most {limit} bytes; got {len(raw)}"
        raise ProblemError(413, too_large, msg, field="body")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProblemError(400, invalid, "the body must be UTF-8 YAML", field="body") from None
