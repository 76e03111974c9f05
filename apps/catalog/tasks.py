"""Background jobs for the catalog."""

from __future__ import annotations

from celery import shared_task

from apps.catalog.renditions import image_renditions_make


# OSError covers storage hiccups (a full disk, a flaky network volume, S3 timeouts); an
# undecodable or missing file is recorded on the image by the function, not retried.
@shared_task(
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_kwargs={"max_retries": 5},
)
def make_image_renditions(image_id: int) -> None:
    """Makes a product image's listing and detail renditions (WebP plus JPEG fallback)."""
    image_renditions_make(image_id=image_id)
