"""`{% sales_chart series "net" "Net revenue" %}`: one figure of a sales series as a bar chart."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from apps.reports.charts import bar_chart
from apps.reports.selectors import SalesSeries

register = template.Library()


@register.simple_tag
def sales_chart(series: SalesSeries, figure: str, title: str) -> SafeString:
    """Draws `figure` (a Row attribute: orders, gross, net, average, units) per bucket."""
    return bar_chart(
        [row.label for row in series.rows],
        [getattr(row, figure) for row in series.rows],
        title=title,
        chart_id=f"chart-{figure}",
    )
