# The shipping method now belongs to the pricing app, which took over its table.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("checkout", "0001_initial"),
        ("pricing", "0001_initial"),
        ("orders", "0003_shipping_method_in_pricing"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ShippingMethod")],
            database_operations=[],
        ),
    ]
