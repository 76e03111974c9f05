"""Checking vouchers, taking a use atomically with the order, and giving it back once."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.core.errors import ApplicationError
from apps.pricing.money import money
from apps.vouchers.models import Voucher, VoucherKind, VoucherRedemption

_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class VoucherInvalid(ApplicationError):
    """The code cannot be used for this order; the message says why."""

    code = "voucher_invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message, fields={"voucher": [message]})


def normalize_code(code: str) -> str:
    return code.strip().upper()


def voucher_discount(*, voucher: Voucher, goods_total: Decimal) -> Decimal:
    """The discount on the goods (never shipping), never more than the goods cost."""
    if voucher.kind == VoucherKind.PERCENTAGE:
        discount = money(goods_total * voucher.value / 100)
    else:
        discount = money(voucher.value)
    return min(discount, goods_total)


def voucher_check(*, code: str, goods_total: Decimal, customer: str | None = None) -> Voucher:
    """The usable voucher for `code`, or VoucherInvalid with a shopper-readable reason.

    This is advice for the cart; `voucher_redeem` decides again, atomically, at placing.
    """
    voucher = Voucher.objects.filter(code=normalize_code(code)).first()
    now = timezone.now()
    if voucher is None or not voucher.is_active:
        raise VoucherInvalid("That voucher code doesn't exist.")
    if voucher.valid_from and voucher.valid_from > now:
        raise VoucherInvalid(f"That voucher starts on {voucher.valid_from:%d %b %Y}.")
    if voucher.valid_until and voucher.valid_until <= now:
        raise VoucherInvalid("That voucher has expired.")
    if voucher.min_spend is not None and goods_total < voucher.min_spend:
        short = money(voucher.min_spend - goods_total)
        raise VoucherInvalid(
            f"That voucher needs a minimum spend of {voucher.min_spend}; add {short} more."
        )
    if voucher.uses_left == 0:
        raise VoucherInvalid("That voucher has been used up.")
    if (
        customer
        and voucher.once_per_customer
        and VoucherRedemption.objects.filter(
            voucher=voucher, customer_key=customer, released_at__isnull=True
        ).exists()
    ):
        raise VoucherInvalid("You have already used that voucher.")
    return voucher


def voucher_redeem(
    *, code: str, order_id: int, goods_total: Decimal, customer: str
) -> VoucherRedemption:
    """Takes one use of the voucher for the order, inside the order's transaction.

    The use is claimed by a conditional UPDATE (`times_used < usage_limit`), so with
    20 simultaneous checkouts and 5 uses left exactly 5 succeed; once-per-customer is a
    partial unique index on the redemptions. Either failure rolls the order back.
    """
    voucher = voucher_check(code=code, goods_total=goods_total, customer=customer)
    claimed = (
        Voucher.objects.filter(pk=voucher.pk, is_active=True)
        .filter(Q(usage_limit__isnull=True) | Q(times_used__lt=F("usage_limit")))
        .update(times_used=F("times_used") + 1)
    )
    if not claimed:
        raise VoucherInvalid("That voucher has just been used up.")
    try:
        with transaction.atomic():
            return VoucherRedemption.objects.create(
                voucher=voucher,
                order_id=order_id,
                customer_key=customer,
                once_per_customer=voucher.once_per_customer,
                amount=voucher_discount(voucher=voucher, goods_total=goods_total),
            )
    except IntegrityError as error:
        raise VoucherInvalid("You have already used that voucher.") from error


def voucher_release(*, order_id: int) -> bool:
    """Gives the order's voucher use back; True only the first time (exactly once)."""
    with transaction.atomic():
        redemption = VoucherRedemption.objects.filter(
            order_id=order_id, released_at__isnull=True
        ).first()
        if redemption is None:
            return False
        released = VoucherRedemption.objects.filter(
            pk=redemption.pk, released_at__isnull=True
        ).update(released_at=timezone.now())
        if not released:
            return False
        Voucher.objects.filter(pk=redemption.voucher_id, times_used__gt=0).update(
            times_used=F("times_used") - 1
        )
        return True


def voucher_codes_generate(
    *, prefix: str, count: int, kind: str, value: Decimal, **options: object
) -> list[Voucher]:
    """Creates `count` single-use-style codes like PREFIX-7K3M9Q sharing the same terms."""
    prefix = normalize_code(prefix)
    vouchers: list[Voucher] = []
    while len(vouchers) < count:
        code = f"{prefix}-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))
        vouchers.append(Voucher(code=code.strip("-"), kind=kind, value=value, **options))
    return Voucher.objects.bulk_create(vouchers, ignore_conflicts=False)
