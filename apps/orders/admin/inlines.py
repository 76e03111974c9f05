"""The history shown on an order's page: lines, status changes, payments, e-mails."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.orders.admin.common import ReadOnlyInline
from apps.orders.models import Notification, OrderEvent, OrderLine
from apps.payments.models import Payment


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = (
        "sku",
        "product_title",
        "options_label",
        "unit_price",
        "quantity",
        "line_total",
        "restocked_quantity",
    )
    readonly_fields = fields

    @admin.display(description="Options")
    def options_label(self, line: OrderLine) -> str:
        return line.options_label


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    verbose_name = "status change"
    verbose_name_plural = "status history"
    fields = ("created_at", "state", "from_label", "to_label", "actor", "note")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderEvent]:
        return super().get_queryset(request).select_related("actor")

    @admin.display(description="From")
    def from_label(self, event: OrderEvent) -> str:
        return event.from_label

    @admin.display(description="To")
    def to_label(self, event: OrderEvent) -> str:
        return event.to_label


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = (
        "created_at",
        "gateway",
        "reference",
        "amount",
        "refunded_amount",
        "status",
        "card",
        "message",
    )
    readonly_fields = fields

    @admin.display(description="Card")
    def card(self, payment: Payment) -> str:
        return f"{payment.card_brand} •••• {payment.card_last4}" if payment.card_last4 else "-"


class NotificationInline(ReadOnlyInline):
    model = Notification
    verbose_name_plural = "e-mails"
    fields = ("kind", "created_at", "sent_at", "attempts", "last_error")
    readonly_fields = fields
