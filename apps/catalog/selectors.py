"""Reads for the catalog pages and API. Pages and API call the same functions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db.models import Exists, F, FloatField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Cast
from django.db.models.lookups import IsNull
from django.http import Http404
from django.utils.functional import cached_property

from apps.catalog.cache import catalog_entry, catalog_key
from apps.catalog.choices import ProductOrdering
from apps.catalog.models import Category, Product, ProductImage, Variant
from apps.core.cache import cached
from apps.sales.selectors import live_sale_ids, sale_prices, upcoming_sale_for

ORDERINGS: dict[str, tuple[str, ...]] = {
    ProductOrdering.NEWEST: ("-created_at", "-id"),
    ProductOrdering.PRICE_ASC: ("price", "id"),
    ProductOrdering.PRICE_DESC: ("-price", "-id"),
    ProductOrdering.NAME: ("title", "id"),
    ProductOrdering.RELEVANCE: ("-rank", "-id"),
}


@dataclass(frozen=True)
class ProductFilters:
    """What a shopper asked the listing for, already validated."""

    query: str = ""
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock: bool = False
    options: dict[str, list[str]] = field(default_factory=dict)
    ordering: str = ""

    @property
    def effective_ordering(self) -> str:
        if self.ordering and (self.ordering != ProductOrdering.RELEVANCE or self.query):
            return self.ordering
        return ProductOrdering.RELEVANCE if self.query else ProductOrdering.NEWEST


def category_tree() -> list[Category]:
    """Active categories in tree order (depth-first), for navigation and the API."""
    return list(Category.objects.get_tree().filter(is_active=True))


@dataclass
class CategoryTree:
    """The categories a shopper may see (active, every ancestor active), in tree order.

    Built from one query over the whole (small) tree and resolved in Python: lookups by
    slug, ancestors for breadcrumbs, children for navigation and subtrees for filtering
    all come from it, and deactivating a category hides its whole branch without
    touching the rows below it.
    """

    categories: dict[int, Category]

    @cached_property
    def paths(self) -> dict[int, str]:
        return {pk: category.path for pk, category in self.categories.items()}

    @cached_property
    def by_slug(self) -> dict[str, Category]:
        return {category.slug: category for category in self.categories.values()}

    def ancestors(self, category: Category) -> list[Category]:
        steplen = Category.steplen
        prefixes = {category.path[:end] for end in range(steplen, len(category.path), steplen)}
        return [node for node in self.categories.values() if node.path in prefixes]

    def children(self, category: Category | None) -> list[Category]:
        depth = category.depth + 1 if category is not None else 1
        prefix = category.path if category is not None else ""
        return [
            node
            for node in self.categories.values()
            if node.depth == depth and node.path.startswith(prefix)
        ]


def category_index() -> CategoryTree:
    """The visible category tree, cached under the catalog version."""
    return cached(catalog_key("category-tree"), _category_index)


def _category_index() -> CategoryTree:
    visible: dict[int, Category] = {}
    hidden_prefix: str | None = None
    for category in Category.objects.order_by("path"):
        if hidden_prefix is not None and category.path.startswith(hidden_prefix):
            continue
        hidden_prefix = None
        if not category.is_active:
            hidden_prefix = category.path
            continue
        visible[category.pk] = category
    return CategoryTree(visible)


def top_categories() -> list[Category]:
    return category_index().children(None)


VISIBLE_CATEGORIES = catalog_entry("visible-categories")


def visible_category_paths() -> dict[int, str]:
    """Visible categories: id → tree path (every listing filters on it; kept apart from
    the whole tree because it is small to read)."""
    return cached(catalog_key("visible-categories"), lambda: category_index().paths)


def category_get(*, slug: str) -> Category:
    """An active category whose ancestors are all active, or 404."""
    category = category_index().by_slug.get(slug)
    if category is None:
        raise Http404("No such category.")
    return category


def category_ancestors(category: Category) -> list[Category]:
    """The category's ancestors, top-level first (for breadcrumbs)."""
    return category_index().ancestors(category)


def category_subtree_ids(category: Category, *, paths: dict[int, str] | None = None) -> list[int]:
    """The category and its visible descendants (a path prefix in the materialised tree)."""
    paths = visible_category_paths() if paths is None else paths
    return [pk for pk, path in paths.items() if path.startswith(category.path)]


