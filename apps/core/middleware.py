"""Request logging (one line per request, tagged with a request id), and the 503 answer."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template import loader

from apps.core.api import (
    DATABASE_UNAVAILABLE,
    RETRY_AFTER_SECONDS,
    ServiceUnavailable,
    error_response,
    is_api_request,
)
from apps.core.cache import request_scope

logger = logging.getLogger("shopfront.request")

# An id handed in by a trusted edge proxy is kept so logs join up across hops; anything
# that does not look like an id is replaced, so a client cannot inject into the logs.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestLogMiddleware:
    """Logs method, path, status, duration and request id once per request.

    It is also where a view's database outage becomes a 503 (process_exception): being
    first in MIDDLEWARE, its hook runs after every other one has passed on the error.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        response["X-Request-ID"] = request_id
        logger.info(
            "%s %s %s %sms",
            request.method,
            request.path,
            response.status_code,
            duration_ms,
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
            },
        )
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DATABASE_UNAVAILABLE):
            return None
        logger.error("Database unavailable; answered 503", exc_info=exception)
        return database_unavailable_response(request)


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 for a request the database could not serve: the API's error shape, or a page."""
    if is_api_request(request):
        response = error_response(ServiceUnavailable())
    else:
        # Drawn without a context processor: the shell's cart badge and user would query
        # the very database that is down.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Not a page for a shared cache to keep: it is over in seconds.
    response["Cache-Control"] = "no-store"
    return response


class RequestScopeMiddleware:
    """Gives each request its own cache scope (see apps.core.cache.request_scope)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_scope():
            return self.get_response(request)
