"""Storefront pages: thin views over the catalog selectors."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, cached_property
from django.views.decorators.http import require_GET

from apps.catalog import selectors
from apps.catalog.cache import catalog_entry, catalog_key, fragment_entry
from apps.catalog.choices import ProductOrdering
from apps.catalog.forms import ProductFilterForm
from apps.catalog.http import conditional_page, keep_nowhere
from apps.catalog.listing import ListingCount, listing_count, listing_facets
from apps.catalog.models import Category
from apps.catalog.search_hooks import search_missed
from apps.catalog.selectors import ProductFilters
from apps.catalog.structured_data import json_ld, product_structured_data
from apps.core.cache import cached
from apps.sales.selectors import sale_prices

PAGE_SIZE = 24


def _page_number(raw: str | None) -> int:
    """A page number from the query string; anything that is not a positive int is page 1."""
    try:
        number = int(raw or "1")
    except ValueError:
        return 1
    return max(number, 1)


class CountCachingPaginator(Paginator):
    """A Paginator whose count is cached under the catalog version when a key is given.

    Given a `counter`, the count is the listing's (apps.catalog.listing): exact, or "at
    least N" past the count limit, and then the pages go as far as the count did (in
    whole pages) and are all read from the front.

    Given a function that builds the queryset instead of the queryset, it builds it only
    when a query has to run (a count that is not cached, or a page that is shown outside a
    cached fragment): a warm listing does not even assemble its SQL. The selector always
    orders by a unique tie-breaker, so the ordering check is skipped for such a function.
    """

    def __init__(
        self,
        items: QuerySet[Any] | Callable[[], QuerySet[Any]],
        per_page: int,
        *,
        count_key: str | None = None,
        counter: Callable[[], ListingCount] | None = None,
    ) -> None:
        self.lazy = not isinstance(items, QuerySet)
        object_list: Any = items if isinstance(items, QuerySet) else SimpleLazyObject(items)
        super().__init__(object_list, per_page)
        self.count_key = count_key
        self.counter = counter

    def _check_object_list_is_ordered(self) -> None:
        if not self.lazy:
            super()._check_object_list_is_ordered()  # type: ignore[misc]

    def page(self, number: Any) -> Page[Any]:
        """Pages past the middle are read from the far end, in reverse order.

        OFFSET reads every row it skips, so the last of 4,000 pages would read the whole
        listing; reversed, it reads one page. The selector's ordering always ends with a
        unique id, so the reversed order is exactly the same rows backwards.
        """
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = min(bottom + self.per_page, self.count)
        count = self.count

        def rows() -> Any:
            items = self.object_list
            if (
                bottom <= count // 2
                or not self.listing_count.exact
                or not isinstance(items, QuerySet)
                or not items.ordered
            ):
                return items[bottom:top]
            return list(reversed(items.reverse()[count - top : count - bottom]))

        # Lazy like a sliced queryset, so a cached fragment that shows the page runs no query.
        return Page(SimpleLazyObject(rows), number, self)

    @cached_property
    def listing_count(self) -> ListingCount:
        counter = self.counter or (
            lambda: ListingCount(int(Paginator.count.func(self)), exact=True)  # type: ignore[attr-defined]
        )
        if self.count_key is None:
            return counter()
        stored: Any = cached(self.count_key, counter)
        # An entry stored before counts could be inexact holds a plain number.
        return stored if isinstance(stored, ListingCount) else ListingCount(int(stored), True)

    @cached_property
    def count(self) -> int:
        counted = self.listing_count
        if counted.exact:
            return counted.value
        return math.ceil(counted.value / self.per_page) * self.per_page


def paginate(
    request: HttpRequest,
    items: QuerySet[Any] | Callable[[], QuerySet[Any]],
    per_page: int = PAGE_SIZE,
    *,
    count_key: str | None = None,
    counter: Callable[[], ListingCount] | None = None,
) -> Page[Any]:
    """The requested page; a page past the end is a 404, a garbled number is page 1."""
    paginator = CountCachingPaginator(items, per_page, count_key=count_key, counter=counter)
    try:
        return paginator.page(_page_number(request.GET.get("page")))
    except EmptyPage as error:
        raise Http404("No such page.") from error


def _home_entries(request: HttpRequest) -> list[str]:
    return [fragment_entry("home")]


@require_GET
@conditional_page(_home_entries)
def home(request: HttpRequest) -> HttpResponse:
    # Lazy: inside the cached fragment these run only when the fragment is rebuilt.
    featured = SimpleLazyObject(selectors.featured_products)
    return render(
        request,
        "catalog/home.html",
        {
            "featured": featured,
            "product_sales": _product_sales(featured),
            "categories": SimpleLazyObject(selectors.top_categories),
        },
    )


def _product_sales(products: Any) -> Any:
    """The cards' sale prices, read with the products they are for when a fragment is
    rebuilt (the same lazy rows: the products are not read twice)."""
    return SimpleLazyObject(lambda: selectors.product_sales(products=products))


@dataclass(frozen=True)
class ListingRequest:
    filters: ProductFilters
    query: str  # the filters as a canonical query string
    errors: tuple[str, ...]  # why fields were left out, for the page


def _listing_request(request: HttpRequest) -> ListingRequest:
    """The listing's parameters, parsed once per distinct query string."""
    return _parse_listing(request.META.get("QUERY_STRING", ""))


