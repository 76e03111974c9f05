"""A shopper signs up, keeps addresses, signs in with a guest cart, resets a password and
finds their orders."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.browser.conftest import Shopper
from tests.browser.journeys import fill_cart_and_give_details, wait_until

pytestmark = pytest.mark.browser

PASSWORD = "a-long-browser-password-42"
NEW_PASSWORD = "another-long-password-43"


def _email() -> str:
    return f"member-{uuid.uuid4().hex[:10]}@example.com"


def _sign_up(shopper: Shopper, email: str) -> None:
    page = shopper.page
    shopper.go("/accounts/signup/")
    shopper.step("sign-up form")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label(re.compile(r"^Password:?$")).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    shopper.step("signed up")


def _log_out(shopper: Shopper) -> None:
    page = shopper.page
    page.get_by_role("navigation", name="Account").get_by_role("button", name="Log out").click()
    shopper.step("logged out")


def _log_in(shopper: Shopper, email: str, password: str) -> None:
    page = shopper.page
    shopper.go("/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    shopper.step("logged in")


def _add_first_product(shopper: Shopper) -> str:
    page = shopper.page
    shopper.go("/catalog/?in_stock=on&ordering=title")
    page.locator(".product-card a").first.click()
    title = page.get_by_role("heading", level=1).inner_text()
    page.get_by_role("button", name="Add to cart").click()
    return title


def test_sign_up_then_keep_an_address_in_the_address_book(shopper: Shopper):
    page = shopper.page
    _sign_up(shopper, _email())
    assert page.get_by_role("link", name="My account").is_visible()

    shopper.go("/accounts/addresses/")
    shopper.step("empty address book")
    page.get_by_role("link", name="Add an address").first.click()
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Address line 1").fill("1 Analytical Way")
    page.get_by_label("City").fill("London")
    page.get_by_label("Postal code").fill("N1 1AA")
    page.get_by_label("Country").select_option("GB")
    page.get_by_label("Use as my default address").check()
    page.get_by_role("button", name="Save address").click()
    shopper.step("address saved")
    assert page.get_by_text("1 Analytical Way").first.is_visible()


def test_signing_in_with_a_guest_cart_merges_it_and_says_so(shopper: Shopper):
    page = shopper.page
    email = _email()
    _sign_up(shopper, email)
    _log_out(shopper)

    title = _add_first_product(shopper)
    shopper.step("guest cart filled")
    _log_in(shopper, email, PASSWORD)

    assert page.get_by_text("Items from before you signed in are in your cart.").is_visible()
    shopper.go("/cart/")
    shopper.step("merged cart")
    assert page.get_by_text(title).first.is_visible()


def test_a_forgotten_password_is_reset_from_the_emailed_link(shopper: Shopper):
    page = shopper.page
    email = _email()
    _sign_up(shopper, email)
    _log_out(shopper)

    shopper.go("/accounts/password/reset/")
    shopper.step("reset form")
    page.get_by_label(re.compile("e-?mail", re.I)).fill(email)
    page.get_by_role("button", name="Send reset link").click()
    shopper.step("check your e-mail")
    link = wait_until(
        lambda: shopper.shop.link_in_mail(to=email, pattern=r"http\S+/reset/\S+"), page
    )

    page.goto(link)
    shopper.step("choose a new password")
    page.get_by_label(re.compile(r"^New password:?$")).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set new password").click()
    shopper.step("password changed")
    assert page.get_by_role("heading", name="Your password has been changed").is_visible()

    _log_in(shopper, email, NEW_PASSWORD)
    assert page.get_by_role("link", name="My account").is_visible()


def test_a_members_order_is_in_their_order_history(shopper: Shopper):
    page = shopper.page
    _sign_up(shopper, _email())
    shopper.go("/accounts/orders/")
    shopper.step("no orders yet")

    fill_cart_and_give_details(shopper, None)  # signed in: the e-mail is the account's
    number = re.search(r"SF-[A-Z0-9]+", page.get_by_role("heading", level=1).inner_text())
    assert number is not None

    shopper.go("/accounts/orders/")
    shopper.step("order history")
    page.get_by_role("link", name=re.compile(number.group(0))).first.click()
    shopper.step("the order")
    assert page.get_by_role("heading", name=f"Order {number.group(0)}").is_visible()


def test_form_errors_are_announced_with_their_fields(shopper: Shopper):
    page = shopper.page
    shopper.go("/accounts/signup/")
    page.get_by_label("E-mail address").fill("not-an-address")
    page.get_by_label(re.compile(r"^Password:?$")).fill("short")
    page.get_by_label("Password again").fill("other")
    page.get_by_role("button", name="Create account").click()
    shopper.step("sign-up refused")

    for field in (page.get_by_label("E-mail address"), page.get_by_label("Password again")):
        assert field.get_attribute("aria-invalid") == "true"
        described = (field.get_attribute("aria-describedby") or "").split()
        errors = [page.locator(f"#{name}") for name in described if name.endswith("_error")]
        assert errors, described
        assert errors[0].inner_text().strip()
