"""Checkout pages: details → review → place order → pay → done, all working without JS.

What the shopper chose is kept in the session between steps; what things cost is
recomputed from the database on every step and again by `order_place`.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST
from django_countries import countries

from apps.accounts.models import Address, User
from apps.accounts.selectors import address_list
from apps.cart.forms import VoucherForm
from apps.cart.http import cart_for_request
from apps.cart.selectors import CartSummary, cart_summary
from apps.checkout.forms import CardForm, CheckoutDetailsForm, PlaceOrderForm
from apps.orders import selectors as order_selectors
from apps.orders.choices import OrderPaymentStatus
from apps.orders.models import Order
from apps.orders.services import CheckoutError, OutOfStock, ShippingAddress, order_place
from apps.orders.views import GUEST_SESSION_KEY, remember_guest_order
from apps.payments.gateways import get_gateway
from apps.payments.models import PaymentStatus
from apps.payments.services import OrderNotPayable, PaymentDeclined, order_pay
from apps.pricing.models import ShippingMethod
from apps.pricing.money import Totals, order_totals
from apps.sales.room import room_done_variants, room_gate_cart
from apps.sales.services.claims import SaleLimitReached, SaleSoldOut
from apps.vouchers.services import VoucherInvalid
from apps.waitingroom.http import waiting_room_response

DETAILS_SESSION_KEY = "checkout"
PLACED_SESSION_KEY = "checkout_placed"


@require_http_methods(["GET", "POST"])
def checkout_details(request: HttpRequest) -> HttpResponseBase:
    summary = cart_summary(cart=cart_for_request(request))
    if blocked := _blocked(request, summary):
        return blocked
    user = _user(request)
    addresses = list(address_list(user=user)) if user else []
    form = CheckoutDetailsForm(
        request.POST or None,
        addresses=addresses,
        # Free shipping is judged on the goods after the discount, as order_totals does.
        subtotal=summary.totals.subtotal - summary.totals.discount,
        initial=_details_initial(request, user, addresses),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        request.session[DETAILS_SESSION_KEY] = {
            "email": data["email"],
            "saved_address": data.get("saved_address", ""),
            "address": form.address_data(),
            "shipping_method_id": data["shipping_method"].pk,
            # A fresh one-time token per checkout: order_place answers a repeated token
            # with the order it already placed, so a double submit cannot buy twice.
            "token": secrets.token_urlsafe(32),
        }
        return redirect("checkout:review")
    return render(
        request,
        "checkout/details_form.html",
        {"form": form, "summary": summary, "cart_count": summary.count, "step": "details"},
    )


@require_http_methods(["GET"])
def checkout_review(request: HttpRequest) -> HttpResponseBase:
    summary = cart_summary(cart=cart_for_request(request))
    if blocked := _blocked(request, summary):
        return blocked
    details, method = _details_and_method(request)
    if details is None or method is None:
        return redirect("checkout:details")
    amounts = _amounts(summary, method)
    form = PlaceOrderForm(
        initial={"token": details["token"], "digest": _digest(summary, method, amounts)}
    )
    return render(
        request,
        "checkout/review.html",
        {
            "form": form,
            "summary": summary,
            "cart_count": summary.count,
            "details": details,
            "country_name": countries.name(details["address"]["country"]),
            "method": method,
            "amounts": amounts,
            "voucher_form": VoucherForm(),
            "prices_include_tax": settings.SHOP_PRICES_INCLUDE_TAX,
            "step": "review",
        },
    )


@require_POST
def checkout_place(request: HttpRequest) -> HttpResponseBase:
    """Places the order shown on the review page, once, whatever is posted besides."""
    form = PlaceOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Please review your order and place it again.")
        return redirect("checkout:review")
    token = form.cleaned_data["token"]
    placed: dict[str, str] = request.session.get(PLACED_SESSION_KEY, {})
    if token in placed:
        return redirect("checkout:pay", number=placed[token])
    details, method = _details_and_method(request)
    if details is None or method is None:
        return redirect("checkout:details")
    if token != details["token"]:
        messages.error(request, "Your checkout details changed. Please check your order again.")
        return redirect("checkout:review")
    cart = cart_for_request(request)
    waiting = room_gate_cart(request, cart=cart)
    if waiting is not None:
        return waiting_room_response(
            request,
            waiting.decision,
            title=waiting.sale.name,
            retry_url=reverse("checkout:review"),
        )
    summary = cart_summary(cart=cart)
    # An empty cart here usually means the same form was submitted twice at once and the
    # other submission placed the order: order_place then answers with that order.
    if summary.items:
        if blocked := _blocked(request, summary):
            return blocked
        if summary.voucher_problem:
            messages.error(request, _voucher_refusal(summary.voucher_problem))
            return redirect("checkout:review")
        if form.cleaned_data["digest"] != _digest(summary, method, _amounts(summary, method)):
            messages.warning(
                request,
                "Your cart or a price changed since you reviewed your order. "
                "Please check the new total and place the order again.",
            )
            return redirect("checkout:review")
    user = _user(request)
    try:
        if cart is None:
            raise CheckoutError("Your cart is empty.")
        order = order_place(
            cart=cart,
            email=details["email"],
            address=ShippingAddress(**details["address"]),
            shipping_method_id=method.pk,
            user=user,
            checkout_token=token,
        )
    except (OutOfStock, CheckoutError, SaleLimitReached, SaleSoldOut) as error:
        messages.error(request, error.message)
        return redirect("cart:detail")
    except VoucherInvalid as error:
        # Back to the review page, whose voucher box can remove the code or take another.
        messages.error(request, _voucher_refusal(error.message))
        return redirect("checkout:review")
    room_done_variants(
        request, variant_ids=(line.variant_id for line in order.lines.all() if line.variant_id)
    )
    request.session.pop(DETAILS_SESSION_KEY, None)
    request.session[PLACED_SESSION_KEY] = {**dict(list(placed.items())[-4:]), token: order.number}
    if order.user_id is None:
        remember_guest_order(request, order.number)
    return redirect("checkout:pay", number=order.number)


@sensitive_post_parameters()
@sensitive_variables()
@require_http_methods(["GET", "POST"])
def checkout_pay(request: HttpRequest, number: str) -> HttpResponseBase:
    """Card payment for a pending order; a decline keeps the order payable."""
    order = _owned_order(request, number)
    if not order.is_payable:
        return _after_payment(request, order)
    form = CardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            order_pay(order=order, card=form.card(), actor=_user(request))
        except PaymentDeclined as error:
            form.add_error(None, error.message)
        except OrderNotPayable as error:
            messages.error(request, error.message)
            order.refresh_from_db()
            return _after_payment(request, order)
        else:
            return redirect("checkout:done", number=order.number)
    return render(
        request,
        "checkout/pay_form.html",
        {
            "order": order,
            "form": form,
            "show_test_cards": get_gateway().name == "simulated",
            "prices_include_tax": settings.SHOP_PRICES_INCLUDE_TAX,
            "step": "pay",
        },
    )


@require_http_methods(["GET"])
def checkout_done(request: HttpRequest, number: str) -> HttpResponseBase:
    order = _owned_order(request, number)
    # A payment the bank is still confirming (it arrives by webhook): wait on this page.
    # So is a charge still being made (a second tab, a double click).
    awaiting = order.payment_status == OrderPaymentStatus.PENDING or (
        order.is_payable and order.payments.filter(status=PaymentStatus.PROCESSING).exists()
    )
    if order.is_payable and not awaiting:
        return redirect("checkout:pay", number=order.number)
    if order.is_cancelled:
        return redirect(order)
    return render(
        request,
        "checkout/done.html",
        {
            "order": order,
            "awaiting_confirmation": awaiting,
            "prices_include_tax": settings.SHOP_PRICES_INCLUDE_TAX,
            "step": "done",
        },
    )


def _user(request: HttpRequest) -> User | None:
    return cast(User, request.user) if request.user.is_authenticated else None


def _blocked(request: HttpRequest, summary: CartSummary) -> HttpResponseBase | None:
    """Back to the cart when there is nothing to buy or something can't be bought."""
    if not summary.items:
        messages.info(request, "Your cart is empty.")
        return redirect("cart:detail")
    if not summary.can_check_out:
        messages.error(
            request,
            "Some items in your cart sold out or have fewer left than you asked for. "
            "Please update your cart to check out.",
        )
        return redirect("cart:detail")
    return None


