"""How long the admin's sales report takes on a big order history.

    DATABASE_URL=postgres://... python bench/reports.py [--until 2026-12-06] [--runs 5]

Renders the report page through Django's test client as a superuser (DEBUG off) for the
periods BENCHMARKS.md lists, each `--runs` times, and prints the median and worst time and
the number of queries. Seed the history first (`manage.py seed_catalog --products 10000
--seed 9`, then `manage.py seed_orders --orders 200000 --seed 9 --until <date>`) in a
database of your own, and `VACUUM ANALYZE` it as autovacuum would.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

REPORT = "/admin/reports/salesreport/"


def periods(until: dt.date) -> dict[str, str]:
    def since(days: int, interval: str) -> str:
        start = until - dt.timedelta(days=days - 1)
        return f"?date_from={start}&date_to={until}&interval={interval}"

    return {
        "default (the last 30 days, by day)": "",
        "90 days, by day": since(90, "day"),
        "1 year, by day": since(365, "day"),
        "1 year, by week": since(365, "week"),
        "2 years, by month": since(730, "month"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--until", type=dt.date.fromisoformat, default=dt.date.today())
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    from apps.accounts.models import User

    plain_static = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # fmt: skip
    with override_settings(STORAGES=plain_static, DEBUG=False, ALLOWED_HOSTS=["localhost"]):
        admin, _ = User.objects.get_or_create(
            email="bench-reports@example.com", defaults={"is_staff": True, "is_superuser": True}
        )
        client = Client(HTTP_HOST="localhost")
        client.force_login(admin)
        client.get(REPORT)  # imports and template compilation out of the timings
        for name, query in periods(args.until).items():
            times = []
            for _ in range(args.runs):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    answer = client.get(REPORT + query)
                    times.append(time.perf_counter() - started)
                if answer.status_code != 200:
                    raise SystemExit(f"{name}: {answer.status_code}")
            print(
                f"{name:36} median {statistics.median(times) * 1000:6.0f} ms  "
                f"worst {max(times) * 1000:6.0f} ms  {len(captured.captured_queries)} queries"
            )


if __name__ == "__main__":
    main()
