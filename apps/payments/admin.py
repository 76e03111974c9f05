"""Staff screens for payments: a read-only ledger of every attempt to pay."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from apps.payments.models import Payment


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Payments are written only by the gateway services; staff look, never edit."""

    list_display = [
        "created_at",
        "order_number",
        "gateway",
        "reference",
        "amount",
        "refunded_amount",
        "status",
        "card",
        "message",
    ]
    list_filter = ["status", "gateway"]
    list_select_related = ["order"]
    search_fields = ["order__number", "reference"]
    search_help_text = "Order number or gateway reference."
    fields = (
        "order",
        "gateway",
        "reference",
        "amount",
        "refunded_amount",
        "status",
        "card",
        "message",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    # Ids grow with time and have an index; sorting every payment by created_at does not.
    ordering = ["-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    @admin.display(description="Order", ordering="order__number")
    def order_number(self, payment: Payment) -> str:
        url = reverse("admin:orders_order_change", args=[payment.order_id])
        return format_html('<a href="{}">{}</a>', url, payment.order.number)

    @admin.display(description="Card")
    def card(self, payment: Payment) -> str:
        return f"{payment.card_brand} •••• {payment.card_last4}" if payment.card_last4 else "-"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
