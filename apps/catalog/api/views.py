"""Read-only catalog endpoints: the category tree, the product listing and product pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from apps.catalog import selectors
from apps.catalog.api.pagination import ProductListingPagination
from apps.catalog.api.serializers import (
    CategoryTreeSerializer,
    ProductDetailSerializer,
    ProductListSerializer,
    listing_summary_data,
)
from apps.catalog.choices import ProductOrdering
from apps.catalog.forms import ProductFilterForm
from apps.catalog.http import cached_api_read, conditional_api
from apps.catalog.listing import listing_count, listing_facets
from apps.catalog.models import Category, Product
from apps.catalog.search_hooks import search_missed
from apps.core.api import ErrorSerializer
from apps.sales.selectors import sale_prices

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No active product with this slug.")
BAD_REQUEST = OpenApiResponse(
    ErrorSerializer,
    description="A parameter is invalid; `error.fields` names it, e.g. "
    '`{"min_price": ["Ensure this value is greater than or equal to 0."]}`.',
)


class StrictBooleanField(forms.BooleanField):
    """`true`/`false`/`1`/`0`; anything else is an error rather than a silent `true`."""

    # A checkbox widget would turn any submitted text into True before to_python sees it.
    widget = forms.TextInput

    def to_python(self, value: Any) -> bool:
        if value in self.empty_values:
            return False
        text = str(value).strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError('Use "true" or "false".', code="invalid")


class ProductQueryForm(ProductFilterForm):
    """The listing's filter form plus `category`, with `in_stock` parsed strictly."""

    category = forms.SlugField(required=False, max_length=140)
    in_stock = StrictBooleanField(required=False)


@dataclass
class CategoryNode:
    """A category with its children, for the nested tree."""

    category: Category
    children: list[CategoryNode] = field(default_factory=list)


def _nest(categories: list[Category]) -> list[CategoryNode]:
    # category_tree() is depth-first by path, so every parent precedes its children; a node
    # whose parent is missing sits under an inactive category and is hidden with it.
    by_path: dict[str, CategoryNode] = {}
    roots: list[CategoryNode] = []
    for category in categories:
        node = CategoryNode(category)
        if category.depth == 1:
            roots.append(node)
        elif (parent := by_path.get(category.path[: -Category.steplen])) is not None:
            parent.children.append(node)
        else:
            continue
        by_path[category.path] = node
    return roots


class CategoryViewSet(viewsets.GenericViewSet[Category]):
    """The active category tree."""

    serializer_class = CategoryTreeSerializer
    pagination_class = None
    permission_classes = (AllowAny,)
    # The catalog is the same for everyone: no session or user lookups on these calls.
    authentication_classes = ()

    @extend_schema(
        summary="Category tree",
        description="Every active category, nested under its parent, in shop order. A "
        "category under an inactive one is hidden with it.",
        responses={200: CategoryTreeSerializer(many=True)},
    )
    def list(self, request: Request) -> Response:
        if (not_modified := conditional_api(request)) is not None:
            return not_modified
        return cached_api_read(
            request, lambda: self.get_serializer(_nest(selectors.category_tree()), many=True).data
        )


MONEY = {"type": "number", "format": "decimal", "minimum": 0, "multipleOf": 0.01}

LIST_PARAMETERS = [
    OpenApiParameter(
        "category",
        OpenApiTypes.STR,
        description="Category slug; products of its active subcategories are included. An "
        "unknown or inactive category answers 400.",
    ),
    OpenApiParameter(
        "min_price",
        MONEY,
        description="Lowest price, inclusive (decimal, at least 0, two places at most). A "
        "reversed range is swapped.",
    ),
    OpenApiParameter("max_price", MONEY, description="Highest price, inclusive (decimal)."),
    OpenApiParameter(
        "in_stock",
        OpenApiTypes.BOOL,
        description="`true`: only products with a variant that can be bought now.",
    ),
    OpenApiParameter(
        "q",
        OpenApiTypes.STR,
        description="Search words (up to 200 characters). On PostgreSQL: full text over title, "
        "brand and description, tolerant of typos in titles and brands.",
    ),
    OpenApiParameter(
        "ordering",
        OpenApiTypes.STR,
        enum=ProductOrdering.values,
        description="`relevance` (the default with `q`; means `newest` without `q`, and on "
        "SQLite), `newest` (the default otherwise), `price`, `-price` or `name`. Ties are "
        "broken by id, so paging never skips or repeats a product.",
    ),
    OpenApiParameter(
        "option",
        OpenApiTypes.STR,
        many=True,
        explode=True,
        style="form",
        description='Variant option as "Name:Value", e.g. `option=Colour:Red`. Repeat it: '
        "values of one name are alternatives (OR), different names must all match (AND).",
    ),
]


