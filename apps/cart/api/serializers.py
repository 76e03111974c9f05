"""The cart as the API shows it, and the two small bodies that change it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.cart.forms import CODE_MAX_LENGTH
from apps.cart.selectors import CartItem
from apps.catalog.api.serializers import STOCK_STATES, ListingImageSerializer


def _money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, **kwargs)


QUANTITY_HELP = (
    "A whole number from 1 to the per-line maximum (CART_MAX_LINE_QUANTITY, 10 by default), "
    "never above the stock."
)


@extend_schema_field({"type": "integer", "minimum": 1})
class QuantityField(serializers.Field):
    """A quantity passed on as sent: the cart service is the one judge of what is allowed."""

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class CartItemCreateSerializer(serializers.Serializer[Any]):
    variant = serializers.IntegerField(help_text="Id of the variant (a product's `variants`).")
    quantity = QuantityField(default=1, help_text=QUANTITY_HELP)


class CartVoucherSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(
        max_length=CODE_MAX_LENGTH,
        error_messages={
            "required": "Enter a voucher code.",
            "blank": "Enter a voucher code.",
            "null": "Enter a voucher code.",
            # A longer code cannot be on file: the same answer as for any unknown code.
            "max_length": "That voucher code doesn't exist.",
        },
        help_text="The voucher code as the shopper typed it; case and surrounding spaces "
        "don't matter.",
    )


class CartItemUpdateSerializer(serializers.Serializer[Any]):
    # The schema of a PATCH body marks every field optional; this one is not.
    quantity = QuantityField(help_text=f"Required. {QUANTITY_HELP}")


class CartLineSerializer(serializers.Serializer[CartItem]):
    id = serializers.IntegerField(source="line.id", help_text="The line, for /cart/items/{id}/.")
    variant = serializers.IntegerField(source="line.variant_id")
    sku = serializers.CharField(source="line.variant.sku")
    product = serializers.SlugField(source="line.variant.product.slug", help_text="Its slug.")
    title = serializers.CharField(source="line.variant.product.title")
    options = serializers.DictField(child=serializers.CharField(), source="line.variant.options")
    image = serializers.SerializerMethodField(help_text="The product's cover photo, if any.")
    quantity = serializers.IntegerField(source="line.quantity")
    unit_price = _money(help_text="The price now: the one an order placed now would charge.")
    price_seen = _money(source="line.price_seen", help_text="The price when last added or changed.")
    price_changed = serializers.BooleanField(help_text="`unit_price` differs from `price_seen`.")
    line_total = _money(source="total")
    sold_out = serializers.BooleanField(
        help_text="No longer available; the line must be removed to check out."
    )
    too_many = serializers.BooleanField(
        help_text="More than the stock now; lower the quantity to check out."
    )
    stock_state = serializers.SerializerMethodField()
    max_quantity = serializers.SerializerMethodField(
        help_text="The most this line can be set to now: stock and the per-line maximum "
        "allowing; 0 when sold out."
    )
    problem = serializers.CharField(help_text="What to tell the shopper; empty when none.")

    @extend_schema_field(ListingImageSerializer(allow_null=True))
    def get_image(self, item: CartItem) -> dict[str, Any] | None:
        covers = item.line.variant.product.cover_images  # type: ignore[attr-defined]
        return ListingImageSerializer(covers[0], context=self.context).data if covers else None

    @extend_schema_field(serializers.ChoiceField(choices=STOCK_STATES))
    def get_stock_state(self, item: CartItem) -> str:
        return "sold_out" if item.sold_out else item.line.variant.stock_state

    def get_max_quantity(self, item: CartItem) -> int:
        if item.sold_out:
            return 0
        return min(item.line.variant.stock, settings.CART_MAX_LINE_QUANTITY)


class TotalsSerializer(serializers.Serializer[Any]):
    subtotal = _money(help_text="Lines that can be bought.")
    shipping = _money(help_text="Chosen at checkout; 0 here.")
    discount = _money(
        help_text="Taken off the goods by `voucher_code`; 0 when there is none or it no "
        "longer applies."
    )
    tax = _money(help_text="Included in `total` either way.")
    total = _money()


class CartSerializer(serializers.Serializer[Any]):
    """Your cart at today's prices."""

    lines = CartLineSerializer(many=True, source="items")
    count = serializers.IntegerField(help_text="Units in the cart, for a badge.")
    can_check_out = serializers.BooleanField(
        help_text="False when the cart is empty or a line is sold out or above the stock."
    )
    currency = serializers.SerializerMethodField(help_text="ISO 4217 code of every amount.")
    prices_include_tax = serializers.SerializerMethodField()
    totals = TotalsSerializer()
    voucher_code = serializers.CharField(
        help_text="The voucher kept on the cart, in upper case; empty when none. It is "
        "checked again when the order is placed."
    )
    voucher_problem = serializers.CharField(
        help_text="Why `voucher_code` no longer applies (expired, used up, below its "
        "minimum spend...), to show the shopper; empty when it applies. Checking out "
        "with such a code is refused: remove it or apply another."
    )

    def get_currency(self, summary: Any) -> str:
        return settings.SHOP_CURRENCY

    def get_prices_include_tax(self, summary: Any) -> bool:
        return settings.SHOP_PRICES_INCLUDE_TAX
