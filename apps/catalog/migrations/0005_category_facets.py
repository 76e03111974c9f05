"""The facet table: per category and option value, how many visible products offer it.

Filled here from the existing products, so a shop that migrates shows its facets at once;
from then on the catalog's writes keep it (apps/catalog/facets.py).
"""

import django.db.models.deletion
from django.db import migrations, models


def _fill(apps, schema_editor):
    # The same statements the catalog runs (they name tables, not models).
    from apps.catalog.facets import facet_rows_recompute

    facet_rows_recompute(category_ids=None)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0004_query_plan_indexes")]

    operations = [
        migrations.CreateModel(
            name="CategoryFacet",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.TextField()),
                ("value", models.TextField()),
                ("products", models.PositiveIntegerField()),
                (
                    "category",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="catalog.category",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("category", "name", "value"), name="facet_category_name_value"
                    )
                ],
            },
        ),
        migrations.RunPython(_fill, migrations.RunPython.noop),
    ]
