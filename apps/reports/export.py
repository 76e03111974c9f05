"""The report's tables as CSV: the same figures as the page, safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from apps.core.csv_export import csv_cell
from apps.reports import selectors
from apps.reports.periods import Period


def _sales(period: Period) -> Iterator[list[str]]:
    series = selectors.sales_series(period)
    yield ["period", "orders", "gross_sales", "refunded", "net_revenue", "average_order", "units"]
    for row in [*series.rows, series.total]:
        yield [
            row.label,
            str(row.orders),
            str(row.gross),
            str(row.refunded),
            str(row.net),
            str(row.average),
            str(row.units),
        ]


def _ranked(kind: str) -> Callable[[Period], Iterator[list[str]]]:
    def rows(period: Period) -> Iterator[list[str]]:
        yield [f"{kind}_id", kind, "units", "sales"]
        top = selectors.top_sellers(period)
        for row in top.products if kind == "product" else top.categories:
            ident = "" if row.id is None else str(row.id)
            yield [ident, csv_cell(row.name), str(row.units), str(row.sales)]

    return rows


def _vouchers(period: Period) -> Iterator[list[str]]:
    yield ["voucher", "uses", "discount", "order_sales"]
    for row in selectors.vouchers_used(period):
        yield [
            csv_cell(row["voucher__code"]),
            str(row["uses"]),
            str(row["discount"]),
            str(row["sales"]),
        ]


TABLES: dict[str, Callable[[Period], Iterator[list[str]]]] = {
    "sales": _sales,
    "products": _ranked("product"),
    "categories": _ranked("category"),
    "vouchers": _vouchers,
}
