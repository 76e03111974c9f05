"""Staff screens for carts: a read-only view for support ("what is in my cart?")."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from apps.cart.models import Cart, CartLine
from apps.catalog.templatetags.catalog_tags import money


class CartOwnerFilter(admin.SimpleListFilter):
    """Carts of signed-in shoppers, or anonymous ones found by cookie."""

    title = "shopper"
    parameter_name = "shopper"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("registered", "Registered"), ("anonymous", "Anonymous")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        match self.value():
            case "registered":
                return queryset.filter(user__isnull=False)
            case "anonymous":
                return queryset.filter(user__isnull=True)
        return queryset


class CartLineInline(admin.TabularInline):
    model = CartLine
    fields = ("sku", "product", "quantity", "price_seen", "price_now", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CartLine]:
        return super().get_queryset(request).select_related("variant__product")

    @admin.display(description="SKU")
    def sku(self, line: CartLine) -> str:
        return line.variant.sku

    @admin.display(description="Product")
    def product(self, line: CartLine) -> str:
        return line.variant.product.title

    @admin.display(description="Price now")
    def price_now(self, line: CartLine) -> str:
        return money(line.variant.price)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    """Carts change only through the cart services, as the shopper shops."""

    list_display = ["__str__", "user", "items", "created_at", "updated_at"]
    list_filter = [CartOwnerFilter]
    list_select_related = ["user"]
    search_fields = ["user__email", "=token"]
    search_help_text = "Shopper's e-mail address, or the exact cart token."
    fields = ("token", "user", "created_at", "updated_at")
    readonly_fields = fields
    inlines = [CartLineInline]
    ordering = ["-updated_at", "-id"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cart]:
        items = (
            CartLine.objects.filter(cart=OuterRef("pk"))
            .order_by()
            .values("cart")
            .annotate(n=Sum("quantity"))
            .values("n")
        )
        return super().get_queryset(request).annotate(item_count=Coalesce(Subquery(items), 0))

    @admin.display(description="Items", ordering="item_count")
    def items(self, cart: Cart) -> int:
        return int(getattr(cart, "item_count", 0))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
