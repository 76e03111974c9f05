"""Order pages for shoppers: their own orders, and a guest look-up by number and e-mail."""

from __future__ import annotations

from typing import cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apps.accounts.models import User
from apps.catalog.views import paginate
from apps.orders import selectors
from apps.orders.models import Order

GUEST_SESSION_KEY = "guest_orders"


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.order_list(user=cast(User, request.user)), per_page=20)
    return render(request, "orders/order_list.html", {"page": page, "orders": page.object_list})


def _visible_order(request: HttpRequest, number: str, *, staff_too: bool = False) -> Order:
    """The order if this browser may see it (owner, or the guest who placed or found it)."""
    order = None
    if staff_too and request.user.is_authenticated and request.user.is_staff:
        order = selectors.order_detail_queryset().filter(number=number).first()
    if order is None and request.user.is_authenticated:
        order = selectors.order_for_user(user=cast(User, request.user), number=number)
    if order is None and number in request.session.get(GUEST_SESSION_KEY, []):
        order = selectors.order_detail_queryset().filter(number=number, user=None).first()
    if order is None:
        raise Http404("No such order.")
    return order


def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    """Owner only: another shopper's order number is a 404, not a 403."""
    return render(request, "orders/order_detail.html", {"order": _visible_order(request, number)})


def order_invoice(request: HttpRequest, number: str) -> HttpResponse:
    """A printable invoice, or packing slip with ?slip=1, for staff and the order's owner."""
    order = _visible_order(request, number, staff_too=True)
    return render(
        request,
        "orders/invoice.html",
        {
            "order": order,
            "slip": request.GET.get("slip") == "1",
            "refunds": [r for r in order.refunds.all() if r.status == "succeeded"],
        },
    )


class OrderLookupForm(forms.Form):
    number = forms.CharField(label="Order number", max_length=20)
    email = forms.EmailField(label="E-mail address used for the order")


def order_lookup(request: HttpRequest) -> HttpResponse:
    form = OrderLookupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        order = selectors.order_for_guest(**form.cleaned_data)
        if order is not None:
            remember_guest_order(request, order.number)
            return render(request, "orders/order_detail.html", {"order": order})
        form.add_error(None, "We couldn't find an order with that number and e-mail address.")
    return render(request, "orders/order_lookup.html", {"form": form})


def remember_guest_order(request: HttpRequest, number: str) -> None:
    """Lets this browser see a guest order it placed or proved it owns."""
    numbers = [n for n in request.session.get(GUEST_SESSION_KEY, []) if n != number]
    request.session[GUEST_SESSION_KEY] = [*numbers[-19:], number]
