"""Admin forms: a variant's options and stock change, product option names, category moves."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeAlias, cast

from django import forms
from django.db.models import prefetch_related_objects
from django.utils.functional import cached_property
from django.utils.text import slugify
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


# --- A variant's options: one input per option name -----------------------------------

# A value is what a shopper picks ("M", "Forest green") and what order lines and emails
# print after the title: a short phrase. Anything longer belongs in the description.
MAX_OPTION_VALUE_LENGTH = 50
OPTIONS_TEXT_FIELD = "options_text"
# An entry of a ModelAdmin's `fields`: a field, or fields shown on one line.
AdminField: TypeAlias = str | list[str] | tuple[str, ...]
_OPTION_LINE_EXAMPLE = '"Size: M"'


@dataclass(frozen=True)
class SavedVariant:
    """A variant of the product as stored, for the checks a variant form makes against it."""

    pk: int
    sku: str
    options: Mapping[str, Any]


def saved_variants(product: Product | None) -> list[SavedVariant]:
    """The product's stored variants (none for a product not saved yet)."""
    if product is None or product.pk is None:
        return []
    # Through the prefetch cache, so that the page's fields, its forms and their checks
    # share one query however many variants there are.
    prefetch_related_objects([product], "variants")
    return [SavedVariant(v.pk, v.sku, dict(v.options or {})) for v in product.variants.all()]


def variant_option_names(product: Product | None) -> tuple[str, ...]:
    """The option names a variant form asks for, in the product's order.

    The product's `option_names` first, then (alphabetically) any other name its variants
    carry: saving a form drops what it does not show, so every stored value gets an input.
    """
    if product is None:
        return ()
    declared = product.option_names if isinstance(product.option_names, list) else []
    names = list(dict.fromkeys(str(name) for name in declared if str(name).strip()))
    used = {str(name) for variant in saved_variants(product) for name in variant.options}
    return (*names, *sorted(used - set(names)))


def option_field_names(option_names: Iterable[str]) -> dict[str, str]:
    """The form field for each option name, "Size" -> "option_size": unique and id-safe."""
    fields: dict[str, str] = {}
    for index, name in enumerate(option_names):
        base = "option_" + (slugify(name).replace("-", "_") or str(index))
        field, suffix = base, 2
        while field in fields.values():
            field, suffix = f"{base}_{suffix}", suffix + 1
        fields[name] = field
    return fields


def variant_form_fields(
    fields: Iterable[AdminField], option_names: Sequence[str]
) -> list[AdminField]:
    """An admin `fields` list with "options" replaced by the inputs that edit it."""
    inputs = list(option_field_names(option_names).values()) or [OPTIONS_TEXT_FIELD]
    return [name for field in fields for name in (inputs if field == "options" else [field])]


