"""Checkout forms: they parse what the shopper typed; prices and totals never come from here."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from django_countries import countries

from apps.accounts.models import Address
from apps.catalog.templatetags.catalog_tags import money as money_label
from apps.payments.gateways.base import CardDetails
from apps.pricing.models import ShippingMethod
from apps.pricing.money import shipping_price

NEW_ADDRESS = "new"
ADDRESS_FIELDS = (
    "full_name",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
)
REQUIRED_ADDRESS_FIELDS = ("full_name", "line1", "city", "postal_code", "country")


class ShippingMethodField(forms.ModelChoiceField):
    """Radio choices labelled with what each method costs for this cart."""

    subtotal = Decimal("0.00")

    def label_from_instance(self, obj: Any) -> str:
        method: ShippingMethod = obj
        price = shipping_price(
            base_price=method.price, free_above=method.free_above, subtotal=self.subtotal
        )
        if price:
            label = f"{method.name}: {money_label(price)}"
            if method.free_above is not None:
                label += f" (free for orders from {money_label(method.free_above)})"
        else:
            label = f"{method.name}: free"
            if method.price and method.free_above is not None:
                label += f" (your order is over {money_label(method.free_above)})"
        if method.description:
            label += f" · {method.description}"
        return label


class CheckoutDetailsForm(forms.Form):
    """Who is buying, where it goes and how: the first checkout step."""

    email = forms.EmailField(
        label="E-mail address",
        help_text="We send the order confirmation here.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    saved_address = forms.ChoiceField(
        label="Deliver to", widget=forms.RadioSelect, required=False, choices=()
    )
    full_name = forms.CharField(
        max_length=150, required=False, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    line1 = forms.CharField(
        label="Address line 1",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line1"}),
    )
    line2 = forms.CharField(
        label="Address line 2",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )
    city = forms.CharField(
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    region = forms.CharField(
        label="State / region",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-level1"}),
    )
    postal_code = forms.CharField(
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    country = Address._meta.get_field("country").formfield(required=False)
    phone = forms.CharField(
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    shipping_method = ShippingMethodField(
        queryset=ShippingMethod.objects.filter(is_active=True),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"invalid_choice": "Choose one of the shipping methods offered."},
    )

    def __init__(
        self,
        *args: Any,
        addresses: Sequence[Address] = (),
        subtotal: Decimal = Decimal("0.00"),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.addresses = {str(address.pk): address for address in addresses}
        saved = cast(forms.ChoiceField, self.fields["saved_address"])
        if self.addresses:
            saved.choices = [
                *((pk, ", ".join(address.lines)) for pk, address in self.addresses.items()),
                (NEW_ADDRESS, "A new address (fill in below)"),
            ]
        else:
            del self.fields["saved_address"]
        country = cast(forms.ChoiceField, self.fields["country"])
        country.choices = [("", "Choose a country"), *countries]
        method_field = self.fields["shipping_method"]
        assert isinstance(method_field, ShippingMethodField)  # noqa: S101 - declared above
        method_field.subtotal = subtotal

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        choice = cleaned.get("saved_address", NEW_ADDRESS) if self.addresses else NEW_ADDRESS
        if not choice:
            self.add_error("saved_address", "Choose an address, or enter a new one.")
        elif choice == NEW_ADDRESS:
            message = "Required for a new address." if self.addresses else "Required."
            for name in REQUIRED_ADDRESS_FIELDS:
                if name not in self.errors and not cleaned.get(name):
                    self.add_error(name, message)
        return cleaned

    def address_data(self) -> dict[str, str]:
        """The delivery address as plain strings (it is kept in the session)."""
        choice = self.cleaned_data.get("saved_address") if self.addresses else NEW_ADDRESS
        source = self.addresses.get(choice or "")
        if source is not None:
            return {name: str(getattr(source, name) or "") for name in ADDRESS_FIELDS}
        return {name: str(self.cleaned_data.get(name) or "").strip() for name in ADDRESS_FIELDS}


class PlaceOrderForm(forms.Form):
    """The review page's button: a one-time token and a digest of what was shown."""

    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    digest = forms.CharField(widget=forms.HiddenInput, max_length=64)


class NoEchoInput(forms.TextInput):
    """A text input that never writes the submitted value back into the page."""

    def format_value(self, value: Any) -> str | None:
        return None


class CardForm(forms.Form):
    """Card details, parsed into a CardDetails that lives only for this request."""

    card_number = forms.CharField(
        label="Card number",
        max_length=30,
        widget=NoEchoInput(attrs={"autocomplete": "cc-number", "inputmode": "numeric"}),
    )
    exp_month = forms.CharField(
        label="Expiry month",
        max_length=2,
        widget=NoEchoInput(
            attrs={"autocomplete": "cc-exp-month", "inputmode": "numeric", "placeholder": "MM"}
        ),
    )
    exp_year = forms.CharField(
        label="Expiry year",
        max_length=4,
        widget=NoEchoInput(
            attrs={"autocomplete": "cc-exp-year", "inputmode": "numeric", "placeholder": "YYYY"}
        ),
    )
    cvc = forms.CharField(
        label="Security code (CVC)",
        max_length=4,
        widget=NoEchoInput(attrs={"autocomplete": "cc-csc", "inputmode": "numeric"}),
    )

    @sensitive_variables()
    def clean_card_number(self) -> str:
        digits = "".join(self.cleaned_data["card_number"].replace("-", " ").split())
        if not (_ascii_digits(digits) and 12 <= len(digits) <= 19 and _luhn_valid(digits)):
            raise forms.ValidationError("Enter a valid card number.")
        return digits

    def clean_exp_month(self) -> int:
        text = self.cleaned_data["exp_month"].strip()
        if not _ascii_digits(text) or not 1 <= int(text) <= 12:
            raise forms.ValidationError("Enter the month as a number from 1 to 12.")
        return int(text)

    def clean_exp_year(self) -> int:
        text = self.cleaned_data["exp_year"].strip()
        if not _ascii_digits(text) or len(text) not in (2, 4):
            raise forms.ValidationError("Enter the year, e.g. 2031 or 31.")
        year = int(text) + (2000 if len(text) == 2 else 0)
        this_year = timezone.now().year
        if year < this_year:
            raise forms.ValidationError("This card has expired.")
        if year > this_year + 20:
            raise forms.ValidationError("Check the year: cards don't last that long.")
        return year

    @sensitive_variables()
    def clean_cvc(self) -> str:
        text = self.cleaned_data["cvc"].strip()
        if not _ascii_digits(text) or len(text) not in (3, 4):
            raise forms.ValidationError("Enter the 3 or 4 digits on the back of the card.")
        return text

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        month, year = cleaned.get("exp_month"), cleaned.get("exp_year")
        now = timezone.now()
        if month and year and (year, month) < (now.year, now.month):
            self.add_error("exp_month", "This card has expired.")
        return cleaned

    @sensitive_variables()
    def card(self) -> CardDetails:
        data = self.cleaned_data
        return CardDetails(
            number=data["card_number"],
            exp_month=data["exp_month"],
            exp_year=data["exp_year"],
            cvc=data["cvc"],
        )


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


@sensitive_variables()
def _luhn_valid(digits: str) -> bool:
    """The check digit every card number carries: catches a mistyped digit before charging."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0
