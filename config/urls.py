"""Top-level URL map."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, re_path

from apps.catalog import views as catalog_views
from apps.catalog.sitemaps import SITEMAPS
from apps.core import views as core_views
from apps.core.api import API_PREFIX
from apps.metrics import views as metrics_views

urlpatterns = [
    path("", catalog_views.home, name="home"),
    path("", include("apps.catalog.urls")),
    path("robots.txt", catalog_views.robots_txt, name="robots"),
    path("favicon.ico", core_views.favicon, name="favicon"),
    path("sitemap.xml", sitemap_views.index, {"sitemaps": SITEMAPS}, name="sitemap-index"),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", metrics_views.metrics, name="metrics"),
    path("search/", include("apps.search.urls")),
    path("sales/", include("apps.sales.urls")),
    path("cart/", include("apps.cart.urls")),
    path("checkout/", include("apps.checkout.urls")),
    path("accounts/orders/", include("apps.orders.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path(API_PREFIX, include("config.api_router")),
    path("admin/", admin.site.urls),
]

# Under API_PREFIX these answer the API's JSON error shape; elsewhere, the site's pages.
handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error

if settings.SERVE_MEDIA:
    # Embedded mode only: production serves MEDIA_URL from the web server or a CDN.
    prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns += [
        re_path(rf"^{prefix}(?P<path>.*)$", core_views.media, name="media"),
    ]
