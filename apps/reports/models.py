"""The sales reports own no table; this model only carries their permission."""

from __future__ import annotations

from django.db import models


class SalesReport(models.Model):
    """No table (unmanaged): the "view sales reports" permission and the admin's entry.

    A permission needs a content type, and a content type needs a model. Registered in
    the admin, it also gives the reports their link on the admin index, for exactly the
    staff who hold the permission.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_sales_reports", "Can view sales reports")]
        verbose_name = "sales report"
        verbose_name_plural = "sales reports"

    def __str__(self) -> str:
        return "Sales report"
