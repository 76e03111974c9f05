# The shipping method moves here from the checkout app. Its table is kept as it is (the
# model takes it over in state only), then renamed by 0002; no row is copied.

from decimal import Decimal

import django.core.validators
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """Staff permissions on shipping methods follow the model to its new app."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    old = ContentType.objects.using(db).filter(app_label="checkout", model="shippingmethod")
    if not old.exists():
        return
    ContentType.objects.using(db).filter(app_label="pricing", model="shippingmethod").delete()
    old.update(app_label="pricing")


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    ContentType.objects.using(db).filter(app_label="pricing", model="shippingmethod").update(
        app_label="checkout"
    )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("checkout", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ShippingMethod",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100)),
                        ("description", models.CharField(blank=True, max_length=200)),
                        ("price", models.DecimalField(decimal_places=2, max_digits=10, validators=[django.core.validators.MinValueValidator(Decimal("0.00"))])),
                        ("free_above", models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True, validators=[django.core.validators.MinValueValidator(Decimal("0.00"))], verbose_name="free for orders from")),
                        ("is_active", models.BooleanField(default=True)),
                        ("position", models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        "ordering": ["position", "id"],
                        "db_table": "checkout_shippingmethod",
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