@functools.lru_cache(maxsize=2048)
def _parse_listing(query_string: str) -> ListingRequest:
    """Parsing through the form costs a warm listing a tenth of its time (the form copies
    its fields), and most requests repeat a query string seen before. The result depends
    on the query string alone; it is the same for every visitor.
    """
    # As WSGIRequest.GET reads it: the WSGI string holds the raw bytes as Latin-1.
    form = ProductFilterForm(QueryDict(query_string.encode("iso-8859-1")))
    # Pages are lenient: an invalid field is shown as an error and left out.
    filters = form.to_filters(lenient=True)
    errors = tuple(str(error) for field in form.errors.values() for error in field)
    return ListingRequest(filters, filters_query(filters), errors)


def _listing_entries(request: HttpRequest, slug: str | None = None) -> list[str]:
    """Everything a warm listing reads; the fragment's values are the template's."""
    query = _listing_request(request).query
    number = _page_number(request.GET.get("page"))
    entries = [
        selectors.VISIBLE_CATEGORIES,
        catalog_entry("count", slug, query),
        fragment_entry("listing", request.path, query, number),
    ]
    return [*entries, catalog_entry("category", slug)] if slug else entries


@require_GET
@conditional_page(_listing_entries)
def product_list(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    listing = _listing_request(request)
    filters, query = listing.filters, listing.query
    count_key = catalog_key("count", slug, query)
    category = (
        cached(catalog_key("category", slug), lambda: selectors.category_get(slug=slug))
        if slug
        else None
    )
    # Read once, by the count (a listing without filters takes its number from them)
    # and by the template; inside the cached fragment only when it is rebuilt.
    facets: Any = SimpleLazyObject(lambda: listing_facets(category=category, filters=filters))
    page = paginate(
        request,
        lambda: selectors.product_list(filters=filters, category=category),
        count_key=count_key,
        counter=lambda: listing_count(filters=filters, category=category, facets=facets),
    )
    # Lazy: inside the cached fragment these run only when the fragment is rebuilt.
    return render(
        request,
        "catalog/product_list.html",
        {
            "category": category,
            # Outside the fragment: a miss is counted on every request, cached or not.
            "did_you_mean": _search_miss(filters, category, page.paginator.count),
            "ancestors": SimpleLazyObject(
                lambda: selectors.category_ancestors(category) if category else []
            ),
            "subcategories": SimpleLazyObject(lambda: selectors.subcategories(category)),
            "filter_errors": listing.errors,
            "filters": filters,
            "canonical_query": query,
            "facets": facets,
            "orderings": [
                (value, label)
                for value, label in ProductOrdering.choices
                if value != ProductOrdering.RELEVANCE or filters.query
            ],
            "page": page,
            "products": page.object_list,
            "product_sales": _product_sales(page.object_list),
        },
    )


def _search_miss(filters: ProductFilters, category: Category | None, count: int) -> str | None:
    """A search of the whole catalog, with nothing else asked, that found nothing is
    reported (counted, and answered with "did you mean"). With filters or within a
    category, what found nothing may be the filters, not the words."""
    if count or category is not None or not filters.query:
        return None
    if filters != ProductFilters(query=filters.query, ordering=filters.ordering):
        return None
    return search_missed(filters.query)


def filters_query(filters: ProductFilters) -> str:
    """The filters as a canonical query string (sorted), for cache keys and page links.

    Links are built from this, never from the raw query string, so a cached fragment can
    never carry another visitor's stray parameters.
    """
    pairs: list[tuple[str, str]] = []
    if filters.query:
        pairs.append(("q", filters.query))
    if filters.min_price is not None:
        pairs.append(("min_price", str(filters.min_price)))
    if filters.max_price is not None:
        pairs.append(("max_price", str(filters.max_price)))
    if filters.in_stock:
        pairs.append(("in_stock", "on"))
    for name in sorted(filters.options):
        pairs += [("option", f"{name}:{value}") for value in sorted(filters.options[name])]
    if filters.ordering:
        pairs.append(("ordering", filters.ordering))
    return urlencode(pairs)


def _product_entries(request: HttpRequest, slug: str) -> list[str]:
    wanted = request.GET.get("variant", "")
    return [
        catalog_entry("product", slug),
        catalog_entry("sale-ahead", slug),
        fragment_entry("product", slug, wanted),
        catalog_entry("structured-data", slug, wanted),
    ]


@require_GET
@conditional_page(_product_entries)
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    wanted = request.GET.get("variant", "")
    # The product with its variants, images and category, pickled whole into the cache.
    product = cached(catalog_key("product", slug), lambda: selectors.product_get(slug=slug))
    category: Category = product.category
    variants = product.active_variants  # type: ignore[attr-defined]
    selected = _selected_variant(wanted, variants)
    # In a 1-tuple, because the cache takes None for a miss; keyed on the sale phase, so
    # it is read again when the sale starts and when another is scheduled.
    (ahead,) = cached(
        catalog_key("sale-ahead", slug), lambda: (selectors.product_sale_ahead(product=product),)
    )
    # From the server's clock on every request: the countdown is outside the fragment.
    seconds_left = math.ceil((ahead.starts_at - timezone.now()).total_seconds()) if ahead else 0
    related = SimpleLazyObject(lambda: selectors.related_products(product=product))
    # A ?variant= naming no variant of this product shows (and caches) the default.
    variant_key = wanted if selected is not None and selected.sku == wanted else ""
    # Lazy: inside the cached fragment these run only when the fragment is rebuilt; the
    # structured data, cached alike, reads the same objects, so they run once at most.
    ancestors: Any = SimpleLazyObject(lambda: [*selectors.category_ancestors(category), category])
    variant_sales: Any = SimpleLazyObject(
        lambda: sale_prices(variant_ids=[variant.pk for variant in variants])
    )
    structured = cached(
        catalog_key("structured-data", slug, variant_key),
        lambda: product_structured_data(
            product=product,
            variants=variants,
            selected=selected,
            trail=ancestors,
            sales=variant_sales,
        ),
    )
    response = render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "variants": variants,
            "selected": selected,
            "variant_key": variant_key,
            "gallery": product.gallery,  # type: ignore[attr-defined]
            "ancestors": ancestors,
            "variant_sales": variant_sales,
            "structured_data": json_ld(structured),
            "related": related,
            "product_sales": _product_sales(related),
            "sale_ahead": ahead if seconds_left > 0 else None,
            "seconds_left": seconds_left,
        },
    )
    if seconds_left > 0:
        keep_nowhere(response)
    return response


def _selected_variant(wanted: str, variants: list[Any]) -> Any:
    """The variant named by ?variant=<sku>, else the first one in stock, else the first."""
    for variant in variants:
        if variant.sku == wanted:
            return variant
    return next((v for v in variants if v.stock > 0), variants[0] if variants else None)


def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        "Disallow: /accounts/",
        "Disallow: /admin/",
        "Disallow: /cart/",
        "Disallow: /checkout/",
        "Disallow: /api/",
        f"Sitemap: {request.build_absolute_uri('/sitemap.xml')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")
