"""Imports a catalog CSV from the shell, as the admin does: checked in full, then imported.

    manage.py import_catalog products.csv              check, then import if nothing is refused
    manage.py import_catalog products.csv --dry-run    check only: what it would do
    manage.py import_catalog products.csv --skip-refused   import the valid rows anyway

Progress goes to stderr, the report to stdout. The import is recorded like an upload
(it shows in the admin's list of imports).
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.accounts.models import User
from apps.catalog.imports.progress import import_progress_set
from apps.catalog.imports.services import (
    catalog_import_check,
    catalog_import_create,
    catalog_import_run,
    catalog_import_start,
)
from apps.catalog.models import CatalogImport
from apps.core.errors import ApplicationError

BAR_WIDTH = 30


class _Bar:
    """A one-line text progress bar on stderr, redrawn when the percentage moves."""

    def __init__(self, job: CatalogImport, label: str, stream: Any) -> None:
        self.job, self.label, self.stream, self.shown = job, label, stream, -1

    def __call__(self, read: int) -> None:
        percent = import_progress_set(job_id=self.job.pk, read=read, size=self.job.size)
        if percent != self.shown:
            self.draw(percent)

    def draw(self, percent: int) -> None:
        self.shown = percent
        filled = BAR_WIDTH * percent // 100
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        end = "\n" if percent == 100 else ""
        self.stream.write(f"\r{self.label:<10} [{bar}] {percent:3d}%{end}")
        self.stream.flush()


class Command(BaseCommand):
    help = "Imports products from a CSV file with the columns of the admin's product export."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--skip-refused",
            action="store_true",
            help="Import the valid rows even if some are refused (they are reported).",
        )
        parser.add_argument("--user", help="E-mail of the staff member the stock moves are by.")
        parser.add_argument(
            "--images", type=Path, help="A ZIP of photos named after product slugs."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        actor = None
        if options["user"]:
            actor = User.objects.filter(email__iexact=options["user"]).first()
            if actor is None:
                raise CommandError(f"No user with the e-mail {options['user']}.")
        images: Path | None = options["images"]
        if images is not None and not images.is_file():
            raise CommandError(f"No file at {images}.")
        with ExitStack() as files:
            handle = files.enter_context(path.open("rb"))
            photos = files.enter_context(images.open("rb")) if images else None
            try:
                job = catalog_import_create(
                    upload=File(handle, name=path.name),
                    name=path.name,
                    images=File(photos, name=images.name) if photos and images else None,
                    actor=actor,
                    check_in_background=False,
                )
            except ApplicationError as error:
                raise CommandError(error.message) from error
        checking = _Bar(job, "Checking", sys.stderr)
        job = catalog_import_check(job_id=job.pk, on_progress=checking) or job
        checking.draw(100)
        if job.status == CatalogImport.Status.REFUSED:
            raise CommandError(f"The file was refused: {job.error}")
        self._report(job, done=False)
        if options["dry_run"]:
            return
        if job.refused and not options["skip_refused"]:
            raise CommandError(
                f"{job.refused} rows were refused; nothing was imported. Correct them "
                "(see the refused rows) or pass --skip-refused to import the others."
            )
        if not job.importable:
            self.stdout.write("Nothing to import.")
            return
        catalog_import_start(job=job)
        importing = _Bar(job, "Importing", sys.stderr)
        result = catalog_import_run(job_id=job.pk, on_progress=importing)
        importing.draw(100)
        if result is None or result.status != CatalogImport.Status.DONE:
            message = result.error if result is not None else "it was not waiting to run"
            raise CommandError(f"The import failed: {message}")
        self._report(result, done=True)

    def _report(self, job: CatalogImport, *, done: bool) -> None:
        verb = "" if done else "would be "
        self.stdout.write(
            f"Import #{job.pk}: {job.rows} rows: {job.created} {verb}created "
            f"({job.products_created} products, {job.categories_created} categories), "
            f"{job.changed} {verb}changed, {job.unchanged} unchanged, {job.refused} refused; "
            f"{job.movements} stock movements."
        )
        for line, key, reason in job.refusals:
            self.stdout.write(f"  line {line} ({key}): {reason}")
        if job.refused > len(job.refusals):
            self.stdout.write(f"  and {job.refused - len(job.refusals)} more")
        if job.images:
            self.stdout.write(f"Photos: {job.images_added} {verb}added.")
        for name, reason in job.image_refusals:
            self.stdout.write(f"  photo {name}: {reason}")
        if job.refused_file:
            self.stdout.write(f"Refused rows: {job.refused_file.name} (in the media storage)")
