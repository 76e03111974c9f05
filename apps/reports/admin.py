"""The sales reports page in the admin, and its CSV downloads.

Registered on the project's admin site (ShopAdminSite) for the table-less SalesReport
model: its changelist URL is the report, so the admin index links to it for exactly the
staff allowed to see it ("reports.view_sales_reports", or superusers).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.http import urlencode

from apps.catalog.models import LOW_STOCK_THRESHOLD
from apps.core.csv_export import csv_download
from apps.orders.choices import OrderPaymentStatus
from apps.reports import selectors
from apps.reports.export import TABLES
from apps.reports.forms import ReportPeriodForm
from apps.reports.models import SalesReport
from apps.reports.periods import Period

PERMISSION = "reports.view_sales_reports"


def order_list_url(period: Period) -> str:
    """The admin's order list filtered as the report counts: placed in the period, paid."""
    query = urlencode(
        {
            "created_at__gte": period.start.isoformat(),
            "created_at__lt": period.end.isoformat(),
            "payment_status__in": ",".join(selectors.REPORTED_STATUSES),
        }
    )
    return f"{reverse('admin:orders_order_changelist')}?{query}"


@admin.register(SalesReport)
class SalesReportAdmin(admin.ModelAdmin):
    """A page, not a list: the period form, the figures, their charts and CSV links."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm(PERMISSION)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PERMISSION)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        # Only these two: there are no report objects to add, change or delete.
        wrap = self.admin_site.admin_view
        return [
            path("", wrap(self.report_view), name="reports_salesreport_changelist"),
            path("export.csv", wrap(self.export_view), name="reports_salesreport_export"),
        ]

    def report_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ReportPeriodForm(request.GET)
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "title": "Sales reports",
            "opts": self.opts,
            "form": form,
            "low_stock_threshold": LOW_STOCK_THRESHOLD,
            "time_zone": settings.TIME_ZONE,
            "statuses": [OrderPaymentStatus(s).label for s in selectors.REPORTED_STATUSES],
        }
        if form.is_valid():
            period = form.period()
            query = urlencode(
                {k: form.cleaned_data[k] for k in ("date_from", "date_to", "interval")}
            )
            context.update(
                period=period,
                report=selectors.sales_report(period),
                query=query,
                orders_url=order_list_url(period),
                variants_url=reverse("admin:catalog_variant_changelist") + "?stock=low",
            )
        return TemplateResponse(request, "admin/reports/sales_report.html", context)

    def export_view(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        table = request.GET.get("table", "sales")
        if table not in TABLES:
            return HttpResponseBadRequest(
                f"Unknown table; choose one of: {', '.join(TABLES)}.", content_type="text/plain"
            )
        form = ReportPeriodForm(request.GET)
        if not form.is_valid():
            problems = "; ".join(str(e) for errors in form.errors.values() for e in errors)
            return HttpResponseBadRequest(
                f"Invalid period: {problems}", content_type="text/plain; charset=utf-8"
            )
        period = form.period()
        name = f"sales-{table}-{period.date_from}-{period.date_to}-{period.interval}"
        return csv_download(TABLES[table](period), name=name)
