"""Top-level URL map."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from apps.core import views as core_views

urlpatterns = [
    path("", core_views.HomeView.as_view(), name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("accounts/", include("apps.accounts.urls")),
    path("admin/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    # Embedded mode only: production serves MEDIA_URL from the web server or a CDN.
    prefix = settings.MEDIA_URL.lstrip("/")
    urlpatterns += [
        re_path(rf"^{prefix}(?P<path>.*)$", core_views.media, name="media"),
    ]
