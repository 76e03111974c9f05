"""Parsing of listing parameters, shared by the catalog pages and the API."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django import forms

from apps.catalog.choices import ProductOrdering
from apps.catalog.selectors import ProductFilters

# "Colour:Red". Names may not contain "__", which would reach the ORM as a lookup.
_OPTION = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9 _-]{0,39}):(?P<value>.{1,60})$")


class ProductFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, strip=True, label="Search")
    min_price = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_digits=10, decimal_places=2, label="Min price"
    )
    max_price = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_digits=10, decimal_places=2, label="Max price"
    )
    in_stock = forms.BooleanField(required=False, label="In stock only")
    ordering = forms.ChoiceField(required=False, choices=ProductOrdering.choices, label="Sort by")
    option = forms.MultipleChoiceField(required=False)

    def clean_option(self) -> dict[str, list[str]]:
        parsed: dict[str, list[str]] = defaultdict(list)
        for raw in self.cleaned_data.get("option") or []:
            match = _OPTION.match(raw)
            if match is None or "__" in match["name"]:
                raise forms.ValidationError(f'"{raw}" is not an option filter like "Colour:Red".')
            parsed[match["name"]].append(match["value"])
        return dict(parsed)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            # A reversed range is an easy slip; answer the range the shopper meant.
            cleaned["min_price"], cleaned["max_price"] = high, low
        return cleaned

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any submitted value is accepted here and checked by clean_option().
        submitted = self.data.getlist("option") if hasattr(self.data, "getlist") else []
        option_field = self.fields["option"]
        assert isinstance(option_field, forms.MultipleChoiceField)  # noqa: S101 - narrows the type
        option_field.choices = [(value, value) for value in submitted]

    def to_filters(self, *, lenient: bool = False) -> ProductFilters:
        """Filters from the valid fields. With `lenient`, invalid fields are dropped."""
        if not lenient and not self.is_valid():
            raise ValueError("to_filters() on an invalid form")
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        return ProductFilters(
            query=data.get("q") or "",
            min_price=data.get("min_price"),
            max_price=data.get("max_price"),
            in_stock=bool(data.get("in_stock")),
            options=data.get("option") or {},
            ordering=data.get("ordering") or "",
        )
