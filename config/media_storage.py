"""MEDIA_STORAGE_URL: uploads and renditions in an S3-compatible bucket that hosts share.

`s3://BUCKET[/PREFIX][?endpoint_url=URL&region=NAME&custom_domain=HOST&addressing_style=path]`
names the bucket (and an optional key prefix) and where it is reached; credentials never
go in it: boto3 takes them from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or a profile, an
instance role), so they stay out of logs and `manage.py diffsettings`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.core.exceptions import ImproperlyConfigured

S3_BACKEND = "storages.backends.s3.S3Storage"
PARAMETERS = ("endpoint_url", "region", "custom_domain", "addressing_style")
ADDRESSING_STYLES = ("auto", "path", "virtual")


@dataclass(frozen=True)
class MediaStorage:
    """The STORAGES["default"] entry for a bucket and where browsers fetch its files."""

    storage: dict[str, Any]
    # MEDIA_URL: the public address of the bucket (and prefix), ending in "/".
    base_url: str
    # scheme://host of base_url, for the Content-Security-Policy's img-src.
    origin: str


def media_storage_from_url(url: str) -> MediaStorage:
    """Parses a MEDIA_STORAGE_URL; raises ImproperlyConfigured naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ImproperlyConfigured(f"MEDIA_STORAGE_URL must start with s3://, not {url!r}.")
    if "@" in parts.netloc:
        raise ImproperlyConfigured(
            "MEDIA_STORAGE_URL must not hold credentials: set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY instead."
        )
    bucket = parts.netloc
    if not bucket or ":" in bucket:
        raise ImproperlyConfigured(f"MEDIA_STORAGE_URL names no bucket: {url!r}.")
    options = _parameters(parts.query)
    style = options.get("addressing_style", "auto")
    if style not in ADDRESSING_STYLES:
        raise ImproperlyConfigured(
            f"MEDIA_STORAGE_URL: addressing_style must be one of {', '.join(ADDRESSING_STYLES)}."
        )
    endpoint_url = options.get("endpoint_url") or None
    region = options.get("region") or None
    location = parts.path.strip("/")
    protocol, domain = _public_address(
        bucket=bucket,
        endpoint_url=endpoint_url,
        region=region,
        style=style,
        custom_domain=options.get("custom_domain") or None,
    )
    storage = {
        "BACKEND": S3_BACKEND,
        "OPTIONS": {
            "bucket_name": bucket,
            "location": location,
            "endpoint_url": endpoint_url,
            "region_name": region,
            "addressing_style": None if style == "auto" else style,
            # A fixed public address makes url() string formatting: botocore would spend
            # ~190 us building each one, ~40 ms for the ~200 image URLs of a listing page.
            "custom_domain": domain,
            "url_protocol": protocol,
            # Pages and their fragments are cached, so links must not expire: the bucket
            # (or the CDN in front of it) serves its objects publicly, unsigned.
            "querystring_auth": False,
            # As on disk: a second upload named like the first gets a suffixed name instead
            # of replacing the first product's photo.
            "file_overwrite": False,
        },
    }
    prefix = f"{location}/" if location else ""
    host = domain.split("/", 1)[0]
    return MediaStorage(storage, f"{protocol}//{domain}/{prefix}", f"{protocol}//{host}")


def _parameters(query: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError as exc:
        raise ImproperlyConfigured(f"MEDIA_STORAGE_URL has a malformed query: {exc}") from exc
    options: dict[str, str] = {}
    for key, value in pairs:
        if key not in PARAMETERS:
            raise ImproperlyConfigured(
                f"MEDIA_STORAGE_URL: unknown parameter {key!r} (known: {', '.join(PARAMETERS)})."
            )
        if key in options:
            raise ImproperlyConfigured(f"MEDIA_STORAGE_URL: {key!r} is given twice.")
        options[key] = value
    return options


def _public_address(
    *,
    bucket: str,
    endpoint_url: str | None,
    region: str | None,
    style: str,
    custom_domain: str | None,
) -> tuple[str, str]:
    """("https:", "host[/path]") at which the bucket's objects are fetched without signing.

    The same address botocore would put in an unsigned URL (tests/catalog/
    test_media_storage.py compares them), except that on AWS itself the regional host is
    used when a region is given, which AWS recommends over the global one.
    """
    if custom_domain:
        if "//" in custom_domain:
            return _split_url(custom_domain, "custom_domain")
        return "https:", custom_domain.rstrip("/")
    if endpoint_url:
        protocol, address = _split_url(endpoint_url, "endpoint_url")
        host, slash, path = address.partition("/")
        if style == "virtual":
            return protocol, f"{bucket}.{host}{slash}{path}".rstrip("/")
        return protocol, f"{address}/{bucket}"
    aws = f"s3.{region}.amazonaws.com" if region else "s3.amazonaws.com"
    # A dotted bucket name breaks the TLS wildcard certificate of virtual-hosted names, so
    # AWS (and botocore's "auto") puts such a bucket in the path.
    if style == "path" or (style == "auto" and "." in bucket):
        return "https:", f"{aws}/{bucket}"
    return "https:", f"{bucket}.{aws}"


def _split_url(url: str, name: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ImproperlyConfigured(f"MEDIA_STORAGE_URL: {name} must be an http(s) URL: {url!r}.")
    return f"{parts.scheme}:", f"{parts.netloc}{parts.path}".rstrip("/")
