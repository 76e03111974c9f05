"""factory-boy factories for the models the tests build."""

from __future__ import annotations

from decimal import Decimal

import factory

from apps.accounts.models import Address, User
from apps.cart.models import Cart, CartLine
from apps.catalog.models import Category, Product, ProductImage, Variant
from apps.pricing.models import ShippingMethod
from apps.vouchers.models import Voucher


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("a-long-test-password-42")


class AddressFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Address

    user = factory.SubFactory(UserFactory)
    full_name = factory.Faker("name")
    line1 = factory.Faker("street_address")
    city = factory.Faker("city")
    postal_code = factory.Faker("postcode")
    country = "GB"


class CategoryFactory(factory.django.DjangoModelFactory):
    """Builds tree nodes through treebeard: pass `parent=` for a child category."""

    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    is_active = True

    @classmethod
    def _create(cls, model_class, *args, parent=None, **kwargs):
        if parent is not None:
            return model_class.objects.add_child(parent, kwargs)
        return model_class.objects.add_root(kwargs)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    title = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")
    description = factory.Faker("paragraph")
    brand = "Acme"
    category = factory.SubFactory(CategoryFactory)
    price = Decimal("10.00")
    option_names = factory.LazyFunction(lambda: ["Size"])


class VariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Variant

    product = factory.SubFactory(ProductFactory)
    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    options = factory.LazyFunction(lambda: {"Size": "M"})
    price = Decimal("10.00")
    stock = 10


class ProductImageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductImage

    product = factory.SubFactory(ProductFactory)
    image = factory.django.ImageField(width=64, height=64, color="teal")
    width = 64
    height = 64
    alt_text = factory.LazyAttribute(lambda image: f"Photo of {image.product.title}")


class ShippingMethodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShippingMethod

    name = factory.Sequence(lambda n: f"Courier {n}")
    price = Decimal("4.90")
    free_above = Decimal("50.00")


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cart


class CartLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartLine

    cart = factory.SubFactory(CartFactory)
    variant = factory.SubFactory(VariantFactory)
    quantity = 1
    price_seen = factory.LazyAttribute(lambda line: line.variant.price)


class VoucherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Voucher

    code = factory.Sequence(lambda n: f"SAVE{n}")
    kind = "percentage"
    value = Decimal("10")


def _days_after(moment, days: float):
    """`days` after `moment` (None: now). Imported here: this block was appended below the
    file's imports."""
    from datetime import timedelta

    from django.utils import timezone

    return (moment or timezone.now()) + timedelta(days=days)


class SaleFactory(factory.django.DjangoModelFactory):
    """A draft sale starting in a day and lasting two; pass `scheduled_at=` to schedule it."""

    class Meta:
        model = "sales.Sale"

    name = factory.Sequence(lambda n: f"Sale {n}")
    slug = factory.Sequence(lambda n: f"sale-{n}")
    starts_at = factory.LazyFunction(lambda: _days_after(None, 1))
    ends_at = factory.LazyAttribute(lambda sale: _days_after(sale.starts_at, 2))


class SaleItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "sales.SaleItem"

    sale = factory.SubFactory(SaleFactory)
    variant = factory.SubFactory(VariantFactory)
    sale_price = factory.LazyAttribute(lambda item: item.variant.price / 2)
