"""A report's period: its dates in the shop's time zone, and its days, weeks or months."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models


class Interval(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"


def shop_timezone() -> ZoneInfo:
    """The shop's time zone (settings.TIME_ZONE): the one its days begin and end in."""
    return ZoneInfo(settings.TIME_ZONE)


def bucket_start(day: dt.date, interval: str) -> dt.date:
    """The first day of the day, week (ISO: Monday) or month that `day` is in."""
    if interval == Interval.WEEK:
        return day - dt.timedelta(days=day.weekday())
    if interval == Interval.MONTH:
        return day.replace(day=1)
    return day


def _next_bucket(start: dt.date, interval: str) -> dt.date:
    if interval == Interval.WEEK:
        return start + dt.timedelta(days=7)
    if interval == Interval.MONTH:
        return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start + dt.timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """From `date_from` to `date_to`, both days included, as the shop's calendar has them."""

    date_from: dt.date
    date_to: dt.date
    interval: str = Interval.DAY

    @property
    def start(self) -> dt.datetime:
        """Midnight at the start of `date_from` in the shop's time zone."""
        return dt.datetime.combine(self.date_from, dt.time.min, tzinfo=shop_timezone())

    @property
    def end(self) -> dt.datetime:
        """Midnight after `date_to` (excluded), so the last day counts whole."""
        next_day = self.date_to + dt.timedelta(days=1)
        return dt.datetime.combine(next_day, dt.time.min, tzinfo=shop_timezone())

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def buckets(self) -> list[dt.date]:
        """The first day of every day, week or month the period touches, in order.

        The first and last week or month may be partial: only the days inside the period
        count in them.
        """
        found = []
        current = bucket_start(self.date_from, self.interval)
        while current <= self.date_to:
            found.append(current)
            current = _next_bucket(current, self.interval)
        return found

    def label(self, bucket: dt.date) -> str:
        """How a bucket is named in the table, the chart and the CSV."""
        if self.interval == Interval.MONTH:
            return bucket.strftime("%Y-%m")
        if self.interval == Interval.WEEK:
            year, week, _ = bucket.isocalendar()
            return f"{year}-W{week:02d}"
        return bucket.isoformat()
