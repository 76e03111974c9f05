"""The refund screen of one order: amount, reason and restock, through the gateway."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from apps.catalog.templatetags.catalog_tags import money
from apps.core.errors import ApplicationError
from apps.orders.admin.common import actor_of
from apps.orders.admin.forms import RefundForm
from apps.orders.models import Order
from apps.payments.models import PaymentStatus
from apps.payments.services import order_refund


class OrderRefundView(admin.ModelAdmin):
    """Adds the refund page, linked from the order's own page."""

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<path:object_id>/refund/",
                self.admin_site.admin_view(self.refund_view),
                name="orders_order_refund",
            ),
            *super().get_urls(),
        ]

    def refund_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Full or partial refund through the gateway, with optional restock of lines."""
        order = get_object_or_404(Order, pk=object_id)
        # The changelist-level permission, as for the actions: single orders are view-only.
        if not self.has_change_permission(request):
            raise PermissionDenied
        payment = (
            order.payments.filter(status=PaymentStatus.CAPTURED).order_by("-created_at").first()
        )
        refundable = payment.refundable if payment else Decimal("0.00")
        lines = list(order.lines.order_by("id"))
        form = RefundForm(request.POST or None, lines=lines, initial={"amount": refundable})
        if request.method == "POST" and form.is_valid():
            try:
                refund = order_refund(
                    order=order,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                    actor=actor_of(request),
                    restock=form.restock(),
                )
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request,
                    f"Refunded {money(refund.amount)} on order {order.number}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Refund order {order.number}",
            "opts": self.model._meta,
            "order": order,
            "payment": payment,
            "refundable": refundable,
            "form": form,
            "refunds": list(order.refunds.select_related("actor")),
        }
        return TemplateResponse(request, "admin/orders/order/refund.html", context)
