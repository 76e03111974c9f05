"""Cart pages: thin views over the cart services and the cart summary selector."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.decorators import ratelimit

from apps.accounts.models import User, customer_key
from apps.cart.forms import VoucherForm
from apps.cart.http import cart_for_request, remember_cart
from apps.cart.models import Cart
from apps.cart.selectors import cart_summary
from apps.cart.services import (
    CartError,
    cart_add_item,
    cart_apply_voucher,
    cart_remove_item,
    cart_remove_voucher,
    cart_set_quantity,
    parse_quantity,
)
from apps.catalog.templatetags.catalog_tags import money as money_label
from apps.sales.room import room_gate_variants
from apps.vouchers.services import VoucherInvalid
from apps.waitingroom.http import waiting_room_response


@require_GET
def cart_detail(request: HttpRequest) -> HttpResponse:
    summary = cart_summary(cart=cart_for_request(request))
    return render(
        request,
        "cart/cart_detail.html",
        {
            "summary": summary,
            "voucher_form": VoucherForm(),
            # The summary already counted the lines: spares the header badge its query.
            "cart_count": summary.count,
            "max_quantity": settings.CART_MAX_LINE_QUANTITY,
            "prices_include_tax": settings.SHOP_PRICES_INCLUDE_TAX,
        },
    )


@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    """Adds from the product page; success and refusal both go back with a message.

    A sale item while its sale's waiting room is full: the shopper waits in line first.
    """
    waiting = room_gate_variants(request, variant_ids=[request.POST.get("variant", "")])
    if waiting is not None:
        return waiting_room_response(
            request,
            waiting.decision,
            title=waiting.sale.name,
            retry_url=waiting.sale.get_absolute_url(),
        )
    quantity = _quantity_input(request.POST.get("quantity", "1"))
    try:
        # A cart created for an add the service refuses is rolled back with it, so a
        # refused add leaves no trace, not even an empty cart.
        with transaction.atomic():
            cart = cart_for_request(request, create=True)
            assert cart is not None  # noqa: S101 - create=True always returns a cart
            line = cart_add_item(
                cart=cart, variant_id=request.POST.get("variant"), quantity=quantity
            )
    except CartError as error:
        messages.error(request, error.message)
        return redirect(_safe_next(request) or _safe_referer(request) or reverse("cart:detail"))
    variant = line.variant
    added = parse_quantity(quantity)
    what = variant.product.title
    if variant.options:
        what = f"{what} ({variant.label})"
    if added > 1:
        what = f"{added} of {what}"
    messages.success(request, f"Added {what} to your cart.")
    response = redirect(_safe_next(request) or variant.product.get_absolute_url())
    remember_cart(request, response)
    return response


@require_POST
def cart_line_update(request: HttpRequest, line_id: int) -> HttpResponseRedirect:
    cart = _cart_holding(request, line_id)
    try:
        line = cart_set_quantity(
            cart=cart,
            line_id=line_id,
            quantity=_quantity_input(request.POST.get("quantity", "")),
        )
    except CartError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{line.variant.product.title}: quantity set to {line.quantity}.")
    return redirect("cart:detail")


@require_POST
def cart_line_remove(request: HttpRequest, line_id: int) -> HttpResponseRedirect:
    cart = _cart_holding(request, line_id)
    try:
        cart_remove_item(cart=cart, line_id=line_id)
    except CartError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "The item was removed from your cart.")
    return redirect("cart:detail")


@require_POST
@ratelimit(
    key="ip",
    rate=lambda group, request: settings.VOUCHER_ATTEMPTS_PER_IP,
    method="POST",
    block=False,
)
def cart_voucher_apply(request: HttpRequest) -> HttpResponseRedirect:
    """Keeps a voucher code on the cart, or says why it can't be used; back to the page."""
    target = _safe_next(request) or reverse("cart:detail")
    if getattr(request, "limited", False):
        # Codes are guessable secrets: many tries in a row from one address must wait.
        messages.error(request, "Too many voucher codes tried. Please wait a minute.")
        return redirect(target)
    form = VoucherForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(reason) for reason in form.errors.get("code", [])))
        return redirect(target)
    try:
        # A cart made for a code the service refuses goes with it, as in cart_add.
        with transaction.atomic():
            cart = cart_for_request(request, create=True)
            assert cart is not None  # noqa: S101 - create=True always returns a cart
            cart_apply_voucher(
                cart=cart, code=form.cleaned_data["code"], customer=_customer(request)
            )
    except (VoucherInvalid, CartError) as error:
        messages.error(request, error.message)
        return redirect(target)
    discount = cart_summary(cart=cart).totals.discount
    saving = f" You save {money_label(discount)}." if discount else ""
    messages.success(request, f"Voucher {cart.voucher_code} applied.{saving}")
    response = redirect(target)
    remember_cart(request, response)
    return response


@require_POST
def cart_voucher_remove(request: HttpRequest) -> HttpResponseRedirect:
    target = _safe_next(request) or reverse("cart:detail")
    cart = cart_for_request(request)
    if cart is None or not cart.voucher_code:
        messages.info(request, "There is no voucher on your cart.")
        return redirect(target)
    code = cart.voucher_code
    cart_remove_voucher(cart=cart)
    messages.success(request, f"Voucher {code} removed.")
    return redirect(target)


def _customer(request: HttpRequest) -> str | None:
    """Who is using the voucher, for once-per-customer codes.

    A guest's e-mail isn't known until checkout, so a guest is nobody yet: order_place
    checks again with the e-mail the order is placed with.
    """
    if not request.user.is_authenticated:
        return None
    user = cast(User, request.user)
    return customer_key(user_id=user.pk, email=user.email)


def _cart_holding(request: HttpRequest, line_id: int) -> Cart:
    """The shopper's cart if it holds that line; anyone else's line is a 404."""
    cart = cart_for_request(request)
    if cart is None or not cart.lines.filter(pk=line_id).exists():
        raise Http404("That item is not in your cart.")
    return cart


def _quantity_input(raw: str) -> str:
    # Digits from other scripts ("²", "٣") pass str.isdigit() but not int(); none of them
    # is a quantity, so they go to the service as "" and get its usual message.
    return raw if raw.isascii() else ""


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    return target if target and _is_safe(request, target) else None


def _safe_referer(request: HttpRequest) -> str | None:
    target = request.headers.get("referer")
    return target if target and _is_safe(request, target) else None


def _is_safe(request: HttpRequest, target: str) -> bool:
    return url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