def _voucher_refusal(reason: str) -> str:
    return (
        f"{reason} Your order was not placed: remove the voucher or enter another code, "
        "then place your order again."
    )


def _details_and_method(
    request: HttpRequest,
) -> tuple[dict[str, Any] | None, ShippingMethod | None]:
    details: dict[str, Any] | None = request.session.get(DETAILS_SESSION_KEY)
    if not details:
        return None, None
    method = ShippingMethod.objects.filter(pk=details["shipping_method_id"], is_active=True).first()
    if method is None:
        messages.warning(request, "Please choose a shipping method again.")
    return details, method


def _details_initial(
    request: HttpRequest, user: User | None, addresses: list[Address]
) -> dict[str, Any]:
    saved: dict[str, Any] = request.session.get(DETAILS_SESSION_KEY) or {}
    if saved:
        address = saved["address"] if saved.get("saved_address") in ("", "new") else {}
        return {
            "email": saved["email"],
            "saved_address": saved.get("saved_address") or "new",
            "shipping_method": saved["shipping_method_id"],
            **address,
        }
    initial: dict[str, Any] = {"email": user.email if user else ""}
    if addresses:
        initial["saved_address"] = str(addresses[0].pk)  # the default comes first
    method = ShippingMethod.objects.filter(is_active=True).first()
    if method is not None:
        initial["shipping_method"] = method.pk
    return initial


def _amounts(summary: CartSummary, method: ShippingMethod) -> Totals:
    """The order's totals the way order_place will compute them, for the review page."""
    priced = [(item.unit_price, item.line.quantity) for item in summary.items]
    return order_totals(
        lines=priced,
        shipping_base=method.price,
        free_above=method.free_above,
        discount=summary.totals.discount,
    )


def _digest(summary: CartSummary, method: ShippingMethod, amounts: Totals) -> str:
    """A fingerprint of what the review page showed: lines, prices, shipping, voucher, total."""
    shown = {
        "lines": [
            [item.line.variant_id, item.line.quantity, str(item.unit_price)]
            for item in summary.items
        ],
        "method": [method.pk, str(amounts.shipping)],
        "voucher": [summary.voucher_code, str(amounts.discount)],
        "total": str(amounts.total),
    }
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


def _owned_order(request: HttpRequest, number: str) -> Order:
    """The signed-in owner's order, or a guest order this browser placed or looked up."""
    order = None
    user = _user(request)
    if user is not None:
        order = order_selectors.order_for_user(user=user, number=number)
    if order is None and number in request.session.get(GUEST_SESSION_KEY, []):
        order = order_selectors.order_detail_queryset().filter(number=number, user=None).first()
    if order is None:
        raise Http404("No such order.")
    return order


def _after_payment(request: HttpRequest, order: Order) -> HttpResponseBase:
    if order.is_cancelled:
        messages.error(request, f"Order {order.number} was cancelled and can no longer be paid.")
        return redirect(order)
    return redirect("checkout:done", number=order.number)
