"""The catalog import's admin pages: upload, the check's report, progress, refused rows."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.catalog.imports.progress import import_progress_set
from apps.catalog.models import CatalogImport, Product, Variant
from tests.catalog.import_support import checked, csv_bytes, row, uploaded
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UPLOAD = "admin:catalog_catalogimport_add"
Status = CatalogImport.Status


def _url(name: str, job: CatalogImport) -> str:
    return reverse(f"admin:catalog_catalogimport_{name}", args=[job.pk])


def _upload(client, content: bytes, name: str = "products.csv"):
    return client.post(reverse(UPLOAD), {"file": SimpleUploadedFile(name, content, "text/csv")})


def test_the_product_list_links_to_the_import_and_its_page_explains_the_columns(staff_client):
    html = staff_client.get(reverse("admin:catalog_product_changelist")).content.decode()
    assert f'href="{reverse(UPLOAD)}"' in html
    response = staff_client.get(reverse(UPLOAD))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert "Home &gt; Kitchen &gt; Knives" in page


def test_an_upload_is_checked_and_its_report_shows_lines_and_reasons(
    staff_client, django_capture_on_commit_callbacks
):
    content = csv_bytes([row("K-1"), row("K-2", options="Size: 2", price="x"), row("K-3")])
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(staff_client, content)
    job = CatalogImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("change", job)
    assert job.status == Status.CHECKED
    assert not Variant.objects.exists()

    page = staff_client.get(response["Location"]).content.decode()
    assert "What the file would do" in page
    assert re.search(r"<td>3</td>\s*<td>K-2</td>\s*<td>price “x” is not a price", page)
    assert f'href="{_url("refused", job)}"' in page
    assert 'value="Import the 2 valid rows, skip the 1 refused"' in page
    assert "<progress" not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(_url("start", job))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Status.DONE
    assert set(Variant.objects.values_list("sku", flat=True)) == {"K-1", "K-3"}
    page = staff_client.get(_url("change", job)).content.decode()
    assert "What the file did" in page
    assert "Import the" not in page


def test_the_refused_rows_download_as_csv(staff_client):
    job = checked(csv_bytes([row("K-1", stock="-1"), row("K-2", options="Size: 2")]))
    response = staff_client.get(_url("refused", job))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="catalog-refused.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][-2:] == ["line", "reason"]
    assert [r[3] for r in rows[1:]] == ["K-1"]
    assert rows[1][-2] == "2"

    clean = checked(csv_bytes([row("K-9")]))
    assert staff_client.get(_url("refused", clean)).status_code == 404


def test_a_running_import_shows_its_progress_with_a_static_script_and_a_noscript_refresh(
    staff_client,
):
    job = uploaded(csv_bytes([row("K-1")]))
    page = staff_client.get(_url("change", job)).content.decode()
    assert "waiting for the worker" in page

    import_progress_set(job_id=job.pk, read=40, size=100)
    response = staff_client.get(_url("change", job))
    page = response.content.decode()
    assert '<progress id="import-progress" max="100" value="40">' in page
    assert f'data-import-progress="{_url("progress", job)}"' in page
    assert re.search(r'<script src="[^"]*js/import-progress\.js" defer></script>', page)
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert "Reload this page" in page
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page)  # no inline script
    assert "script-src 'self'" in response["Content-Security-Policy"]

    progress = staff_client.get(_url("progress", job))
    assert "no-store" in progress["Cache-Control"]
    assert progress.json() == {
        "status": "pending",
        "label": "Waiting to be checked",
        "running": True,
        "percent": 40,
    }


def test_the_progress_script_is_a_static_file():
    from django.contrib.staticfiles import finders

    path = finders.find("js/import-progress.js")
    assert path
    with open(path, encoding="utf-8") as handle:
        script = handle.read()
    assert "data-import-progress" in script
    assert "location.reload" in script


def test_a_file_over_the_limit_is_refused_at_upload_without_a_job(staff_client, settings):
    settings.CATALOG_IMPORT_MAX_BYTES = 1000
    settings.CATALOG_IMPORT_MAX_IMAGE_BYTES = 1000
    # Past both limits and the form's overhead: refused from the declared length, unread.
    big = csv_bytes([row(f"K-{n}", options=f"Size: {n}") for n in range(2000)])  # ~140 KB
    response = _upload(staff_client, big)
    assert response.status_code == 413
    assert "larger than an import takes (0 MB for the CSV" in response.content.decode()

    # Under the body's limit with the form around it: the upload handler skips the file.
    a_little_big = csv_bytes([row(f"K-{n}", options=f"Size: {n}") for n in range(20)])
    response = _upload(staff_client, a_little_big)
    assert response.status_code == 413
    assert "larger than an import takes" in response.content.decode()
    assert not CatalogImport.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("título;precio\n".encode("latin-1"), "The file is not UTF-8 text"),
        (b"title,slug,category,sku\n", "The file has no “options”, “price” or “stock” column"),
    ],
)
def test_a_file_that_is_not_the_export_is_refused_at_upload(staff_client, content, message):
    response = _upload(staff_client, content)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not CatalogImport.objects.exists()


def test_the_pages_are_for_staff_who_may_write_products(client, shopper):
    job = checked(csv_bytes([row("K-1")]))
    client.force_login(shopper)
    response = client.get(reverse(UPLOAD))
    assert response.status_code == 302
    assert "/login/" in response["Location"]

    clerk = UserFactory(is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_catalogimport", "add_catalogimport"])
    )
    client.force_login(clerk)
    assert client.get(reverse(UPLOAD)).status_code == 403
    assert client.get(_url("change", job)).status_code == 200
    assert client.post(_url("start", job)).status_code == 403
    assert not Product.objects.exists()


def test_starting_twice_or_by_get_starts_once(staff_client, django_capture_on_commit_callbacks):
    job = checked(csv_bytes([row("K-1")]))
    assert staff_client.get(_url("start", job)).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(_url("start", job))
    response = staff_client.post(_url("start", job), follow=True)
    assert "This file is not waiting to be imported." in response.content.decode()
    assert Variant.objects.count() == 1


def test_an_unknown_import_is_a_404(staff_client):
    assert staff_client.get("/admin/catalog/catalogimport/999/change/").status_code == 404
    assert staff_client.get("/admin/catalog/catalogimport/999/progress/").status_code == 404


def test_the_list_of_imports_runs_the_same_queries_for_2_and_20_imports(staff_client, staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:catalog_catalogimport_changelist")

    def count() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = staff_client.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    for n in range(2):
        uploaded(csv_bytes([row(f"K-{n}")]), actor=staff, name=f"file-{n}.csv")
    few, _ = count()
    for n in range(2, 20):
        uploaded(csv_bytes([row(f"K-{n}")]), actor=staff, name=f"file-{n}.csv")
    many, html = count()
    assert few == many
    assert all(f"file-{n}.csv" in html for n in range(20))
