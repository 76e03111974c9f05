from __future__ import annotations

from django.urls import path

from apps.catalog import views

app_name = "catalog"

urlpatterns = [
    path("catalog/", views.product_list, name="list"),
    path("catalog/<slug:slug>/", views.product_list, name="category"),
    path("products/<slug:slug>/", views.product_detail, name="product"),
]
