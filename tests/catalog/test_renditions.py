"""Product image renditions: sizes, formats, modes, and the Celery task's idempotency."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models.signals import post_save
from PIL import Image, ImageStat

from apps.catalog import renditions as renditions_module
from apps.catalog.images import (
    InvalidImage,
    placeholder_image,
    rendition_sizes,
    renditions_render,
)
from apps.catalog.models import ProductImage
from apps.catalog.renditions import ERROR_MISSING, ERROR_UNREADABLE, image_renditions_make
from apps.catalog.tasks import make_image_renditions
from tests.factories import ProductFactory, ProductImageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def photo(width: int, height: int) -> Image.Image:
    """A picture with detail in it, so encoders have something real to compress."""
    return placeholder_image(label="Test", colour=(40, 90, 160), shape="mug", seed=1).resize(
        (width, height)
    )


def stored_image(data: bytes, name: str = "products/test/photo.jpg") -> ProductImage:
    stored_name = default_storage.save(name, ContentFile(data))
    return ProductImageFactory(product=ProductFactory(), image=stored_name, width=0, height=0)


def open_stored(name: str) -> Image.Image:
    with default_storage.open(name, "rb") as file:
        image = Image.open(BytesIO(file.read()))
        image.load()
    return image


def files_under(root: Path, folder: str) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / folder).rglob("*") if p.is_file())


def test_renditions_have_listing_and_detail_widths_as_webp_and_jpeg(media_root: Path) -> None:
    image = stored_image(encode(photo(1600, 1000), "JPEG", quality=90))

    make_image_renditions.delay(image.pk)

    image.refresh_from_db()
    assert (image.width, image.height) == (1600, 1000)
    sizes = {
        kind: [(e["width"], e["height"]) for e in entries]
        for kind, entries in image.renditions.items()
    }
    assert sizes == {"listing": [(300, 188), (600, 375)], "detail": [(600, 375), (1200, 750)]}
    for entries in image.renditions.values():
        for entry in entries:
            webp, jpeg = open_stored(entry["webp"]), open_stored(entry["jpeg"])
            assert (webp.format, webp.size) == ("WEBP", (entry["width"], entry["height"]))
            assert (jpeg.format, jpeg.size) == ("JPEG", (entry["width"], entry["height"]))
            assert jpeg.mode == "RGB"
            assert entry["webp"].startswith(f"renditions/{image.pk}/")


def test_small_image_is_never_upscaled() -> None:
    image = stored_image(encode(photo(400, 200), "PNG"), name="products/test/small.png")

    make_image_renditions.delay(image.pk)

    image.refresh_from_db()
    widths = {kind: [e["width"] for e in entries] for kind, entries in image.renditions.items()}
    assert widths == {"listing": [300, 400], "detail": [400]}
    for entries in image.renditions.values():
        for entry in entries:
            assert open_stored(entry["jpeg"]).size[0] <= 400


def test_rendition_sizes_keep_the_aspect_ratio_and_cap_at_the_original() -> None:
    assert rendition_sizes(3000, 2000) == {
        "listing": [(300, 200), (600, 400)],
        "detail": [(600, 400), (1200, 800)],
    }
    assert rendition_sizes(250, 1000) == {"listing": [(250, 1000)], "detail": [(250, 1000)]}


def test_transparent_png_keeps_alpha_in_webp_and_goes_on_white_in_jpeg() -> None:
    source = Image.new("RGBA", (800, 800), (0, 0, 0, 0))
    source.paste((200, 0, 0, 255), (200, 200, 600, 600))

    rendered = renditions_render(encode(source, "PNG"))

    listing = next(r for r in rendered.renditions if r.kind == "listing" and r.width == 300)
    webp = Image.open(BytesIO(listing.webp))
    jpeg = Image.open(BytesIO(listing.jpeg))
    assert webp.mode == "RGBA"
    assert webp.getpixel((5, 5))[3] == 0
    assert jpeg.mode == "RGB"
    corner = jpeg.getpixel((5, 5))
    centre = jpeg.getpixel((150, 150))
    assert min(corner) > 245, "transparent areas must turn white, not black"
    assert centre[0] > 150
    assert centre[1] < 60


@pytest.mark.parametrize(
    ("mode", "fmt", "extra"),
    [
        ("P", "PNG", {"transparency": 0}),
        ("P", "GIF", {}),
        ("LA", "PNG", {}),
        ("L", "JPEG", {}),
        ("CMYK", "JPEG", {}),
    ],
)
def test_other_colour_modes_render_to_rgb_jpeg(mode: str, fmt: str, extra: dict) -> None:
    rendered = renditions_render(encode(photo(700, 500).convert(mode), fmt, **extra))

    assert (rendered.width, rendered.height) == (700, 500)
    for rendition in rendered.renditions:
        jpeg = Image.open(BytesIO(rendition.jpeg))
        assert jpeg.mode == "RGB"
        assert Image.open(BytesIO(rendition.webp)).format == "WEBP"


def test_16_bit_greyscale_keeps_its_tones() -> None:
    gradient = Image.linear_gradient("L").resize((700, 500)).convert("I")
    source = gradient.point(lambda value: value * 257).convert("I;16")  # 0..65535

    rendered = renditions_render(encode(source, "PNG"))

    jpeg = Image.open(BytesIO(rendered.renditions[0].jpeg))
    mean = sum(ImageStat.Stat(jpeg).mean) / 3
    assert 100 < mean < 155, "a plain convert() clips 16-bit values to white"


def test_sideways_camera_photo_is_rendered_upright() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90 degrees clockwise to display
    data = encode(photo(1000, 500), "JPEG", exif=exif)

    rendered = renditions_render(data)

    assert (rendered.width, rendered.height) == (500, 1000)
    detail = [r for r in rendered.renditions if r.kind == "detail"]
    assert [(r.width, r.height) for r in detail] == [(500, 1000)]
    assert Image.open(BytesIO(detail[0].jpeg)).size == (500, 1000)


def test_task_run_twice_gives_the_same_files_and_one_set_of_renditions(media_root: Path) -> None:
    image = stored_image(encode(photo(1300, 1300), "JPEG"))

    make_image_renditions.delay(image.pk)
    image.refresh_from_db()
    first, first_files = image.renditions, files_under(media_root, f"renditions/{image.pk}")
    make_image_renditions.delay(image.pk)
    image.refresh_from_db()

    assert image.renditions == first
    assert files_under(media_root, f"renditions/{image.pk}") == first_files
    # listing 300 + 600, detail 600 + 1200, each as WebP and JPEG: no suffixed duplicates.
    assert len(first_files) == 8


def test_task_records_with_one_update_and_no_save_signal(django_assert_num_queries) -> None:
    image = stored_image(encode(photo(640, 480), "JPEG"))
    saves: list[object] = []

    def count_save(**kwargs: object) -> None:
        saves.append(kwargs)

    post_save.connect(count_save, sender=ProductImage)
    try:
        with django_assert_num_queries(2):  # read the row, one conditional UPDATE
            assert image_renditions_make(image_id=image.pk) is True
    finally:
        post_save.disconnect(count_save, sender=ProductImage)
    assert saves == []


def test_replaced_photo_gets_new_rendition_names_and_the_old_files_go(media_root: Path) -> None:
    image = stored_image(encode(photo(900, 600), "JPEG"))
    make_image_renditions.delay(image.pk)
    image.refresh_from_db()
    old_names = {e["webp"] for entries in image.renditions.values() for e in entries}

    new_name = default_storage.save(
        "products/test/new.jpg", ContentFile(encode(photo(600, 900), "JPEG"))
    )
    ProductImage.objects.filter(pk=image.pk).update(image=new_name)
    make_image_renditions.delay(image.pk)

    image.refresh_from_db()
    new_names = {e["webp"] for entries in image.renditions.values() for e in entries}
    assert (image.width, image.height) == (600, 900)
    assert old_names.isdisjoint(new_names)
    assert not any(default_storage.exists(name) for name in old_names)
    assert all(default_storage.exists(name) for name in new_names)


def test_a_run_overtaken_by_a_new_upload_records_nothing_and_cleans_up(media_root: Path) -> None:
    image = stored_image(encode(photo(900, 600), "JPEG"))
    real_store = renditions_module.renditions_store

    def store_while_staff_replace_the_photo(**kwargs):
        ProductImage.objects.filter(pk=image.pk).update(image="products/test/newer.jpg")
        return real_store(**kwargs)

    with mock.patch.object(
        renditions_module, "renditions_store", store_while_staff_replace_the_photo
    ):
        assert image_renditions_make(image_id=image.pk) is False

    image.refresh_from_db()
    assert image.renditions == {}
    assert files_under(media_root, f"renditions/{image.pk}") == []


def test_missing_image_id_is_a_no_op(media_root: Path) -> None:
    make_image_renditions.delay(987654)

    assert not (media_root / "renditions").exists()
    assert ProductImage.objects.count() == 0


@pytest.mark.parametrize(
    "data",
    [
        b"this is not an image at all",
        encode(Image.new("RGB", (900, 900), "red"), "JPEG")[:400],  # truncated mid-scan
    ],
    ids=["garbage", "truncated-jpeg"],
)
def test_corrupt_file_is_marked_and_not_retried(data: bytes, caplog) -> None:
    image = stored_image(data)

    with mock.patch.object(
        renditions_module, "renditions_render", wraps=renditions_module.renditions_render
    ) as render:
        make_image_renditions.delay(image.pk)

    image.refresh_from_db()
    assert image.renditions == {"error": ERROR_UNREADABLE}
    assert render.call_count == 1
    assert "cannot be decoded" in caplog.text


def test_missing_file_is_marked() -> None:
    image = ProductImageFactory(product=ProductFactory(), image="products/gone/nowhere.jpg")

    make_image_renditions.delay(image.pk)

    image.refresh_from_db()
    assert image.renditions == {"error": ERROR_MISSING}


def test_storage_error_is_retried_until_the_write_succeeds() -> None:
    image = stored_image(encode(photo(400, 400), "JPEG"))
    real_save = default_storage.save
    failures = iter([OSError("disk hiccup")])

    def flaky_save(name, content, *args, **kwargs):
        error = next(failures, None)
        if error is not None:
            raise error
        return real_save(name, content, *args, **kwargs)

    with mock.patch.object(default_storage, "save", side_effect=flaky_save) as save:
        # throw=False lets the eager run go through Celery's retry path instead of raising.
        result = make_image_renditions.apply(args=(image.pk,), throw=False)

    image.refresh_from_db()
    assert result.successful()
    assert set(image.renditions) == {"listing", "detail"}
    # The failed write, then on the retry 300 and 400 (listing) and 400 (detail) x 2 formats.
    assert save.call_count == 1 + 6


def test_invalid_image_is_a_value_error_not_an_os_error() -> None:
    # The task retries OSError; an undecodable image must never look like one.
    with pytest.raises(InvalidImage) as raised:
        renditions_render(b"GIF89a broken")
    assert not isinstance(raised.value, OSError)


def test_placeholder_is_deterministic_per_seed() -> None:
    def draw(seed: int) -> bytes:
        return placeholder_image(
            label="Clothing", colour=(190, 40, 45), shape="shirt", seed=seed
        ).tobytes()

    assert draw(7) == draw(7)
    assert draw(7) != draw(8)
