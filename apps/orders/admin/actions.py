"""The order list's actions: ship, mark delivered, cancel (refunding paid orders), resend."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from apps.core.errors import ApplicationError
from apps.orders import services
from apps.orders.admin.common import NAMES_IN_MESSAGE, actor_of, named, with_status
from apps.orders.admin.forms import CancelOrdersForm, ShipOrdersForm
from apps.orders.choices import FulfillmentStatus, NotificationKind
from apps.orders.models import Order
from apps.orders.services import PAID_STATUSES
from apps.payments.services import order_cancel_and_refund


class OrderActions(admin.ModelAdmin):
    """Every action changes orders through the services, and reports each refusal."""

    # The admin that uses these actions bounds how many orders one may change at once.
    _selected: Callable[[HttpRequest, QuerySet[Order]], list[Order] | None]

    def _action_page(
        self,
        request: HttpRequest,
        *,
        action: str,
        title: str,
        intro: str,
        form: forms.Form,
        orders: list[Order],
        submit_label: str,
        skipped: list[str] | None = None,
        skipped_title: str = "",
        list_orders: bool = False,
        warning: str = "",
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "intro": intro,
            "warning": warning,
            "opts": self.opts,
            "form": form,
            "orders": orders,
            "skipped": skipped or [],
            "skipped_title": skipped_title,
            "list_orders": list_orders,
            "submit_label": submit_label,
            "action": action,
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/orders/order/action_form.html", context)

    def _report(self, request: HttpRequest, done: str, refusals: list[str]) -> None:
        if done:
            self.message_user(request, done, messages.SUCCESS)
        for refusal in refusals[:NAMES_IN_MESSAGE]:
            self.message_user(request, refusal, messages.ERROR)
        if len(refusals) > NAMES_IN_MESSAGE:
            self.message_user(
                request,
                f"{len(refusals) - NAMES_IN_MESSAGE} more orders could not be changed.",
                messages.ERROR,
            )

    @admin.action(description="Mark shipped (carrier and tracking number)…", permissions=["change"])
    def mark_shipped(
        self, request: HttpRequest, queryset: QuerySet[Order]
    ) -> TemplateResponse | None:
        orders = self._selected(request, queryset)
        if orders is None:
            return None
        paid = [order for order in orders if _shippable(order)]
        not_paid = with_status(order for order in orders if not _shippable(order))
        skipped = (
            f"Skipped {len(not_paid)} order(s) that are not paid or not waiting to be shipped "
            f"(only paid orders not yet shipped can be shipped): {named(not_paid)}."
        )
        if not paid:
            self.message_user(request, f"Nothing was shipped. {skipped}", messages.WARNING)
            return None
        form = ShipOrdersForm(request.POST if "apply" in request.POST else None, orders=paid)
        if not form.is_valid():
            return self._action_page(
                request,
                action="mark_shipped",
                title="Mark orders shipped",
                intro=(
                    f"Ship {len(paid)} paid order(s). Each customer is e-mailed the carrier "
                    "and their tracking number."
                ),
                form=form,
                orders=paid,
                submit_label="Mark shipped",
                skipped=not_paid,
                skipped_title="Left out, because only paid orders not yet shipped can be shipped:",
            )
        shipped, refusals = [], []
        for order in paid:
            try:
                services.order_ship(
                    order=order,
                    carrier=form.cleaned_data["carrier"],
                    tracking_number=form.tracking_number(order),
                    actor=actor_of(request),
                )
            except ApplicationError as error:
                # Another member of staff (or the customer cancelling) got there first.
                refusals.append(error.message)
            else:
                shipped.append(order.number)
        done = f"Shipped {len(shipped)} order(s): {named(shipped)}." if shipped else ""
        self._report(request, done, refusals)
        if not_paid:
            self.message_user(request, skipped, messages.WARNING)
        return None

    @admin.action(description="Mark delivered", permissions=["change"])
    def mark_delivered(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        orders = self._selected(request, queryset)
        if orders is None:
            return
        delivered, refusals = [], []
        not_shipped = with_status(
            o for o in orders if o.fulfillment_status != FulfillmentStatus.SHIPPED
        )
        for order in orders:
            if order.fulfillment_status != FulfillmentStatus.SHIPPED:
                continue
            try:
                services.order_mark_delivered(order=order, actor=actor_of(request))
            except ApplicationError as error:
                refusals.append(error.message)
            else:
                delivered.append(order.number)
        done = (
            f"Marked {len(delivered)} order(s) delivered: {named(delivered)}." if delivered else ""
        )
        self._report(request, done, refusals)
        if not_shipped:
            self.message_user(
                request,
                f"Skipped {len(not_shipped)} order(s) that are not shipped (only shipped orders "
                f"can be marked delivered): {named(not_shipped)}.",
                messages.WARNING,
            )

    @admin.action(description="Cancel and return stock…", permissions=["change"])
    def cancel_orders(
        self, request: HttpRequest, queryset: QuerySet[Order]
    ) -> TemplateResponse | None:
        orders = self._selected(request, queryset)
        if orders is None:
            return None
        form = CancelOrdersForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            paid = [order.number for order in orders if order.payment_status in PAID_STATUSES]
            warning = (
                f"{len(paid)} of these are paid ({named(paid)}): cancelling refunds what "
                "their customers paid, in full, through the payment gateway."
                if paid
                else ""
            )
            return self._action_page(
                request,
                action="cancel_orders",
                title="Cancel orders",
                intro=(
                    f"Cancel {len(orders)} order(s), return their stock and e-mail the "
                    "customers. Orders already shipped, delivered or cancelled are left as "
                    "they are and reported."
                ),
                form=form,
                orders=orders,
                submit_label="Cancel orders",
                list_orders=True,
                warning=warning,
            )
        cancelled, refusals = [], []
        for order in orders:
            try:
                order_cancel_and_refund(
                    order=order,
                    actor=actor_of(request),
                    note=form.cleaned_data["note"] or "Cancelled by staff",
                )
            except ApplicationError as error:
                refusals.append(error.message)
            else:
                cancelled.append(order.number)
        done = (
            f"Cancelled {len(cancelled)} order(s) and returned their stock: {named(cancelled)}."
            if cancelled
            else ""
        )
        self._report(request, done, refusals)
        return None

    @admin.action(description="Resend order confirmation e-mail", permissions=["change"])
    def resend_confirmation(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        orders = self._selected(request, queryset)
        if orders is None:
            return
        queued = []
        # "Thank you for your order" about a cancelled order would only confuse.
        cancelled = [order.number for order in orders if order.is_cancelled]
        for order in orders:
            if not order.is_cancelled:
                services.notification_queue(order=order, kind=NotificationKind.ORDER_CONFIRMATION)
                queued.append(order.number)
        if queued:
            self.message_user(
                request,
                f"Confirmation e-mail queued for {len(queued)} order(s): {named(queued)}.",
                messages.SUCCESS,
            )
        if cancelled:
            self.message_user(
                request,
                f"Skipped {len(cancelled)} cancelled order(s): {named(cancelled)}.",
                messages.WARNING,
            )


def _shippable(order: Order) -> bool:
    return (
        order.fulfillment_status == FulfillmentStatus.UNFULFILLED
        and order.payment_status in PAID_STATUSES
    )
