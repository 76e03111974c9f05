"""Suggestions as the shopper types: the page URL for the script, and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.catalog.models import Product
from apps.search.models import Suggestion
from apps.search.selectors import suggestions
from apps.search.services import search_terms_refresh
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _texts(query: str) -> list[str]:
    return [row.text for row in suggestions(query=query)]


def test_a_prefix_of_any_word_suggests_titles_brands_and_categories(search_terms):
    assert "Oak Dining Table" in _texts("tab")
    assert "Oak Coffee Table" in _texts("coffee ta")
    assert _texts("sonic")[0] == "Sonica"  # the brand of two products before either title
    assert "Lighting" in _texts("ligh")


def test_suggestions_link_to_the_product_the_category_or_a_search(search_terms):
    (lumen,) = [row for row in suggestions(query="lum") if row.kind == "brand"]
    assert lumen.url == "/catalog/?q=Lumen"
    (lighting,) = suggestions(query="lighting")
    assert lighting.kind == "category"
    assert lighting.url.startswith("/catalog/category-")
    (teapot,) = [row for row in suggestions(query="teap") if row.kind == "product"]
    assert teapot.url == "/products/teapot/"


def test_a_title_shared_by_two_products_suggests_a_search(search_terms):
    ProductFactory(title="Yoga Mat", slug="yoga-mat-2")
    search_terms_refresh(force=True)
    (mat,) = [row for row in suggestions(query="yoga m") if row.kind == "product"]
    assert mat.url == "/catalog/?q=Yoga+Mat"


def test_fewer_than_two_characters_suggest_nothing(search_terms):
    assert suggestions(query="t") == []
    assert suggestions(query="  ") == []


def test_a_refresh_follows_the_catalog_and_skips_an_unchanged_one(search_terms):
    assert search_terms_refresh() is False  # the catalog version has not moved
    Product.objects.filter(slug="teapot").update(is_active=False)
    assert search_terms_refresh(force=True)
    assert "Cast Iron Teapot" not in _texts("teapot")
    rows = Suggestion.objects.count()
    assert search_terms_refresh(force=True)
    assert Suggestion.objects.count() == rows


def test_the_page_url_answers_json_for_the_script(client, search_terms):
    response = client.get(reverse("search:suggest"), {"q": "kett"})
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    texts = [s["text"] for s in response.json()["suggestions"]]
    assert {"Electric Kettle", "Stovetop Whistling Kettle"} <= set(texts)


@pytest.mark.parametrize(
    "params", [{}, {"q": ""}, {"q": "x" * 5000}, {"q": "%_\\'"}, {"q": "\x00"}]
)
def test_the_page_url_is_lenient_with_odd_input(client, search_terms, params):
    response = client.get(reverse("search:suggest"), params)
    assert response.status_code == 200
    assert response.json() == {"suggestions": []}


def test_the_api_answers_suggestions(client, search_terms):
    response = client.get(reverse("api:search-suggestions"), {"q": "Wirel"})
    assert response.status_code == 200
    assert response.json()["suggestions"][0] == {
        "text": "Wireless Headphones",
        "kind": "product",
        "url": "/products/headphones/",
    }


@pytest.mark.parametrize("params", [{}, {"q": "x" * 101}])
def test_the_api_refuses_a_missing_or_long_query(client, params):
    response = client.get(reverse("api:search-suggestions"), params)
    assert response.status_code == 400
    assert "q" in response.json()["error"]["fields"]


def test_the_api_schema_documents_suggestions_and_did_you_mean(client):
    schema = client.get(reverse("api:schema"), {"format": "json"}).json()
    assert "/api/v1/search/suggestions/" in schema["paths"]
    listing = schema["components"]["schemas"]["PaginatedProductListList"]
    assert "did_you_mean" in listing["properties"]


def test_the_search_box_loads_its_script_and_still_posts_a_plain_form(client):
    page = client.get(reverse("home")).content.decode()
    assert 'data-suggest-url="/search/suggest/"' in page
    assert 'list="site-search-suggestions"' in page
    assert "js/search-suggest.js" in page
    assert '<form class="search" role="search" action="/catalog/" method="get">' in page


def test_suggestions_take_one_query(django_assert_num_queries, search_terms):
    with django_assert_num_queries(1):
        suggestions(query="oak")
