"""Staff screens for orders and their e-mails. Every status change goes through the services.

The order screen is put together here from its parts: the list's actions (actions.py),
the buttons of an order's own page (order_page.py), the refund page (refund.py), the CSV
export (export.py), the history inlines, forms and filters; the e-mail outbox has its own
screen (notifications.py).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django_countries import countries

from apps.catalog.templatetags.catalog_tags import money
from apps.orders.admin.actions import OrderActions
from apps.orders.admin.common import MAX_ORDERS_PER_ACTION, ReadOnlyChangeMixin
from apps.orders.admin.export import OrderExport
from apps.orders.admin.filters import CustomerFilter
from apps.orders.admin.inlines import (
    NotificationInline,
    OrderEventInline,
    OrderLineInline,
    PaymentInline,
)
from apps.orders.admin.notifications import NotificationAdmin
from apps.orders.admin.order_page import OrderPageButtons
from apps.orders.admin.refund import OrderRefundView
from apps.orders.models import Order, OrderLine

__all__ = ["MAX_ORDERS_PER_ACTION", "NotificationAdmin", "OrderAdmin"]


@admin.register(Order)
class OrderAdmin(ReadOnlyChangeMixin, OrderPageButtons, OrderExport, OrderRefundView, OrderActions):
    list_display = [
        "number",
        "created_at",
        "email",
        "customer",
        "payment_status",
        "fulfillment_status",
        "total_display",
        "items",
    ]
    # A date filter rather than date_hierarchy: the hierarchy reads the distinct years or
    # months of every matching order on each page load.
    list_filter = ["payment_status", "fulfillment_status", "created_at", CustomerFilter]
    list_select_related = ["user"]
    search_fields = ["number", "email"]
    search_help_text = "Order number or e-mail address."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = MAX_ORDERS_PER_ACTION
    inlines = [OrderLineInline, OrderEventInline, PaymentInline, NotificationInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "number",
                    "payment_status",
                    "fulfillment_status",
                    "created_at",
                    "updated_at",
                    "user",
                    "email",
                ]
            },
        ),
        (
            "Amounts",
            {
                "fields": [
                    "currency",
                    "subtotal",
                    "shipping_total",
                    "discount_total",
                    "tax_total",
                    "total",
                ]
            },
        ),
        (
            "Shipping",
            {
                "fields": [
                    "shipping_address",
                    "shipping_method_name",
                    "carrier",
                    "tracking_number",
                    "shipped_at",
                    "delivered_at",
                ]
            },
        ),
        ("Payment", {"fields": ["expires_at", "paid_at", "cancelled_at"]}),
    ]
    actions = ["mark_shipped", "mark_delivered", "cancel_orders", "resend_confirmation"]

    change_form_template = "admin/orders/order/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        items = (
            OrderLine.objects.filter(order=OuterRef("pk"))
            .order_by()
            .values("order")
            .annotate(n=Sum("quantity"))
            .values("n")
        )
        return super().get_queryset(request).annotate(item_count=Coalesce(Subquery(items), 0))

    @admin.display(description="Customer")
    def customer(self, order: Order) -> str:
        if order.user is None:
            return "Guest"
        url = reverse("admin:orders_order_changelist") + f"?user__id__exact={order.user_id}"
        return format_html(
            '<a href="{}" title="All orders of this customer">{}</a>',
            url,
            order.user.display_name,
        )

    @admin.display(description="Total", ordering="total")
    def total_display(self, order: Order) -> str:
        return money(order.total)

    @admin.display(description="Items", ordering="item_count")
    def items(self, order: Order) -> int:
        return int(getattr(order, "item_count", 0))

    @admin.display(description="Ship to")
    def shipping_address(self, order: Order) -> str:
        lines = [
            order.shipping_name,
            order.shipping_line1,
            order.shipping_line2,
            f"{order.shipping_postal_code} {order.shipping_city}",
            order.shipping_region,
            countries.name(order.shipping_country) or order.shipping_country,
            order.shipping_phone,
        ]
        parts = [line for line in lines if line]
        return format_html("<br>".join(["{}"] * len(parts)), *parts)

    def _selected(self, request: HttpRequest, queryset: QuerySet[Order]) -> list[Order] | None:
        orders = list(queryset[: MAX_ORDERS_PER_ACTION + 1])
        if len(orders) > MAX_ORDERS_PER_ACTION:
            self.message_user(
                request,
                f"Select at most {MAX_ORDERS_PER_ACTION} orders at a time. Nothing was changed.",
                messages.ERROR,
            )
            return None
        return orders
