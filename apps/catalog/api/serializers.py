"""Read-only representations of the catalog; every row arrives prefetched by a selector."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils.text import Truncator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.catalog.listing import ListingCount, ListingFacets
from apps.catalog.models import LOW_STOCK_THRESHOLD, Category, Product, ProductImage, Variant
from apps.sales.selectors import SalePrice

# Exact stock counts would let anyone chart a product's sales; a quantity picker needs no
# more than this, and the cart checks the real stock anyway.
STOCK_QUANTITY_CAP = 10

STOCK_STATES = [
    ("in_stock", "In stock"),
    ("low", f"Only a few left ({LOW_STOCK_THRESHOLD} or fewer)"),
    ("sold_out", "Sold out"),
]


def _money(amount: Decimal) -> str:
    """As the API's other prices are: a string with two places."""
    return str(serializers.DecimalField(max_digits=10, decimal_places=2).to_representation(amount))


def _absolute(context: Mapping[str, Any], url: str) -> str:
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


@extend_schema_field(OpenApiTypes.URI)
class StorageUrlField(serializers.CharField):
    """A storage name (as kept in ProductImage.renditions) shown as an absolute URL."""

    def to_representation(self, value: Any) -> str:
        return _absolute(self.context, default_storage.url(str(value)))


class RenditionSerializer(serializers.Serializer[Any]):
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    webp = StorageUrlField(help_text="The rendition as WebP.")
    jpeg = StorageUrlField(help_text="The same rendition as JPEG, for browsers without WebP.")


class ProductImageSerializer(serializers.ModelSerializer[ProductImage]):
    url = serializers.SerializerMethodField(help_text="The original upload.")
    listing = RenditionSerializer(
        many=True,
        read_only=True,
        source="renditions.listing",
        default=list,
        help_text="Listing renditions (300 and 600 px wide), smallest first. Empty until "
        "the renditions task has run: then use `url`.",
    )
    detail = RenditionSerializer(
        many=True,
        read_only=True,
        source="renditions.detail",
        default=list,
        help_text="Detail renditions (600 and 1200 px wide), smallest first. Empty until "
        "the renditions task has run: then use `url`.",
    )

    class Meta:
        model = ProductImage
        fields = ["url", "alt_text", "width", "height", "listing", "detail"]
        read_only_fields = fields
        extra_kwargs = {
            "width": {"help_text": "Width of the original in pixels; 0 until measured."},
            "height": {"help_text": "Height of the original in pixels; 0 until measured."},
        }

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, image: ProductImage) -> str:
        return _absolute(self.context, image.image.url)


class ListingImageSerializer(ProductImageSerializer):
    class Meta(ProductImageSerializer.Meta):
        fields = ["url", "alt_text", "width", "height", "listing"]
        read_only_fields = fields


class ProductListSerializer(serializers.ModelSerializer[Product]):
    url = serializers.HyperlinkedIdentityField(
        view_name="api:product-detail", lookup_field="slug", help_text="This product in the API."
    )
    web_url = serializers.SerializerMethodField(help_text="The product page in the shop.")
    currency = serializers.SerializerMethodField(help_text="ISO 4217 code of every price.")
    in_stock = serializers.SerializerMethodField(help_text="Whether any variant can be bought now.")
    image = serializers.SerializerMethodField(help_text="The cover photo, if there is one.")

    class Meta:
        model = Product
        fields = [
            "id",
            "slug",
            "url",
            "web_url",
            "title",
            "brand",
            "price",
            "currency",
            "in_stock",
            "image",
        ]
        read_only_fields = fields
        extra_kwargs = {"price": {"help_text": "The lowest price among the active variants."}}

    @extend_schema_field(OpenApiTypes.URI)
    def get_web_url(self, product: Product) -> str:
        return _absolute(self.context, product.get_absolute_url())

    def get_currency(self, product: Product) -> str:
        return settings.SHOP_CURRENCY

    def get_in_stock(self, product: Product) -> bool:
        return bool(product.has_stock)  # type: ignore[attr-defined]

    @extend_schema_field(ListingImageSerializer(allow_null=True))
    def get_image(self, product: Product) -> dict[str, Any] | None:
        covers = product.cover_images  # type: ignore[attr-defined]
        return ListingImageSerializer(covers[0], context=self.context).data if covers else None


