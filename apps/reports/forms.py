"""The report's period, chosen by staff: two dates and an interval, checked and bounded."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone

from apps.reports.periods import Interval, Period, shop_timezone

# Two years (and a leap day): what seed_orders makes, and what one page answers in well
# under a second on 200,000 orders (docs/BENCHMARKS.md).
MAX_DAYS = 731
# Daily figures for at most a year: past it the chart's bars are thinner than a pixel.
MAX_DAILY_DAYS = 366
DEFAULT_DAYS = 30
EARLIEST = dt.date(2000, 1, 1)


def shop_today() -> dt.date:
    return timezone.localtime(timezone.now(), shop_timezone()).date()


class ReportPeriodForm(forms.Form):
    """Read from the query string; with nothing given, the last 30 days by day."""

    date_from = forms.DateField(
        label="From", widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    date_to = forms.DateField(
        label="To", widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    interval = forms.ChoiceField(label="Per", choices=Interval.choices, required=False)

    def __init__(self, data: Any = None, **kwargs: Any) -> None:
        today = shop_today()
        defaults = {
            "date_from": (today - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
            "date_to": today.isoformat(),
            "interval": Interval.DAY,
        }
        given = {key: value for key, value in (data or {}).items() if key in defaults and value}
        super().__init__({**defaults, **given}, **kwargs)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        interval = cleaned.get("interval") or Interval.DAY
        cleaned["interval"] = interval
        if start is None or end is None:
            return cleaned
        if start < EARLIEST:
            self.add_error("date_from", f"Choose a date from {EARLIEST:%d %B %Y} on.")
        elif start > end:
            self.add_error("date_to", "The end date must be on or after the start date.")
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error(None, f"Choose a period of at most {MAX_DAYS} days (two years).")
        elif interval == Interval.DAY and (end - start).days + 1 > MAX_DAILY_DAYS:
            self.add_error(
                "interval",
                f"Daily figures cover at most {MAX_DAILY_DAYS} days: choose weeks or months.",
            )
        return cleaned

    def period(self) -> Period:
        """The chosen period; only after is_valid()."""
        data = self.cleaned_data
        return Period(
            date_from=data["date_from"], date_to=data["date_to"], interval=data["interval"]
        )
