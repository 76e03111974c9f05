"""Staff forms for vouchers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from apps.vouchers.models import VoucherKind


class VoucherBulkGenerateForm(forms.Form):
    code_prefix = forms.RegexField(
        regex=r"^[A-Za-z0-9]{1,20}$",
        help_text="Letters and digits; codes look like PREFIX-7K3M9Q.",
        error_messages={"invalid": "Use 1 to 20 letters and digits."},
    )
    count = forms.IntegerField(min_value=1, max_value=10_000)
    kind = forms.ChoiceField(choices=VoucherKind.choices)
    value = forms.DecimalField(min_value=Decimal("0.01"), max_digits=10, decimal_places=2)
    min_spend = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_digits=10, decimal_places=2
    )
    valid_from = forms.DateTimeField(required=False)
    valid_until = forms.DateTimeField(required=False)
    usage_limit = forms.IntegerField(required=False, min_value=1, initial=1)
    once_per_customer = forms.BooleanField(required=False, initial=True)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == VoucherKind.PERCENTAGE and (cleaned.get("value") or 0) > 100:
            self.add_error("value", "A percentage cannot be above 100.")
        start, end = cleaned.get("valid_from"), cleaned.get("valid_until")
        if start and end and end <= start:
            self.add_error("valid_until", "Must be after the start.")
        return cleaned
