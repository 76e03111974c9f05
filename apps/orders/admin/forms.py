"""Forms of the order screens' intermediate pages: shipping, cancelling, refunding."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from apps.orders.models import Order, OrderLine


class ShipOrdersForm(forms.Form):
    """One carrier for the batch and a tracking number for each order."""

    carrier = forms.CharField(max_length=60, help_text="For example DHL, UPS or Royal Mail.")

    def __init__(self, *args: Any, orders: list[Order], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.orders = orders
        for order in orders:
            self.fields[f"tracking_{order.pk}"] = forms.CharField(
                max_length=100,
                label=f"Tracking number for {order.number}",
                help_text=(
                    f"{order.shipping_name}, {order.shipping_city} ({order.shipping_country})"
                ),
            )

    def tracking_number(self, order: Order) -> str:
        return str(self.cleaned_data[f"tracking_{order.pk}"])


class CancelOrdersForm(forms.Form):
    note = forms.CharField(
        max_length=200,
        required=False,
        label="Reason",
        help_text="Kept in each order's history; the customer is not shown it.",
    )


class RefundForm(forms.Form):
    """Amount, reason, and how many units of each line go back into stock."""

    amount = forms.DecimalField(min_value=Decimal("0.01"), max_digits=12, decimal_places=2)
    reason = forms.CharField(max_length=255, help_text="Shown in the order history.")

    def __init__(self, *args: Any, lines: list[OrderLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            left = line.quantity - line.restocked_quantity
            self.fields[f"restock_{line.pk}"] = forms.IntegerField(
                min_value=0,
                max_value=left,
                initial=0,
                required=False,
                label=f"Restock {line.sku}",
                help_text=f"{line.product_title}: bought {line.quantity}, "
                f"already restocked {line.restocked_quantity}.",
            )

    def restock(self) -> dict[int, int]:
        return {
            line.pk: self.cleaned_data.get(f"restock_{line.pk}") or 0
            for line in self.lines
            if self.cleaned_data.get(f"restock_{line.pk}")
        }
