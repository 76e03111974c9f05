"""Staff screens for payments: a read-only ledger of every attempt to pay."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from apps.payments.models import Payment, Refund, WebhookEvent


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


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    """Every refund: who, when, how much, why; made from an order's Refund page."""

    list_display = ["created_at", "order_link", "amount", "status", "reason", "actor"]
    list_filter = ["status"]
    list_select_related = ["order", "actor"]
    search_fields = ["order__number", "gateway_reference"]
    readonly_fields = (
        "order",
        "payment",
        "amount",
        "status",
        "reason",
        "gateway_reference",
        "restocked",
        "actor",
        "created_at",
    )
    fields = readonly_fields
    ordering = ["-id"]
    show_full_result_count = False

    @admin.display(description="Order", ordering="order__number")
    def order_link(self, refund: Refund) -> str:
        url = reverse("admin:orders_order_change", args=[refund.order_id])
        return format_html('<a href="{}">{}</a>', url, refund.order.number)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    """Gateway events as received; the flagged ones need a staff decision."""

    list_display = ["received_at", "event_id", "kind", "payment", "needs_attention", "note"]
    list_filter = ["needs_attention", "kind"]
    list_select_related = ["payment"]
    search_fields = ["event_id", "payment__reference", "payment__order__number"]
    readonly_fields = ("event_id", "kind", "payload", "payment", "received_at", "note")
    fields = (*readonly_fields, "needs_attention")
    ordering = ["-id"]
    show_full_result_count = False
    actions = ["mark_resolved"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Mark as dealt with")
    def mark_resolved(self, request: HttpRequest, queryset: Any) -> None:
        done = queryset.filter(needs_attention=True).update(needs_attention=False)
        self.message_user(request, f"{done} event(s) marked as dealt with.")
