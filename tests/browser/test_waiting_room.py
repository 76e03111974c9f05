"""A flash sale's waiting room: the second shopper waits in line, then is let in."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.browser.conftest import VIEWPORTS, Shopper
from tests.browser.journeys import fill_cart_and_give_details, guest_email

pytestmark = pytest.mark.browser

# A live sale with room for one shopper at a time, on a product in stock.
LIVE_SALE = """
from datetime import timedelta
from decimal import Decimal
from django.utils import timezone
from apps.catalog.models import Variant
from apps.sales.models import Sale, SaleItem
from apps.sales.selectors import schedule_forget
now = timezone.now()
variant = Variant.objects.filter(is_active=True, stock__gte=50).order_by("-price").first()
sale = Sale.objects.create(
    name="Browser drop", slug="{slug}", starts_at=now - timedelta(minutes=1),
    ends_at=now + timedelta(hours=1), scheduled_at=now - timedelta(days=1), room_capacity=1,
)
price = (variant.price / 2).quantize(Decimal("0.01"))
SaleItem.objects.create(sale=sale, variant=variant, sale_price=price)
schedule_forget()
"""


def test_the_second_shopper_waits_in_line_and_is_let_in_when_the_first_has_bought(
    shopper: Shopper, browser
):
    slug = f"drop-{uuid.uuid4().hex[:8]}"
    shopper.shop.shell(LIVE_SALE.format(slug=slug))
    first = shopper.page
    shopper.go(f"/sales/{slug}/")
    shopper.step("first shopper on the sale page")
    assert first.get_by_role("heading", name="Browser drop").is_visible()

    second_context = browser.new_context(**VIEWPORTS[shopper.viewport])
    try:
        second = second_context.new_page()
        (shopper.folder / "second").mkdir()
        other = Shopper(second, shopper.shop, shopper.folder / "second", shopper.viewport)
        other.go(f"/sales/{slug}/")
        other.step("in line")
        assert second.get_by_text(re.compile("You are in line")).is_visible()

        # The first buys the sale's item: their place goes to the next in line.
        first.locator("main a[href*='/products/']").first.click()
        first.get_by_role("button", name="Add to cart").click()
        fill_cart_and_give_details(shopper, guest_email())

        # The waiting page asks again by itself and lets the second shopper in.
        second.locator("[data-waiting-room]").wait_for(state="detached", timeout=40_000)
        second.wait_for_load_state("load")
        assert second.get_by_role("heading", name="Browser drop").is_visible()
        assert second.locator("main a[href*='/products/']").count() > 0
        other.step("let in")
    finally:
        second_context.close()
