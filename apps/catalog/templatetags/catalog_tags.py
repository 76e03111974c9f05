"""Template helpers for prices, sale prices and responsive product images."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django import template
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import QueryDict
from django.utils.formats import number_format
from django.utils.safestring import mark_safe

from apps.catalog.cache import fragment_key
from apps.catalog.models import ProductImage
from apps.core.cache import cached

register = template.Library()


@register.filter
def money(amount: Decimal | None) -> str:
    """`12.5` → `€12.50`, in the shop currency, with thousands separators."""
    if amount is None:
        return ""
    return f"{settings.SHOP_CURRENCY_SYMBOL}{number_format(amount, 2, force_grouping=True)}"


@register.filter
def sale_for(sales: Any, pk: int) -> Any:
    """`product_sales|sale_for:product.pk`: this one's sale from a view's dict of them,
    or None (also where the including page passes none)."""
    lookup = getattr(sales, "get", None)
    return lookup(pk) if lookup is not None else None


def _srcset(renditions: list[dict[str, Any]], fmt: str) -> str:
    return ", ".join(
        f"{default_storage.url(r[fmt])} {r['width']}w" for r in renditions if r.get(fmt)
    )


@register.filter
def absolute_media_url(name: str) -> str:
    """A stored file's URL for links read off the page (og:image): the storage's own URL,
    on SITE_URL when it is a path (local disk) and as it is when it names a bucket."""
    url = default_storage.url(name)
    return url if urlsplit(url).scheme else f"{settings.SITE_URL}{url}"


@register.inclusion_tag("catalog/_picture.html")
def picture(
    image: ProductImage | str | None, kind: str, sizes: str, *, eager: bool = False, alt: str = ""
) -> dict[str, Any]:
    """A <picture> with WebP and JPEG srcsets, width/height and lazy loading.

    Until the renditions task has run, the original upload is shown instead.
    """
    if not isinstance(image, ProductImage):  # no photo ("" from an empty list lookup)
        return {"image": None}
    renditions = image.rendition_set(kind)
    largest = renditions[-1] if renditions else None
    return {
        "image": image,
        "alt": image.alt_text or alt,
        "webp_srcset": _srcset(renditions, "webp"),
        "jpeg_srcset": _srcset(renditions, "jpeg"),
        "src": default_storage.url(renditions[0]["jpeg"]) if renditions else image.image.url,
        "width": (largest or {}).get("width") or image.width or None,
        "height": (largest or {}).get("height") or image.height or None,
        "sizes": sizes,
        "loading": "eager" if eager else "lazy",
    }


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    query: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


# What `{% csrf_token %}` renders inside a cached fragment: the stored HTML never holds a
# visitor's token; each response gets its own in its place. A NUL cannot come from a
# product's text (form fields refuse it), so the marker cannot be forged by content.
CSRF_MARKER = "\x00csrf-token\x00"


class CachedFragmentNode(template.Node):
    def __init__(self, nodelist: template.NodeList, parts: list[template.base.FilterExpression]):
        self.nodelist = nodelist
        self.parts = parts

    def render(self, context: template.Context) -> str:
        values = [part.resolve(context) for part in self.parts]
        html = cached(fragment_key(*values), lambda: self._render_shared(context))
        if CSRF_MARKER in html:
            token = str(context.get("csrf_token") or "")
            if token == "NOTPROVIDED":  # noqa: S105 - Django's "no request" value
                token = ""
            # The fragment's own escaped HTML with an alphanumeric token put in.
            html = mark_safe(html.replace(CSRF_MARKER, token))  # noqa: S308
        return html

    def _render_shared(self, context: template.Context) -> str:
        with context.push(csrf_token=CSRF_MARKER):
            return self.nodelist.render(context)


@register.tag
def cachedfragment(parser: template.base.Parser, token: template.base.Token) -> CachedFragmentNode:
    """`{% cachedfragment "name" var ... %}...{% endcachedfragment %}`: the block's HTML,
    cached under the catalog version and the given values (like Django's {% cache %},
    plus the stampede lock, hit counters and the CATALOG_CACHE switch of apps.core.cache).
    The querysets inside are lazy, so a hit runs no query at all.
    """
    bits = token.split_contents()[1:]
    if not bits:
        raise template.TemplateSyntaxError("cachedfragment needs a name")
    nodelist = parser.parse(("endcachedfragment",))
    parser.delete_first_token()
    return CachedFragmentNode(nodelist, [parser.compile_filter(bit) for bit in bits])
