"""PostgreSQL-only search machinery; every operation is a no-op on SQLite.

- pg_trgm, for typo-tolerant matching on titles and brands;
- a trigger that keeps products.search_vector current on every INSERT and UPDATE,
  including bulk_create/update() and raw SQL, weighted title (A) > brand (B) > description (C);
- GIN indexes for the tsvector, trigram title/brand matching and variant option filters.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

FORWARD = [
    """
    CREATE FUNCTION catalog_product_search_vector_update() RETURNS trigger AS $$
    BEGIN
        NEW.search_vector :=
            setweight(to_tsvector('english'::regconfig, coalesce(NEW.title, '')), 'A') ||
            setweight(to_tsvector('english'::regconfig, coalesce(NEW.brand, '')), 'B') ||
            setweight(to_tsvector('english'::regconfig, coalesce(NEW.description, '')), 'C');
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql;
    """,
    """
    CREATE TRIGGER catalog_product_search_vector_trigger
    BEFORE INSERT OR UPDATE OF title, brand, description ON catalog_product
    FOR EACH ROW EXECUTE FUNCTION catalog_product_search_vector_update();
    """,
    # Rows that existed before the trigger.
    "UPDATE catalog_product SET title = title;",
    "CREATE INDEX product_search_vector_gin ON catalog_product USING gin (search_vector);",
    "CREATE INDEX product_title_trgm ON catalog_product USING gin (title gin_trgm_ops);",
    "CREATE INDEX product_brand_trgm ON catalog_product USING gin (brand gin_trgm_ops);",
    "CREATE INDEX variant_options_gin ON catalog_variant USING gin (options jsonb_path_ops);",
]

BACKWARD = [
    "DROP INDEX IF EXISTS variant_options_gin;",
    "DROP INDEX IF EXISTS product_brand_trgm;",
    "DROP INDEX IF EXISTS product_title_trgm;",
    "DROP INDEX IF EXISTS product_search_vector_gin;",
    "DROP TRIGGER IF EXISTS catalog_product_search_vector_trigger ON catalog_product;",
    "DROP FUNCTION IF EXISTS catalog_product_search_vector_update();",
]


def _run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
