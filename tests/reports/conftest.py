"""Orders made to measure for the reports: placed at a given moment, in a given state."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from apps.catalog.models import Variant
from apps.orders.choices import FulfillmentStatus, OrderPaymentStatus
from apps.orders.models import Order, OrderLine
from apps.payments.models import Payment, PaymentStatus, Refund
from apps.vouchers.models import Voucher, VoucherRedemption

BERLIN = ZoneInfo("Europe/Berlin")
_numbers = itertools.count(1)

MakeOrder = Callable[..., Order]


def at(text: str, tz: ZoneInfo = BERLIN) -> dt.datetime:
    """`"2026-03-01 00:30"` as an aware moment in `tz` (the tests' shop is in Berlin)."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


@pytest.fixture(autouse=True)
def _shop_in_berlin(settings) -> None:
    # A zone away from UTC, so a figure grouped by UTC days would be caught.
    settings.TIME_ZONE = "Europe/Berlin"


@pytest.fixture
def make_order(db: None) -> MakeOrder:
    """`make_order(placed, [(variant, quantity, unit_price)], status=..., refunds=[...])`.

    Totals are the line totals plus `shipping`; a paid order gets a captured payment, and
    each refund a succeeded Refund (at `refunded_at`, default: two days after placing).
    """

    def make(
        placed: dt.datetime,
        lines: Sequence[tuple[Variant, int, str]],
        *,
        status: str = OrderPaymentStatus.PAID,
        fulfillment: str = FulfillmentStatus.DELIVERED,
        shipping: str = "0.00",
        refunds: Sequence[str] = (),
        refunded_at: dt.datetime | None = None,
        voucher: Voucher | None = None,
        discount: str = "0.00",
        released: bool = False,
    ) -> Order:
        goods = sum((Decimal(price) * qty for _, qty, price in lines), Decimal("0.00"))
        total = goods - Decimal(discount) + Decimal(shipping)
        order = Order.objects.create(
            number=f"T-{next(_numbers):06d}",
            email="buyer@example.com",
            payment_status=status,
            fulfillment_status=fulfillment,
            shipping_name="Test Buyer",
            shipping_line1="1 Test Street",
            shipping_city="Berlin",
            shipping_postal_code="10115",
            shipping_country="DE",
            shipping_method_name="Standard",
            currency="EUR",
            subtotal=goods,
            shipping_total=Decimal(shipping),
            discount_total=Decimal(discount),
            tax_total=Decimal("0.00"),
            total=total,
            expires_at=placed + dt.timedelta(minutes=30),
        )
        # created_at is auto_now_add: the history's own date is set afterwards.
        Order.objects.filter(pk=order.pk).update(created_at=placed)
        order.created_at = placed
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                variant=variant,
                sku=variant.sku,
                product_title=variant.product.title,
                unit_price=Decimal(price),
                quantity=qty,
                line_total=Decimal(price) * qty,
            )
            for variant, qty, price in lines
        )
        if status in (
            OrderPaymentStatus.PAID,
            OrderPaymentStatus.PARTIALLY_REFUNDED,
            OrderPaymentStatus.REFUNDED,
        ):
            payment = Payment.objects.create(
                order=order,
                gateway="test",
                amount=total,
                status=PaymentStatus.CAPTURED,
                refunded_amount=sum((Decimal(r) for r in refunds), Decimal("0.00")),
            )
            for amount in refunds:
                refund = Refund.objects.create(
                    payment=payment,
                    order=order,
                    amount=Decimal(amount),
                    reason="test",
                    status=Refund.Status.SUCCEEDED,
                )
                when = refunded_at or placed + dt.timedelta(days=2)
                Refund.objects.filter(pk=refund.pk).update(created_at=when)
        if voucher is not None:
            VoucherRedemption.objects.create(
                voucher=voucher,
                order=order,
                customer_key="email:buyer@example.com",
                amount=Decimal(discount),
                released_at=placed if released else None,
            )
        return order

    return make
