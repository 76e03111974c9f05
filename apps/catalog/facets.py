"""Keeping the facet table (CategoryFacet) in step with the catalog's writes.

Every write that changes which products a category lists, or their variants' options,
names the categories it touched with `facets_refresh`; once its transaction commits, the
rows of those categories are recomputed from the products and variants in one DELETE and
one INSERT ... SELECT, and the catalog version is bumped again so that no page cached in
between keeps the old facets. A transaction that touches many categories (an admin save
with its inlines, a bulk action) recomputes each of them once, at its end.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from apps.catalog.cache import NAMESPACE
from apps.catalog.models import Category, CategoryFacet, Product, Variant
from apps.core.cache import namespace_bump

# jsonb_each_text fails on anything but an object, and SQLite's json_each would list an
# array's items: options that are not an object count as no options.
_OPTIONS = {
    "postgresql": (
        "CROSS JOIN LATERAL jsonb_each_text(CASE WHEN jsonb_typeof(v.options) = 'object' "
        "THEN v.options ELSE '{}'::jsonb END) AS o",
        "o.value",
    ),
    "sqlite": (
        "CROSS JOIN json_each(CASE WHEN json_type(v.options) = 'object' "
        "THEN v.options ELSE '{}' END) AS o",
        "CAST(o.value AS TEXT)",
    ),
}


def _statements(vendor: str, categories: str) -> tuple[str, str]:
    """The DELETE and the INSERT that recompute the rows of `categories` (a SQL condition)."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    facet, product, variant = (
        quote(model._meta.db_table) for model in (CategoryFacet, Product, Variant)
    )
    join, value = _OPTIONS.get(vendor, _OPTIONS["sqlite"])
    # Counted once per product, however many of its variants share the value; the second
    # half is the category's own row (empty name and value): its active products, with or
    # without variants, as the listing shows them.
    insert = (
        f"INSERT INTO {facet} (category_id, name, value, products) "  # noqa: S608 - model tables
        f"SELECT p.category_id, o.key, {value}, COUNT(DISTINCT p.id) "
        f"FROM {product} p JOIN {variant} v ON v.product_id = p.id AND v.is_active {join} "
        f"WHERE p.is_active AND o.key <> '' AND {categories.format(column='p.category_id')} "
        f"GROUP BY p.category_id, o.key, {value} "
        f"UNION ALL SELECT p.category_id, '', '', COUNT(*) FROM {product} p "
        f"WHERE p.is_active AND {categories.format(column='p.category_id')} "
        "GROUP BY p.category_id"
    )
    delete = f"DELETE FROM {facet} WHERE {categories.format(column='category_id')}"  # noqa: S608
    return delete, insert


def facet_rows_recompute(*, category_ids: Collection[int] | None) -> None:
    """Recomputes the facet rows of these categories (None: of every category), now.

    The categories' rows are locked first (FOR NO KEY UPDATE, in id order, which does not
    stop products being added to them): two refreshes of one category then run one after
    the other, and the second reads what the first committed, so the INSERT never meets
    the rows of the other and the last refresh always sees the last write.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    with transaction.atomic():
        if category_ids is None:
            condition, params = "1 = 1", []
            locked = Category.objects.order_by("pk")
        else:
            ids = sorted(set(category_ids))
            if not ids:
                return
            condition = "{column} IN (" + ", ".join(["%s"] * len(ids)) + ")"
            params = ids
            locked = Category.objects.filter(pk__in=ids).order_by("pk")
        list(locked.select_for_update(no_key=True).values_list("pk", flat=True))
        delete, insert = _statements(connection.vendor, condition)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The planner takes jsonb_each_text for 100 rows a variant (it is 2), so
                # the INSERT looks costly enough to compile: JIT took 0.8 s of a 0.45 s
                # department refresh whose work is 30 ms.
                cursor.execute("SET LOCAL jit = off")
            cursor.execute(delete, params)
            cursor.execute(insert, params * 2)


class _PendingRefresh:
    """The on-commit callback of one transaction: the categories it touched, refreshed once."""

    def __init__(self) -> None:
        self.category_ids: set[int] = set()

    def __call__(self) -> None:
        facet_rows_recompute(category_ids=self.category_ids)
        # The writes' own bump may have come first: a page rebuilt between the two would
        # keep the old facets under the new version.
        namespace_bump(NAMESPACE)


def _pending(connection: BaseDatabaseWrapper) -> _PendingRefresh | None:
    # Django's list of this transaction's callbacks: one that a rolled-back savepoint
    # dropped is gone from it, so it is never fed categories that will not be refreshed.
    for entry in connection.run_on_commit:
        callback = entry[1]  # (savepoint ids, callback, robust)
        if isinstance(callback, _PendingRefresh):
            return callback
    return None


def facets_refresh(*, category_ids: Iterable[int | None]) -> None:
    """Recomputes these categories' facet rows once the current transaction commits."""
    ids = {pk for pk in category_ids if pk is not None}
    if not ids:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    pending = _pending(connection) if connection.in_atomic_block else None
    if pending is not None:
        pending.category_ids |= ids
        return
    pending = _PendingRefresh()
    pending.category_ids |= ids
    # Robust, like the version bump: the write has committed, so a failed refresh must not
    # turn its answer into an error. Django logs it; `rebuild_facets` repairs the table.
    transaction.on_commit(pending, robust=True)


def facets_rebuild() -> None:
    """Recomputes the whole facet table now (the seeder, `rebuild_facets`, the migration)."""
    facet_rows_recompute(category_ids=None)
    transaction.on_commit(lambda: namespace_bump(NAMESPACE))
