"""A guest checks out: paid at once, declined then paid, and pending until the webhook."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.browser.conftest import Shopper

pytestmark = pytest.mark.browser

PAID = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
PENDING = "4000 0000 0000 3063"


def _fill_cart_and_give_details(shopper: Shopper, email: str) -> None:
    page = shopper.page
    shopper.go("/catalog/?in_stock=on&ordering=-price")
    page.locator(".product-card a").first.click()
    page.get_by_role("button", name="Add to cart").click()
    shopper.go("/cart/")
    page.get_by_role("link", name="Check out").click()
    shopper.step("details")
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


def _pay(shopper: Shopper, card: str) -> None:
    page = shopper.page
    page.get_by_label("Card number").fill(card)
    page.get_by_label("Expiry month").fill("12")
    page.get_by_label("Expiry year").fill("2040")
    page.get_by_label("Security code (CVC)").fill("123")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def _guest_email() -> str:
    return f"guest-{uuid.uuid4().hex[:10]}@example.com"


def test_a_guest_pays_with_the_success_card_and_gets_the_confirmation_email(shopper: Shopper):
    email = _guest_email()
    _fill_cart_and_give_details(shopper, email)

    _pay(shopper, PAID)
    shopper.step("paid")

    page = shopper.page
    assert page.get_by_role("heading", name="Thank you for your order").is_visible()
    number = page.locator(".confirmation__number strong").inner_text()
    link = _wait_for_link(shopper, email, number)
    page.goto(link)
    shopper.step("order page from the e-mail")
    assert page.get_by_role("heading", name=f"Order {number}").is_visible()
    assert page.get_by_text("Paid").first.is_visible()


def test_a_declined_card_says_so_and_another_card_then_pays(shopper: Shopper):
    _fill_cart_and_give_details(shopper, _guest_email())

    _pay(shopper, DECLINED)
    shopper.step("declined")
    page = shopper.page
    assert page.get_by_text(re.compile("declined", re.I)).first.is_visible()

    _pay(shopper, PAID)
    shopper.step("paid after the decline")
    assert page.get_by_role("heading", name="Thank you for your order").is_visible()


def test_a_pending_payment_is_shown_confirmed_once_the_webhook_arrives(shopper: Shopper):
    _fill_cart_and_give_details(shopper, _guest_email())

    _pay(shopper, PENDING)
    shopper.step("pending")
    page = shopper.page
    # The page refreshes itself every few seconds until the bank's webhook has landed.
    confirmed = page.get_by_text(re.compile("We've received your payment"))
    confirmed.wait_for(timeout=30_000)
    shopper.step("confirmed by the webhook")
    assert page.get_by_text("Paid").first.is_visible()


def _wait_for_link(shopper: Shopper, email: str, number: str) -> str:
    """The order link of the confirmation e-mail, once the worker has sent it."""
    page = shopper.page
    for _ in range(100):
        try:
            return shopper.shop.link_in_mail(to=email, pattern=rf"http\S+/orders/{number}/\S*")
        except AssertionError:
            page.wait_for_timeout(200)
    raise AssertionError(f"no confirmation e-mail to {email} within 20 s")
