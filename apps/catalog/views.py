"""Storefront pages: thin views over the catalog selectors."""

from __future__ import annotations

from typing import Any

from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.catalog import selectors
from apps.catalog.choices import ProductOrdering
from apps.catalog.forms import ProductFilterForm
from apps.catalog.models import Category

PAGE_SIZE = 24


def _page_number(raw: str | None) -> int:
    """A page number from the query string; anything that is not a positive int is page 1."""
    try:
        number = int(raw or "1")
    except ValueError:
        return 1
    return max(number, 1)


def paginate(request: HttpRequest, items: QuerySet[Any], per_page: int = PAGE_SIZE) -> Page[Any]:
    """The requested page; a page past the end is a 404, a garbled number is page 1."""
    paginator = Paginator(items, per_page)
    try:
        return paginator.page(_page_number(request.GET.get("page")))
    except EmptyPage as error:
        raise Http404("No such page.") from error


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "catalog/home.html",
        {
            "featured": selectors.featured_products(),
            "categories": selectors.top_categories(),
        },
    )


@require_GET
def product_list(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    category = selectors.category_get(slug=slug) if slug else None
    form = ProductFilterForm(request.GET)
    # Pages are lenient: an invalid field is shown as an error and left out of the query.
    filters = form.to_filters(lenient=True)
    page = paginate(request, selectors.product_list(filters=filters, category=category))
    return render(
        request,
        "catalog/product_list.html",
        {
            "category": category,
            "ancestors": list(Category.objects.get_ancestors(category)) if category else [],
            "subcategories": selectors.subcategories(category),
            "form": form,
            "filters": filters,
            "facets": selectors.option_facets(category=category),
            "selected_options": {
                f"{name}:{value}" for name, values in filters.options.items() for value in values
            },
            "orderings": [
                (value, label)
                for value, label in ProductOrdering.choices
                if value != ProductOrdering.RELEVANCE or filters.query
            ],
            "page": page,
            "products": page.object_list,
        },
    )


@require_GET
def product_detail(request: HttpRequest, slug: str) -> HttpResponse:
    product = selectors.product_get(slug=slug)
    category: Category = product.category
    variants = product.active_variants  # type: ignore[attr-defined]
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "variants": variants,
            "selected": _selected_variant(request, variants),
            "gallery": product.gallery,  # type: ignore[attr-defined]
            "ancestors": [*Category.objects.get_ancestors(category), category],
            "related": selectors.related_products(product=product),
        },
    )


def _selected_variant(request: HttpRequest, variants: list[Any]) -> Any:
    """The variant named by ?variant=<sku>, else the first one in stock, else the first."""
    wanted = request.GET.get("variant")
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
