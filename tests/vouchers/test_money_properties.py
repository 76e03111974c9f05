"""Property tests: totals, discounts and tax always add up to the cent."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from apps.pricing.money import CENT, money, shipping_price, totals

prices = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("9999.99"), places=2)
quantities = st.integers(min_value=1, max_value=10)
lines = st.lists(st.tuples(prices, quantities), min_size=1, max_size=12)
rates = st.sampled_from(
    [Decimal("0"), Decimal("0.05"), Decimal("0.07"), Decimal("0.2"), Decimal("0.255")]
)


@settings(max_examples=300, deadline=None)
@given(lines=lines, shipping=prices, discount=prices, rate=rates, inclusive=st.booleans())
def test_totals_always_add_up_to_the_cent(lines, shipping, discount, rate, inclusive):
    result = totals(
        lines=lines,
        shipping=shipping,
        discount=discount,
        tax_rate=rate,
        prices_include_tax=inclusive,
    )
    for amount in (result.subtotal, result.shipping, result.discount, result.tax, result.total):
        assert amount == amount.quantize(CENT)
        assert amount >= 0
    assert result.subtotal == sum((money(p * q) for p, q in lines), Decimal("0"))
    assert result.discount <= result.subtotal
    net = result.subtotal - result.discount + result.shipping
    if inclusive:
        assert result.total == net
        assert result.tax == money(net * rate / (1 + rate))
        assert result.tax <= result.total
    else:
        assert result.total == net + result.tax
        assert result.tax == money(net * rate)


@given(subtotal=prices, base=prices, free_above=st.none() | prices)
def test_shipping_is_free_exactly_from_the_threshold(subtotal, base, free_above):
    price = shipping_price(base_price=base, free_above=free_above, subtotal=subtotal)
    if free_above is not None and subtotal >= free_above:
        assert price == 0
    else:
        assert price == base


@given(amount=st.decimals(min_value=Decimal("-1000"), max_value=Decimal("1000"), places=3))
def test_rounding_is_half_away_from_zero_to_the_cent(amount):
    rounded = money(amount)
    assert abs(rounded - amount) <= Decimal("0.005")
    assert rounded == rounded.quantize(CENT)
