"""Requests are counted by route name, method and status, with their time and queries."""

from __future__ import annotations

import pytest

from tests.factories import ProductFactory, VariantFactory
from tests.metrics.support import series, value

pytestmark = pytest.mark.django_db

REQUESTS = "shopfront_http_requests_total"


def test_two_product_urls_are_one_series_named_after_the_route(client, scrape):
    products = [ProductFactory(slug=f"metrics-product-{n}") for n in range(2)]
    for product in products:
        VariantFactory(product=product)
    before = scrape()
    for product in products:
        assert client.get(f"/products/{product.slug}/").status_code == 200
    after = scrape()

    labels = {"view": "catalog:product", "method": "GET", "status": "200"}
    assert value(after, REQUESTS, **labels) - value(before, REQUESTS, **labels) == 2
    views = {found["view"] for found in series(after, REQUESTS)}
    assert not any("metrics-product" in view or "/" in view for view in views), views
    count = "shopfront_http_request_duration_seconds_count"
    assert (
        value(after, count, view="catalog:product", method="GET")
        - value(before, count, view="catalog:product", method="GET")
        == 2
    )


def test_paths_no_route_matches_share_one_series(client, scrape):
    before = scrape()
    for path in ("/no-such-page/", "/wp-login.php", "/products/x/y/z/"):
        assert client.get(path).status_code == 404
    after = scrape()
    labels = {"view": "unmatched", "method": "GET", "status": "404"}
    assert value(after, REQUESTS, **labels) - value(before, REQUESTS, **labels) == 3


def test_a_made_up_method_is_counted_as_other(client, scrape):
    before = scrape()
    status = client.generic("BREW", "/healthz").status_code
    after = scrape()
    found = [labels for labels in series(after, REQUESTS) if labels["view"] == "healthz"]
    assert {labels["method"] for labels in found} <= {"GET", "other"}
    labels = {"view": "healthz", "method": "other", "status": str(status)}
    assert value(after, REQUESTS, **labels) - value(before, REQUESTS, **labels) == 1


def test_a_request_records_its_database_queries_and_their_time(client, scrape):
    product = ProductFactory()
    VariantFactory(product=product)
    before = scrape()
    client.get(f"/products/{product.slug}/")
    after = scrape()

    def moved(name: str) -> float:
        return value(after, name, view="catalog:product") - value(
            before, name, view="catalog:product"
        )

    assert moved("shopfront_http_request_db_queries_count") == 1
    assert moved("shopfront_http_request_db_queries_sum") >= 1
    assert moved("shopfront_http_request_db_seconds_sum") > 0
    # No statement, no time: the health check asks nothing of the database.
    assert value(after, "shopfront_http_request_db_queries_sum", view="healthz") == value(
        before, "shopfront_http_request_db_queries_sum", view="healthz"
    )


def test_cache_hits_and_misses_are_counted_per_namespace_and_kind(settings, client, scrape):
    settings.CATALOG_CACHE = True
    product = ProductFactory()
    VariantFactory(product=product)
    lookups = "shopfront_cache_lookups_total"
    before = scrape()
    client.get(f"/products/{product.slug}/")
    client.get(f"/products/{product.slug}/")
    after = scrape()

    def moved(outcome: str) -> float:
        labels = {"namespace": "catalog", "kind": "product", "outcome": outcome}
        return value(after, lookups, **labels) - value(before, lookups, **labels)

    assert (moved("miss"), moved("hit")) == (1, 1)
    # Only the page's own namespace moved (other tests of this process counted others).
    namespaces = {
        labels["namespace"]
        for labels in series(after, lookups)
        if value(after, lookups, **labels) != value(before, lookups, **labels)
    }
    assert namespaces == {"catalog"}
