"""A shopper browses, filters, sorts, pages, searches with a typo and fills a cart."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Shopper

pytestmark = pytest.mark.browser


def test_home_to_a_category_filtered_sorted_and_its_second_page(shopper: Shopper):
    page = shopper.page
    shopper.go("/")
    shopper.step("home")

    page.get_by_role("region", name="Shop by category").get_by_role("link").first.click()
    shopper.step("category")
    assert page.get_by_role("heading", level=1).is_visible()

    filters = page.locator("aside.filters")
    if shopper.viewport == "phone":
        # Folded, so that the products come first; the summary opens them.
        assert not filters.get_by_label("Sort by").is_visible()
        filters.get_by_text("Filter and sort").click()
        shopper.step("filters opened")
    filters.get_by_label("In stock only").check()
    filters.get_by_label("Sort by").select_option("price")
    filters.get_by_role("button", name="Apply").click()
    shopper.step("filtered and sorted")
    assert "in_stock=on" in page.url
    assert "ordering=price" in page.url
    prices = [_amount(text) for text in page.locator(".product-card .price").all_inner_texts()]
    assert prices == sorted(prices)

    shopper.go("/catalog/?ordering=title")
    pages = page.get_by_role("navigation", name="Pages")
    pages.get_by_role("link", name=re.compile("Next")).click()
    shopper.step("second page")
    assert "page=2" in page.url
    assert page.locator(".product-card").count() > 0


def test_a_search_with_a_typo_still_finds_the_product(shopper: Shopper):
    page = shopper.page
    shopper.go("/catalog/?ordering=title")
    title = page.locator(".product-card h3, .product-card h2").first.inner_text().strip()
    word = max(title.split(), key=len)
    typo = word[:2] + word[3:] if len(word) > 4 else word  # one letter dropped

    search = page.get_by_label("Search products")
    search.fill(typo)
    search.press("Enter")
    shopper.step("search with a typo")

    assert page.locator(".product-card").count() > 0
    cards = " ".join(page.locator(".product-card").all_inner_texts()).lower()
    assert word.lower() in cards


def test_pick_a_variant_add_to_cart_change_the_quantity_and_remove(shopper: Shopper):
    page = shopper.page
    shopper.go("/catalog/?in_stock=on&ordering=title")
    page.locator(".product-card a").first.click()
    shopper.step("product page")
    title = page.get_by_role("heading", level=1).inner_text()

    variants = page.locator("input[type=radio][name=variant]:not([disabled])")
    if variants.count() > 1:
        variants.nth(1).check()
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    shopper.step("added")

    shopper.go("/cart/")
    shopper.step("cart")
    line = page.locator(".cart-line, tr, li").filter(has_text=title).first
    assert line.get_by_label("Quantity").input_value() == "2"
    line.get_by_label("Quantity").fill("1")
    line.get_by_role("button", name="Update").click()
    shopper.step("quantity changed")
    line = page.locator(".cart-line, tr, li").filter(has_text=title).first
    assert line.get_by_label("Quantity").input_value() == "1"

    line.get_by_role("button", name=re.compile("Remove")).click()
    shopper.step("removed")
    assert page.get_by_text(re.compile("cart is empty", re.I)).first.is_visible()


def _amount(text: str) -> float:
    """The price a card shows now (its last amount: a sale card shows the old one first)."""
    amounts = re.findall(r"\d[\d,]*\.\d{2}", text)
    return float(amounts[-1].replace(",", ""))
