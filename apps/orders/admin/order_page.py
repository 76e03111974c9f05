"""Buttons on an order's own page: ship, mark delivered or returned, cancel, resend.

Each opens a page that says what will happen and asks for what it needs (carrier and
tracking number, a reason), then makes the change through the service and comes back to
the order's page with the result. Refunds have their own page (refund.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from apps.core.errors import ApplicationError
from apps.orders import services
from apps.orders.admin.common import actor_of
from apps.orders.choices import NotificationKind
from apps.orders.models import Order
from apps.payments.services import order_cancel_and_refund


class ShipForm(forms.Form):
    carrier = forms.CharField(max_length=60, help_text="For example DHL, UPS or Royal Mail.")
    tracking_number = forms.CharField(max_length=100)


class NoteForm(forms.Form):
    note = forms.CharField(
        max_length=200,
        required=False,
        label="Reason",
        help_text="Kept in the order's history; the customer is not shown it.",
    )


class ConfirmForm(forms.Form):
    """Nothing to fill in: the button is the confirmation."""


Perform = Callable[[Order, dict[str, Any], HttpRequest], str]


@dataclass(frozen=True)
class Step:
    """One button: what it asks, what it says, and the service call that does it."""

    title: str
    intro: Callable[[Order], str]
    submit: str
    form: type[forms.Form]
    perform: Perform


def _ship(order: Order, data: dict[str, Any], request: HttpRequest) -> str:
    services.order_ship(
        order=order,
        carrier=data["carrier"],
        tracking_number=data["tracking_number"],
        actor=actor_of(request),
    )
    return (
        f"Shipped order {order.number} with {order.carrier} ({order.tracking_number}); "
        "the customer was e-mailed."
    )


def _deliver(order: Order, data: dict[str, Any], request: HttpRequest) -> str:
    services.order_mark_delivered(order=order, actor=actor_of(request))
    return f"Marked order {order.number} delivered."


def _return(order: Order, data: dict[str, Any], request: HttpRequest) -> str:
    services.order_mark_returned(
        order=order, actor=actor_of(request), note=data["note"] or "Returned"
    )
    return f"Marked order {order.number} returned. Refund it from its Refund page if due."


def _cancel(order: Order, data: dict[str, Any], request: HttpRequest) -> str:
    refund = order_cancel_and_refund(
        order=order, actor=actor_of(request), note=data["note"] or "Cancelled by staff"
    )
    done = f"Cancelled order {order.number} and returned its stock"
    return f"{done}; refunded {refund.amount} {order.currency}." if refund else f"{done}."


def _resend(order: Order, data: dict[str, Any], request: HttpRequest) -> str:
    services.notification_queue(order=order, kind=NotificationKind.ORDER_CONFIRMATION)
    return f"Confirmation e-mail for order {order.number} queued to {order.email}."


def _cancel_intro(order: Order) -> str:
    intro = f"Cancel order {order.number}, return its stock and e-mail {order.email}."
    if order.payment_status in services.PAID_STATUSES:
        intro += " It is paid: what the customer paid is refunded in full, through the gateway."
    return intro


STEPS = {
    "ship": Step(
        title="Ship order",
        intro=lambda o: (
            f"Ship order {o.number} to {o.shipping_name}, {o.shipping_city} "
            f"({o.shipping_country}). The customer is e-mailed the carrier and tracking number."
        ),
        submit="Mark shipped",
        form=ShipForm,
        perform=_ship,
    ),
    "deliver": Step(
        title="Mark order delivered",
        intro=lambda o: (
            f"Order {o.number} was shipped with {o.carrier} ({o.tracking_number}). "
            "Mark it delivered?"
        ),
        submit="Mark delivered",
        form=ConfirmForm,
        perform=_deliver,
    ),
    "return": Step(
        title="Mark order returned",
        intro=lambda o: (
            f"The parcel of order {o.number} came back. Its payment is not "
            "changed: refund it separately if the customer is owed money."
        ),
        submit="Mark returned",
        form=NoteForm,
        perform=_return,
    ),
    "cancel": Step(
        title="Cancel order",
        intro=_cancel_intro,
        submit="Cancel order",
        form=NoteForm,
        perform=_cancel,
    ),
    "resend": Step(
        title="Resend confirmation e-mail",
        intro=lambda o: f"Send the order confirmation of {o.number} to {o.email} again?",
        submit="Send e-mail",
        form=ConfirmForm,
        perform=_resend,
    ),
}


class OrderPageButtons(admin.ModelAdmin):
    """Adds a page per button to the order admin; the change page shows the buttons."""

    def get_urls(self) -> list[URLPattern]:
        steps = [
            path(
                f"<path:object_id>/{name}/",
                self.admin_site.admin_view(self._step_view(name)),
                name=f"orders_order_{name}",
            )
            for name in STEPS
        ]
        return [*steps, *super().get_urls()]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        order = Order.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        moves = services.order_moves(order) if order and self.has_change_permission(request) else ()
        context = {**(extra_context or {}), "order_moves": moves}
        return super().change_view(request, object_id, form_url, extra_context=context)

    def _step_view(self, name: str) -> Callable[..., HttpResponse]:
        step = STEPS[name]

        def view(request: HttpRequest, object_id: str) -> HttpResponse:
            order = get_object_or_404(Order, pk=object_id)
            # The changelist-level permission, as for the actions: single orders are
            # view-only pages, changed only through these steps.
            if not self.has_change_permission(request):
                raise PermissionDenied
            back = reverse("admin:orders_order_change", args=[order.pk])
            if name not in services.order_moves(order):
                self.message_user(
                    request,
                    f"Order {order.number} is {order.status_summary.lower()}: "
                    f"“{step.title.lower()}” does not apply to it now.",
                    messages.ERROR,
                )
                return HttpResponseRedirect(back)
            form = step.form(request.POST if request.method == "POST" else None)
            if request.method == "POST" and form.is_valid():
                try:
                    done = step.perform(order, form.cleaned_data, request)
                except ApplicationError as error:
                    self.message_user(request, error.message, messages.ERROR)
                else:
                    self.message_user(request, done, messages.SUCCESS)
                return HttpResponseRedirect(back)
            context = {
                **self.admin_site.each_context(request),
                "title": f"{step.title} {order.number}",
                "opts": self.opts,
                "object": order,
                "object_label": order.number,
                "now": order.status_summary,
                "intro": step.intro(order),
                "form": form,
                "submit_label": step.submit,
            }
            return TemplateResponse(request, "admin/shopfront/confirm_step.html", context)

        return view
