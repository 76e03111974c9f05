"""A guest checks out: paid at once, declined then paid, and pending until the webhook."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Shopper
from tests.browser.journeys import (
    DECLINED,
    PAID,
    PENDING,
    fill_cart_and_give_details,
    guest_email,
    pay,
    wait_until,
)

pytestmark = pytest.mark.browser


def test_a_guest_pays_with_the_success_card_and_gets_the_confirmation_email(shopper: Shopper):
    email = guest_email()
    fill_cart_and_give_details(shopper, email)

    pay(shopper, PAID)
    shopper.step("paid")

    page = shopper.page
    assert page.get_by_role("heading", name="Thank you for your order").is_visible()
    number = page.locator(".confirmation__number strong").inner_text()
    pattern = rf"http\S+/orders/{number}/\S*"
    link = wait_until(lambda: shopper.shop.link_in_mail(to=email, pattern=pattern), page)
    page.goto(link)
    shopper.step("order page from the e-mail")
    assert page.get_by_role("heading", name=f"Order {number}").is_visible()
    assert page.get_by_text("Paid").first.is_visible()


def test_a_declined_card_says_so_and_another_card_then_pays(shopper: Shopper):
    fill_cart_and_give_details(shopper, guest_email())

    pay(shopper, DECLINED)
    shopper.step("declined")
    page = shopper.page
    assert page.get_by_text(re.compile("declined", re.I)).first.is_visible()

    pay(shopper, PAID)
    shopper.step("paid after the decline")
    assert page.get_by_role("heading", name="Thank you for your order").is_visible()


def test_a_pending_payment_is_shown_confirmed_once_the_webhook_arrives(shopper: Shopper):
    fill_cart_and_give_details(shopper, guest_email())

    pay(shopper, PENDING)
    shopper.step("pending")
    page = shopper.page
    # The page refreshes itself every few seconds until the bank's webhook has landed.
    confirmed = page.get_by_text(re.compile("We've received your payment"))
    confirmed.wait_for(timeout=30_000)
    shopper.step("confirmed by the webhook")
    assert page.get_by_text("Paid").first.is_visible()
