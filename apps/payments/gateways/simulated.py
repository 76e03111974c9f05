"""A built-in card gateway for development, demos and tests; it moves no money.

Test cards (any future expiry date, any 3-digit CVC):

| number              | result                        |
| ------------------- | ----------------------------- |
| 4242 4242 4242 4242 | paid at once                  |
| 4000 0000 0000 0002 | declined ("Your card was declined.") |
| 4000 0000 0000 3063 | pending; confirmed a few seconds later by a signed webhook |

Any other number that passes the Luhn check is declined as "card not supported".
"""

from __future__ import annotations

import secrets
from decimal import Decimal

from apps.payments.gateways.base import CardDetails, ChargeResult, ChargeStatus, RefundResult

SUCCESS_CARD = "4242424242424242"
DECLINE_CARD = "4000000000000002"
PENDING_CARD = "4000000000003063"


class SimulatedCardGateway:
    """Answers like a card processor would, decided by the card number."""

    name = "simulated"

    def charge(
        self, *, amount: Decimal, currency: str, card: CardDetails, reference: str
    ) -> ChargeResult:
        charge_reference = f"sim_ch_{secrets.token_hex(8)}"
        if card.number == SUCCESS_CARD:
            return ChargeResult(ChargeStatus.CAPTURED, charge_reference, "visa", card.last4)
        if card.number == PENDING_CARD:
            # Like a bank asking the cardholder to confirm: the answer comes as a webhook
            # (sent by pending_recorded, once the shop has stored the payment).
            return ChargeResult(
                ChargeStatus.PENDING,
                charge_reference,
                "visa",
                card.last4,
                "Your bank is confirming the payment; this takes a few seconds.",
            )
        if card.number == DECLINE_CARD:
            message = "Your card was declined. Please use another card."
        else:
            message = "This card is not supported. Please use another card."
        return ChargeResult(ChargeStatus.DECLINED, charge_reference, "visa", card.last4, message)

    def refund(self, *, charge_reference: str, amount: Decimal, currency: str) -> RefundResult:
        return RefundResult(True, f"sim_re_{secrets.token_hex(8)}")

    def pending_recorded(self, *, charge_reference: str, amount: Decimal, currency: str) -> None:
        """Plays the bank: confirms the charge by a signed webhook after the shop commits."""
        from apps.core.queue import enqueue_on_commit

        enqueue_on_commit(
            "apps.payments.tasks.deliver_simulated_webhook",
            charge_reference,
            "charge.succeeded",
            str(amount),
            currency,
        )
