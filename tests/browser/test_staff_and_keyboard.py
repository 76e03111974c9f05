"""Staff ship and refund an order in the admin; a shopper checks out with the keyboard only."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Shopper
from tests.browser.served import STAFF_EMAIL, STAFF_PASSWORD

pytestmark = pytest.mark.browser


def test_staff_ship_then_refund_a_paid_order(shopper: Shopper):
    from tests.browser.journeys import paid_order_number

    number = paid_order_number(shopper)
    page = shopper.page
    shopper.go("/admin/login/")
    page.get_by_label(re.compile("e-?mail", re.I)).fill(STAFF_EMAIL)
    page.get_by_label(re.compile("password", re.I)).fill(STAFF_PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    shopper.step("admin home", accessible=False)

    shopper.go(f"/admin/orders/order/?q={number}")
    page.get_by_role("link", name=number).first.click()
    shopper.step("the order in the admin", accessible=False)

    page.get_by_role("link", name="Ship", exact=True).click()
    page.get_by_label(re.compile("Carrier")).fill("DHL")
    page.get_by_label(re.compile("Tracking number")).fill("JD0001")
    page.get_by_role("button", name="Mark shipped").click()
    shopper.step("shipped", accessible=False)
    assert "shipped" in page.locator(".messagelist .success").inner_text().lower()

    page.get_by_role("link", name="Refund", exact=True).click()
    shopper.step("refund form", accessible=False)
    page.get_by_label(re.compile("Amount")).fill("1.00")
    page.get_by_label(re.compile("Reason")).fill("A scratch on the box")
    page.get_by_role("button", name="Refund through the gateway").click()
    shopper.step("refunded", accessible=False)
    assert "refund" in page.locator(".messagelist .success").inner_text().lower()
    assert page.locator(".messagelist .error, .errornote").count() == 0


def test_a_guest_checks_out_with_the_keyboard_alone(shopper: Shopper):
    if shopper.viewport == "phone":
        pytest.skip("a phone has no keyboard to tab with; the desktop run covers it")
    page = shopper.page
    keyboard = page.keyboard
    shopper.go("/catalog/?in_stock=on&ordering=-price")

    _tab_to(page, lambda: page.evaluate("!!document.activeElement.closest('.product-card')"))
    _enter(page)
    shopper.step("product page by keyboard")
    _tab_to(page, lambda: _focused_text(page) == "Add to cart")
    _enter(page)
    _tab_to(page, lambda: _focused_text(page).startswith("Cart"))
    _enter(page)
    _tab_to(page, lambda: _focused_text(page) == "Check out")
    _enter(page)
    shopper.step("details by keyboard")

    answers = {
        "email": "keyboard@example.com",
        "full_name": "Ada Lovelace",
        "line1": "1 Analytical Way",
        "city": "London",
        "postal_code": "N1 1AA",
        "country": "United Kingdom",  # typed on a focused select: the option of that name
    }
    for name, value in answers.items():
        _tab_to(page, lambda name=name: _focused_name(page) == name)
        keyboard.type(value)
    _tab_to(page, lambda: _focused_text(page) == "Continue to review")
    _enter(page)
    shopper.step("review by keyboard")
    _tab_to(page, lambda: _focused_text(page).startswith("Place order and pay"))
    _enter(page)

    for name, value in (
        ("card_number", "4242424242424242"),
        ("exp_month", "12"),
        ("exp_year", "2040"),
        ("cvc", "123"),
    ):
        _tab_to(page, lambda name=name: _focused_name(page) == name)
        keyboard.type(value)
    _tab_to(page, lambda: _focused_text(page).startswith("Pay "))
    _enter(page)
    shopper.step("paid by keyboard")
    assert page.get_by_role("heading", name="Thank you for your order").is_visible()


def _enter(page) -> None:
    """Enter on the focused link or button, and the page it leads to loaded."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _tab_to(page, reached, *, limit: int = 80) -> None:
    """Presses Tab until `reached()` (focus is where a keyboard user wants it)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if reached():
            return
    raise AssertionError(f"not reachable with Tab from {page.url}")


def _focused_text(page) -> str:
    return page.evaluate(
        "(document.activeElement.innerText || document.activeElement.value || '').trim()"
    )


def _focused_name(page) -> str:
    return page.evaluate("document.activeElement.name || ''")
