"""Reading a request body within limits: size, gzip (bombs included) and JSON."""

from __future__ import annotations

import zlib

import orjson
from starlette.requests import Request

from shopstream.api.errors import ProblemError


async def read_json(request: Request, limit: int) -> object:
    """The decoded JSON body; 413 past ``limit`` bytes (before and after gunzip), 400 if not JSON."""
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
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ProblemError(
            400, "request.json", f"the body is not valid JSON: {exc}", field="body"
        ) from None


def _gunzip(body: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        out = inflater.decompress(body, limit + 1)
        if len(out) > limit or inflater.unconsumed_tail:
            raise _too_large(len(out), limit, unzipped=True)
        out += inflater.flush()
    except zlib.error as exc:
        raise ProblemError(
            400, "request.gzip", f"the body is not valid gzip: {exc}", field="content-encoding"
        ) from None
    if len(out) > limit:
        raise _too_large(len(out), limit, unzipped=True)
    return out


def _too_large(size: int, limit: int, *, unzipped: bool = False) -> ProblemError:
    what = "unzipped body" if unzipped else "body"
    at_least = "at least " if unzipped else ""
    msg = f"the {what} is {at_least}{size:,} bytes; the limit is {limit:,}"
    return ProblemError(413, "request.too-large", msg, field="body", limit=limit)
