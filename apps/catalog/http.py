"""HTTP caching of catalog responses: ETags from the catalog version, 304 when unchanged."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from apps.catalog.cache import catalog_entry, catalog_key, catalog_prefetch, catalog_version
from apps.core.cache import cached, digest
from apps.core.visitor import visitor_state
from apps.sales.selectors import sale_schedule_phase

View = Callable[..., HttpResponseBase]


def _page_etag(request: HttpRequest) -> str | None:
    """What a page depends on: the catalog, the sale phase, the URL, and this visitor's
    own state.

    None when the visitor's state says the response must not be reused (a flash message
    waits). The visitor's parts (apps.core.visitor) keep one shopper's ETag from ever
    matching another's page.
    """
    state = visitor_state(request)
    if state is None:
        return None
    return digest(catalog_version(), sale_schedule_phase(), request.get_full_path(), *state)


Entries = Callable[..., list[str]]


def conditional_page(entries: Entries) -> Callable[[View], View]:
    """ETag + 304 for an HTML catalog page; `private, no-cache` (it has the visitor's header).

    `entries(request, *args, **kwargs)` names the catalog entries the page shows when warm;
    they are read with the catalog version, in one round trip, before anything else.
    """

    def decorator(view: View) -> View:
        return _conditional_page(view, entries)

    return decorator


def _conditional_page(view: View, entries: Entries) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        catalog_prefetch(entries(request, *args, **kwargs))
        etag = _page_etag(request)
        if etag is not None:
            quoted = f'"{etag}"'
            not_modified = get_conditional_response(request, etag=quoted)
            if not_modified is not None:
                patch_cache_control(not_modified, private=True, no_cache=True)
                return not_modified
        response = view(request, *args, **kwargs)
        if etag is not None and response.status_code == 200 and not _kept_nowhere(response):
            response["ETag"] = f'"{etag}"'
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper


def keep_nowhere(response: HttpResponseBase) -> None:
    """For a page showing a countdown from the server's clock: a copy revalidated later
    (a 304) would count down from the seconds that were left when it was first sent."""
    patch_cache_control(response, no_store=True)


def _kept_nowhere(response: HttpResponseBase) -> bool:
    return "no-store" in response.get("Cache-Control", "")


# The cache entry of a catalog API read: its JSON, rendered, by URL. (The name changed
# when the entries became bytes: entries of the old shape are never read as the new.)
API_KIND = "api-json"


def api_entry(request: HttpRequest) -> str:
    return catalog_entry(API_KIND, request.get_full_path())


class RenderedJSON(Response):
    """A DRF response whose JSON was rendered when it was cached.

    A warm API read returns the stored bytes as they are: no unpickling of the payload
    and no encoding it again (a fifth of a warm list read). JSON is the API's only
    renderer, so content negotiation has nothing else to choose.
    """

    def __init__(self, body: bytes) -> None:
        super().__init__(content_type="application/json")
        self.json_body = body

    @property
    def rendered_content(self) -> Any:  # bytes, as DRF's own
        self["Content-Type"] = "application/json"
        return self.json_body


def cached_api_read(request: HttpRequest, build: Callable[[], Any]) -> Response:
    """The read's JSON from the cache, or `build()`'s data rendered and cached."""
    # The ETag is named before the body is built: should a sale start or end in between,
    # it names the earlier phase, and the next read fetches the new body.
    etag = api_etag(request)
    body = cached(
        catalog_key(API_KIND, request.get_full_path()), lambda: JSONRenderer().render(build())
    )
    return public(RenderedJSON(body), request, etag=etag)


def api_etag(request: HttpRequest) -> str:
    """Catalog API reads depend only on the catalog version, the sale phase and the URL."""
    return f'"{digest(catalog_version(), sale_schedule_phase(), request.get_full_path())}"'


def conditional_api(request: HttpRequest) -> Response | None:
    """A 304 for a matching If-None-Match, else None (the view answers normally).

    The catalog version and the cached payload (`api_entry`) come in one round trip.
    """
    catalog_prefetch([api_entry(request)])
    etag = api_etag(request)
    if get_conditional_response(request, etag=etag) is None:
        return None
    return public(Response(status=304), request, etag=etag)


ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)


def public(response: ResponseT, request: HttpRequest, *, etag: str | None = None) -> ResponseT:
    """Shared caches may keep it but must revalidate: it is the same for everyone."""
    if response.status_code in (200, 304):
        response["ETag"] = etag or api_etag(request)
        patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
    return response
