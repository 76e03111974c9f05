"""Site-wide views: health endpoints, embedded media, and the error answers."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.static import serve
from rest_framework import exceptions

from apps.core.api import error_response, is_api_request
from apps.core.health import readiness


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers; touches no database, cache or broker."""
    return HttpResponse("ok", content_type="text/plain")


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when every backing service answers, else 503 naming those down."""
    checks = readiness()
    down = sorted(name for name, state in checks.items() if state != "ok")
    body = {"status": "unavailable" if down else "ok", "checks": checks, "down": down}
    return JsonResponse(body, status=503 if down else 200)


def media(request: HttpRequest, path: str) -> HttpResponseBase:
    """Uploaded files, in embedded mode only (production serves MEDIA_ROOT itself)."""
    return serve(request, path, document_root=str(settings.MEDIA_ROOT))


# Django's error handlers (config/urls.py), for what no view of the API answered: a path no
# route matches, a crash. Under the API they answer the API's error shape, with DRF's default
# message rather than the exception's, which may name URL patterns or SQL; elsewhere, the
# site's pages.


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponseBase:
    """400: a request Django refused before any view (a bad Host header, too many fields)."""
    if is_api_request(request):
        return error_response(exceptions.ParseError())
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponseBase:
    """403 raised outside the API's own permission checks."""
    if is_api_request(request):
        return error_response(exceptions.PermissionDenied())
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponseBase:
    """404: no route matched, or a view outside DRF raised Http404."""
    if is_api_request(request):
        return error_response(exceptions.NotFound())
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponseBase:
    """500: an unexpected exception; its details go to the log, never to the caller."""
    if is_api_request(request):
        return error_response(exceptions.APIException())
    return defaults.server_error(request)
