"""Making and storing product image renditions, for the Celery task and the demo seed."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage

from apps.catalog.cache import catalog_changed
from apps.catalog.images import InvalidImage, image_size, rendition_sizes, renditions_render
from apps.catalog.models import ProductImage

logger = logging.getLogger(__name__)

RENDITIONS_DIR = "renditions"
ERROR_UNREADABLE = "The file is not an image that can be read."
ERROR_MISSING = "The image file is missing."


@dataclass(frozen=True)
class StoredRenditions:
    """An original's displayed size and the `ProductImage.renditions` JSON for it."""

    width: int
    height: int
    renditions: dict[str, list[dict[str, Any]]]


def renditions_store(
    *, data: bytes, prefix: str, storage: Storage | None = None, reuse: bool = False
) -> StoredRenditions:
    """Renders the image in `data` and writes its renditions under `prefix`.

    Names are `<prefix>/<kind>-<width>-<digest>.<ext>`, the digest taken from the source
    bytes: the same source always gives the same names (a rerun overwrites, it never
    adds files), and a replaced photo gets new URLs, so no browser or CDN serves the old
    picture from cache. With `reuse`, files already stored under those names are kept
    and nothing is encoded. Raises InvalidImage when the data cannot be decoded.
    """
    storage = storage or default_storage
    digest = hashlib.sha256(data).hexdigest()[:12]
    if reuse:
        width, height = image_size(data)
        planned = {
            kind: [
                {
                    "width": w,
                    "height": h,
                    "webp": f"{_stem(prefix, kind, w, digest)}.webp",
                    "jpeg": f"{_stem(prefix, kind, w, digest)}.jpg",
                }
                for w, h in kind_sizes
            ]
            for kind, kind_sizes in rendition_sizes(width, height).items()
        }
        if all(storage.exists(name) for name in _rendition_names(planned)):
            return StoredRenditions(width, height, planned)

    rendered = renditions_render(data)
    renditions: dict[str, list[dict[str, Any]]] = {}
    for rendition in rendered.renditions:
        stem = _stem(prefix, rendition.kind, rendition.width, digest)
        renditions.setdefault(rendition.kind, []).append(
            {
                "width": rendition.width,
                "height": rendition.height,
                "webp": file_overwrite(storage, f"{stem}.webp", rendition.webp),
                "jpeg": file_overwrite(storage, f"{stem}.jpg", rendition.jpeg),
            }
        )
    return StoredRenditions(rendered.width, rendered.height, renditions)


def _stem(prefix: str, kind: str, width: int, digest: str) -> str:
    return f"{prefix}/{kind}-{width}-{digest}"


def file_overwrite(storage: Storage, name: str, content: bytes) -> str:
    """Writes `content` at exactly `name`, replacing what is there; returns the stored name."""
    # Storage.save() never overwrites: it would add a suffixed copy beside the old file.
    if storage.exists(name):
        storage.delete(name)
    return storage.save(name, ContentFile(content))


def image_renditions_make(*, image_id: int) -> bool:
    """Makes a product image's renditions and records them with its size, in one UPDATE.

    Returns False when there is nothing to record: the image row is gone, or its file is
    missing or unreadable (then `renditions` holds `{"error": ...}` and the failure is
    logged, because no retry can fix it). Storage errors (OSError, botocore's errors
    with a bucket) propagate, so the task retries them.
    """
    row = ProductImage.objects.filter(pk=image_id).values("image", "renditions").first()
    if row is None:
        return False
    name: str = row["image"]
    # Conditional on the file name: if staff replace the photo while this runs, the task
    # queued for the new file records its renditions and this stale run records nothing.
    current = ProductImage.objects.filter(pk=image_id, image=name)
    prefix = f"{RENDITIONS_DIR}/{image_id}"
    data = _read(name)
    if data is None:
        logger.warning("Product image %s: file %r is missing", image_id, name)
        current.update(renditions={"error": ERROR_MISSING})
        return False
    try:
        stored = renditions_store(data=data, prefix=prefix)
    except InvalidImage as exc:
        logger.warning("Product image %s: %r cannot be decoded: %s", image_id, name, exc)
        current.update(renditions={"error": ERROR_UNREADABLE})
        return False

    made = _rendition_names(stored.renditions)
    if current.update(width=stored.width, height=stored.height, renditions=stored.renditions):
        _delete_own(prefix, _rendition_names(row["renditions"]) - made)
        catalog_changed()  # pages now show the renditions instead of the original
        return True
    latest = ProductImage.objects.filter(pk=image_id).values_list("renditions", flat=True).first()
    _delete_own(prefix, made - _rendition_names(latest or {}))
    return False


def _read(name: str) -> bytes | None:
    if not name:
        return None
    try:
        with default_storage.open(name, "rb") as file:
            return file.read()
    except FileNotFoundError:
        return None


def _rendition_names(renditions: dict[str, Any]) -> set[str]:
    return {
        entry[fmt]
        for kind_entries in renditions.values()
        if isinstance(kind_entries, list)
        for entry in kind_entries
        for fmt in ("webp", "jpeg")
        if entry.get(fmt)
    }


def _delete_own(prefix: str, names: set[str]) -> None:
    # Only files under this image's own folder: seeded images share demo renditions with
    # thousands of others, and those must outlive any single image being re-rendered.
    for name in names:
        if name.startswith(f"{prefix}/"):
            default_storage.delete(name)
