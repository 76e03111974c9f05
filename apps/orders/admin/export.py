"""The orders CSV export: the changelist as filtered, streamed, safe to open in a spreadsheet."""

from __future__ import annotations

from collections.abc import Iterator

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from apps.core.csv_export import csv_cell, csv_download
from apps.orders.models import Order, OrderLine

# Orders read per query: their lines come with them, a chunk at a time, so 100,000
# orders stream in constant memory.
EXPORT_CHUNK_SIZE = 500
EXPORT_HEADER = [
    "number",
    "placed_at",
    "customer",
    "email",
    "payment_status",
    "fulfillment_status",
    "currency",
    "subtotal",
    "discount",
    "shipping",
    "tax",
    "total",
    "lines",
]


def order_export_rows(orders: QuerySet[Order]) -> Iterator[list[str]]:
    """The header, then one row per order; its lines as "2 x SKU (title)" in one cell."""
    yield EXPORT_HEADER
    lines = Prefetch("lines", queryset=OrderLine.objects.order_by("id"))
    for order in (
        orders.select_related("user")
        .prefetch_related(lines)
        .order_by("-created_at", "-id")
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    ):
        bought = "; ".join(
            f"{line.quantity} x {line.sku} ({line.product_title})" for line in order.lines.all()
        )
        yield [
            order.number,
            timezone.localtime(order.created_at).isoformat(timespec="seconds"),
            csv_cell(order.user.display_name if order.user else "Guest"),
            csv_cell(order.email),
            order.payment_status,
            order.fulfillment_status,
            order.currency,
            str(order.subtotal),
            str(order.discount_total),
            str(order.shipping_total),
            str(order.tax_total),
            str(order.total),
            csv_cell(bought),
        ]


class OrderExport(admin.ModelAdmin):
    """Adds "Export CSV" to the order list: the orders it shows, filtered and searched."""

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_csv_view),
            name="orders_order_export",
        )
        return [export, *super().get_urls()]

    def export_csv_view(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        """Streams the changelist's orders as filtered and searched."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:orders_order_changelist") + "?e=1")
        return csv_download(order_export_rows(changelist.queryset), name="orders")
