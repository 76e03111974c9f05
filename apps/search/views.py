"""The suggestions the search box's script asks for as the shopper types."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from apps.search import selectors

# The same for everyone and refreshed every few minutes: browsers and shared caches may
# keep an answer briefly.
MAX_AGE = 300


@require_GET
def suggest(request: HttpRequest) -> JsonResponse:
    """`{"suggestions": [{"text", "kind", "url"}]}` for `?q=`; lenient: no or short `q`
    is an empty list, a long one is cut."""
    rows = selectors.suggestions(query=request.GET.get("q", ""))
    response = JsonResponse(
        {"suggestions": [{"text": r.text, "kind": r.kind, "url": r.url} for r in rows]}
    )
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response
