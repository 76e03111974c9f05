"""Site-wide views: health endpoints and embedded media."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.static import serve

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
