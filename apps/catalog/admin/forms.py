"""Admin forms: a variant's stock change, product option names, the move-to-category picker."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from treebeard.forms import TreeNodeChoiceField

from apps.catalog.models import Category, Product, Variant

# Keeps a single change (and so the stock it can produce) well inside the 32-bit column.
MAX_STOCK_CHANGE = 1_000_000
_STOCK_CHANGE = re.compile(r"^(?P<op>[+\-=])\s*(?P<amount>\d+)$")


@dataclass(frozen=True)
class StockChange:
    """What staff typed as a stock change: add or remove `delta`, or set a counted `quantity`."""

    delta: int | None = None
    quantity: int | None = None


class StockChangeField(forms.Field):
    """Parses "+20" (received), "-3" (adjustment) or "=50" (counted) into a StockChange."""

    widget = forms.TextInput(attrs={"size": 8, "placeholder": "+20, -3, =50"})
    default_error_messages = {
        "invalid": 'Write "+20" to add stock, "-3" to remove some or "=50" to set the count.',
        "zero": "A change of zero changes nothing.",
        "too_large": f"A single change can be at most {MAX_STOCK_CHANGE:,}.",
    }

    def to_python(self, value: Any) -> StockChange | None:
        # U+2212 is the minus sign that word processors and phones like to type.
        text = str(value or "").strip().replace("\u2212", "-")
        if not text:
            return None
        match = _STOCK_CHANGE.match(text)
        if match is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        amount = int(match["amount"])
        if amount > MAX_STOCK_CHANGE:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        if match["op"] == "=":
            return StockChange(quantity=amount)
        if amount == 0:
            raise forms.ValidationError(self.error_messages["zero"], code="zero")
        return StockChange(delta=amount if match["op"] == "+" else -amount)


class VariantAdminForm(forms.ModelForm):
    """A variant's own fields plus a stock change that the movement service applies."""

    stock_change = StockChangeField(
        required=False,
        label="Stock change",
        help_text='"+20" received, "-3" adjustment, "=50" set to a counted number.',
    )
    stock_note = forms.CharField(
        required=False,
        max_length=255,
        label="Stock note",
        widget=forms.TextInput(attrs={"size": 16}),
    )

    class Meta:
        model = Variant
        # No `stock`: it changes only through the movement services.
        fields = [
            "product",
            "sku",
            "options",
            "price",
            "compare_at_price",
            "is_active",
            "weight_grams",
            "position",
        ]
        widgets = {"options": forms.TextInput(attrs={"size": 24})}

    def clean_options(self) -> dict[str, Any]:
        options = self.cleaned_data.get("options")
        if options in (None, ""):
            return {}
        if not isinstance(options, dict) or not all(
            isinstance(value, str | int | float) and not isinstance(value, bool)
            for value in options.values()
        ):
            raise forms.ValidationError('Options must look like {"Size": "M", "Colour": "Red"}.')
        return options

    def clean_stock_change(self) -> StockChange | None:
        change: StockChange | None = self.cleaned_data.get("stock_change")
        # A friendly early answer; the service's conditional UPDATE is what really decides.
        if change is not None and change.delta is not None and -change.delta > self.instance.stock:
            raise forms.ValidationError(
                f"Only {self.instance.stock} in stock; cannot remove {-change.delta}."
            )
        return change


class ProductAdminForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = [
            "title",
            "slug",
            "category",
            "brand",
            "description",
            "option_names",
            "is_active",
            "is_featured",
            "seo_title",
            "seo_description",
        ]

    def clean_option_names(self) -> list[str]:
        names = self.cleaned_data.get("option_names")
        if names in (None, ""):
            return []
        if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
            raise forms.ValidationError('Option names must look like ["Size", "Colour"].')
        return names


class MoveToCategoryForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per form: the tree is read when the page is shown, not at import.
        self.fields["category"] = TreeNodeChoiceField(
            queryset=Category.objects.get_tree(), label="Move to"
        )
