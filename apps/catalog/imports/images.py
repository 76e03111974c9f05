"""Product photos brought with an import, in a ZIP: each file is matched to a product by
its name, the product's slug ("chef-knife.jpg", and "chef-knife-2.jpg" for a second one).

Checked like the rows: a check says which files would be added and which are refused (no
such product, not an image, too large); the import adds them in its transaction. A file
already on the product under the same name is left alone, so a second import adds none.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.core.files.base import ContentFile

from apps.catalog import services
from apps.catalog.images import InvalidImage, image_size
from apps.catalog.imports.reading import ImportFileError
from apps.catalog.models import CatalogImport, CatalogImportKey, Product, ProductImage

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif"})
# A product photo is a few megabytes; the limits stop a ZIP bomb before it is inflated.
MAX_IMAGE_BYTES = 20 * 1024 * 1024
MAX_MEMBERS = 20_000
BATCH = 200
_NUMBERED = re.compile(r"^(?P<slug>.+)-(?P<n>\d{1,3})$")


@dataclass
class ImageReport:
    """What a ZIP's images did (or would do)."""

    added: int = 0
    refusals: list[list[str]] = field(default_factory=list)


def _members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The archive's files, without folders and the clutter archivers add."""
    found = []
    for member in archive.infolist():
        parts = PurePosixPath(member.filename).parts
        if member.is_dir() or not parts:
            continue
        if parts[0] == "__MACOSX" or parts[-1].startswith("."):
            continue
        found.append(member)
    if len(found) > MAX_MEMBERS:
        raise ImportFileError(f"The ZIP holds more than {MAX_MEMBERS:,} files.")
    return found


def _slug_and_position(stem: str, slugs: set[str]) -> tuple[str, int]:
    numbered = _NUMBERED.match(stem)
    if stem not in slugs and numbered and numbered["slug"] in slugs:
        return numbered["slug"], int(numbered["n"])
    return stem, 1


def zip_images_import(*, job: CatalogImport, write: bool) -> ImageReport:
    """Checks (and, if `write`, adds) the images of the job's ZIP; runs while the job's
    keys (the products its file names) are still there."""
    report = ImageReport()
    try:
        with job.images.open("rb") as handle, zipfile.ZipFile(handle) as archive:
            members = _members(archive)
            for start in range(0, len(members), BATCH):
                _batch(job, archive, members[start : start + BATCH], write, report)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError) as error:
        raise ImportFileError(
            f"The images file is not a ZIP that can be read ({error})."
        ) from error
    return report


def _batch(
    job: CatalogImport,
    archive: zipfile.ZipFile,
    members: list[zipfile.ZipInfo],
    write: bool,
    report: ImageReport,
) -> None:
    names = {member: PurePosixPath(member.filename).name for member in members}
    stems = {PurePosixPath(name).stem for name in names.values()}
    candidates = stems | {m["slug"] for stem in stems if (m := _NUMBERED.match(stem))}
    products = {
        p.slug: p for p in Product.objects.filter(slug__in=candidates).only("pk", "slug", "title")
    }
    # Products the file creates: in the catalog once imported, only among the keys in a check.
    planned = {
        key.removeprefix("product:")
        for key in CatalogImportKey.objects.filter(
            job=job, key__in=[f"product:{slug}" for slug in candidates]
        ).values_list("key", flat=True)
    }
    existing = set(
        ProductImage.objects.filter(product__in=products.values()).values_list("image", flat=True)
    )
    for member, name in names.items():
        path = PurePosixPath(name)
        slug, position = _slug_and_position(path.stem, set(products) | planned)
        reason = _refusal(member, path, slug, products, planned)
        if reason:
            report.refusals.append([member.filename, reason])
            continue
        data = archive.read(member)
        try:
            image_size(data)
        except InvalidImage:
            report.refusals.append([member.filename, "is not an image that can be read"])
            continue
        product = products.get(slug)
        if product is not None:
            stored = ProductImage.image.field.generate_filename(ProductImage(product=product), name)
            if stored in existing:
                continue
            existing.add(stored)
        report.added += 1
        if write and product is not None:
            image = ProductImage(product=product, alt_text=product.title[:200], position=position)
            image.image.save(name, ContentFile(data), save=False)
            image.save()
            services.product_image_renditions_request(image=image)


def _refusal(
    member: zipfile.ZipInfo,
    path: PurePosixPath,
    slug: str,
    products: dict[str, Product],
    planned: set[str],
) -> str:
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return "is not a photo (.jpg, .jpeg, .png, .webp or .gif)"
    if member.file_size > MAX_IMAGE_BYTES:
        return f"is larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB"
    if slug not in products and slug not in planned:
        return f"names no product (no product has the slug “{slug}”)"
    return ""
