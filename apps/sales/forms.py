"""The sale's admin form and its items' formset: both ask `sale_problems` what is wrong.

The sale's own rules (its times, its limit) are checked by the form, beside its fields;
the items' rules (prices, overlapping sales) by the formset, which sees the sale as the
form has just filled it in, and the items as they are about to be saved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.models import BaseInlineFormSet

from apps.sales.models import Sale, SaleItem
from apps.sales.services.staff import sale_problems


class SaleAdminForm(forms.ModelForm):
    class Meta:
        model = Sale
        fields = [
            "name",
            "slug",
            "description",
            "starts_at",
            "ends_at",
            "per_customer_limit",
            "room_capacity",
            "room_admit_per_minute",
            "room_pass_minutes",
            "room_prequeue",
            "room_queue_everyone",
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        checked: dict[str, Any] = {
            name: cleaned.get(name) for name in ("starts_at", "ends_at", "per_customer_limit")
        }
        probe = Sale(**checked)
        # A field with an error leaves cleaned_data, so the database's check on the same
        # rule (sale_ends_after_start) is skipped instead of repeating it in its own words.
        for problem in sale_problems(sale=probe, items=()):
            if problem.field not in self.errors:
                self.add_error(problem.field, problem.message)
        return cleaned


class SaleItemFormSet(BaseInlineFormSet):
    """The sale's items; each item's problem is shown on its own row."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept: list[forms.ModelForm] = [
            form
            for form in self.forms
            if (form.has_changed() or form.instance.pk is not None)
            and not (self.can_delete and form.cleaned_data.get(DELETION_FIELD_NAME))
        ]
        items: list[SaleItem] = [form.instance for form in kept]
        for problem in sale_problems(sale=self.instance, items=items):
            if problem.item is not None:
                kept[problem.item].add_error(problem.field, problem.message)
