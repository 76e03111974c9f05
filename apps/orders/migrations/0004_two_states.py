# One status becomes two: where the parcel is (fulfilment) and where the money is
# (payment). Each order's two states are worked out from its old status, its dates and
# its payments; its history (OrderEvent rows) is kept as it was, its events marked as
# being about the order as a whole.

from django.db import migrations, models
from django.db.models import Exists, F, OuterRef, Q


def _payments(apps, order_ref, condition):
    Payment = apps.get_model("payments", "Payment")
    return Exists(Payment.objects.filter(condition, order=order_ref))


def split_status(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    orders = Order.objects.using(schema_editor.connection.alias)
    captured = Q(status="captured")
    refunded_fully = captured & Q(refunded_amount__gte=F("amount")) & Q(amount__gt=0)
    refunded_partly = captured & Q(refunded_amount__gt=0) & Q(refunded_amount__lt=F("amount"))
    ref = OuterRef("pk")

    # Where the parcel is.
    orders.filter(status="fulfilled").update(fulfillment_status="shipped")
    orders.filter(status="delivered").update(fulfillment_status="delivered")
    orders.filter(status="cancelled").update(fulfillment_status="cancelled")
    refunds = orders.filter(status__in=["partially_refunded", "refunded"])
    refunds.filter(delivered_at__isnull=False).update(fulfillment_status="delivered")
    refunds.filter(delivered_at__isnull=True, shipped_at__isnull=False).update(
        fulfillment_status="shipped"
    )
    refunds.filter(delivered_at__isnull=True, shipped_at__isnull=True).filter(
        cancelled_at__isnull=False
    ).update(fulfillment_status="cancelled")

    # Where the money is.
    orders.filter(status__in=["paid", "fulfilled", "delivered"]).update(payment_status="paid")
    orders.filter(status="partially_refunded").update(payment_status="partially_refunded")
    orders.filter(status="refunded").update(payment_status="refunded")
    orders.filter(status="pending_payment").filter(
        _payments(apps, ref, Q(status="pending"))
    ).update(payment_status="pending")
    cancelled = orders.filter(status="cancelled")
    cancelled.filter(_payments(apps, ref, refunded_fully)).update(payment_status="refunded")
    cancelled.filter(~_payments(apps, ref, refunded_fully)).filter(
        _payments(apps, ref, refunded_partly)
    ).update(payment_status="partially_refunded")
    cancelled.filter(
        _payments(apps, ref, captured & Q(refunded_amount=0))
    ).update(payment_status="paid")


def join_status(apps, schema_editor):
    """Back to one status, the later of the two stages winning, as it was before."""
    Order = apps.get_model("orders", "Order")
    orders = Order.objects.using(schema_editor.connection.alias)
    orders.update(status="pending_payment")
    orders.filter(payment_status="paid").update(status="paid")
    orders.filter(fulfillment_status="shipped").update(status="fulfilled")
    orders.filter(fulfillment_status="delivered").update(status="delivered")
    orders.filter(payment_status="partially_refunded").update(status="partially_refunded")
    orders.filter(payment_status="refunded").update(status="refunded")
    orders.filter(fulfillment_status="cancelled").update(status="cancelled")


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0003_shipping_method_in_pricing"),
        ("payments", "0003_one_charge_in_flight"),
        # After the shipping method's table got its new name: rebuilding this table (as
        # SQLite does) must point its foreign key at the table as it is now named.
        ("pricing", "0002_shippingmethod_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="fulfillment_status",
            field=models.CharField(
                choices=[
                    ("unfulfilled", "Unfulfilled"),
                    ("shipped", "Shipped"),
                    ("delivered", "Delivered"),
                    ("cancelled", "Cancelled"),
                    ("returned", "Returned"),
                ],
                default="unfulfilled",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="order",
            name="payment_status",
            field=models.CharField(
                choices=[
                    ("unpaid", "Unpaid"),
                    ("pending", "Payment pending"),
                    ("paid", "Paid"),
                    ("partially_refunded", "Partially refunded"),
                    ("refunded", "Refunded"),
                ],
                default="unpaid",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="orderevent",
            name="state",
            field=models.CharField(
                blank=True,
                choices=[("fulfillment", "Fulfilment"), ("payment", "Payment")],
                max_length=20,
            ),
        ),
        migrations.RunPython(split_status, join_status),
        migrations.RemoveIndex(model_name="order", name="order_status_expiry"),
        migrations.RemoveIndex(model_name="order", name="order_status_newest"),
        migrations.RemoveField(model_name="order", name="status"),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["payment_status", "expires_at"], name="order_unpaid_expiry"),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["payment_status", "-created_at"], name="order_payment_newest"
            ),
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                fields=["fulfillment_status", "-created_at"], name="order_fulfillment_newest"
            ),
        ),
    ]
