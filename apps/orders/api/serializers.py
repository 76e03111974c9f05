"""Orders as their owner sees them, and the card details that pay for one."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from rest_framework import serializers

from apps.orders.choices import OrderState
from apps.orders.models import Order, OrderEvent, OrderLine
from apps.payments.gateways.simulated import DECLINE_CARD, SUCCESS_CARD
from apps.payments.models import Payment, PaymentStatus


class OrderLineSerializer(serializers.ModelSerializer[OrderLine]):
    options = serializers.DictField(child=serializers.CharField())

    class Meta:
        model = OrderLine
        fields = [
            "variant",
            "sku",
            "product_title",
            "options",
            "unit_price",
            "quantity",
            "line_total",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "variant": {"help_text": "The variant bought; null once it was deleted."},
            "unit_price": {"help_text": "The price paid, frozen when the order was placed."},
        }


class OrderEventSerializer(serializers.ModelSerializer[OrderEvent]):
    state = serializers.ChoiceField(
        choices=[("", "The order as a whole"), *OrderState.choices],
        read_only=True,
        help_text="Which of the order's two states changed: `fulfillment` or `payment`; "
        "blank for the order's placing (`to_status` `placed`) and for history from before "
        "the order had two states.",
    )

    class Meta:
        model = OrderEvent
        fields = ["created_at", "state", "from_status", "to_status", "note"]
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer[Payment]):
    # A plain string in the schema: a second choice set on a field named `status` would
    # clash with the order's in drf-spectacular's enum naming.
    status = serializers.CharField(
        read_only=True, help_text=", ".join(f"`{value}`" for value in PaymentStatus.values) + "."
    )

    class Meta:
        model = Payment
        # Only the brand and last four digits of a card are ever kept.
        fields = ["created_at", "status", "amount", "card_brand", "card_last4", "message"]
        read_only_fields = fields


class OrderAddressSerializer(serializers.Serializer[Order]):
    full_name = serializers.CharField(source="shipping_name")
    line1 = serializers.CharField(source="shipping_line1")
    line2 = serializers.CharField(source="shipping_line2")
    city = serializers.CharField(source="shipping_city")
    region = serializers.CharField(source="shipping_region")
    postal_code = serializers.CharField(source="shipping_postal_code")
    country = serializers.CharField(source="shipping_country", help_text="ISO 3166-1 alpha-2.")
    phone = serializers.CharField(source="shipping_phone")


class OrderListSerializer(serializers.ModelSerializer[Order]):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:order-detail", lookup_field="number", help_text="This order in the API."
    )
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "number",
            "url",
            "fulfillment_status",
            "payment_status",
            "created_at",
            "currency",
            "total",
            "lines",
        ]
        extra_kwargs = {
            "fulfillment_status": {"help_text": "Where the parcel is."},
            "payment_status": {"help_text": "Where the money is."},
        }
        read_only_fields = fields


class OrderDetailSerializer(OrderListSerializer):
    shipping_address = OrderAddressSerializer(source="*", read_only=True)
    shipping_method = serializers.CharField(source="shipping_method_name", read_only=True)
    payable = serializers.BooleanField(
        source="is_payable",
        read_only=True,
        help_text="Unpaid and not cancelled: POST …/pay/ to pay.",
    )
    events = OrderEventSerializer(many=True, read_only=True, help_text="Status history.")
    payments = PaymentSerializer(many=True, read_only=True, help_text="Newest first.")

    class Meta(OrderListSerializer.Meta):
        fields = [
            "number",
            "url",
            "fulfillment_status",
            "payment_status",
            "payable",
            "created_at",
            "email",
            "shipping_address",
            "shipping_method",
            "currency",
            "lines",
            "subtotal",
            "shipping_total",
            "discount_total",
            "tax_total",
            "total",
            "expires_at",
            "paid_at",
            "carrier",
            "tracking_number",
            "shipped_at",
            "delivered_at",
            "cancelled_at",
            "events",
            "payments",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "expires_at": {"help_text": "An unpaid order is cancelled after this."},
            "tax_total": {"help_text": "Included in `total` either way."},
        }


@sensitive_variables()
def _luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


class CardSerializer(serializers.Serializer[Any]):
    """Card details: passed to the gateway in memory, never stored, logged or echoed."""

    card_number = serializers.CharField(
        write_only=True,
        max_length=23,
        help_text=f"Digits, spaces allowed. Test cards: `{SUCCESS_CARD}` is paid, "
        f"`{DECLINE_CARD}` is declined.",
    )
    exp_month = serializers.IntegerField(write_only=True, min_value=1, max_value=12)
    exp_year = serializers.IntegerField(
        write_only=True, min_value=2000, max_value=2100, help_text="Four digits, e.g. 2030."
    )
    cvc = serializers.RegexField(
        r"^[0-9]{3,4}$",
        write_only=True,
        error_messages={"invalid": "Enter the 3 or 4 digits on the back of the card."},
    )

    @sensitive_variables()
    def validate_card_number(self, value: str) -> str:
        # The messages never repeat the input: a card number must not reach a response.
        digits = value.replace(" ", "").replace("-", "")
        # isdigit() alone accepts "²" and other digits that int() rejects or reads oddly.
        ascii_digits = digits.isascii() and digits.isdigit()
        if not (ascii_digits and 12 <= len(digits) <= 19 and _luhn_valid(digits)):
            raise serializers.ValidationError("Enter a valid card number.", code="invalid")
        return digits

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        today = timezone.localdate()
        if (attrs["exp_year"], attrs["exp_month"]) < (today.year, today.month):
            raise serializers.ValidationError({"exp_year": ["This card has expired."]})
        if attrs["exp_year"] > today.year + 20:
            raise serializers.ValidationError(
                {"exp_year": ["Check the year: cards don't last that long."]}
            )
        return attrs
