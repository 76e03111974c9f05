"""What a listing shows beside its products: the option facets and how many products.

Both are read so that their cost does not grow with the catalog: the facets are the rows
of the facet table (CategoryFacet, kept by the catalog's writes) of the categories shown,
summed in one query; a count stops at CATALOG_COUNT_LIMIT rows, past which the listing
says "1,000+", except for a listing without filters, whose exact number is in the facet
table too. Pages and API read them here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Sum

from apps.catalog.models import Category, CategoryFacet
from apps.catalog.selectors import (
    ProductFilters,
    category_subtree_ids,
    product_list,
    visible_category_paths,
)

# The all-products page mixes every department's options (a clothing size next to a bed
# size and a pan's diameter): it shows the few names most products have, with their
# commonest values, rather than hundreds of checkboxes. A category shows all its names.
ALL_PRODUCTS_NAMES = 3
ALL_PRODUCTS_VALUES = 8
# A category's values of one name, most products first, beyond which a list is no help.
CATEGORY_VALUES = 40


@dataclass(frozen=True)
class FacetValue:
    """One value to filter by, the products offering it in the listing, and whether the
    shopper has it ticked."""

    name: str
    value: str
    count: int
    selected: bool

    @property
    def token(self) -> str:
        """What the filter form sends for it (`option=Name:Value`)."""
        return f"{self.name}:{self.value}"


@dataclass(frozen=True)
class Facet:
    """An option name and the values shown for it."""

    name: str
    values: tuple[FacetValue, ...]


@dataclass(frozen=True)
class ListingFacets:
    """The facets of a listing, and the active products of its categories (by the table)."""

    options: tuple[Facet, ...]
    products: int


@dataclass(frozen=True)
class ListingCount:
    """How many products a listing holds: exact, or "at least `value`"."""

    value: int
    exact: bool

    def __str__(self) -> str:
        return f"{self.value:,}" if self.exact else f"{self.value:,}+"


# A filtered listing counts at most this many products, then says "1,000+" (and pages that
# far): counting 100,000 rows to print a number costs as much as the page. A setting of the
# same name overrides it (config/settings.py is at its size limit, so it has no line there).
COUNT_LIMIT = 1000


def count_limit() -> int:
    return int(getattr(settings, "CATALOG_COUNT_LIMIT", COUNT_LIMIT))


def listing_facets(*, category: Category | None, filters: ProductFilters) -> ListingFacets:
    """The option values products of the listing's visible categories offer, with counts.

    One query, an index range per category of the facet table: a few hundred rows for
    the whole catalog however many products it has. The counts are the categories'
    (visible products, in stock or not, as the listing counts them): they do not narrow
    with the other filters, which would mean reading the variants again.
    """
    paths = visible_category_paths()
    ids = category_subtree_ids(category, paths=paths) if category is not None else list(paths)
    rows = (
        CategoryFacet.objects.filter(category_id__in=ids)
        .values_list("name", "value")
        .annotate(products=Sum("products"))
        .order_by()
    )
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for name, value, products in rows:
        counts[name][value] = int(products)
    total = counts.pop("", {}).get("", 0)
    return ListingFacets(
        options=_shown(counts, filters.options, whole_catalog=category is None), products=total
    )


def _shown(
    counts: dict[str, dict[str, int]], selected: dict[str, list[str]], *, whole_catalog: bool
) -> tuple[Facet, ...]:
    names = list(counts)
    if whole_catalog:
        by_reach = sorted(names, key=lambda name: (-sum(counts[name].values()), name))
        names = by_reach[:ALL_PRODUCTS_NAMES]
    limit = ALL_PRODUCTS_VALUES if whole_catalog else CATEGORY_VALUES
    facets = []
    for name in sorted({*names, *selected}):
        values = counts.get(name, {})
        ticked = set(selected.get(name, ()))
        commonest = sorted(values, key=lambda value: (-values[value], value))[:limit]
        # A ticked value stays on show (to untick it), even with no product left.
        shown = sorted({*commonest, *ticked}, key=_natural)
        facets.append(
            Facet(
                name=name,
                values=tuple(
                    FacetValue(name, value, values.get(value, 0), value in ticked)
                    for value in shown
                ),
            )
        )
    return tuple(facets)


def _natural(value: str) -> list[Any]:
    """Sorts "20 cm" before "100 cm" and "EU 9" before "EU 10"."""
    parts = _DIGITS.split(value)
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower()) for part in parts]


_DIGITS = re.compile(r"(\d+)")


def _table_count(filters: ProductFilters, facets: ListingFacets) -> int | None:
    """The listing's size when the facet table holds it: no filter (the categories'
    products), or one option value and nothing else (that value's count)."""
    if filters.query or filters.min_price is not None or filters.max_price is not None:
        return None
    if filters.in_stock or len(filters.options) > 1:
        return None
    if not filters.options:
        return facets.products
    ((name, values),) = filters.options.items()
    if len(values) != 1:
        return None  # a product with two of the values would be counted twice
    shown = (item for facet in facets.options if facet.name == name for item in facet.values)
    return next((item.count for item in shown if item.selected), None)


def listing_count(
    *, filters: ProductFilters, category: Category | None, facets: ListingFacets
) -> ListingCount:
    """How many products the listing holds, without counting past CATALOG_COUNT_LIMIT.

    A filtered listing counts at most limit + 1 rows (one index range, LIMIT inside the
    COUNT); past the limit it says "at least". A listing without filters holds exactly
    the active products of its categories, and one filtered by a single option value
    holds that value's count, both kept in the facet table: past the limit that number
    is taken from there, so the last of 4,000 pages can still be found.
    Below it the rows are counted anyway: it costs little, and stays right for products
    written where nothing refreshed the table (tests, hand-made rows).
    """
    limit = count_limit()
    known = _table_count(filters, facets)
    if known is not None and known > limit:
        return ListingCount(known, exact=True)
    products = product_list(filters=filters, category=category).order_by().values("pk")
    found = products[: limit + 1].count()
    return ListingCount(min(found, limit), exact=found <= limit)
