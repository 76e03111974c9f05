"""Staff screens for the catalog. Every write that matters goes through the catalog services."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.text import smart_split, unescape_string_literal
from treebeard.admin import TreeAdmin
from treebeard.forms import TreeNodeChoiceField, movenodeform_factory

from apps.accounts.models import User
from apps.catalog import services
from apps.catalog.cache import catalog_changed
from apps.catalog.choices import StockReason
from apps.catalog.models import (
    LOW_STOCK_THRESHOLD,
    Category,
    Product,
    ProductImage,
    StockMovement,
    Variant,
)
from apps.core.errors import ApplicationError

# Keeps a single change (and so the stock it can produce) well inside the 32-bit column.
MAX_STOCK_CHANGE = 1_000_000
EXPORT_CHUNK_SIZE = 500
EXPORT_HEADER = [
    "title",
    "slug",
    "category",
    "sku",
    "options",
    "price",
    "compare_at_price",
    "stock",
    "product_active",
    "variant_active",
]
STOCK_STATES = [
    ("in_stock", "In stock"),
    ("low", f"Low (1 to {LOW_STOCK_THRESHOLD} left)"),
    ("sold_out", "Sold out"),
]
_STOCK_CHANGE = re.compile(r"^(?P<op>[+\-=])\s*(?P<amount>\d+)$")
# Fields a variant form may write directly; price goes through variant_set_price and
# stock only ever through the movement services.
_VARIANT_PLAIN_FIELDS = frozenset(
    {"product", "sku", "options", "is_active", "weight_grams", "position"}
)
_VARIANT_PRICE_FIELDS = frozenset({"price", "compare_at_price"})


def _actor(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


# --- Stock changes --------------------------------------------------------------------


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


def _stock_change_apply(
    *, variant: Variant, change: StockChange, actor: User | None, note: str
) -> None:
    if change.quantity is not None:
        services.stock_set(variant_id=variant.pk, quantity=change.quantity, actor=actor, note=note)
    elif change.delta is not None:
        reason = StockReason.RECEIVED if change.delta > 0 else StockReason.ADJUSTMENT
        services.stock_adjust(
            variant_id=variant.pk, delta=change.delta, reason=reason, actor=actor, note=note
        )


def _variant_save(variant: Variant, form: forms.ModelForm, *, actor: User | None) -> list[str]:
    """Saves a variant from an admin form without writing `stock`; returns refused changes.

    A plain `save()` would write back the stock read when the form was loaded, undoing any
    sale made since, so existing variants save only their changed columns.
    """
    changed = set(form.changed_data)
    if variant._state.adding:
        variant.stock = 0  # the initial stock arrives below, as a movement
        variant.save()
    else:
        plain = sorted(changed & _VARIANT_PLAIN_FIELDS)
        if plain:
            variant.save(update_fields=plain)
        if changed & _VARIANT_PRICE_FIELDS:
            services.variant_set_price(
                variant=variant, price=variant.price, compare_at_price=variant.compare_at_price
            )
    change: StockChange | None = form.cleaned_data.get("stock_change")
    if change is None:
        return []
    try:
        _stock_change_apply(
            variant=variant,
            change=change,
            actor=actor,
            note=form.cleaned_data.get("stock_note", ""),
        )
    except ApplicationError as error:
        # Only a sale committed between validation and save gets here; the rest is saved.
        return [f"Stock of {variant.sku} was not changed: {error.message}"]
    variant.refresh_from_db(fields=["stock"])
    return []


class VariantInlineFormSet(BaseInlineFormSet):
    """Saves a product's variants through `_variant_save`, so stock is never written raw."""

    actor: User | None = None
    refusals: list[str]

    def save(self, commit: bool = True) -> list[Variant]:
        self.refusals = []
        return super().save(commit=commit)

    def save_new(self, form: forms.ModelForm, commit: bool = True) -> Variant:
        variant: Variant = super().save_new(form, commit=False)
        self.refusals += _variant_save(variant, form, actor=self.actor)
        return variant

    def save_existing(
        self,
        form: forms.ModelForm,
        obj: Variant,
        commit: bool = True,
    ) -> Variant:
        variant: Variant = super().save_existing(form, obj, commit=False)
        self.refusals += _variant_save(variant, form, actor=self.actor)
        return variant


