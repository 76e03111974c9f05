"""Counts every request by route name, method and status, with its time and its queries."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse

from apps.core.metrics import DB_QUERIES, DB_SECONDS, HTTP_LATENCY, HTTP_REQUESTS

# Any other word a client sends as its method is "other": the label stays bounded.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A path no route matched (a typo, a scanner): one series, whatever the path was.
UNMATCHED = "unmatched"


class _QueryTally:
    """A database execute wrapper that counts the statements and the time they take."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started


def route_name(request: HttpRequest) -> str:
    """The matched route's name ("catalog:product_detail"), or the view's dotted path when
    the route has none; never the path, so 100,000 product URLs are one series."""
    match = getattr(request, "resolver_match", None)
    return UNMATCHED if match is None else str(match.view_name)


class RequestMetricsMiddleware:
    """First in MIDDLEWARE, so it times everything and sees the status that was sent."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        queries = _QueryTally()
        started = time.perf_counter()
        with connection.execute_wrapper(queries):
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        view = route_name(request)
        method = request.method if request.method in _METHODS else "other"
        HTTP_REQUESTS.labels(view=view, method=method, status=str(response.status_code)).inc()
        HTTP_LATENCY.labels(view=view, method=method).observe(elapsed)
        DB_QUERIES.labels(view=view).observe(queries.count)
        DB_SECONDS.labels(view=view).observe(queries.seconds)
        return response
