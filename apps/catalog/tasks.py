"""Background jobs for the catalog."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task

from apps.catalog.imports.services import catalog_import_check, catalog_import_run
from apps.catalog.renditions import image_renditions_make

# Storage hiccups: OSError on disk (a full disk, a flaky network volume) and botocore's
# errors with a bucket (connection and read timeouts, a 5xx or throttling answer still
# failing after boto3's own retries; a 403 from a misconfigured bucket is retried too,
# then fails loudly). An undecodable or missing file is recorded on the image by the
# function, not retried: a bucket's 404 on open arrives as FileNotFoundError.
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


@shared_task(
    autoretry_for=STORAGE_ERRORS,
    retry_backoff=True,
    retry_kwargs={"max_retries": 5},
)
def make_image_renditions(image_id: int) -> None:
    """Makes a product image's listing and detail renditions (WebP plus JPEG fallback)."""
    image_renditions_make(image_id=image_id)


# An import runs as long as its file takes (100,000 rows: about a minute, see
# docs/BENCHMARKS.md); the default limits are for short jobs. No retry: a failed import has
# written nothing and says why on its page; staff upload it again.
IMPORT_SOFT_TIME_LIMIT = 60 * 60


@shared_task(soft_time_limit=IMPORT_SOFT_TIME_LIMIT, time_limit=IMPORT_SOFT_TIME_LIMIT + 60)
def check_catalog_import(job_id: int) -> None:
    """Checks an uploaded catalog file in full, writing nothing (the import's dry run)."""
    catalog_import_check(job_id=job_id)


@shared_task(soft_time_limit=IMPORT_SOFT_TIME_LIMIT, time_limit=IMPORT_SOFT_TIME_LIMIT + 60)
def run_catalog_import(job_id: int) -> None:
    """Imports a checked and confirmed catalog file, all of it or nothing."""
    catalog_import_run(job_id=job_id)