class ProductPagination(ProductListingPagination):
    """The listing's pages; with `q`, the answer also says what the shopper may have meant."""

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        response["properties"]["did_you_mean"] = {
            "type": "string",
            "nullable": True,
            "description": "Only with `q`: when a search of the whole catalog (no other "
            "filter, first page) found nothing, a phrase made of the catalog's own words "
            "that finds products, e.g. `leather boots` for `lether boots`; else null.",
        }
        return response


class ProductViewSet(viewsets.ReadOnlyModelViewSet[Product]):
    """Active products in active categories, by slug."""

    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    pagination_class = ProductPagination
    permission_classes = (AllowAny,)
    # The catalog is the same for everyone: no session or user lookups on these calls.
    authentication_classes = ()

    def get_serializer_class(self) -> type[BaseSerializer[Product]]:
        if self.action == "retrieve":
            return ProductDetailSerializer
        return ProductListSerializer

    def get_queryset(self) -> QuerySet[Product]:
        if getattr(self, "swagger_fake_view", False):
            return Product.objects.none()
        form = ProductQueryForm(self.request.query_params)
        if not form.is_valid():
            raise ValidationError(
                {
                    "non_field_errors" if name == "__all__" else name: [str(m) for m in messages]
                    for name, messages in form.errors.items()
                }
            )
        category = None
        if slug := form.cleaned_data["category"]:
            try:
                category = selectors.category_get(slug=slug)
            except Http404 as exc:
                raise ValidationError({"category": ["No active category has this slug."]}) from exc
        self.filters = form.to_filters()
        self.category = category
        return selectors.product_list(filters=self.filters, category=category)

    def get_object(self) -> Product:
        return selectors.product_get(slug=self.kwargs[self.lookup_field])

    def _product(self) -> dict[str, Any]:
        product = self.get_object()
        variants = product.active_variants  # type: ignore[attr-defined]
        # One read for all the variants; cached with the JSON under the sale phase.
        prices = sale_prices(variant_ids=[variant.pk for variant in variants])
        context = {**self.get_serializer_context(), "sale_prices": prices}
        return self.get_serializer(product, context=context).data

    @extend_schema(
        summary="Product listing",
        description="Filtered, ordered and paged by cursor (24 per page): follow `next` and "
        "`previous`, which keep your filters. Every page also carries the listing's `count` "
        "(exact up to 1,000, else `count_exact` is false and it is a lower bound) and its "
        "`facets`: option values with how many products of its categories offer them.",
        parameters=LIST_PARAMETERS,
        responses={200: ProductListSerializer(many=True), 400: BAD_REQUEST},
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if (not_modified := conditional_api(request)) is not None:
            return not_modified
        return cached_api_read(request, lambda: self._listing(request, *args, **kwargs))

    def _listing(self, request: Request, *args: Any, **kwargs: Any) -> dict[str, Any]:
        data: dict[str, Any] = super().list(request, *args, **kwargs).data
        filters = self.filters
        facets = listing_facets(category=self.category, filters=filters)
        counted = listing_count(filters=filters, category=self.category, facets=facets)
        data = {**listing_summary_data(facets=facets, counted=counted), **data}
        if filters.query:
            # Built once per catalog version and URL (the answer is cached), so a miss
            # asked again while cached is counted once: the pages count every request.
            bare = selectors.ProductFilters(query=filters.query, ordering=filters.ordering)
            missed = not data["results"] and self.category is None and filters == bare
            first = "cursor" not in request.query_params
            data["did_you_mean"] = search_missed(filters.query) if missed and first else None
        return data

    @extend_schema(
        summary="Product",
        description="A product with its active variants, stock, photos and SEO fields, "
        "and each variant's price in a live sale (`sale_price`, `sale_ends_at`).",
        parameters=[
            OpenApiParameter(
                "slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="Product slug."
            )
        ],
        responses={200: ProductDetailSerializer, 404: NOT_FOUND},
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if (not_modified := conditional_api(request)) is not None:
            return not_modified
        return cached_api_read(request, self._product)
