"""`seed_catalog`: a deterministic, realistic demo catalog, inserted in batches."""

from __future__ import annotations

import random
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import transaction

from apps.catalog.models import Product
from apps.catalog.renditions import StoredRenditions
from apps.catalog.seeding.generate import plan_batch
from apps.catalog.seeding.write import batch_insert, catalog_cache_bump, category_tree, pool_make
from apps.catalog.services import catalog_facets_rebuild


class Command(BaseCommand):
    help = "Fills an empty catalog with a deterministic demo catalog of N products."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--products", type=int, default=1000, help="How many products.")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same catalog.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any product exists."
        )
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="Products per INSERT batch."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        total: int = options["products"]
        batch_size: int = options["batch_size"]
        if total < 0 or batch_size < 1:
            raise CommandError("--products must be 0 or more and --batch-size at least 1.")
        if Product.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The catalog already has products; not seeding.")
                return
            raise CommandError(
                "The catalog already has products. seed_catalog only fills an empty "
                "catalog (use --if-empty to skip quietly)."
            )
        started = time.monotonic()
        pool = pool_make() if total else {}
        progress = Progress(self.stderr, total, enabled=options["verbosity"] >= 1)
        counts = self.seed(
            total=total, seed=options["seed"], batch_size=batch_size, pool=pool, progress=progress
        )
        catalog_cache_bump()
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Seeded {total:,} products, {counts['variants']:,} variants and "
            f"{counts['images']:,} images in {elapsed:.1f}s."
        )

    @transaction.atomic
    def seed(
        self,
        *,
        total: int,
        seed: int,
        batch_size: int,
        pool: dict[str, tuple[str, StoredRenditions]],
        progress: Progress,
    ) -> dict[str, int]:
        """Creates the category tree, then the products batch by batch, then the facets, in
        one transaction."""
        leaves = category_tree()
        rng = random.Random(seed)  # noqa: S311 (reproducible demo data, not secrets)
        counts = {"variants": 0, "images": 0}
        done = 0
        while done < total:
            size = min(batch_size, total - done)
            batch = plan_batch(rng, leaves, start=done + 1, size=size)
            counts["variants"] += sum(len(variants) for variants in batch.variants)
            counts["images"] += batch_insert(batch, pool)
            done += size
            progress.update(done)
        progress.finish()
        # In the same transaction: the shop never shows the new products without facets.
        catalog_facets_rebuild()
        return counts


class Progress:
    """A one-line progress display on stderr: count, percentage and rate."""

    def __init__(self, out: OutputWrapper, total: int, *, enabled: bool) -> None:
        self.out = out
        self.total = total
        self.enabled = enabled and total > 0
        self.interactive = self.out.isatty()
        self.started = time.monotonic()
        self.last_shown = -1

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        percent = done * 100 // self.total
        # Without a terminal to redraw on, one line per tenth keeps logs short.
        if not self.interactive and percent // 10 == self.last_shown // 10:
            return
        self.last_shown = percent
        rate = done / max(time.monotonic() - self.started, 1e-6)
        line = f"Seeding products: {done:,}/{self.total:,} ({percent}%), {rate:,.0f}/s"
        self.out.write(
            f"\r{line}" if self.interactive else line,
            style_func=_plain,
            ending="" if self.interactive else "\n",
        )
        self.out.flush()

    def finish(self) -> None:
        if self.enabled and self.interactive:
            self.out.write("", style_func=_plain)


def _plain(text: str) -> str:
    return text
