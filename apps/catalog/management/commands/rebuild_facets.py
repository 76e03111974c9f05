"""`rebuild_facets`: recomputes the listing facets of every category from scratch."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from apps.catalog.models import CategoryFacet
from apps.catalog.services import catalog_facets_rebuild


class Command(BaseCommand):
    help = (
        "Recomputes the facet table (option values and product counts per category) from "
        "the products and variants. The catalog's writes keep it current; run this after "
        "writing to the tables by hand, or if a refresh failed (it is logged)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        catalog_facets_rebuild()
        rows = CategoryFacet.objects.count()
        elapsed = time.monotonic() - started
        self.stdout.write(f"Rebuilt {rows:,} facet rows in {elapsed:.1f}s.")