# --- List filters ---------------------------------------------------------------------


class ProductStockFilter(admin.SimpleListFilter):
    """A product is as available as its best-stocked active variant."""

    title = "stock state"
    parameter_name = "stock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return STOCK_STATES

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        active = Variant.objects.filter(product=OuterRef("pk"), is_active=True)
        some = Exists(active.filter(stock__gt=0))
        plenty = Exists(active.filter(stock__gt=LOW_STOCK_THRESHOLD))
        match self.value():
            case "in_stock":
                return queryset.filter(plenty)
            case "low":
                return queryset.filter(some).exclude(plenty)
            case "sold_out":
                return queryset.exclude(some)
        return queryset


class VariantStockFilter(admin.SimpleListFilter):
    """The same states as the storefront shows for one variant."""

    title = "stock state"
    parameter_name = "stock"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return STOCK_STATES

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        match self.value():
            case "in_stock":
                return queryset.filter(is_active=True, stock__gt=LOW_STOCK_THRESHOLD)
            case "low":
                return queryset.filter(is_active=True, stock__gt=0, stock__lte=LOW_STOCK_THRESHOLD)
            case "sold_out":
                return queryset.exclude(is_active=True, stock__gt=0)
        return queryset


class CategoryTreeFilter(admin.SimpleListFilter):
    """Products in a category or anywhere below it: one prefix match on the tree path."""

    title = "category"
    parameter_name = "category"
    _paths: dict[str, str]

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        self._paths = {}
        choices = []
        for category in Category.objects.get_tree().only("pk", "path", "depth", "name"):
            self._paths[str(category.pk)] = category.path
            choices.append((str(category.pk), f"{'-- ' * (category.depth - 1)}{category.name}"))
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        if value not in self._paths:
            return queryset.none()
        return queryset.filter(category__path__startswith=self._paths[value])


# --- Categories -----------------------------------------------------------------------


class CatalogChangesAdmin:
    """Any add, edit or delete made here invalidates the cached catalog pages.

    The admin writes some fields directly (titles, descriptions, flags), so its save and
    delete hooks bump the catalog version, after commit, like the services do.
    """

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        catalog_changed()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        catalog_changed()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)  # type: ignore[misc]
        catalog_changed()

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        catalog_changed()


