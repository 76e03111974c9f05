"""Media in an S3-compatible bucket: uploads, renditions and page links, against a real
S3 server (moto's, on loopback) started by the test run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import boto3
import pytest
from celery.contrib.testing.worker import start_worker
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from moto.server import ThreadedMotoServer
from PIL import Image
from storages.backends.s3 import S3Storage

from apps.catalog.models import ProductImage
from apps.catalog.renditions import ERROR_MISSING
from apps.catalog.services import product_image_renditions_request
from apps.catalog.tasks import make_image_renditions
from config.celery import app as celery_app
from config.media_storage import MediaStorage, media_storage_from_url
from tests.factories import ProductFactory, ProductImageFactory, VariantFactory

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
# moto accepts any key pair; these only have to look like one to botocore.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3 server (moto's server mode) on a free loopback port, for the whole run."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass(frozen=True)
class Bucket:
    """A fresh bucket on the test S3 server, which the default storage now writes to."""

    name: str
    endpoint: str
    media: MediaStorage
    client: Any

    def keys(self) -> set[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return {entry["Key"] for entry in listed.get("Contents", [])}

    def content_type(self, key: str) -> str:
        return str(self.client.head_object(Bucket=self.name, Key=key)["ContentType"])


def _new_bucket(endpoint: str) -> tuple[str, Any]:
    name = f"shopfront-media-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(Bucket=name)
    # What docs/DEPLOYMENT.md asks of a real bucket: anyone may read its objects, since
    # pages link to them unsigned; only the app's credentials may write.
    client.put_bucket_policy(Bucket=name, Policy=json.dumps(public_read_policy(name)))
    return name, client


def public_read_policy(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


@pytest.fixture
def bucket(s3_endpoint: str, settings, monkeypatch) -> Bucket:
    """Switches media to a new bucket the way config/settings.py does for MEDIA_STORAGE_URL."""
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    name, client = _new_bucket(s3_endpoint)
    media = media_storage_from_url(f"s3://{name}?endpoint_url={s3_endpoint}&region={REGION}")
    settings.STORAGES = {**settings.STORAGES, "default": media.storage}
    settings.MEDIA_URL = media.base_url
    settings.SERVE_MEDIA = False
    policy = settings.CONTENT_SECURITY_POLICY
    directives = policy["DIRECTIVES"]
    settings.CONTENT_SECURITY_POLICY = {
        **policy,
        "DIRECTIVES": {**directives, "img-src": [*directives["img-src"], media.origin]},
    }
    return Bucket(name, s3_endpoint, media, client)


def photo_upload(width: int = 900, height: int = 600) -> dict[str, Any]:
    """ProductImageFactory arguments that upload a JPEG photo through the ImageField."""
    return {
        "image__width": width,
        "image__height": height,
        "image__format": "JPEG",
        "image__filename": "photo.jpg",
        "width": 0,
        "height": 0,
    }


def rendition_names(image: ProductImage) -> set[str]:
    return {
        entry[fmt]
        for entries in image.renditions.values()
        for entry in entries
        for fmt in ("webp", "jpeg")
    }


def uploaded_with_renditions(django_capture_on_commit_callbacks) -> ProductImage:
    """A product with a photo uploaded as the admin does it: save, then ask the worker."""
    product = ProductFactory()
    VariantFactory(product=product)
    with django_capture_on_commit_callbacks(execute=True):
        image = ProductImageFactory(product=product, **photo_upload())
        product_image_renditions_request(image=image)
    image.refresh_from_db()
    return image


def local_files(root: str | Path) -> list[Path]:
    return [path for path in Path(root).rglob("*") if path.is_file()]


@pytest.mark.django_db
def test_uploaded_photo_and_its_renditions_land_in_the_bucket(
    bucket: Bucket, settings, django_capture_on_commit_callbacks
) -> None:
    image = uploaded_with_renditions(django_capture_on_commit_callbacks)

    names = rendition_names(image)
    assert (image.width, image.height) == (900, 600)
    assert len(names) == 8  # listing 300 + 600, detail 600 + 900, as WebP and JPEG
    assert bucket.keys() == {image.image.name, *names}
    assert image.image.name.startswith(f"products/{image.product_id}/photo")
    assert {bucket.content_type(name) for name in names if name.endswith(".webp")} == {"image/webp"}
    assert {bucket.content_type(name) for name in names if name.endswith(".jpg")} == {"image/jpeg"}
    assert local_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_product_page_links_to_the_bucket_and_the_links_serve_the_images(
    bucket: Bucket, client, django_capture_on_commit_callbacks
) -> None:
    image = uploaded_with_renditions(django_capture_on_commit_callbacks)

    response = client.get(reverse("catalog:product", args=[image.product.slug]))

    html = response.content.decode()
    base = f"{bucket.endpoint}/{bucket.name}/"
    detail_jpeg = image.renditions["detail"][0]["jpeg"]
    assert f'<meta property="og:image" content="{base}{detail_jpeg}">' in html
    linked = set(re.findall(r'(?:src|srcset)="([^" ]+)', html)) | set(
        re.findall(r", ([^ \"]+) \d+w", html)
    )
    images = {url for url in linked if "/renditions/" in url or "/products/" in url}
    detail = {f"{base}{e[fmt]}" for e in image.renditions["detail"] for fmt in ("webp", "jpeg")}
    assert detail <= images
    assert all(url.startswith(base) for url in images)
    assert "/media/" not in html
    policy = response.headers["Content-Security-Policy"]
    img_src = next(part for part in policy.split(";") if part.strip().startswith("img-src"))
    assert bucket.media.origin in img_src.split()
    # The link works for a browser: unsigned, straight from the S3 server.
    with urllib.request.urlopen(f"{base}{detail_jpeg}", timeout=5) as served:  # noqa: S310
        assert served.headers["Content-Type"] == "image/jpeg"
        assert Image.open(BytesIO(served.read())).size == (
            image.renditions["detail"][0]["width"],
            image.renditions["detail"][0]["height"],
        )


@pytest.mark.django_db
def test_product_api_links_to_the_bucket(
    bucket: Bucket, client, django_capture_on_commit_callbacks
) -> None:
    image = uploaded_with_renditions(django_capture_on_commit_callbacks)

    body = client.get(f"/api/v1/products/{image.product.slug}/").json()

    base = f"{bucket.endpoint}/{bucket.name}/"
    [shown] = body["images"]
    assert shown["url"] == f"{base}{image.image.name}"
    assert [entry["jpeg"] for entry in shown["detail"]] == [
        f"{base}{entry['jpeg']}" for entry in image.renditions["detail"]
    ]


@pytest.mark.django_db
def test_product_page_shows_the_bucket_original_until_renditions_exist(
    bucket: Bucket, client
) -> None:
    product = ProductFactory()
    VariantFactory(product=product)
    image = ProductImageFactory(product=product, **photo_upload())

    html = client.get(reverse("catalog:product", args=[product.slug])).content.decode()

    assert f'src="{bucket.endpoint}/{bucket.name}/{image.image.name}"' in html


@pytest.mark.django_db
def test_task_run_twice_keeps_one_set_of_renditions_in_the_bucket(
    bucket: Bucket, django_capture_on_commit_callbacks
) -> None:
    image = uploaded_with_renditions(django_capture_on_commit_callbacks)
    first_keys, first_renditions = bucket.keys(), image.renditions

    make_image_renditions.delay(image.pk)

    image.refresh_from_db()
    assert image.renditions == first_renditions
    assert bucket.keys() == first_keys


@pytest.mark.django_db
def test_replaced_photo_gets_new_renditions_and_the_old_ones_leave_the_bucket(
    bucket: Bucket, client, django_capture_on_commit_callbacks
) -> None:
    image = uploaded_with_renditions(django_capture_on_commit_callbacks)
    old_original, old_renditions = image.image.name, rendition_names(image)

    with django_capture_on_commit_callbacks(execute=True):
        image.image = ContentFile(_jpeg(600, 900), name="portrait.jpg")
        image.save()
        product_image_renditions_request(image=image)

    image.refresh_from_db()
    new_renditions = rendition_names(image)
    assert (image.width, image.height) == (600, 900)
    assert old_renditions.isdisjoint(new_renditions)
    # Django never deletes a replaced upload (a row may still point at it while the page
    # cache turns over); the renditions are the task's own and are cleaned up.
    assert bucket.keys() == {old_original, image.image.name, *new_renditions}
    html = client.get(reverse("catalog:product", args=[image.product.slug])).content.decode()
    assert image.renditions["detail"][0]["jpeg"] in html
    assert not any(name in html for name in old_renditions)


@pytest.mark.django_db
def test_photo_deleted_from_the_bucket_is_marked_missing_not_retried(
    bucket: Bucket, django_capture_on_commit_callbacks
) -> None:
    product = ProductFactory()
    image = ProductImageFactory(product=product, **photo_upload())
    default_storage.delete(image.image.name)
    assert bucket.keys() == set()

    result = make_image_renditions.apply(args=(image.pk,), throw=False)

    image.refresh_from_db()
    assert result.successful()
    assert image.renditions == {"error": ERROR_MISSING}
    assert bucket.keys() == set()


@pytest.mark.django_db
def test_second_upload_with_the_same_file_name_keeps_the_first(bucket: Bucket) -> None:
    product = ProductFactory()
    first = ProductImageFactory(product=product, **photo_upload(400, 300))
    second = ProductImageFactory(product=product, **photo_upload(300, 400))

    assert first.image.name != second.image.name
    assert bucket.keys() == {first.image.name, second.image.name}
    with default_storage.open(first.image.name, "rb") as stored:
        assert Image.open(BytesIO(stored.read())).size == (400, 300)


@pytest.fixture
def real_worker(transactional_db, bucket: Bucket) -> Iterator[None]:
    celery_app.conf.task_always_eager = False
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def _wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout}s")
        time.sleep(0.05)


@pytest.mark.redis
def test_a_real_worker_writes_the_renditions_to_the_bucket(
    real_worker: None, bucket: Bucket
) -> None:
    assert celery_app.conf.broker_url.startswith("redis://")
    image = ProductImageFactory(product=ProductFactory(), **photo_upload())

    product_image_renditions_request(image=image)  # autocommit: sent at once, to Redis

    _wait_for(lambda: bool(ProductImage.objects.get(pk=image.pk).renditions))
    image.refresh_from_db()
    assert len(rendition_names(image)) == 8
    assert bucket.keys() == {image.image.name, *rendition_names(image)}


_PROBE = """
import json
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

