"""The catalog cache: fresh after every change, never personal, 304s, Redis down still serves."""

from __future__ import annotations

import re
import threading
import time
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.catalog import services
from apps.catalog.cache import catalog_key
from apps.catalog.http import API_KIND
from apps.core import cache as core_cache
from tests.catalog.support import _form_data
from tests.factories import CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.CATALOG_CACHE = True


@pytest.fixture
def kettle():
    category = CategoryFactory(slug="kitchen", name="Kitchen")
    product = ProductFactory(
        title="Copper Kettle", slug="copper-kettle", category=category, price=Decimal("30.00")
    )
    variant = VariantFactory(product=product, price=Decimal("30.00"), stock=20, sku="KET-1")
    return product, variant


URLS = ["/", "/catalog/", "/catalog/kitchen/", "/products/copper-kettle/", "/catalog/?q=kettle"]
API = ["/api/v1/products/", "/api/v1/products/copper-kettle/"]


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in captured.captured_queries], response


@pytest.mark.parametrize("url", URLS + API)
def test_a_warm_page_or_api_read_runs_no_catalog_query(client, kettle, url):
    ProductFactory(title="Featured Mug", is_featured=True, category=kettle[0].category)
    client.get(url)
    sql, _ = _queries(client, url)
    catalog = [q for q in sql if "catalog_" in q]
    assert catalog == []


def test_hits_and_misses_are_counted(client, kettle):
    before = dict(core_cache.STATS)
    client.get("/catalog/")
    client.get("/catalog/")
    after = core_cache.STATS
    assert after["miss"] > before.get("miss", 0)
    assert after["hit"] > before.get("hit", 0)
    assert core_cache.stats()["hit_ratio"] is not None


def _fresh(client, needle: str, urls=URLS + API) -> None:
    for url in urls:
        body = client.get(url).content.decode()
        assert needle in body, f"{needle!r} missing from {url}"


def test_a_price_change_shows_on_the_next_read(client, kettle, django_capture_on_commit_callbacks):
    _product, variant = kettle
    _fresh(client, "30.00", ["/catalog/", "/products/copper-kettle/", *API])
    with django_capture_on_commit_callbacks(execute=True):
        services.variant_set_price(variant=variant, price=Decimal("24.50"))
    _fresh(client, "24.50", ["/catalog/", "/products/copper-kettle/", *API])


def test_selling_out_shows_on_the_next_read(client, kettle, django_capture_on_commit_callbacks):
    _product, variant = kettle
    assert "Sold out" not in client.get("/products/copper-kettle/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_adjust(variant_id=variant.pk, delta=-20, reason="sale")
    assert "Sold out" in client.get("/products/copper-kettle/").content.decode()
    assert '"sold_out"' in client.get(API[1]).content.decode()


def test_a_sale_that_changes_nothing_visible_keeps_the_cache(
    kettle, django_capture_on_commit_callbacks
):
    from apps.catalog.cache import catalog_version

    _product, variant = kettle
    version = catalog_version()
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_adjust(variant_id=variant.pk, delta=-1, reason="sale")  # 20 → 19
    assert catalog_version() == version
    with django_capture_on_commit_callbacks(execute=True):
        services.stock_adjust(
            variant_id=variant.pk, delta=-15, reason="sale"
        )  # 19 → 4: "only 4 left"
    assert catalog_version() != version


def test_a_title_edit_in_the_admin_shows_on_the_next_read(
    client, staff, kettle, django_capture_on_commit_callbacks
):
    product, _variant = kettle
    _fresh(client, "Copper Kettle", ["/catalog/", "/products/copper-kettle/"])
    admin = Client()
    admin.force_login(staff)
    url = reverse("admin:catalog_product_change", args=[product.pk])
    data = {**_form_data(admin.get(url)), "title": "Brass Kettle", "_save": "Save"}
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url, data)
    assert response.status_code == 302
    _fresh(client, "Brass Kettle", ["/catalog/", "/products/copper-kettle/", *API])


def test_a_bulk_deactivation_hides_the_product_on_the_next_read(
    client, kettle, django_capture_on_commit_callbacks
):
    product, _variant = kettle
    _fresh(client, "Copper Kettle", ["/catalog/", "/api/v1/products/"])
    with django_capture_on_commit_callbacks(execute=True):
        services.product_set_active(product_ids=[product.pk], active=False)
    assert "Copper Kettle" not in client.get("/catalog/").content.decode()
    assert "Copper Kettle" not in client.get("/api/v1/products/").content.decode()
    assert client.get("/products/copper-kettle/").status_code == 404


