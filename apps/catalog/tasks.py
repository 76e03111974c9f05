"""Background jobs for the catalog."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task

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
