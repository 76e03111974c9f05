"""The catalog import from the shell (import_catalog) and through a real Celery worker."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from apps.catalog.imports.services import catalog_import_start
from apps.catalog.models import CatalogImport, ProductImage, StockMovement, Variant
from config.celery import app as celery_app
from tests.catalog.import_support import csv_bytes, row, uploaded
from tests.celery_support import real_worker, wait_for  # noqa: F401 - real_worker: a fixture

Status = CatalogImport.Status


def _file(tmp_path: Path, rows: list[list[str]]) -> Path:
    path = tmp_path / "products.csv"
    path.write_bytes(csv_bytes(rows))
    return path


@pytest.mark.django_db
def test_the_command_checks_then_imports_with_a_progress_bar(tmp_path, capsys, staff):
    path = _file(tmp_path, [row("K-1"), row("K-2", options="Size: 2", stock="0")])

    call_command("import_catalog", str(path), "--user", staff.email)

    out, err = capsys.readouterr()
    assert "Checking   [" in err
    assert "Importing  [##############################] 100%" in err
    assert "2 rows: 2 would be created (1 products, 3 categories)" in out
    assert "2 rows: 2 created" in out
    assert Variant.objects.count() == 2
    assert StockMovement.objects.get().actor == staff
    assert CatalogImport.objects.get().status == Status.DONE


@pytest.mark.django_db
def test_the_command_dry_run_writes_nothing_and_refusals_stop_it(tmp_path, capsys):
    path = _file(tmp_path, [row("K-1"), row("K-2", options="Size: 2", stock="-4")])

    call_command("import_catalog", str(path), "--dry-run")
    out, _ = capsys.readouterr()
    assert "line 3 (K-2): stock -4 is negative" in out
    assert not Variant.objects.exists()

    with pytest.raises(CommandError, match="1 rows were refused; nothing was imported"):
        call_command("import_catalog", str(path))
    assert not Variant.objects.exists()

    call_command("import_catalog", str(path), "--skip-refused")
    assert list(Variant.objects.values_list("sku", flat=True)) == ["K-1"]


@pytest.mark.django_db
def test_the_command_refuses_an_unreadable_file(tmp_path):
    path = tmp_path / "products.csv"
    path.write_bytes(b"title;prix\n")
    with pytest.raises(CommandError, match="The file was refused: The file has no"):
        call_command("import_catalog", str(path))
    with pytest.raises(CommandError, match="No file at"):
        call_command("import_catalog", str(tmp_path / "missing.csv"))


def _status(job: CatalogImport) -> str:
    job.refresh_from_db()
    return job.status


@pytest.mark.redis
@pytest.mark.usefixtures("real_worker")
def test_an_upload_is_checked_and_imported_by_a_real_worker_through_redis():
    assert celery_app.conf.broker_url.startswith("redis://")
    job = uploaded(csv_bytes([row("K-1"), row("K-2", options="Size: 2")]), background=True)
    wait_for(lambda: _status(job) != Status.PENDING)
    assert job.status == Status.CHECKED
    assert not Variant.objects.exists()

    assert catalog_import_start(job=job)
    wait_for(lambda: _status(job) != Status.QUEUED)
    assert job.status == Status.DONE
    assert Variant.objects.count() == 2


@pytest.mark.django_db
def test_the_command_adds_photos_from_a_zip(tmp_path, capsys):
    picture = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(picture, "PNG")
    photos = tmp_path / "photos.zip"
    with zipfile.ZipFile(photos, "w") as archive:
        archive.writestr("chef-knife.png", picture.getvalue())
        archive.writestr("spoon.png", picture.getvalue())
    path = _file(tmp_path, [row("K-1")])

    call_command("import_catalog", str(path), "--images", str(photos))

    out, _ = capsys.readouterr()
    assert "Photos: 1 added." in out
    assert "photo spoon.png: names no product" in out
    assert ProductImage.objects.get().product.slug == "chef-knife"
