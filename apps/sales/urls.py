"""The sale pages, under /sales/."""

from __future__ import annotations

from django.urls import path

from apps.sales import views

app_name = "sales"

urlpatterns = [
    path("", views.sale_list, name="list"),
    path("<slug:slug>/", views.sale_detail, name="detail"),
]
