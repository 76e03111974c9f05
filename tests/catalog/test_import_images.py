"""Photos brought with an import in a ZIP, matched to products by their slug."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from apps.catalog.imports.services import (
    catalog_import_check,
    catalog_import_create,
    catalog_import_run,
    catalog_import_start,
)
from apps.catalog.models import CatalogImport, ProductImage
from tests.catalog.import_support import csv_bytes, row
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

Status = CatalogImport.Status


def _picture(kind: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(out, kind)
    return out.getvalue()


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


PHOTOS = {
    "photos/chef-knife.jpg": _picture(),
    "photos/chef-knife-2.png": _picture("PNG"),
    "__MACOSX/photos/._chef-knife.jpg": b"resource fork",
    "nobody.jpg": _picture(),
    "notes.txt": b"not a photo",
    "board.jpg": b"\xff\xd8 truncated",
}


def _job(images: bytes) -> CatalogImport:
    return catalog_import_create(
        upload=ContentFile(csv_bytes([row("K-1")]), name="catalog.csv"),
        name="catalog.csv",
        images=ContentFile(images, name="photos.zip"),
        actor=None,
        check_in_background=False,
    )


def _run(job: CatalogImport) -> CatalogImport:
    checked = catalog_import_check(job_id=job.pk)
    assert checked is not None
    assert checked.status == Status.CHECKED, checked.error
    assert catalog_import_start(job=checked)
    done = catalog_import_run(job_id=job.pk)
    assert done is not None
    return done


@pytest.fixture(autouse=True)
def _board() -> None:
    ProductFactory(slug="board", title="Board")


def test_photos_are_checked_then_added_to_the_products_their_names_give():
    job = _job(_zip(PHOTOS))
    checked = catalog_import_check(job_id=job.pk)
    assert checked is not None
    assert checked.images_added == 2
    assert sorted(checked.image_refusals) == [
        ["board.jpg", "is not an image that can be read"],
        ["nobody.jpg", "names no product (no product has the slug “nobody”)"],
        ["notes.txt", "is not a photo (.jpg, .jpeg, .png, .webp or .gif)"],
    ]
    assert not ProductImage.objects.exists()

    catalog_import_start(job=checked)
    done = catalog_import_run(job_id=job.pk)

    assert done is not None
    assert done.images_added == 2
    images = list(ProductImage.objects.select_related("product").order_by("position"))
    assert [(i.product.slug, i.position, i.alt_text) for i in images] == [
        ("chef-knife", 1, "Chef knife"),
        ("chef-knife", 2, "Chef knife"),
    ]
    assert images[0].image.name == f"products/{images[0].product_id}/chef-knife.jpg"


def test_the_same_photos_twice_are_added_once():
    _run(_job(_zip(PHOTOS)))
    again = _run(_job(_zip(PHOTOS)))
    assert again.images_added == 0
    assert ProductImage.objects.count() == 2


def test_a_file_that_is_not_a_zip_refuses_the_import_whole():
    job = _job(b"this is no zip")
    checked = catalog_import_check(job_id=job.pk)
    assert checked is not None
    assert checked.status == Status.REFUSED
    assert checked.error.startswith("The images file is not a ZIP that can be read")


def test_the_upload_page_takes_a_zip_of_photos_and_the_report_lists_them(
    staff_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:catalog_catalogimport_add"),
            {
                "file": SimpleUploadedFile("p.csv", csv_bytes([row("K-1")]), "text/csv"),
                "images": SimpleUploadedFile("p.zip", _zip(PHOTOS), "application/zip"),
            },
        )
    assert response.status_code == 302
    page = staff_client.get(response["Location"]).content.decode()
    assert "2 to add, 3 refused" in page
    assert "<td>notes.txt</td><td>is not a photo" in page
