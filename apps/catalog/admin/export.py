"""The products CSV export: streamed, one row per variant, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db.models import Prefetch, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from apps.catalog.models import Product, Variant

EXPORT_CHUNK_SIZE = 500
EXPORT_HEADER = [
    "title",
    "slug",
    "category",
    "sku",
    "options",
    "price",
    "compare_at_price",
    "stock",
    "product_active",
    "variant_active",
]


class _Echo:
    """A write-only file: csv.writer hands each formatted row straight back."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: str) -> str:
    # Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def _export_rows(products: QuerySet[Product]) -> Iterator[list[str]]:
    yield EXPORT_HEADER
    variants = Prefetch("variants", queryset=Variant.objects.order_by("position", "id"))
    for product in (
        products.select_related("category")
        .prefetch_related(variants)
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    ):
        head = [_csv_cell(product.title), _csv_cell(product.slug), _csv_cell(product.category.name)]
        product_active = "yes" if product.is_active else "no"
        rows = product.variants.all()
        if not rows:
            yield [*head, "", "", "", "", "", product_active, ""]
        for variant in rows:
            options = "; ".join(f"{name}: {value}" for name, value in variant.options.items())
            yield [
                *head,
                _csv_cell(variant.sku),
                _csv_cell(options),
                str(variant.price),
                "" if variant.compare_at_price is None else str(variant.compare_at_price),
                str(variant.stock),
                product_active,
                "yes" if variant.is_active else "no",
            ]


def products_csv_response(products: QuerySet[Product]) -> StreamingHttpResponse:
    """A streamed CSV download of `products`, named after the time it was made."""
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _export_rows(products)),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"products-{timezone.now():%Y%m%d-%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
