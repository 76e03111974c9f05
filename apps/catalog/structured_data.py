"""The product page's schema.org JSON-LD: a Product with its Offers, and a BreadcrumbList.

Built in Python from what the page has already loaded (the cached product with its
variants, images and category, the breadcrumb's categories and the live sale prices),
so it costs no query of its own. The view caches the dict under the catalog version and
the sale phase, like the page's fragment, and names it among the entries a warm page
prefetches: a warm page still makes one cache round trip and no query.

CSP: the block is a data block (`type="application/ld+json"`), which browsers never run;
the HTML standard stops preparing such a <script> before it consults the policy, so
`script-src 'self'` would not block it either. It is still given the response's nonce
(`'nonce-…'`, added to script-src by django-csp's NONCE only on responses that use it),
so that no <script> element on the site sits outside the policy's word. A nonce rather
than a hash, because the block is rendered outside the cached fragment on every
response anyway (a nonce inside the fragment would be another visitor's), and a hash
would have to be computed per response and patched into the header. One consequence,
harmless for a data block: a copy a browser revalidates (304) keeps its old body but
takes the 304's header, whose policy names no nonce.

The JSON is escaped as `django.utils.html.json_script` escapes it (`<`, `>`, `&` as
\\u escapes), so no product text can close the <script> element; JSON parsers read the
same characters back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from apps.catalog.models import Category, Product, ProductImage, Variant
from apps.sales.selectors import SalePrice, price_now

SCHEMA = "https://schema.org"

AVAILABILITY = {
    "in_stock": f"{SCHEMA}/InStock",
    "low": f"{SCHEMA}/LimitedAvailability",
    "sold_out": f"{SCHEMA}/OutOfStock",
}

_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def absolute_url(url: str) -> str:
    """A URL a crawler can follow off the page: paths are put on SITE_URL, full URLs
    (a bucket's) are kept as they are."""
    return url if urlsplit(url).scheme else f"{settings.SITE_URL}{url}"


def _image_urls(gallery: Iterable[ProductImage]) -> list[str]:
    """Each photo's largest detail JPEG, or the upload itself until the renditions exist."""
    urls = []
    for image in gallery:
        renditions = [r for r in image.rendition_set("detail") if r.get("jpeg")]
        name = renditions[-1]["jpeg"] if renditions else image.image.name
        if name:
            urls.append(absolute_url(default_storage.url(name)))
    return urls


def _offer(variant: Variant, *, product_url: str, sales: dict[int, SalePrice]) -> dict[str, Any]:
    price: Decimal = price_now(variant_id=variant.pk, regular=variant.price, prices=sales)
    offer: dict[str, Any] = {
        "@type": "Offer",
        "sku": variant.sku,
        "price": f"{price:.2f}",
        "priceCurrency": settings.SHOP_CURRENCY,
        "availability": AVAILABILITY[variant.stock_state],
        "url": f"{product_url}?{urlencode({'variant': variant.sku})}",
    }
    sale = sales.get(variant.pk)
    if sale is not None and not sale.sold_out:
        # The sale price holds until the sale ends (schema.org's priceValidUntil is a date).
        offer["priceValidUntil"] = timezone.localdate(sale.ends_at).isoformat()
    return offer


def _breadcrumbs(product: Product, *, trail: Iterable[Category], product_url: str) -> list[Any]:
    """The page's visible breadcrumb trail: home, all products, the categories, the product."""
    steps = [
        ("Home", absolute_url(reverse("home"))),
        ("All products", absolute_url(reverse("catalog:list"))),
        *((category.name, absolute_url(category.get_absolute_url())) for category in trail),
        (product.title, product_url),
    ]
    return [
        {"@type": "ListItem", "position": position, "name": name, "item": url}
        for position, (name, url) in enumerate(steps, start=1)
    ]


def product_structured_data(
    *,
    product: Product,
    variants: Iterable[Variant],
    selected: Variant | None,
    trail: Iterable[Category],
    sales: dict[int, SalePrice],
) -> dict[str, Any]:
    """The page's JSON-LD graph: the Product (one Offer per active variant) and its breadcrumbs.

    `trail` is the category path, top level first, ending with the product's category;
    `sales` the live sale prices by variant id. Prices are what the page charges now
    (`price_now`), as strings with two decimals; the Product's SKU is the selected variant's.
    """
    product_url = absolute_url(product.get_absolute_url())
    item: dict[str, Any] = {"@type": "Product", "name": product.title, "url": product_url}
    if product.description:
        item["description"] = product.description
    if selected is not None:
        item["sku"] = selected.sku
    if product.brand:
        item["brand"] = {"@type": "Brand", "name": product.brand}
    images = _image_urls(product.gallery)  # type: ignore[attr-defined]
    if images:
        item["image"] = images
    offers = [_offer(variant, product_url=product_url, sales=sales) for variant in variants]
    if offers:
        item["offers"] = offers
    breadcrumbs = {
        "@type": "BreadcrumbList",
        "itemListElement": _breadcrumbs(product, trail=trail, product_url=product_url),
    }
    return {"@context": SCHEMA, "@graph": [item, breadcrumbs]}


def json_ld(data: Mapping[str, Any]) -> SafeString:
    """The data as the text of a <script type="application/ld+json"> element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return mark_safe(text.translate(_JSON_SCRIPT_ESCAPES))  # noqa: S308 - escaped just above