@admin.register(Category)
class CategoryAdmin(CatalogChangesAdmin, TreeAdmin):
    form = movenodeform_factory(Category)
    list_display = ["name", "slug", "is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}


# --- Products -------------------------------------------------------------------------


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


class VariantInline(admin.TabularInline):
    model = Variant
    form = VariantAdminForm
    formset = VariantInlineFormSet
    fields = [
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
    ]
    readonly_fields = ["stock"]
    show_change_link = True

    def get_extra(self, request: HttpRequest, obj: Product | None = None, **kwargs: Any) -> int:
        return 1 if obj is None else 0


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    fields = ["image", "alt_text", "position", "size"]
    readonly_fields = ["size"]
    extra = 0

    @admin.display(description="Size")
    def size(self, image: ProductImage) -> str:
        return f"{image.width} x {image.height}" if image.width else "renditions pending"


class ProductChangeList(ChangeList):
    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet[Any]:
        # No list column, filter or export shows these, and a page of 100 products need
        # not carry 100 descriptions and search vectors.
        return (
            super()
            .get_queryset(request, exclude_parameters)
            .defer("description", "search_vector", "seo_title", "seo_description")
        )


class MoveToCategoryForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per form: the tree is read when the page is shown, not at import.
        self.fields["category"] = TreeNodeChoiceField(
            queryset=Category.objects.get_tree(), label="Move to"
        )


@admin.register(Product)
class ProductAdmin(CatalogChangesAdmin, admin.ModelAdmin):
    form = ProductAdminForm
    inlines = [VariantInline, ProductImageInline]
    list_display = ["title", "category", "price", "stock", "is_active", "is_featured", "updated_at"]
    list_filter = [CategoryTreeFilter, "is_active", "is_featured", ProductStockFilter]
    list_select_related = ["category"]
    autocomplete_fields = ["category"]
    prepopulated_fields = {"slug": ("title",)}
    # Searched by get_search_results(); listed so the search box and autocomplete appear.
    search_fields = ["title", "slug", "variants__sku"]
    search_help_text = "Title, slug or variant SKU."
    readonly_fields = ["price", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "title",
                    "slug",
                    "category",
                    "brand",
                    "description",
                    "option_names",
                    ("is_active", "is_featured"),
                ]
            },
        ),
        ("Price", {"fields": ["price"], "description": "The lowest active variant price."}),
        ("Search engines", {"fields": ["seo_title", "seo_description"], "classes": ["collapse"]}),
        ("History", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    ordering = ["-created_at", "-id"]
    actions = ["activate", "deactivate", "move_to_category", "export_selected_csv"]
    # 10,000 products: one COUNT for the filtered list, none for the total or the facets.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def get_queryset(self, request: HttpRequest) -> QuerySet[Product]:
        active = Variant.objects.filter(product=OuterRef("pk"), is_active=True).order_by()
        return (
            super()
            .get_queryset(request)
            .annotate(
                stock_total=Coalesce(
                    Subquery(active.values("product").annotate(n=Sum("stock")).values("n")), 0
                ),
                stock_best=Coalesce(
                    Subquery(active.values("product").annotate(n=Max("stock")).values("n")), 0
                ),
            )
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ProductChangeList

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Product], bool]:
        # Each word must match the title, the slug or a variant SKU. The SKU is an EXISTS
        # rather than Django's join on variants, which would need DISTINCT over every row.
        for word in smart_split(search_term):
            if word[:1] in {'"', "'"} and word[-1:] == word[:1]:
                word = unescape_string_literal(word)
            sku = Exists(Variant.objects.filter(product=OuterRef("pk"), sku__icontains=word))
            queryset = queryset.filter(sku | Q(title__icontains=word) | Q(slug__icontains=word))
        return queryset, False

    @admin.display(description="Stock", ordering="stock_total")
    def stock(self, product: Product) -> str:
        best = getattr(product, "stock_best", 0)
        state = "sold out" if best <= 0 else "low" if best <= LOW_STOCK_THRESHOLD else "in stock"
        return f"{getattr(product, 'stock_total', 0)} ({state})"

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: Any) -> None:
        if isinstance(formset, VariantInlineFormSet):
            formset.actor = _actor(request)
            formset.save()
            for refusal in formset.refusals:
                self.message_user(request, refusal, messages.ERROR)
            return
        super().save_formset(request, form, formset, change)
        if formset.model is ProductImage:
            changed_images = [
                image for image, fields in formset.changed_objects if "image" in fields
            ]
            for image in [*formset.new_objects, *changed_images]:
                services.product_image_renditions_request(image=image)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: Any) -> None:
        super().save_related(request, form, formsets, change)
        # Variants added, repriced, switched off or deleted above move the lowest price.
        services.product_price_refresh(product_ids=[form.instance.pk])

    @admin.action(description="Activate selected products", permissions=["change"])
    def activate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        changed = services.product_set_active(
            product_ids=queryset.values_list("pk", flat=True), active=True
        )
        self.message_user(request, f"{changed} product(s) activated.", messages.SUCCESS)

    @admin.action(description="Deactivate selected products", permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        changed = services.product_set_active(
            product_ids=queryset.values_list("pk", flat=True), active=False
        )
        self.message_user(request, f"{changed} product(s) deactivated.", messages.SUCCESS)

    @admin.action(description="Move selected products to a category…", permissions=["change"])
    def move_to_category(
        self, request: HttpRequest, queryset: QuerySet[Product]
    ) -> TemplateResponse | None:
        form = MoveToCategoryForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            category = form.cleaned_data["category"]
            moved = services.product_move_to_category(
                product_ids=queryset.values_list("pk", flat=True), category=category
            )
            self.message_user(
                request, f"{moved} product(s) moved to {category.name}.", messages.SUCCESS
            )
            return None
        count = queryset.count()
        preview = list(queryset.select_related("category")[:20])
        context = {
            **self.admin_site.each_context(request),
            "title": "Move products to a category",
            "opts": self.opts,
            "form": form,
            "count": count,
            "preview": preview,
            "more": count - len(preview),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/catalog/product/move_to_category.html", context)

    @admin.action(description="Export selected products to CSV", permissions=["view"])
    def export_selected_csv(
        self, request: HttpRequest, queryset: QuerySet[Product]
    ) -> StreamingHttpResponse:
        return _csv_response(queryset)

    def get_urls(self) -> list[URLPattern]:
        export = path(
            "export.csv",
            self.admin_site.admin_view(self.export_csv_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_export",
        )
        return [export, *super().get_urls()]

    def export_csv_view(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        """Streams the changelist as filtered and searched, one row per variant."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:catalog_product_changelist") + "?e=1")
        return _csv_response(changelist.queryset)


class _Echo:
    """A write-only file: csv.writer hands each formatted row straight back."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value: str) -> str:
    # Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def _export_rows(products: QuerySet[Product]) -> Iterator[list[str]]:
    yield EXPORT_HEADER
    variants = Prefetch("variants", queryset=Variant.objects.order_by("position", "id"))
    for product in (
        products.select_related("category")
        .prefetch_related(variants)
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    ):
        head = [_csv_cell(product.title), _csv_cell(product.slug), _csv_cell(product.category.name)]
        product_active = "yes" if product.is_active else "no"
        rows = product.variants.all()
        if not rows:
            yield [*head, "", "", "", "", "", product_active, ""]
        for variant in rows:
            options = "; ".join(f"{name}: {value}" for name, value in variant.options.items())
            yield [
                *head,
                _csv_cell(variant.sku),
                _csv_cell(options),
                str(variant.price),
                "" if variant.compare_at_price is None else str(variant.compare_at_price),
                str(variant.stock),
                product_active,
                "yes" if variant.is_active else "no",
            ]


def _csv_response(products: QuerySet[Product]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in _export_rows(products)),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"products-{timezone.now():%Y%m%d-%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Variants and stock movements -----------------------------------------------------


@admin.register(Variant)
class VariantAdmin(CatalogChangesAdmin, admin.ModelAdmin):
    form = VariantAdminForm
    list_display = [
        "sku",
        "product",
        "option_values",
        "price",
        "compare_at_price",
        "stock",
        "is_active",
    ]
    list_editable = ["price", "compare_at_price"]
    list_filter = [VariantStockFilter, "is_active"]
    list_select_related = ["product"]
    search_fields = ["sku", "product__title"]
    search_help_text = "SKU or product title."
    autocomplete_fields = ["product"]
    fields = [
        "product",
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
    ]
    # The unique SKU index serves this order straight, without sorting every variant.
    ordering = ["sku"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    @admin.display(description="Options")
    def option_values(self, variant: Variant) -> str:
        return " / ".join(str(value) for value in variant.options.values())

    def get_readonly_fields(self, request: HttpRequest, obj: Variant | None = None) -> list[str]:
        # Moving a variant to another product would need two prices refreshed; staff add
        # a new variant there instead.
        return ["stock"] if obj is None else ["product", "stock"]

    def save_model(self, request: HttpRequest, obj: Variant, form: Any, change: Any) -> None:
        for refusal in _variant_save(obj, form, actor=_actor(request)):
            self.message_user(request, refusal, messages.ERROR)
        services.product_price_refresh(product_ids=[obj.product_id])

    def delete_model(self, request: HttpRequest, obj: Variant) -> None:
        super().delete_model(request, obj)
        services.product_price_refresh(product_ids=[obj.product_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        product_ids = set(queryset.values_list("product_id", flat=True))
        super().delete_queryset(request, queryset)
        services.product_price_refresh(product_ids=product_ids)


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    """The stock ledger: read-only, since a movement is never edited after the fact."""

    list_display = ["created_at", "sku", "delta", "stock_after", "reason", "actor", "note"]
    list_filter = ["reason"]
    list_select_related = ["variant", "actor"]
    search_fields = ["variant__sku"]
    search_help_text = "Variant SKU."
    # Ids grow with time and have an index; sorting millions of rows by created_at does not.
    ordering = ["-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    @admin.display(description="SKU", ordering="variant__sku")
    def sku(self, movement: StockMovement) -> str:
        return movement.variant.sku

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StockMovement | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StockMovement | None = None) -> bool:
        return False
