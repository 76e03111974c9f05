"""The interface every payment gateway implements.

A real provider is one new module with a class implementing `PaymentGateway`, named
by the PAYMENT_GATEWAY setting. Card data passes through in memory only: gateways
return the brand and the last four digits, and nothing else of the card is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol


class ChargeStatus(StrEnum):
    CAPTURED = "captured"
    DECLINED = "declined"
    PENDING = "pending"


@dataclass(frozen=True)
class CardDetails:
    """What the shopper typed. Never stored, never logged (the repr hides it)."""

    number: str = field(repr=False)
    exp_month: int = field(repr=False)
    exp_year: int = field(repr=False)
    cvc: str = field(repr=False)

    @property
    def last4(self) -> str:
        return self.number[-4:]


@dataclass(frozen=True)
class ChargeResult:
    status: ChargeStatus
    reference: str
    brand: str
    last4: str
    message: str = ""


@dataclass(frozen=True)
class RefundResult:
    succeeded: bool
    reference: str
    message: str = ""


class PaymentGateway(Protocol):
    """Authorise-and-capture in one step, refund, and (later) webhook verification."""

    name: str

    def charge(
        self, *, amount: Decimal, currency: str, card: CardDetails, reference: str
    ) -> ChargeResult: ...

    def refund(self, *, charge_reference: str, amount: Decimal, currency: str) -> RefundResult: ...

    def pending_recorded(self, *, charge_reference: str, amount: Decimal, currency: str) -> None:
        """Called once a pending charge is stored; real gateways confirm on their own."""
