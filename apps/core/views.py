"""Site-wide views: health endpoints, the favicon, embedded media, and the error answers."""

from __future__ import annotations

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template import loader
from django.templatetags.static import static
from django.views import csrf, defaults
from django.views.decorators.cache import cache_control, never_cache
from django.views.static import serve
from rest_framework import exceptions

from apps.core.api import error_response, is_api_request
from apps.core.health import readiness


@never_cache
@cache_control(max_age=60 * 60 * 24)
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on pages that name no icon (the admin's)."""
    return HttpResponseRedirect(static("img/favicon.svg"))


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
#
# The site's pages carry the shell (who is signed in, the cart badge), which needs
# `request.user`. A request refused before AuthenticationMiddleware ran (a Host header not in
# ALLOWED_HOSTS, refused by CommonMiddleware) has none, so it gets a short page instead: the
# request itself is the problem, and trying to draw the shell for it turned a 400 into a 500.

_SHORT = {
    "400": (400, "Bad request", "We couldn't understand that request."),
    "403": (403, "Not allowed", "You don't have permission to see this page."),
    "404": (404, "Page not found", "We couldn't find the page you asked for."),
    "csrf": (403, "Please try again", "Go back, reload the page and submit it again."),
}


def _short_page(name: str) -> HttpResponse:
    """A page that needs nothing of the request: no context processors, no Host, no query."""
    status, title, message = _SHORT[name]
    body = loader.render_to_string("error_short.html", {"title": title, "message": message})
    return HttpResponse(body, status=status)


def _visitor_known(request: HttpRequest) -> bool:
    return hasattr(request, "user")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponseBase:
    """400: a request Django refused before any view (a bad Host header, too many fields)."""
    if is_api_request(request):
        return error_response(exceptions.ParseError())
    # Always the short page: whatever made the request bad may be what the shell would read.
    return _short_page("400")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponseBase:
    """403 raised outside the API's own permission checks."""
    if is_api_request(request):
        return error_response(exceptions.PermissionDenied())
    if not _visitor_known(request):
        return _short_page("403")
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponseBase:
    """404: no route matched, or a view outside DRF raised Http404."""
    if is_api_request(request):
        return error_response(exceptions.NotFound())
    if not _visitor_known(request):
        return _short_page("404")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponseBase:
    """500: an unexpected exception; its details go to the log, never to the caller."""
    if is_api_request(request):
        return error_response(exceptions.APIException())
    return defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponseBase:
    """CSRF_FAILURE_VIEW: Django's page (templates/403_csrf.html), or the short one."""
    if not _visitor_known(request):
        return _short_page("csrf")
    return csrf.csrf_failure(request, reason)
