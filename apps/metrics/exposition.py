"""What `/metrics` shows: every process's counts added up, then the figures read now."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from redis.exceptions import RedisError

from apps.core.metrics import multiprocess_dir
from apps.metrics.broker import QUEUE, broker_depth
from apps.metrics.selectors import shop_figures_cached, waiting_rooms

logger = logging.getLogger(__name__)


def metric_folders() -> list[Path]:
    """The folders of every role on this host: METRICS_DIR's subfolders (web, worker)
    and this process's own, should it be elsewhere."""
    root = Path(settings.METRICS_DIR)
    folders = sorted(path for path in root.iterdir() if path.is_dir()) if root.is_dir() else []
    own = multiprocess_dir()
    if own is not None and own.resolve() not in {folder.resolve() for folder in folders}:
        folders.append(own)
    return folders


class SharedFilesCollector:
    """The values of every process that wrote to these folders, added up per series."""

    def __init__(self, folders: Iterable[Path]) -> None:
        self.folders = list(folders)

    def _files(self) -> list[str]:
        return [str(path) for folder in self.folders for path in sorted(folder.glob("*.db"))]

    def collect(self) -> Iterable[Metric]:
        try:
            return MultiProcessCollector.merge(self._files(), accumulate=True)
        except FileNotFoundError:
            # A role emptied its folder (its master restarted) between the listing and
            # the read: list again.
            return MultiProcessCollector.merge(self._files(), accumulate=True)


class ThisProcessCollector:
    """Without multiprocess mode (runserver, tests): this process's own registry."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


class ShopCollector:
    """Business figures, the broker's queue and the waiting rooms, read at scrape time.

    A source that cannot be read is left out and `shopfront_metrics_source_up` says so:
    the requests' and tasks' figures are still served when the database is down.
    """

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "shopfront_metrics_source_up",
            "1 when the source of the figures below could be read at this scrape.",
            labels=["source"],
        )
        for source, read in (
            ("database", self._shop),
            ("broker", self._broker),
            ("waiting_room", self._rooms),
        ):
            try:
                yield from list(read())
            except (DatabaseError, RedisError, OSError):
                logger.warning("metrics: %s could not be read", source, exc_info=True)
                up.add_metric([source], 0)
            else:
                up.add_metric([source], 1)
        yield up

    def _shop(self) -> Iterator[Metric]:
        figures = shop_figures_cached()
        currency = settings.SHOP_CURRENCY
        for name, help_text, value, labels in (
            ("orders_placed", "Orders placed.", figures.orders_placed, {}),
            (
                "revenue",
                "Totals of orders that were paid (refunds not taken off), in the currency.",
                figures.revenue,
                {"currency": currency},
            ),
            (
                "payments_declined",
                "Card payments the bank declined.",
                figures.payments_declined,
                {},
            ),
            ("refunds", "Refunds that succeeded.", figures.refunds, {}),
            (
                "refunded",
                "Money refunded, in the currency.",
                figures.refunded,
                {"currency": currency},
            ),
        ):
            family = CounterMetricFamily(f"shopfront_{name}", help_text, labels=list(labels))
            family.add_metric(list(labels.values()), float(value))
            yield family
        yield GaugeMetricFamily(
            "shopfront_variants_sold_out",
            "Active variants of active products with no stock left.",
            value=figures.variants_sold_out,
        )

    def _broker(self) -> Iterator[Metric]:
        waiting, unacked = broker_depth()
        queue = GaugeMetricFamily(
            "shopfront_celery_queue_length", "Messages waiting in the broker.", labels=["queue"]
        )
        queue.add_metric([QUEUE], waiting)
        yield queue
        if unacked is not None:
            yield GaugeMetricFamily(
                "shopfront_celery_unacked_messages",
                "Messages delivered to a worker and not yet acknowledged (running or reserved).",
                value=unacked,
            )

    def _rooms(self) -> Iterator[Metric]:
        queued = GaugeMetricFamily(
            "shopfront_waiting_room_queued", "Visitors waiting in line.", labels=["room"]
        )
        active = GaugeMetricFamily(
            "shopfront_waiting_room_active", "Visitors holding a pass.", labels=["room"]
        )
        for key, stats in waiting_rooms().items():
            if stats.available:
                queued.add_metric([key], stats.queued)
                active.add_metric([key], stats.active)
        yield queued
        yield active


def metrics_registry() -> CollectorRegistry:
    """A registry for one scrape: the processes' counts, then the shop's figures."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir() is not None:
        registry.register(SharedFilesCollector(metric_folders()))
    else:
        registry.register(ThisProcessCollector())
    registry.register(ShopCollector())
    return registry
