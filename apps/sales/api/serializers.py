"""Read-only representations of the sales shoppers can see."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.sales.models import Sale, SaleItem, SaleStatus


class SaleItemSerializer(serializers.ModelSerializer[SaleItem]):
    variant = serializers.IntegerField(
        source="variant_id", read_only=True, help_text="The variant's id in the catalog API."
    )
    sku = serializers.CharField(source="variant.sku", read_only=True)
    sale_price = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        read_only=True,
        help_text="What the variant costs while the sale is live and units are left.",
    )
    regular_price = serializers.DecimalField(
        source="variant.price",
        max_digits=10,
        decimal_places=2,
        read_only=True,
        help_text="What it costs outside the sale.",
    )
    units_left = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Units set aside for the sale not sold yet; null: as long as stock lasts.",
    )
    sold_out = serializers.SerializerMethodField(
        help_text="Whether the units set aside for the sale are gone (the regular price "
        "applies again)."
    )

    class Meta:
        model = SaleItem
        fields = ["variant", "sku", "sale_price", "regular_price", "units_left", "sold_out"]
        read_only_fields = fields

    def get_sold_out(self, item: SaleItem) -> bool:
        return item.units_left == 0


class SaleSerializer(serializers.ModelSerializer[Sale]):
    status = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in SaleStatus if s != SaleStatus.DRAFT],
        read_only=True,
        help_text="Where the sale stands now, by the server's clock: sale prices apply "
        "only while it is `live`, from `starts_at` (inclusive) to `ends_at` (exclusive).",
    )
    items = serializers.SerializerMethodField(
        help_text="The variants in the sale, at their sale prices."
    )

    class Meta:
        model = Sale
        fields = [
            "id",
            "name",
            "slug",
            "status",
            "starts_at",
            "ends_at",
            "per_customer_limit",
            "items",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "per_customer_limit": {
                "help_text": "Units of the sale's items one customer may buy across all "
                "their orders; null: no limit."
            }
        }

    @extend_schema_field(SaleItemSerializer(many=True))
    def get_items(self, sale: Sale) -> list[dict[str, Any]]:
        # The view reads every sale's items in one query (sale_items_shown).
        items = self.context["items"][sale.pk]
        return SaleItemSerializer(items, many=True, context=self.context).data  # type: ignore[return-value]
