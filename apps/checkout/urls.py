from __future__ import annotations

from django.urls import path

from apps.checkout import views

app_name = "checkout"

urlpatterns = [
    path("", views.checkout_details, name="details"),
    path("review/", views.checkout_review, name="review"),
    path("place/", views.checkout_place, name="place"),
    path("pay/<str:number>/", views.checkout_pay, name="pay"),
    path("done/<str:number>/", views.checkout_done, name="done"),
]
