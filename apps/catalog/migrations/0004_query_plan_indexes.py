"""Indexes that match what the listings really run (see tests/catalog/test_query_plans.py).

- product_newest / product_cat_newest end with id DESC, as the newest-first ordering does
  (`-created_at, -id`): the index yields rows in the exact order, and product_cat_newest
  also covers the product id that filtered counts join on, so they skip the table.
- On PostgreSQL only, variant_product_stock is rebuilt with INCLUDE (options), so the
  option facets of a category are an index-only nested loop instead of a scan of every
  variant. SQLite has no covering indexes; there the operation does nothing.
"""

from django.db import migrations, models

COVERING = [
    "DROP INDEX IF EXISTS variant_product_stock;",
    "CREATE INDEX variant_product_stock ON catalog_variant "
    "(product_id, is_active, stock) INCLUDE (options);",
]

PLAIN = [
    "DROP INDEX IF EXISTS variant_product_stock;",
    "CREATE INDEX variant_product_stock ON catalog_variant (product_id, is_active, stock);",
]


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_stock_movement_protect")]

    operations = [
        migrations.RemoveIndex(model_name="product", name="product_cat_newest"),
        migrations.RemoveIndex(model_name="product", name="product_newest"),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(
                fields=["is_active", "category", "-created_at", "-id"], name="product_cat_newest"
            ),
        ),
        migrations.AddIndex(
            model_name="product",
            index=models.Index(fields=["is_active", "-created_at", "-id"], name="product_newest"),
        ),
        migrations.RunPython(_run(COVERING), _run(PLAIN)),
    ]
