"""`/metrics`, in Prometheus' text format, for the configured scrapers only."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from apps.metrics.access import metrics_allowed
from apps.metrics.exposition import metrics_registry


# Exempt so that a stranger's POST is a 404 like any other request, not a CSRF page that
# shows the endpoint exists; the view never writes anything.
@csrf_exempt
def metrics(request: HttpRequest) -> HttpResponse:
    """Everyone not allowed gets the site's 404: the endpoint does not exist for them."""
    if not metrics_allowed(request):
        raise Http404
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    response = HttpResponse(
        generate_latest(metrics_registry()), content_type=CONTENT_TYPE_PLAIN_0_0_4
    )
    # Figures of one moment, and not for a shared cache to hand to anyone else.
    response["Cache-Control"] = "no-store"
    return response
