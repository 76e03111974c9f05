"""Helpers for the import tests: CSV files in the export's shape, and an import run whole."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.core.files.base import ContentFile

from apps.accounts.models import User
from apps.catalog.imports.reading import IMPORT_COLUMNS
from apps.catalog.imports.services import (
    catalog_import_check,
    catalog_import_create,
    catalog_import_run,
    catalog_import_start,
)
from apps.catalog.models import CatalogImport


def csv_bytes(rows: Iterable[Iterable[object]], header: Iterable[str] = IMPORT_COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(header))
    writer.writerows([[str(cell) for cell in row] for row in rows])
    return out.getvalue().encode()


def row(
    sku: str,
    *,
    title: str = "Chef knife",
    slug: str = "chef-knife",
    category: str = "Home > Kitchen > Knives",
    options: str = "Size: 20 cm",
    price: str = "49.00",
    compare: str = "",
    stock: str = "5",
    product_active: str = "yes",
    variant_active: str = "yes",
) -> list[str]:
    """One row in the export's column order."""
    return [
        title,
        slug,
        category,
        sku,
        options,
        price,
        compare,
        stock,
        product_active,
        variant_active,
    ]


def uploaded(
    content: bytes,
    *,
    actor: User | None = None,
    name: str = "catalog.csv",
    background: bool = False,
) -> CatalogImport:
    """A pending import of `content`; checked by the worker if `background`."""
    return catalog_import_create(
        upload=ContentFile(content, name=name),
        name=name,
        actor=actor,
        check_in_background=background,
    )


def checked(content: bytes, *, actor: User | None = None) -> CatalogImport:
    job = uploaded(content, actor=actor)
    result = catalog_import_check(job_id=job.pk)
    assert result is not None
    return result


def imported(content: bytes, *, actor: User | None = None) -> CatalogImport:
    """Checks, confirms and runs an import of `content`, as staff would."""
    job = checked(content, actor=actor)
    assert job.status == CatalogImport.Status.CHECKED, job.error
    assert catalog_import_start(job=job)
    result = catalog_import_run(job_id=job.pk)
    assert result is not None
    return result
