"""The versioned JSON API under /api/v1/: catalog endpoints, the OpenAPI schema and docs."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from apps.catalog.api.views import CategoryViewSet, ProductViewSet

app_name = "api"

router = DefaultRouter()
router.include_format_suffixes = False
router.register("categories", CategoryViewSet, basename="category")
router.register("products", ProductViewSet, basename="product")

urlpatterns = [
    *router.urls,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up code as a script of its own, so the docs
    # work under the site's Content-Security-Policy, which forbids inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
