"""The versioned JSON API under /api/v1/: catalog, cart, checkout, orders, accounts, schema."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from apps.accounts.api.views import (
    AddressViewSet,
    PasswordChangeView,
    PasswordResetConfirmView,
    PasswordResetRequestView,
    ProfileView,
    SignUpView,
    TokenLogoutAllView,
    TokenLogoutView,
    TokenObtainView,
    TokenViewSet,
)
from apps.cart.api.guest import GuestCartView
from apps.cart.api.views import CartItemViewSet, CartView, CartVoucherView
from apps.catalog.api.views import CategoryViewSet, ProductViewSet
from apps.checkout.api.views import CheckoutView, ShippingMethodViewSet
from apps.orders.api.views import OrderViewSet
from apps.payments.api.views import PaymentWebhookView
from apps.sales.api.views import SaleViewSet
from apps.search.api.views import SuggestionsView

app_name = "api"

router = DefaultRouter()
router.include_format_suffixes = False
router.register("categories", CategoryViewSet, basename="category")
router.register("products", ProductViewSet, basename="product")
router.register("cart/items", CartItemViewSet, basename="cart-item")
router.register("shipping-methods", ShippingMethodViewSet, basename="shipping-method")
router.register("orders", OrderViewSet, basename="order")
router.register("sales", SaleViewSet, basename="sale")
router.register("me/addresses", AddressViewSet, basename="address")
router.register("me/tokens", TokenViewSet, basename="token")

urlpatterns = [
    *router.urls,
    # Singletons, not collections: the caller's own cart, and the act of checking out.
    path("cart/", CartView.as_view(), name="cart"),
    path("carts/", GuestCartView.as_view(), name="guest-cart"),
    path("cart/voucher/", CartVoucherView.as_view(), name="cart-voucher"),
    path("checkout/", CheckoutView.as_view(), name="checkout"),
    path("payments/webhook/", PaymentWebhookView.as_view(), name="payment-webhook"),
    path("auth/token/", TokenObtainView.as_view(), name="auth-token"),
    path("auth/logout/", TokenLogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all/", TokenLogoutAllView.as_view(), name="auth-logout-all"),
    # The caller's own account; making one, and the two halves of a forgotten password.
    path("accounts/", SignUpView.as_view(), name="account-signup"),
    path("me/", ProfileView.as_view(), name="me"),
    path("me/password/", PasswordChangeView.as_view(), name="me-password"),
    path("password-reset/", PasswordResetRequestView.as_view(), name="password-reset"),
    path(
        "password-reset/confirm/",
        PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("search/suggestions/", SuggestionsView.as_view(), name="search-suggestions"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up code as a script of its own, so the docs
    # work under the site's Content-Security-Policy, which forbids inline script.
    # The page is only read: an OPTIONS would hand DRF's description of the view to its HTML
    # renderer, which has no template for one (a 500); it answers 405 instead.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", http_method_names=["get", "head"]
        ),
        name="docs",
    ),
]
