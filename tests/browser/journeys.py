"""Steps several journeys share: fill a cart, give the delivery details, pay."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from tests.browser.conftest import Shopper

PAID = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
PENDING = "4000 0000 0000 3063"


def guest_email() -> str:
    return f"guest-{uuid.uuid4().hex[:10]}@example.com"


def fill_cart_and_give_details(shopper: Shopper, email: str | None) -> None:
    """The most expensive product in stock into the cart, then the checkout up to paying.

    `email` None: a signed-in shopper, whose address the form already has.
    """
    page = shopper.page
    shopper.go("/catalog/?in_stock=on&ordering=-price")
    page.locator(".product-card a").first.click()
    page.get_by_role("button", name="Add to cart").click()
    shopper.go("/cart/")
    page.get_by_role("link", name="Check out").click()
    shopper.step("details")
    if email is not None:
        page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Address line 1").fill("1 Analytical Way")
    page.get_by_label("City").fill("London")
    page.get_by_label("Postal code").fill("N1 1AA")
    page.get_by_label("Country").select_option("GB")
    page.get_by_role("button", name="Continue to review").click()
    shopper.step("review")
    page.get_by_role("button", name=re.compile("Place order and pay")).click()
    shopper.step("pay")


def pay(shopper: Shopper, card: str) -> None:
    page = shopper.page
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill("2040")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def paid_order_number(shopper: Shopper) -> str:
    """A guest order, paid with the success card; its number."""
    fill_cart_and_give_details(shopper, guest_email())
    pay(shopper, PAID)
    shopper.step("paid")
    return shopper.page.locator(".confirmation__number strong").inner_text()


def wait_until(find: Callable[[], Any], page: Any, *, seconds: float = 20) -> Any:
    """find()'s answer once it stops raising AssertionError (an e-mail the worker sends)."""
    for _ in range(int(seconds * 5)):
        try:
            return find()
        except AssertionError:
            page.wait_for_timeout(200)
    return find()