name = default_storage.save("probe/hello.txt", ContentFile(b"shared"))
print(json.dumps({
    "default": settings.STORAGES["default"],
    "media_url": settings.MEDIA_URL,
    "serve_media": settings.SERVE_MEDIA,
    "img_src": settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"],
    "url": default_storage.url(name),
    "name": name,
}))
"""
_MEDIA_VARIABLES = {"MEDIA_STORAGE_URL", "MEDIA_URL", "SERVE_MEDIA", "DJANGO_ENV", "DEBUG"}


def _probe(tmp_path: Path, **env: str) -> dict[str, Any]:
    """Settings and one saved file, as a fresh process configured by `env` sees them."""
    base = {key: value for key, value in os.environ.items() if key not in _MEDIA_VARIABLES}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", _PROBE],
        cwd=ROOT,
        env={**base, "ENV_FILE": os.devnull, "MEDIA_ROOT": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_media_storage_url_sends_a_process_media_to_the_bucket(
    s3_endpoint: str, tmp_path: Path
) -> None:
    name, client = _new_bucket(s3_endpoint)
    url = f"s3://{name}/shop?endpoint_url={s3_endpoint}&region={REGION}"

    seen = _probe(tmp_path, MEDIA_STORAGE_URL=url, **CREDENTIALS)

    assert seen["default"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert seen["media_url"] == f"{s3_endpoint}/{name}/shop/"
    assert seen["url"] == f"{s3_endpoint}/{name}/shop/probe/hello.txt"
    assert seen["serve_media"] is False
    assert seen["img_src"] == ["'self'", "data:", s3_endpoint]
    stored = client.get_object(Bucket=name, Key="shop/probe/hello.txt")
    assert stored["Body"].read() == b"shared"
    assert local_files(tmp_path) == []


def test_without_media_storage_url_media_stays_on_local_disk(tmp_path: Path) -> None:
    seen = _probe(tmp_path)

    assert seen["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert seen["media_url"] == "/media/"
    assert seen["url"] == "/media/probe/hello.txt"
    assert seen["serve_media"] is True
    assert seen["img_src"] == ["'self'", "data:"]
    assert (tmp_path / "probe" / "hello.txt").read_bytes() == b"shared"


@pytest.mark.parametrize(
    "url",
    [
        "s3://shop-media?endpoint_url=http://127.0.0.1:9000&region=us-east-1",
        "s3://shop-media?endpoint_url=http://minio:9000",
        "s3://shop-media/media?endpoint_url=https://minio.internal:9000&addressing_style=virtual",
        "s3://shop-media?endpoint_url=https://acct.r2.cloudflarestorage.com&region=auto",
        "s3://shop.media?region=eu-west-1",
        "s3://shop-media?region=eu-west-1&addressing_style=path",
        "s3://shop-media",
    ],
)
def test_public_address_is_the_one_botocore_gives_an_unsigned_url(url: str) -> None:
    options = media_storage_from_url(url).storage["OPTIONS"]
    through_botocore = S3Storage(**{**options, "custom_domain": None})

    assert S3Storage(**options).url("a/b c.jpg") == through_botocore.url("a/b c.jpg")


@pytest.mark.parametrize(
    ("url", "base_url", "origin"),
    [
        (
            "s3://shop-media/media?endpoint_url=http://127.0.0.1:9000",
            "http://127.0.0.1:9000/shop-media/media/",
            "http://127.0.0.1:9000",
        ),
        (
            "s3://shop-media?region=eu-west-1",
            "https://shop-media.s3.eu-west-1.amazonaws.com/",
            "https://shop-media.s3.eu-west-1.amazonaws.com",
        ),
        (
            "s3://shop-media?custom_domain=cdn.example.com/shop",
            "https://cdn.example.com/shop/",
            "https://cdn.example.com",
        ),
        (
            "s3://shop-media/m?endpoint_url=http://minio:9000&custom_domain=http://media.test:8080",
            "http://media.test:8080/m/",
            "http://media.test:8080",
        ),
    ],
)
def test_media_url_and_csp_origin_follow_the_public_address(
    url: str, base_url: str, origin: str
) -> None:
    media = media_storage_from_url(url)

    assert (media.base_url, media.origin) == (base_url, origin)
    assert media.storage["OPTIONS"]["querystring_auth"] is False
    assert media.storage["OPTIONS"]["file_overwrite"] is False


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://shop-media", "must start with s3://"),
        ("s3://", "names no bucket"),
        ("s3://key:secret@shop-media", "must not hold credentials"),
        ("s3://shop-media?endpoint=http://x", "unknown parameter 'endpoint'"),
        ("s3://shop-media?region=a&region=b", "given twice"),
        ("s3://shop-media?addressing_style=dns", "addressing_style must be one of"),
        ("s3://shop-media?endpoint_url=minio:9000", "endpoint_url must be an http(s) URL"),
    ],
)
def test_a_wrong_media_storage_url_is_refused_with_the_reason(url: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        media_storage_from_url(url)


def _jpeg(width: int, height: int) -> bytes:
    out = BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(out, "JPEG")
    return out.getvalue()
