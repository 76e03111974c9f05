"""PostgreSQL only: a trigram index on the catalog's words, for "did you mean".

The `%` (similarity) lookup of a misspelt word then reads only the words sharing its
trigrams. A no-op on SQLite, which corrects words in Python (apps.search.selectors).
"""

from django.db import migrations

FORWARD = "CREATE INDEX searchword_word_trgm ON search_searchword USING gin (word gin_trgm_ops);"
BACKWARD = "DROP INDEX IF EXISTS searchword_word_trgm;"


def _run(statement):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    # catalog 0002 creates the pg_trgm extension this index needs.
    dependencies = [("search", "0001_initial"), ("catalog", "0002_postgres_search")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
