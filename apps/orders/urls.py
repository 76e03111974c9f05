from __future__ import annotations

from django.urls import path

from apps.orders import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="list"),
    path("find/", views.order_lookup, name="lookup"),
    path("<str:number>/", views.order_detail, name="detail"),
    path("<str:number>/invoice/", views.order_invoice, name="invoice"),
]