class VariantSerializer(serializers.ModelSerializer[Variant]):
    options = serializers.DictField(
        child=serializers.CharField(), help_text='Option values, e.g. {"Size": "M"}.'
    )
    on_sale = serializers.BooleanField(
        read_only=True, help_text="Whether `compare_at_price` is above `price`."
    )
    stock_state = serializers.ChoiceField(
        choices=STOCK_STATES, read_only=True, help_text="What the shop page says about stock."
    )
    stock_quantity = serializers.SerializerMethodField(
        help_text=f"Units that can be bought now, exact up to {STOCK_QUANTITY_CAP}; "
        f"{STOCK_QUANTITY_CAP} means {STOCK_QUANTITY_CAP} or more."
    )
    sale_price = serializers.SerializerMethodField(
        help_text="What the variant costs in a live sale, which the cart and checkout "
        "charge; null when it is in no live sale or the units set aside for the sale are "
        "gone (then `price` applies)."
    )
    sale_ends_at = serializers.SerializerMethodField(
        help_text="When `sale_price` stops applying (exclusive); null with it."
    )

    class Meta:
        model = Variant
        fields = [
            "id",
            "sku",
            "options",
            "price",
            "compare_at_price",
            "on_sale",
            "stock_state",
            "stock_quantity",
            "sale_price",
            "sale_ends_at",
        ]
        read_only_fields = fields

    def get_stock_quantity(self, variant: Variant) -> int:
        return 0 if variant.stock_state == "sold_out" else min(variant.stock, STOCK_QUANTITY_CAP)

    def _sale(self, variant: Variant) -> SalePrice | None:
        # The view reads the sale prices of all the product's variants at once.
        sale: SalePrice | None = self.context.get("sale_prices", {}).get(variant.pk)
        return sale if sale is not None and not sale.sold_out else None

    @extend_schema_field(serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True))
    def get_sale_price(self, variant: Variant) -> str | None:
        sale = self._sale(variant)
        return None if sale is None else _money(sale.price)

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_sale_ends_at(self, variant: Variant) -> str | None:
        sale = self._sale(variant)
        return (
            None
            if sale is None
            else str(serializers.DateTimeField().to_representation(sale.ends_at))
        )


class CategorySummarySerializer(serializers.ModelSerializer[Category]):
    class Meta:
        model = Category
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class ProductDetailSerializer(ProductListSerializer):
    category = CategorySummarySerializer(read_only=True)
    option_names = serializers.ListField(
        child=serializers.CharField(), help_text="Names of the options the variants differ by."
    )
    variants = VariantSerializer(
        many=True, read_only=True, source="active_variants", help_text="Active variants."
    )
    images = ProductImageSerializer(
        many=True, read_only=True, source="gallery", help_text="Photos, cover first."
    )
    seo_title = serializers.SerializerMethodField(
        help_text="For <title> and og:title; the product title unless staff set one."
    )
    seo_description = serializers.SerializerMethodField(
        help_text="For the meta description; the start of the description unless staff set one."
    )

    class Meta(ProductListSerializer.Meta):
        fields = [
            "id",
            "slug",
            "url",
            "web_url",
            "title",
            "brand",
            "description",
            "category",
            "option_names",
            "price",
            "currency",
            "in_stock",
            "variants",
            "images",
            "seo_title",
            "seo_description",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_in_stock(self, product: Product) -> bool:
        variants = product.active_variants  # type: ignore[attr-defined]
        return any(variant.stock_state != "sold_out" for variant in variants)

    def get_seo_title(self, product: Product) -> str:
        return product.seo_title or product.title

    def get_seo_description(self, product: Product) -> str:
        # The same fallback and length as the product page's meta description.
        return product.seo_description or Truncator(product.description).chars(155)


class CategoryTreeSerializer(serializers.Serializer[Any]):
    """One node of the category tree with its active children, nested."""

    id = serializers.IntegerField(source="category.id")
    slug = serializers.SlugField(source="category.slug")
    name = serializers.CharField(source="category.name")
    description = serializers.CharField(source="category.description")
    web_url = serializers.SerializerMethodField(help_text="The category page in the shop.")

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        # Declared here because the class cannot name itself in its own body.
        fields["children"] = CategoryTreeSerializer(many=True, read_only=True)
        return fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_web_url(self, node: Any) -> str:
        return _absolute(self.context, node.category.get_absolute_url())


def listing_summary_data(*, facets: ListingFacets, counted: ListingCount) -> dict[str, Any]:
    """The listing's count and facets as the listing endpoint adds them to its pages
    (documented in ProductListingPagination's schema)."""
    return {
        "count": counted.value,
        "count_exact": counted.exact,
        "facets": [
            {
                "name": facet.name,
                "values": [
                    {"value": item.value, "count": item.count, "selected": item.selected}
                    for item in facet.values
                ],
            }
            for facet in facets.options
        ],
    }