def _first_image() -> Prefetch[Any, Any, Any]:
    # Only the cover image for listings; a sliced Prefetch is one windowed query.
    return Prefetch(
        "images",
        queryset=ProductImage.objects.order_by("position", "id")[:1],
        to_attr="cover_images",
    )


def _in_stock() -> Exists:
    return Exists(_stocked_variants())


def _stocked_variants() -> QuerySet[Variant]:
    return Variant.objects.filter(product=OuterRef("pk"), is_active=True, stock__gt=0)


def _has_stock() -> IsNull:
    # A scalar subquery rather than EXISTS: PostgreSQL plans an EXISTS in the select list
    # of a long listing as a hashed subplan that reads every in-stock variant (about 50 ms
    # at 100,000 products) to show 24 rows; a scalar subquery is one index probe per row
    # shown. (`in_stock` filtering keeps EXISTS: in WHERE it is a semi-join.)
    return IsNull(Subquery(_stocked_variants().order_by().values("product_id")[:1]), False)


def visible_products(*, paths: dict[int, str] | None = None) -> QuerySet[Product]:
    """Products a shopper may see: active, in a visible category (whole branch active)."""
    paths = visible_category_paths() if paths is None else paths
    return Product.objects.filter(is_active=True, category_id__in=list(paths))


def buyable_variants(*, ids: Iterable[int]) -> dict[int, Variant]:
    """The variants among `ids` a shopper may buy, by id, with their products: active, of
    an active product in a visible category (whole branch active).

    The cart and checkout read through this, so they cannot disagree on what is for sale.
    The category is checked in Python against the cached tree, as product_get does, rather
    than with an IN list of every visible category in the SQL.
    """
    paths = visible_category_paths()
    variants = Variant.objects.select_related("product").filter(
        pk__in=list(ids), is_active=True, product__is_active=True
    )
    return {variant.pk: variant for variant in variants if variant.product.category_id in paths}


def product_list(
    *, filters: ProductFilters | None = None, category: Category | None = None
) -> QuerySet[Product]:
    """The catalog listing: filters, search and a total ordering (unique tie-breaker)."""
    filters = filters or ProductFilters()
    paths = visible_category_paths()
    products: QuerySet[Product]
    if category is not None:
        # The subtree is already a subset of the visible categories.
        products = Product.objects.filter(
            is_active=True, category_id__in=category_subtree_ids(category, paths=paths)
        )
    else:
        products = visible_products(paths=paths)
    products = products.annotate(has_stock=_has_stock())
    if filters.min_price is not None:
        products = products.filter(price__gte=filters.min_price)
    if filters.max_price is not None:
        products = products.filter(price__lte=filters.max_price)
    if filters.in_stock:
        products = products.filter(_in_stock())
    for name, values in filters.options.items():
        products = products.filter(_option_match(name, values))
    if filters.query:
        products = _search(products, filters.query)

    ordering = filters.effective_ordering
    if ordering == ProductOrdering.RELEVANCE and not settings.IS_POSTGRES:
        ordering = ProductOrdering.NEWEST
    return products.order_by(*ORDERINGS[ordering]).prefetch_related(_first_image())


def _option_match(name: str, values: list[str]) -> Exists:
    matching = Q()
    for value in values:
        if settings.IS_POSTGRES:
            matching |= Q(options__contains={name: value})  # GIN jsonb_path_ops index
        else:
            matching |= Q(**{f"options__{name}": value})
    return Exists(Variant.objects.filter(matching, product=OuterRef("pk"), is_active=True))


def _search(products: QuerySet[Product], query: str) -> QuerySet[Product]:
    if not settings.IS_POSTGRES:
        return products.filter(
            Q(title__icontains=query) | Q(brand__icontains=query) | Q(description__icontains=query)
        ).annotate(rank=F("id"))
    search_query = SearchQuery(query, search_type="websearch", config="english")
    for folded in _plural_folds(query):
        search_query |= SearchQuery(folded, search_type="websearch", config="english")
    # Full text finds words (stemmed, weighted title > brand > description); trigram word
    # similarity finds the product when the shopper made a typo in a title or brand word.
    # Cast from real to double precision: PostgreSQL sends a real back rounded, and the
    # rounded value no longer equals it, so the API's keyset cursor, which compares later
    # pages against the last rank seen, would skip every product tied with it.
    return products.filter(
        Q(search_vector=search_query)
        | Q(title__trigram_word_similar=query)
        | Q(brand__trigram_word_similar=query)
    ).annotate(
        rank=Cast(
            SearchRank(F("search_vector"), search_query) + TrigramWordSimilarity(query, "title"),
            output_field=FloatField(),
        )
    )