def variant_admin_form(option_names: Sequence[str]) -> type[VariantAdminForm]:
    """VariantAdminForm with a text input per option name (the "Name: value" box if none)."""
    if not option_names:
        return VariantAdminForm
    # Declared on a class, not added in __init__: the admin builds its own form class from
    # this one and accepts only the fields it can see declared.
    attrs: dict[str, Any] = {"option_names": tuple(option_names), OPTIONS_TEXT_FIELD: None}
    for name, field in option_field_names(option_names).items():
        attrs[field] = forms.CharField(
            label=name,
            required=False,
            max_length=MAX_OPTION_VALUE_LENGTH,
            widget=forms.TextInput(attrs={"size": 10}),
        )
    return cast("type[VariantAdminForm]", type("VariantAdminForm", (VariantAdminForm,), attrs))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def option_combination(options: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
    """What makes two variants alike to a shopper: the same names with the same values.

    Case is ignored: "Red" and "red" would be two buttons a shopper cannot tell apart.
    """
    return frozenset(
        (name, _text(value).casefold()) for name, value in options.items() if _text(value)
    )


def option_clash_message(sku: str, options: Mapping[str, Any]) -> str:
    if not options:
        return (
            f"Variant {sku} has no options either; give one of them an option to tell them apart."
        )
    shown = ", ".join(f"{name}: {value}" for name, value in options.items())
    return (
        f"Variant {sku} already has these options ({shown}). "
        "Each variant of a product needs its own combination."
    )


def parse_option_lines(text: str) -> dict[str, str]:
    """Reads "Size: M" lines into {"Size": "M"}; raises ValidationError naming the bad line."""
    options: dict[str, str] = {}
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, colon, value = (part.strip() for part in line.partition(":"))
        if not colon or not name or not value:
            raise forms.ValidationError(
                f"Line {number}: write one option per line as name and value, e.g. "
                f"{_OPTION_LINE_EXAMPLE}."
            )
        for part in (name, value):
            if len(part) > MAX_OPTION_VALUE_LENGTH:
                raise forms.ValidationError(
                    f"Line {number}: a name or value can be at most {MAX_OPTION_VALUE_LENGTH} "
                    f"characters ({part[:20]}... has {len(part)})."
                )
        if name.casefold() in seen:
            raise forms.ValidationError(f"{name} is given twice.")
        seen.add(name.casefold())
        options[name] = value
    return options


class VariantAdminForm(forms.ModelForm):
    """A variant's own fields, an input per option name, and a stock change for the service.

    `options` is storage only: clean() assembles it from the inputs, in the product's
    option order. Built per product by variant_admin_form(); this base class, which knows
    no option names, takes the options as "Name: value" lines instead.
    """

    option_names: ClassVar[tuple[str, ...]] = ()

    # Shown while the product's option names cannot be known as the form is drawn: on a
    # product being added, on the variant add page before a product is picked, and for a
    # product that names no options. One "Size: M" per line reads like a shelf label and
    # takes any number of options; it is checked against the product once that is known.
    options_text = forms.CharField(
        required=False,
        label="Options",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 18, "placeholder": "Size: M\nColour: Red"}),
        help_text=f"One per line, e.g. {_OPTION_LINE_EXAMPLE}.",
    )
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
        # No `stock`: it changes only through the movement services. No `options`: the
        # option inputs write it (see clean()).
        fields = [
            "product",
            "sku",
            "price",
            "compare_at_price",
            "is_active",
            "weight_grams",
            "position",
        ]

    def __init__(
        self,
        *args: Any,
        product: Product | None = None,
        check_clashes: bool = True,
        **kwargs: Any,
    ) -> None:
        """`product` saves a query per form; `check_clashes=False` leaves that to a formset."""
        super().__init__(*args, **kwargs)
        if product is None and self.instance.product_id is not None:
            product = self.instance.product
        self.product = product
        self.check_clashes = check_clashes
        self.option_fields = option_field_names(self.option_names)
        self.stored_options: dict[str, Any] = dict(self.instance.options or {})
        if not self.option_names:
            lines = [f"{name}: {_text(v)}" for name, v in self.stored_options.items() if _text(v)]
            self.initial.setdefault(OPTIONS_TEXT_FIELD, "\n".join(lines))
            return
        others = self._other_variants(product)
        for name, field_name in self.option_fields.items():
            self.initial.setdefault(field_name, _text(self.stored_options.get(name)))
            if any(_text(other.options.get(name)) for other in others):
                field = self.fields[field_name]
                field.required = True
                field.error_messages["required"] = (
                    f"Enter the {name}: every other variant of this product has one."
                )

    @cached_property
    def changed_data(self) -> list[str]:
        changed = super().changed_data
        # The option inputs are views of one stored column; saving writes what changed.
        inputs = {*self.option_fields.values(), OPTIONS_TEXT_FIELD}
        return [*changed, "options"] if inputs.intersection(changed) else changed

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if self.option_names:
            options = self._options_from_inputs(cleaned)
        else:
            options = self._options_from_text(cleaned)
        if options is None:
            return cleaned
        if self.check_clashes and self.options_changed(options):
            key = option_combination(options)
            for other in self._other_variants(self._cleaned_product(cleaned)):
                if option_combination(other.options) == key:
                    self.add_error(None, option_clash_message(other.sku, options))
                    return cleaned
        cleaned["options"] = options
        self.instance.options = options
        return cleaned

    def options_changed(self, options: Mapping[str, Any]) -> bool:
        """Whether saving would give the variant a new combination (a new variant always)."""
        if self.instance.pk is None:
            return True
        return option_combination(options) != option_combination(self.stored_options)

    def _cleaned_product(self, cleaned: Mapping[str, Any]) -> Product | None:
        product = cleaned.get("product")
        return product if isinstance(product, Product) else self.product

    def _other_variants(self, product: Product | None) -> list[SavedVariant]:
        return [other for other in saved_variants(product) if other.pk != self.instance.pk]

    def _options_from_inputs(self, cleaned: Mapping[str, Any]) -> dict[str, str] | None:
        values = {name: cleaned.get(field) for name, field in self.option_fields.items()}
        if any(value is None for value in values.values()):
            return None  # the input has its own error
        return {name: value for name, value in values.items() if value}

    def _options_from_text(self, cleaned: Mapping[str, Any]) -> dict[str, str] | None:
        text = cleaned.get(OPTIONS_TEXT_FIELD)
        if text is None:
            return None
        try:
            typed = parse_option_lines(text)
        except forms.ValidationError as error:
            self.add_error(OPTIONS_TEXT_FIELD, error)
            return None
        product = self._cleaned_product(cleaned)
        names = variant_option_names(product)
        spelled = {name.casefold(): name for name in names}
        unknown = [name for name in typed if spelled and name.casefold() not in spelled]
        if unknown:
            self.add_error(
                OPTIONS_TEXT_FIELD,
                f"{product} has no option {unknown[0]}; its options are {', '.join(names)}.",
            )
            return None
        options = {spelled.get(name.casefold(), name): value for name, value in typed.items()}
        others = self._other_variants(product)
        missing = [
            name
            for name in names
            if name not in options and any(_text(other.options.get(name)) for other in others)
        ]
        if missing:
            self.add_error(
                OPTIONS_TEXT_FIELD,
                f"Add {', '.join(missing)}: every other variant of this product has it.",
            )
            return None
        return {
            **{name: options[name] for name in names if name in options},
            **{name: value for name, value in options.items() if name not in spelled.values()},
        }

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


# What staff edit of a variant, on the product page's inline and on the variant's own page.
VARIANT_FIELDS = (
    "sku",
    "options",
    "price",
    "compare_at_price",
    "is_active",
    "weight_grams",
    "position",
    "stock",
    "stock_change",
    "stock_note",
)
