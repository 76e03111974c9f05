"""Order pages for shoppers: their own orders, and a guest look-up by number and e-mail."""

from __future__ import annotations

from typing import cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse

from apps.accounts.models import User
from apps.catalog.views import paginate
from apps.orders import links, selectors
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


def order_detail(request: HttpRequest, number: str) -> HttpResponseBase:
    """Owner only: another shopper's order number is a 404, not a 403."""
    if links.LINK_PARAMETER in request.GET:
        return _open_guest_link(request, number, request.GET[links.LINK_PARAMETER])
    return render(request, "orders/order_detail.html", {"order": _visible_order(request, number)})


def _open_guest_link(request: HttpRequest, number: str, token: str) -> HttpResponseBase:
    """A guest's e-mail link: lets this browser see that one order, as its placer can."""
    try:
        links.guest_order_token_check(number=number, token=token)
    except links.GuestLinkExpired:
        if number in request.session.get(GUEST_SESSION_KEY, []):
            return redirect("orders:detail", number=number)
        messages.info(
            request, "This link has expired; look up your order with its number and e-mail."
        )
        return redirect(f"{reverse('orders:lookup')}?{urlencode({'number': number})}")
    except links.GuestLinkInvalid:
        # The same 404 as an unknown number, so a forged token tells nothing about orders.
        raise Http404("No such order.") from None
    remember_guest_order(request, number)
    # Off the token's URL at once, so it does not linger in the address bar or leak in a
    # Referer header from the order page; the session grants access from here on.
    return redirect("orders:detail", number=number)


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
    # ?number= comes from an expired e-mail link: the guest then only types the e-mail.
    form = OrderLookupForm(request.POST or None, initial={"number": request.GET.get("number")})
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
