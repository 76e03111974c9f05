"""Writes to the catalog. Stock changes only ever happen here, as movements."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Min

from apps.accounts.models import User
from apps.catalog.cache import catalog_changed
from apps.catalog.choices import StockReason
from apps.catalog.facets import facets_rebuild, facets_refresh
from apps.catalog.models import (
    LOW_STOCK_THRESHOLD,
    Category,
    Product,
    ProductImage,
    StockMovement,
    Variant,
)
from apps.core.errors import ApplicationError, NotFound
from apps.core.queue import enqueue_on_commit


class InsufficientStock(ApplicationError):
    """A stock decrease would take the variant below zero."""

    code = "insufficient_stock"
    status_code = 409


def _shown_stock(stock: int) -> str | int:
    """What pages show of a stock level: "sold out", "in stock", or "only N left"."""
    if stock <= 0:
        return "sold_out"
    return stock if stock <= LOW_STOCK_THRESHOLD else "in_stock"


def stock_adjust(
    *,
    variant_id: int,
    delta: int,
    reason: StockReason | str,
    actor: User | None = None,
    note: str = "",
) -> StockMovement:
    """Applies `delta` to a variant's stock and records the movement.

    One conditional UPDATE (`... WHERE stock >= -delta`) both checks and applies the
    change, so two writers can never both spend the last unit and a stale number held by
    an admin form is never written back. The CHECK constraint is the last line of defence.

    No savepoint of its own: a refusal is found before anything is written (the UPDATE
    matched no row), so a caller's transaction stays usable after it, and checkout, the
    hot path, saves the two round trips.
    """
    if delta == 0:
        raise ApplicationError("A stock change of zero changes nothing.")
    with transaction.atomic(savepoint=False):
        stock_after = _stock_apply(variant_id=variant_id, delta=delta)
        if stock_after is not None:
            if _shown_stock(stock_after) != _shown_stock(stock_after - delta):
                catalog_changed()
            return StockMovement.objects.create(
                variant_id=variant_id,
                delta=delta,
                stock_after=stock_after,
                reason=reason,
                actor=actor,
                note=note,
            )
    available = Variant.objects.filter(pk=variant_id).values_list("stock", flat=True).first()
    if available is None:
        raise NotFound("That product variant does not exist.")
    raise InsufficientStock(
        f"Only {available} in stock; cannot remove {-delta}.",
        fields={"stock": [f"Only {available} in stock."]},
    )


def _stock_apply(*, variant_id: int, delta: int) -> int | None:
    """The stock after adding `delta`, or None if the variant lacks the units (or is gone).

    Raw SQL for RETURNING, which the ORM's update() lacks: the stock after the change
    comes back with it instead of from a second query under the row lock.
    """
    table = connection.ops.quote_name(Variant._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET stock = stock + %s WHERE id = %s AND stock >= %s "  # noqa: S608 - the table name is the model's own
            "RETURNING stock",
            [delta, variant_id, max(-delta, 0)],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


@transaction.atomic
def stock_set(
    *, variant_id: int, quantity: int, actor: User | None = None, note: str = ""
) -> StockMovement | None:
    """Sets a variant's stock to a counted `quantity`, recorded as the delta it took.

    The row is locked while the delta is worked out, so a sale committing meanwhile is
    either counted before the lock or waits for it; it is never overwritten.
    Returns None when the stock already equals `quantity`.
    """
    if quantity < 0:
        raise ApplicationError(
            "Stock cannot be negative.", fields={"stock": ["Must be 0 or more."]}
        )
    current = (
        Variant.objects.select_for_update()
        .filter(pk=variant_id)
        .values_list("stock", flat=True)
        .first()
    )
    if current is None:
        raise NotFound("That product variant does not exist.")
    if quantity == current:
        return None
    return stock_adjust(
        variant_id=variant_id,
        delta=quantity - current,
        reason=StockReason.COUNT,
        actor=actor,
        note=note,
    )


def product_price_refresh(*, product_ids: Iterable[int]) -> None:
    """Recomputes the denormalised `Product.price` (lowest active variant price)."""
    ids = list(product_ids)
    lowest = dict(
        Variant.objects.filter(product_id__in=ids, is_active=True)
        .values("product_id")
        .annotate(low=Min("price"))
        .values_list("product_id", "low")
    )
    for product_id in ids:
        Product.objects.filter(pk=product_id).update(
            price=lowest.get(product_id) or Decimal("0.00")
        )
    catalog_changed()


@transaction.atomic
def variant_set_price(
    *, variant: Variant, price: Decimal, compare_at_price: Decimal | None = None
) -> Variant:
    """Changes a variant's price and keeps the product's listing price in step."""
    if price < 0:
        raise ApplicationError(
            "Price cannot be negative.", fields={"price": ["Must be 0 or more."]}
        )
    variant.price = price
    variant.compare_at_price = compare_at_price
    variant.save(update_fields=["price", "compare_at_price"])
    product_price_refresh(product_ids=[variant.product_id])
    return variant


def _categories_of(product_ids: Iterable[int]) -> set[int]:
    return set(
        Product.objects.filter(pk__in=list(product_ids))
        .order_by()
        .values_list("category_id", flat=True)
        .distinct()
    )


@transaction.atomic
def product_variants_changed(
    *, product_ids: Iterable[int], category_ids: Iterable[int | None] = ()
) -> None:
    """After variants were added, edited or removed, or products edited or added: their
    listing price, and the facets of their categories (and of `category_ids`: where the
    products were before a move, or where deleted ones were)."""
    ids = list(product_ids)
    product_price_refresh(product_ids=ids)
    facets_refresh(category_ids={*category_ids, *_categories_of(ids)})


def category_facets_refresh(*, category_ids: Iterable[int | None]) -> None:
    """Recomputes these categories' facets after commit (e.g. products deleted from them)."""
    facets_refresh(category_ids=category_ids)
    catalog_changed()


def catalog_facets_rebuild() -> None:
    """Recomputes every category's facets from the products and variants, now."""
    facets_rebuild()


@transaction.atomic
def product_set_active(*, product_ids: Iterable[int], active: bool) -> int:
    """Shows or hides products in bulk; returns how many changed."""
    catalog_changed()
    ids = list(product_ids)
    changed = Product.objects.filter(pk__in=ids).exclude(is_active=active).update(is_active=active)
    if changed:
        facets_refresh(category_ids=_categories_of(ids))
    return changed


@transaction.atomic
def product_move_to_category(*, product_ids: Iterable[int], category: Category) -> int:
    """Moves products to `category` in bulk; returns how many moved."""
    catalog_changed()
    ids = list(product_ids)
    facets_refresh(category_ids={category.pk, *_categories_of(ids)})
    return Product.objects.filter(pk__in=ids).update(category=category)


def product_image_renditions_request(*, image: ProductImage) -> None:
    """Asks the worker to (re)make an image's listing and detail renditions."""
    enqueue_on_commit("apps.catalog.tasks.make_image_renditions", image.pk)
