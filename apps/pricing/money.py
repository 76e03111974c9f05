"""All money math: one rounding rule and one tax rule, for every app that prices things."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(amount: Decimal | int | str) -> Decimal:
    """Rounds to the cent, halves away from zero (the rule shoppers expect on a receipt)."""
    return Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP)


def line_total(unit_price: Decimal, quantity: int) -> Decimal:
    return money(unit_price * quantity)


def shipping_price(
    *, base_price: Decimal, free_above: Decimal | None, subtotal: Decimal
) -> Decimal:
    """A flat price, waived when the goods reach the method's free-shipping threshold."""
    if free_above is not None and subtotal >= free_above:
        return ZERO
    return money(base_price)


@dataclass(frozen=True)
class Totals:
    """What an order costs. `tax` is included in `total` either way."""

    subtotal: Decimal
    shipping: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def totals(
    *,
    lines: Iterable[tuple[Decimal, int]],
    shipping: Decimal = ZERO,
    discount: Decimal = ZERO,
    tax_rate: Decimal | None = None,
    prices_include_tax: bool | None = None,
) -> Totals:
    """Totals for `(unit_price, quantity)` lines, with tax on goods less discount plus shipping.

    Prices are as staff entered them: with tax included (the tax is then the part of
    the total that is tax) or excluded (the tax is added on top), per SHOP_PRICES_INCLUDE_TAX.
    """
    rate = settings.SHOP_TAX_RATE if tax_rate is None else tax_rate
    inclusive = (
        settings.SHOP_PRICES_INCLUDE_TAX if prices_include_tax is None else prices_include_tax
    )
    subtotal = sum((line_total(price, qty) for price, qty in lines), ZERO)
    discount = min(money(discount), subtotal)
    taxable = subtotal - discount + money(shipping)
    if inclusive:
        tax = money(taxable * rate / (1 + rate))
        total = taxable
    else:
        tax = money(taxable * rate)
        total = taxable + tax
    return Totals(
        subtotal=subtotal, shipping=money(shipping), discount=discount, tax=tax, total=total
    )


def order_totals(
    *,
    lines: list[tuple[Decimal, int]],
    shipping_base: Decimal,
    free_above: Decimal | None,
    discount: Decimal = ZERO,
) -> Totals:
    """An order's totals: goods, discount, shipping (free judged after the discount), tax.

    The review page and order_place both call this, so what the shopper is shown is what
    the order records.
    """
    goods = totals(lines=lines).subtotal
    discount = min(money(discount), goods)
    shipping = shipping_price(
        base_price=shipping_base, free_above=free_above, subtotal=goods - discount
    )
    return totals(lines=lines, shipping=shipping, discount=discount)
