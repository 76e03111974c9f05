"""An import's life: uploaded, checked in full (the dry run), confirmed, then imported in
one transaction, so that a file is imported whole (its valid rows) or not at all."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.catalog.cache import catalog_changed
from apps.catalog.facets import facets_refresh
from apps.catalog.imports.engine import PREVIEW_REFUSALS as PREVIEW
from apps.catalog.imports.engine import CatalogImporter, ImportReport
from apps.catalog.imports.images import zip_images_import
from apps.catalog.imports.progress import import_progress_clear, import_progress_set
from apps.catalog.imports.reading import ImportFileError
from apps.catalog.models import CatalogImport, CatalogImportKey
from apps.core.errors import ApplicationError
from apps.core.queue import enqueue_on_commit

logger = logging.getLogger(__name__)

# 50 MB is about 500,000 rows of the export: a large shop's whole catalog.
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# Photos are larger: 500 MB is a few hundred camera pictures.
DEFAULT_MAX_IMAGE_BYTES = 500 * 1024 * 1024

Status = CatalogImport.Status
Progress = Callable[[int], None]


class CatalogChangedSinceCheck(ApplicationError):
    """The import refused rows its check had accepted: the catalog moved in between."""

    code = "catalog_import_stale"
    status_code = 409


def import_max_bytes() -> int:
    return int(getattr(settings, "CATALOG_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def import_max_image_bytes() -> int:
    return int(getattr(settings, "CATALOG_IMPORT_MAX_IMAGE_BYTES", DEFAULT_MAX_IMAGE_BYTES))


def catalog_import_create(
    *,
    upload: File,
    name: str,
    actor: User | None,
    images: File | None = None,
    check_in_background: bool = True,
) -> CatalogImport:
    """Keeps an uploaded file (and a ZIP of photos) as a pending import, to be checked."""
    for given, limit, what in (
        (upload, import_max_bytes(), "file"),
        (images, import_max_image_bytes(), "images ZIP"),
    ):
        if given is not None and given.size is not None and given.size > limit:
            raise ApplicationError(
                f"The {what} is larger than the {limit // (1024 * 1024)} MB an import "
                "takes; split it into several."
            )
    job = CatalogImport(file_name=name[:255], size=upload.size or 0, created_by=actor)
    job.file.save(name[-100:], upload, save=False)
    if images is not None:
        job.images.save((images.name or "images.zip").rsplit("/", 1)[-1][-100:], images, save=False)
    job.save()
    if check_in_background:
        enqueue_on_commit("apps.catalog.tasks.check_catalog_import", job.pk)
    return job


def _progress(job: CatalogImport) -> Progress:
    def tell(read: int) -> None:
        import_progress_set(job_id=job.pk, read=read, size=job.size)

    return tell


def _run(job: CatalogImport, *, write: bool, on_progress: Progress | None) -> ImportReport:
    """One pass over the job's file; the refused rows' CSV is stored on the job."""
    tell = on_progress or _progress(job)
    with (
        job.file.open("rb") as stream,
        tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as refused,
    ):
        importer = CatalogImporter(job=job, write=write, refused_out=refused, actor=job.created_by)
        report = importer.run(stream, tell)
        if job.images:
            pictures = zip_images_import(job=job, write=write)
            job.images_added, job.image_refusals = pictures.added, pictures.refusals[:PREVIEW]
        CatalogImportKey.objects.filter(job=job).delete()
        old = job.refused_file.name
        job.refused_file = ""
        if report.refused:
            refused.seek(0)
            stem = job.file_name.rsplit(".", 1)[0][:60]
            job.refused_file.save(f"{stem}-refused.csv", File(refused), save=False)
    if old:
        # Storage is not rolled back with the row: the check's file goes once this commits.
        storage = job.refused_file.storage
        transaction.on_commit(lambda: storage.delete(old), robust=True)
    return report


def _record(job: CatalogImport, report: ImportReport) -> None:
    for name in (
        "rows",
        "created",
        "changed",
        "unchanged",
        "refused",
        "products_created",
        "categories_created",
        "movements",
    ):
        setattr(job, name, getattr(report, name))
    job.refusals = report.refusals


def _claim(job_id: int, status: str) -> CatalogImport | None:
    """The job, locked for this transaction, if it is in `status` and no one holds it.

    The lock rather than a status change: a worker that dies mid-way rolls back, and the
    redelivered task finds the job as it was and runs it again.
    """
    return (
        CatalogImport.objects.select_for_update(skip_locked=True)
        .filter(pk=job_id, status=status)
        .first()
    )


def catalog_import_check(
    *, job_id: int, on_progress: Progress | None = None
) -> CatalogImport | None:
    """Checks every row of a pending import, writing nothing to the catalog (the dry run).

    Returns the checked job, or None if it was not pending (checked already, or being
    checked by another worker).
    """
    try:
        with transaction.atomic():
            job = _claim(job_id, Status.PENDING)
            if job is None:
                return None
            try:
                with transaction.atomic():
                    report = _run(job, write=False, on_progress=on_progress)
            except ImportFileError as error:
                job.status, job.error = Status.REFUSED, error.message
            else:
                _record(job, report)
                job.status, job.error = Status.CHECKED, ""
            job.checked_at = timezone.now()
            job.save()
    except Exception:
        logger.exception("Catalog import %s: the check failed", job_id)
        CatalogImport.objects.filter(pk=job_id, status=Status.PENDING).update(
            status=Status.REFUSED, error="The check stopped on an unexpected error."
        )
        raise
    finally:
        import_progress_clear(job_id=job_id)
    return job


def catalog_import_start(*, job: CatalogImport) -> bool:
    """Confirms a checked import and queues it; False if it was not waiting for that."""
    claimed = CatalogImport.objects.filter(pk=job.pk, status=Status.CHECKED).update(
        status=Status.QUEUED, updated_at=timezone.now()
    )
    if claimed:
        enqueue_on_commit("apps.catalog.tasks.run_catalog_import", job.pk)
    return bool(claimed)


def catalog_import_run(*, job_id: int, on_progress: Progress | None = None) -> CatalogImport | None:
    """Imports a confirmed file: all its valid rows in one transaction, or none of them.

    The rows are checked again as they are written. Rows the check refused are skipped
    (staff confirmed that, seeing them); if more are refused now (a SKU taken since, say),
    nothing is written and the job fails, to be checked again. The catalog's cache
    version and the facets of the categories touched are refreshed once, at commit.
    """
    try:
        with transaction.atomic():
            job = _claim(job_id, Status.QUEUED)
            if job is None:
                return None
            checked_refusals = job.refused
            report = _run(job, write=True, on_progress=on_progress)
            if report.refused > checked_refusals:
                raise CatalogChangedSinceCheck(
                    f"{report.refused - checked_refusals} more rows were refused than when "
                    "the file was checked: the catalog changed in between. Nothing was "
                    "imported; upload the file again to check it anew."
                )
            if report.created or report.changed:
                facets_refresh(category_ids=report.category_ids)
                catalog_changed()
            _record(job, report)
            job.status, job.finished_at = Status.DONE, timezone.now()
            job.save()
    except ApplicationError as error:
        _fail(job_id, error.message)
        return CatalogImport.objects.get(pk=job_id)
    except Exception:
        logger.exception("Catalog import %s failed", job_id)
        _fail(job_id, "The import stopped on an unexpected error; nothing was imported.")
        raise
    finally:
        import_progress_clear(job_id=job_id)
    return job


def _fail(job_id: int, message: str) -> None:
    CatalogImport.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.FAILED, error=message, finished_at=timezone.now()
    )
