"""Builds the search suggestions and words now, rather than at beat's next turn."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.search.services import search_terms_refresh


class Command(BaseCommand):
    help = "Rebuild search suggestions and the did-you-mean words from the visible catalog."

    def handle(self, *args: Any, **options: Any) -> None:
        search_terms_refresh(force=True)
        self.stdout.write("Search suggestions and words rebuilt.")
