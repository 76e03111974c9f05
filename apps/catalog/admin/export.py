"""The products CSV export: streamed, one row per variant, safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Prefetch, QuerySet
from django.http import StreamingHttpResponse

from apps.catalog.imports.categories import category_path_names
from apps.catalog.imports.reading import IMPORT_COLUMNS
from apps.catalog.models import Product, Variant
from apps.core.csv_export import csv_cell, csv_download

EXPORT_CHUNK_SIZE = 500
# The columns the import reads: export, edit, import round-trips.
EXPORT_HEADER = list(IMPORT_COLUMNS)


def _export_rows(products: QuerySet[Product]) -> Iterator[list[str]]:
    yield EXPORT_HEADER
    # The category's whole path ("Home > Kitchen > Knives"), which an import finds again
    # or creates: names alone are not unique across the tree.
    paths = category_path_names()
    variants = Prefetch("variants", queryset=Variant.objects.order_by("position", "id"))
    for product in (
        products.select_related("category")
        .prefetch_related(variants)
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    ):
        category = paths.get(product.category_id, product.category.name)
        head = [csv_cell(product.title), csv_cell(product.slug), csv_cell(category)]
        product_active = "yes" if product.is_active else "no"
        rows = product.variants.all()
        if not rows:
            yield [*head, "", "", "", "", "", product_active, ""]
        for variant in rows:
            options = "; ".join(f"{name}: {value}" for name, value in variant.options.items())
            yield [
                *head,
                csv_cell(variant.sku),
                csv_cell(options),
                str(variant.price),
                "" if variant.compare_at_price is None else str(variant.compare_at_price),
                str(variant.stock),
                product_active,
                "yes" if variant.is_active else "no",
            ]


def products_csv_response(products: QuerySet[Product]) -> StreamingHttpResponse:
    """A streamed CSV download of `products`, named after the time it was made."""
    return csv_download(_export_rows(products), name="products")
