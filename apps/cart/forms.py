"""Cart forms: they parse what the shopper typed; the cart services judge it."""

from __future__ import annotations

from django import forms

from apps.vouchers.models import Voucher

CODE_MAX_LENGTH = Voucher._meta.get_field("code").max_length or 40


class VoucherForm(forms.Form):
    """A voucher code as typed; whether it applies is for `cart_apply_voucher` to say."""

    code = forms.CharField(
        label="Voucher code",
        required=False,
        max_length=CODE_MAX_LENGTH,
        # A longer code cannot be on file, so the shopper hears what the service would say.
        error_messages={"max_length": "That voucher code doesn't exist."},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
