"""Checkout input (where to send it, how) and the shipping methods on offer."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django_countries.serializer_fields import CountryField
from rest_framework import serializers

from apps.accounts.models import Address
from apps.accounts.selectors import address_list
from apps.pricing.models import ShippingMethod


class ShippingMethodSerializer(serializers.ModelSerializer[ShippingMethod]):
    currency = serializers.SerializerMethodField(help_text="ISO 4217 code of the prices.")

    class Meta:
        model = ShippingMethod
        fields = ["id", "name", "description", "price", "free_above", "currency"]
        read_only_fields = fields
        extra_kwargs = {
            "free_above": {"help_text": "Free for orders whose goods reach this; null: never."}
        }

    def get_currency(self, method: ShippingMethod) -> str:
        return settings.SHOP_CURRENCY


class ShippingAddressSerializer(serializers.Serializer[Any]):
    # Lengths are those of the order's columns (as is the e-mail's below), so a long value
    # is a 400, not a database error.
    full_name = serializers.CharField(max_length=150)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, allow_blank=True, default="")
    city = serializers.CharField(max_length=100)
    region = serializers.CharField(max_length=100, allow_blank=True, default="")
    postal_code = serializers.CharField(max_length=20)
    country = CountryField(help_text="ISO 3166-1 alpha-2 code, e.g. `GB`.")
    phone = serializers.CharField(max_length=30, allow_blank=True, default="")


class OwnAddressField(serializers.PrimaryKeyRelatedField):
    """An id from the caller's own address book; anyone else's is simply not found."""

    def get_queryset(self) -> QuerySet[Address]:
        user = self.context["request"].user
        # A guest has no address book: every id is unknown to them.
        return address_list(user=user) if user.is_authenticated else Address.objects.none()

    def to_internal_value(self, data: Any) -> Any:
        # JSON's 1e999 is a float infinity: DRF would turn it into an int and crash.
        if isinstance(data, bool | float):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class CheckoutSerializer(serializers.Serializer[Any]):
    """What to place: prices, totals, status and owner are never taken from the client."""

    email = serializers.EmailField(
        required=False,
        max_length=254,
        help_text="For the confirmation e-mail; defaults to your account's. Required for a "
        "guest (X-Cart-Token).",
    )
    shipping_address = ShippingAddressSerializer(
        required=False, help_text="Where to send the order; or give `address_id` instead."
    )
    address_id = OwnAddressField(
        queryset=Address.objects.all(),
        required=False,
        help_text="One of your saved addresses; or give `shipping_address` instead.",
        error_messages={"does_not_exist": "You have no saved address with this id."},
    )
    shipping_method = serializers.IntegerField(help_text="Id from /shipping-methods/.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not self.context["request"].user.is_authenticated and "email" not in attrs:
            raise serializers.ValidationError(
                {"email": ["Give an e-mail address for the order's confirmation and updates."]},
                code="required",
            )
        if ("shipping_address" in attrs) == ("address_id" in attrs):
            raise serializers.ValidationError(
                "Give exactly one of shipping_address and address_id.", code="address"
            )
        return attrs
