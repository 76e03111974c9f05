# The table takes the new app's name once nothing points at the checkout app's model.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("pricing", "0001_initial"),
        ("orders", "0003_shipping_method_in_pricing"),
        ("checkout", "0002_shipping_method_to_pricing"),
    ]

    operations = [
        migrations.AlterModelTable(name="shippingmethod", table=None),
    ]
