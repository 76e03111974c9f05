"""Pure image work with Pillow: product photo renditions and demo placeholder pictures."""

from __future__ import annotations

import random
from dataclasses import dataclass
from io import BytesIO

from PIL import ExifTags, Image, ImageDraw, ImageFont, ImageOps

# One and two device pixels per CSS pixel for a ~300px listing card and a ~600px detail view.
RENDITION_WIDTHS: dict[str, tuple[int, ...]] = {"listing": (300, 600), "detail": (600, 1200)}
# Around 80 artefacts stop being visible on product photos; higher mostly adds bytes.
WEBP_QUALITY = 80
JPEG_QUALITY = 82
JPEG_BACKGROUND = (255, 255, 255)

_RGB_MODES = {"RGB", "RGBA", "P", "PA"}
# EXIF orientations 5-8 rotate by 90 degrees: the displayed width is the stored height.
_QUARTER_TURNS = {5, 6, 7, 8}
# What Pillow raises for data it cannot decode; the bytes are in memory, so an OSError
# here is a decoder's complaint (truncated, bad marker), never a failed read.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError)


class InvalidImage(ValueError):
    """The data is not an image that Pillow can decode and re-encode."""


@dataclass(frozen=True)
class Rendition:
    """One resized copy of an image, encoded as WebP and as a JPEG fallback."""

    kind: str
    width: int
    height: int
    webp: bytes
    jpeg: bytes


@dataclass(frozen=True)
class RenderedImage:
    """The original's displayed size and every rendition made from it."""

    width: int
    height: int
    renditions: tuple[Rendition, ...]


def rendition_sizes(width: int, height: int) -> dict[str, list[tuple[int, int]]]:
    """The (width, height) of each rendition of a `width` x `height` image, per kind.

    A target wider than the original is capped at the original width (never upscaled),
    and a capped duplicate is dropped, so a small image gets fewer, not blurrier, files.
    """
    sizes: dict[str, list[tuple[int, int]]] = {}
    for kind, widths in RENDITION_WIDTHS.items():
        capped = sorted({min(target, width) for target in widths})
        sizes[kind] = [(w, max(1, round(height * w / width))) for w in capped]
    return sizes


def renditions_render(data: bytes) -> RenderedImage:
    """Decodes `data` and makes every rendition; raises InvalidImage if it cannot."""
    try:
        return _render(data)
    except InvalidImage:
        raise
    except _DECODE_ERRORS as exc:
        raise InvalidImage(f"{type(exc).__name__}: {exc}") from exc


def image_size(data: bytes) -> tuple[int, int]:
    """The displayed (width, height) of the image in `data`, read from its header only."""
    try:
        return _displayed_size(Image.open(BytesIO(data)))
    except InvalidImage:
        raise
    except _DECODE_ERRORS as exc:
        raise InvalidImage(f"{type(exc).__name__}: {exc}") from exc


def _displayed_size(image: Image.Image) -> tuple[int, int]:
    stored_width, stored_height = image.size
    if stored_width < 1 or stored_height < 1:
        raise InvalidImage("The image has no pixels.")
    if image.getexif().get(ExifTags.Base.Orientation, 1) in _QUARTER_TURNS:
        return stored_height, stored_width
    return stored_width, stored_height


def _render(data: bytes) -> RenderedImage:
    image = Image.open(BytesIO(data))
    stored_width, stored_height = image.size
    width, height = _displayed_size(image)
    sizes = rendition_sizes(width, height)
    largest = max(w for kind_sizes in sizes.values() for w, _ in kind_sizes)
    # A JPEG can be decoded at 1/2, 1/4 or 1/8 scale, several times faster and lighter
    # for a camera photo; draft() never goes below the size asked for.
    scale = largest / width
    image.draft(None, (max(1, int(stored_width * scale)), max(1, int(stored_height * scale))))
    # A CMYK or greyscale profile would misdescribe the RGB pixels written out: drop it.
    icc_profile = image.info.get("icc_profile") if image.mode in _RGB_MODES else None
    # Camera photos are stored sideways with an EXIF note; the renditions carry no EXIF,
    # so the rotation has to be applied to the pixels.
    upright = ImageOps.exif_transpose(image)
    if upright.mode.startswith("I"):
        # 16-bit greyscale (PNG, TIFF): convert() would clip every value above 255 to white.
        upright = upright.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    pixels = upright.convert("RGBA" if upright.has_transparency_data else "RGB")

    encoded: dict[tuple[int, int], tuple[bytes, bytes]] = {}
    renditions = []
    for kind, kind_sizes in sizes.items():
        for size in kind_sizes:
            if size not in encoded:
                resized = pixels if pixels.size == size else _resize(pixels, size)
                encoded[size] = (
                    _encode_webp(resized, icc_profile),
                    _encode_jpeg(resized, icc_profile),
                )
            webp, jpeg = encoded[size]
            renditions.append(Rendition(kind, size[0], size[1], webp, jpeg))
    return RenderedImage(width, height, tuple(renditions))