_VES_PLURAL = re.compile(r"\b(\w{2,})ves\b", re.IGNORECASE)


def _plural_folds(query: str) -> list[str]:
    """The query with plurals in "-ves" made singular ("knives" -> "knife", "shelves" ->
    "shelf"), which the English stemmer leaves apart ("knive" against "knife"); trigram
    similarity is too low to bridge them (0.43). Both endings are tried; the wrong one is
    a word no product has, so it adds nothing."""
    if not _VES_PLURAL.search(query):
        return []
    return [_VES_PLURAL.sub(rf"\1{ending}", query) for ending in ("f", "fe")]


def featured_products(*, limit: int = 8) -> QuerySet[Product]:
    return (
        visible_products()
        .filter(is_featured=True)
        .annotate(has_stock=_has_stock())
        .order_by("-created_at", "-id")
        .prefetch_related(_first_image())[:limit]
    )


def product_get(*, slug: str) -> Product:
    """A visible product with its active variants, images and category, or 404."""
    # Visibility is checked against the category tree in Python rather than with an IN
    # list of every visible category in the SQL.
    product = (
        Product.objects.filter(is_active=True)
        .select_related("category")
        .prefetch_related(
            Prefetch(
                "variants",
                queryset=Variant.objects.filter(is_active=True),
                to_attr="active_variants",
            ),
            Prefetch(
                "images",
                queryset=ProductImage.objects.order_by("position", "id"),
                to_attr="gallery",
            ),
        )
        .filter(slug=slug)
        .first()
    )
    if product is None or product.category_id not in visible_category_paths():
        raise Http404("No such product.")
    # Cut now (they are cached properties), so that the product the page caches carries them.
    _ = product.meta_description, product.og_description
    return product


def related_products(*, product: Product, limit: int = 4) -> QuerySet[Product]:
    """Newest products of the same (visible: `product` is) category."""
    return (
        Product.objects.filter(is_active=True, category_id=product.category_id)
        .exclude(pk=product.pk)
        .annotate(has_stock=_has_stock())
        .order_by("-created_at", "-id")
        .prefetch_related(_first_image())[:limit]
    )


def subcategories(category: Category | None) -> list[Category]:
    """Visible children of `category`, or the visible top-level categories."""
    return category_index().children(category)


@dataclass(frozen=True)
class ProductSale:
    """What a product card says while a sale is live: its lowest price now, and whether
    the units set aside for it are gone."""

    price: Decimal
    sold_out: bool


def product_sales(*, products: Iterable[Product]) -> dict[int, ProductSale]:
    """The live sale of each of these products that has a variant in one, by product id.

    No query while no sale is live; two while one is (the products' variants, then one
    `sale_prices` for all of them), however many products a page shows.
    """
    ids = [product.pk for product in products]
    if not ids or not live_sale_ids():
        return {}
    variants = list(
        Variant.objects.filter(product_id__in=ids, is_active=True)
        .order_by()
        .values_list("pk", "product_id", "price")
    )
    prices = sale_prices(variant_ids=[pk for pk, _, _ in variants])
    lowest: dict[int, Decimal] = {}
    sold_out: dict[int, bool] = {}
    for pk, product_id, regular in variants:
        sale = prices.get(pk)
        price = sale.price if sale is not None and not sale.sold_out else regular
        lowest[product_id] = min(price, lowest.get(product_id, price))
        if sale is not None:
            sold_out[product_id] = sold_out.get(product_id, True) and sale.sold_out
    return {
        product_id: ProductSale(price=lowest[product_id], sold_out=out)
        for product_id, out in sold_out.items()
    }


@dataclass(frozen=True)
class SaleAhead:
    """A sale that has not started yet, for a countdown to its first second."""

    name: str
    slug: str
    starts_at: datetime


def product_sale_ahead(*, product: Product) -> SaleAhead | None:
    """The next sale of any of the product's active variants that is still to start."""
    variants = product.active_variants  # type: ignore[attr-defined]
    sale = upcoming_sale_for(variant_ids=[variant.pk for variant in variants])
    if sale is None:
        return None
    return SaleAhead(name=sale.name, slug=sale.slug, starts_at=sale.starts_at)
