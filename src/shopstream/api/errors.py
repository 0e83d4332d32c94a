"""RFC 9457 problem details: every error answer names what failed."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from shopstream.api.auth import AuthError
from shopstream.api.responses import JSON
from shopstream.core import ShopstreamError
from shopstream.log import LogUnavailable

logger = logging.getLogger(__name__)

PROBLEM_TYPE = "urn:shopstream:problem:"
_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class ProblemError(Exception):
    """Raised by routers to answer with a problem; ``extra`` members are added to the body."""

    def __init__(
        self, status: int, code: str, detail: str, *, field: str | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.field = field
        self.extra = extra


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    field: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSON:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + code,
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if field is not None:
        body["field"] = field
    # Segment-style members beside RFC 9457's: RudderStack's SDKs read ``code`` and ``message``
    # from an error body, and without them treat a 4xx as a network error and retry it.
    body["code"] = code
    body["message"] = detail
    if instance is not None:
        body["instance"] = instance
    body.update(extra)
    return JSON(body, status_code=status, media_type="application/problem+json", headers=headers)


def install(app: FastAPI) -> None:
    """Map every error to a problem-details answer."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> JSON:
        return problem(
            exc.status,
            exc.code,
            exc.detail,
            field=exc.field,
            instance=request.url.path,
            **exc.extra,
        )

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> JSON:
        headers = (
            {"WWW-Authenticate": 'Basic realm="shopstream", Bearer'} if exc.status == 401 else None
        )
        code = "unauthorized" if exc.status == 401 else "forbidden"
        return problem(
            exc.status,
            code,
            exc.detail,
            field="authorization",
            instance=request.url.path,
            headers=headers,
        )

    @app.exception_handler(LogUnavailable)
    async def _unavailable(request: Request, exc: LogUnavailable) -> JSON:
        return problem(
            503, exc.code, exc.message, instance=request.url.path, headers={"Retry-After": "1"}
        )

    @app.exception_handler(ShopstreamError)
    async def _domain(request: Request, exc: ShopstreamError) -> JSON:
        status = 404 if isinstance(exc, LookupError) else 400
        return problem(status, exc.code, exc.message, field=exc.field, instance=request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSON:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        return problem(
            400,
            "request.invalid",
            f"{field}: {error['msg']}",
            field=field,
            instance=request.url.path,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSON:
        return problem(exc.status_code, "http", str(exc.detail), instance=request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSON:
        logger.exception("unexpected error on %s", request.url.path)
        return problem(
            500, "internal", "an unexpected error; it has been logged", instance=request.url.path
        )