def _resize(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    # reducing_gap first shrinks by whole factors with a box filter: much faster on large
    # photos, indistinguishable from a pure Lanczos result at these ratios.
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode_webp(image: Image.Image, icc_profile: bytes | None) -> bytes:
    out = BytesIO()
    image.save(out, "WEBP", quality=WEBP_QUALITY, method=4, icc_profile=icc_profile)
    return out.getvalue()


def _encode_jpeg(
    image: Image.Image, icc_profile: bytes | None, quality: int = JPEG_QUALITY
) -> bytes:
    if image.mode == "RGBA":
        # JPEG has no alpha: transparent areas would turn black, so they go on white.
        background = Image.new("RGB", image.size, JPEG_BACKGROUND)
        background.paste(image, mask=image.getchannel("A"))
        image = background
    out = BytesIO()
    extra = {"icc_profile": icc_profile} if icc_profile else {}
    image.save(out, "JPEG", quality=quality, optimize=True, progressive=True, **extra)
    return out.getvalue()


def encode_jpeg(image: Image.Image, quality: int = 90) -> bytes:
    """The image as JPEG bytes (alpha flattened onto white)."""
    return _encode_jpeg(
        image.convert("RGBA" if image.has_transparency_data else "RGB"), None, quality
    )


# Outlines of the placeholder pictograms, in a unit square (x right, y down).
# fmt: off
_SHAPES: dict[str, list[list[tuple[float, float]]]] = {
    "shirt": [
        [
            (0.30, 0.10), (0.42, 0.10), (0.50, 0.18), (0.58, 0.10), (0.70, 0.10),
            (0.95, 0.32), (0.84, 0.46), (0.75, 0.39), (0.75, 0.94), (0.25, 0.94),
            (0.25, 0.39), (0.16, 0.46), (0.05, 0.32),
        ]
    ],
    "device": [
        [(0.14, 0.16), (0.86, 0.16), (0.86, 0.68), (0.14, 0.68)],
        [(0.04, 0.74), (0.96, 0.74), (0.90, 0.84), (0.10, 0.84)],
    ],
    "mug": [
        [(0.18, 0.22), (0.68, 0.22), (0.64, 0.88), (0.22, 0.88)],
        [(0.68, 0.34), (0.86, 0.36), (0.88, 0.62), (0.66, 0.70), (0.67, 0.60), (0.78, 0.56),
         (0.77, 0.44), (0.68, 0.44)],
    ],
    "ball": [],
    "bottle": [
        [(0.42, 0.06), (0.58, 0.06), (0.58, 0.16), (0.42, 0.16)],
        [(0.44, 0.16), (0.56, 0.16), (0.56, 0.28), (0.70, 0.38), (0.70, 0.94), (0.30, 0.94),
         (0.30, 0.38), (0.44, 0.28)],
    ],
    "book": [
        [(0.20, 0.10), (0.78, 0.10), (0.78, 0.90), (0.20, 0.90)],
        [(0.78, 0.14), (0.84, 0.16), (0.84, 0.92), (0.26, 0.92), (0.24, 0.90), (0.78, 0.90)],
    ],
}
# Details drawn in a half-tone of the pictogram's colour, over it.
_SHAPE_DETAILS: dict[str, list[list[tuple[float, float]]]] = {
    "book": [
        [(0.20, 0.10), (0.28, 0.10), (0.28, 0.90), (0.20, 0.90)],
        [(0.38, 0.30), (0.70, 0.30), (0.70, 0.36), (0.38, 0.36)],
    ],
    "device": [[(0.19, 0.21), (0.81, 0.21), (0.81, 0.63), (0.19, 0.63)]],
}
# fmt: on
PLACEHOLDER_SHAPES = tuple(_SHAPES)


def placeholder_image(
    *, label: str, colour: tuple[int, int, int], shape: str, seed: int, size: int = 1200
) -> Image.Image:
    """A square demo picture: `colour` background, soft circles, a pictogram and `label`.

    The same arguments always draw the same picture.
    """
    rng = random.Random(seed)  # noqa: S311 (reproducible demo pictures, not secrets)
    ink = (34, 34, 38) if _luminance(colour) > 150 else (250, 250, 250)
    image = Image.new("RGB", (size, size), colour)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        radius = rng.uniform(0.08, 0.3) * size
        x, y = rng.uniform(0, size), rng.uniform(0, size)
        tint = _mix(colour, ink, rng.uniform(0.06, 0.16))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=tint)

    box = size * 0.5
    left, top = (size - box) / 2, size * 0.14
    if shape == "ball":
        draw.ellipse((left, top, left + box, top + box), fill=ink)
        seam = _mix(ink, colour, 0.5)
        width = max(2, size // 120)
        draw.arc((left - box * 0.3, top, left + box * 0.55, top + box), -60, 60, seam, width)
        draw.arc((left + box * 0.45, top, left + box * 1.3, top + box), 120, 240, seam, width)
    else:
        detail = _mix(ink, colour, 0.45)
        for polygons, fill in ((_SHAPES[shape], ink), (_SHAPE_DETAILS.get(shape, []), detail)):
            for polygon in polygons:
                draw.polygon([(left + x * box, top + y * box) for x, y in polygon], fill=fill)

    font = ImageFont.load_default(size=max(10, size // 14))
    text_box = draw.textbbox((0, 0), label, font=font)
    text_width = text_box[2] - text_box[0]
    draw.text(((size - text_width) / 2, size * 0.76), label, fill=ink, font=font)
    return image


def _luminance(colour: tuple[int, int, int]) -> float:
    red, green, blue = colour
    return 0.299 * red + 0.587 * green + 0.114 * blue


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    return (
        round(a[0] + (b[0] - a[0]) * amount),
        round(a[1] + (b[1] - a[1]) * amount),
        round(a[2] + (b[2] - a[2]) * amount),
    )