def _csrf_tokens(body: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', body))


def test_one_shoppers_cart_messages_and_csrf_token_never_reach_another(kettle):
    _product, variant = kettle
    ann, bob = Client(), Client()
    ann_page = ann.get("/products/copper-kettle/").content.decode()
    response = ann.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 3}, follow=True)
    assert "Added" in response.content.decode()
    ann_page = ann.get("/products/copper-kettle/").content.decode()
    bob_page = bob.get("/products/copper-kettle/").content.decode()
    assert 'class="badge">3<' in ann_page
    assert 'class="badge"' not in bob_page
    assert "Added" not in bob_page
    assert _csrf_tokens(ann_page)
    assert _csrf_tokens(bob_page)
    assert not (_csrf_tokens(ann_page) & _csrf_tokens(bob_page))
    assert ann.cookies["csrftoken"].value != bob.cookies["csrftoken"].value


def test_pages_answer_304_to_a_matching_etag_and_200_after_a_change(
    client, kettle, django_capture_on_commit_callbacks
):
    _product, variant = kettle
    client.get("/products/copper-kettle/")  # the first visit sets the CSRF cookie
    first = client.get("/products/copper-kettle/")
    etag = first["ETag"]
    assert "private" in first["Cache-Control"]
    again = client.get("/products/copper-kettle/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        services.variant_set_price(variant=variant, price=Decimal("12.00"))
    changed = client.get("/products/copper-kettle/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_api_reads_are_public_with_etags_and_304(
    client, kettle, django_capture_on_commit_callbacks
):
    _product, variant = kettle
    first = client.get(API[0])
    assert "public" in first["Cache-Control"]
    assert "Set-Cookie" not in first.headers
    assert client.get(API[0], HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    with django_capture_on_commit_callbacks(execute=True):
        services.variant_set_price(variant=variant, price=Decimal("13.00"))
    assert client.get(API[0], HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_an_etag_is_not_reused_while_a_message_is_waiting(client, kettle):
    _product, variant = kettle
    client.get("/products/copper-kettle/")
    etag = client.get("/products/copper-kettle/")["ETag"]
    client.post(reverse("cart:add"), {"variant": variant.pk, "quantity": 1})  # queues a message
    response = client.get("/products/copper-kettle/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert "Added" in response.content.decode()


@pytest.mark.redis
def test_pages_are_served_from_the_database_when_redis_is_down(client, kettle, redis_down):
    started = time.monotonic()
    for url in URLS + API:
        assert client.get(url).status_code == 200, url
    assert time.monotonic() - started < 10
    assert core_cache.STATS["unavailable"] > 0


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_missing_hot_key_is_rebuilt_by_one_worker_not_all(settings):
    calls = []
    barrier = threading.Barrier(6)
    results = []

    def compute():
        calls.append(1)
        time.sleep(0.2)  # a slow rebuild, so the others arrive while it runs
        return "value"

    def reader():
        barrier.wait()
        results.append(core_cache.cached("stampede-test-key", compute, timeout=30))

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert results == ["value"] * 6
    assert len(calls) == 1


def test_the_cache_can_be_switched_off(client, kettle, settings):
    settings.CATALOG_CACHE = False
    client.get("/catalog/")
    sql, _ = _queries(client, "/catalog/")
    assert [q for q in sql if "catalog_product" in q]


def test_a_cached_product_page_carries_each_visitors_own_working_csrf_token(kettle):
    from django.core.cache import cache

    from apps.catalog.cache import fragment_key
    from apps.catalog.templatetags.catalog_tags import CSRF_MARKER

    _product, variant = kettle
    ann = Client(enforce_csrf_checks=True)
    bob = Client(enforce_csrf_checks=True)
    ann.get("/products/copper-kettle/")  # builds the fragment
    bob_page = bob.get("/products/copper-kettle/").content.decode()  # reads it
    stored = cache.get(fragment_key("product", "copper-kettle", ""))
    assert CSRF_MARKER in stored
    assert "csrfmiddlewaretoken" in stored
    assert not _csrf_tokens(stored) - {CSRF_MARKER}
    # The form of the page read from the cache posts with Bob's own token.
    [token] = _csrf_tokens(bob_page)
    response = bob.post(reverse("cart:add"), {"variant": variant.pk, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    refused = ann.post(reverse("cart:add"), {"variant": variant.pk, "csrfmiddlewaretoken": token})
    assert refused.status_code == 403


def test_a_variant_parameter_naming_no_variant_shares_the_default_fragment(client, kettle):
    client.get("/products/copper-kettle/")
    sql, response = _queries(client, "/products/copper-kettle/?variant=NOPE")
    assert [q for q in sql if "catalog_" in q] == []
    assert 'value="' in response.content.decode()


class RedisSpy:
    """Records the commands sent to Redis (they still go through)."""

    def __init__(self, monkeypatch):
        import redis

        self.commands: list[str] = []
        send = redis.Redis.execute_command

        def spy(client, *args, **options):
            self.commands.append(str(args[0]))
            return send(client, *args, **options)

        monkeypatch.setattr(redis.Redis, "execute_command", spy)


@pytest.mark.redis
@pytest.mark.parametrize("url", URLS + API)
def test_a_warm_page_or_api_read_costs_one_catalog_round_trip(client, kettle, url, monkeypatch):
    """The catalog version and everything the page shows come in one script call."""
    client.get(url)
    spy = RedisSpy(monkeypatch)
    assert client.get(url).status_code == 200
    catalog = [command for command in spy.commands if command.startswith("EVALSHA")]
    others = [command for command in spy.commands if not command.startswith("EVAL")]
    assert len(catalog) == 1, spy.commands
    assert others == [], spy.commands  # (the API's throttle counts with EVAL: not catalog)


@pytest.mark.redis
def test_pages_stay_fresh_when_the_one_trip_read_fails(
    client, kettle, monkeypatch, django_capture_on_commit_callbacks
):
    """A failing script falls back to the usual reads; it is never taken for version 0."""
    import redis

    def broken(*args, **kwargs):
        raise redis.exceptions.ResponseError("NOSCRIPT and no EVAL either")

    monkeypatch.setattr(core_cache, "_scripts", {})
    monkeypatch.setattr(redis.Redis, "register_script", broken)
    _product, variant = kettle
    _fresh(client, "30.00", ["/catalog/", "/products/copper-kettle/", *API])
    with django_capture_on_commit_callbacks(execute=True):
        services.variant_set_price(variant=variant, price=Decimal("26.50"))
    _fresh(client, "26.50", ["/catalog/", "/products/copper-kettle/", *API])
    sql, _ = _queries(client, "/catalog/")
    assert [q for q in sql if "catalog_" in q] == []  # still served from the cache


def test_without_redis_the_versioned_read_takes_two_steps(client, kettle, settings):
    """The embedded file cache has no scripts: version, then the entries."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "versioned-read-test",
        }
    }
    client.get("/catalog/")
    sql, response = _queries(client, "/catalog/")
    assert [q for q in sql if "catalog_" in q] == []
    assert "Copper Kettle" in response.content.decode()


@pytest.mark.redis
def test_a_request_scope_reads_a_version_once_and_forgets_it_after_a_bump():
    from apps.catalog.cache import catalog_version, fragment_key

    with core_cache.request_scope():
        first = catalog_version()
        assert catalog_version() == first
        core_cache.namespace_bump("catalog")
        second = catalog_version()
        assert second != first
        assert f":{second}:" in fragment_key("x")


@pytest.mark.redis
def test_prefetched_entries_are_answered_from_the_scope(monkeypatch):
    from django.core.cache import cache

    cache.set("scope-test:a", "cached a", 30)
    cache.delete("scope-test:b")
    computed = []
    with core_cache.request_scope():
        core_cache.prefetch(["scope-test:a", "scope-test:b"])
        spy = RedisSpy(monkeypatch)
        assert core_cache.cached("scope-test:a", lambda: "built a") == "cached a"
        assert core_cache.cached("scope-test:b", lambda: computed.append(1) or "built b") == (
            "built b"
        )
        assert core_cache.cached("scope-test:b", lambda: computed.append(1) or "again") == (
            "built b"
        )
    # a: nothing; b: the rebuild's lock, store and unlock (no GET of a key known absent).
    assert "GET" not in spy.commands
    assert computed == [1]
    assert cache.get("scope-test:b") == "built b"


def test_outside_a_request_scope_nothing_is_remembered():
    from django.core.cache import cache

    cache.set("scope-test:c", "one", 30)
    assert core_cache.cached("scope-test:c", lambda: "built") == "one"
    cache.set("scope-test:c", "two", 30)
    assert core_cache.cached("scope-test:c", lambda: "built") == "two"


def test_a_warm_product_page_keeps_its_descriptions(client, kettle):
    product, _variant = kettle
    product.description = "A kettle of beaten copper. " * 20
    product.save()
    client.get(product.get_absolute_url())
    hits = core_cache.STATS["hit"]
    warm = client.get(product.get_absolute_url()).content.decode()
    assert core_cache.STATS["hit"] > hits  # the product came from the cache
    description = re.search(r'<meta name="description" content="([^"]*)">', warm)
    assert description is not None
    assert description[1].startswith("A kettle of beaten copper.")
    assert len(description[1]) == 155
    assert '<meta property="og:description" content="A kettle of beaten copper.' in warm


@pytest.mark.parametrize("url", API)
def test_a_warm_api_read_answers_the_json_it_stored(client, kettle, url):
    cold = client.get(url)
    hits = core_cache.STATS["hit"]
    warm = client.get(url)
    assert core_cache.STATS["hit"] > hits
    assert warm.content == cold.content
    assert warm["Content-Type"] == "application/json"
    assert "copper-kettle" in warm.content.decode()
    # Stored rendered: a hit is not decoded and encoded again.
    assert isinstance(cache.get(catalog_key(API_KIND, url)), bytes)
