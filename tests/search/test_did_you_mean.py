"""Did you mean: corrections for searches without results, from the catalog's own words."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.search.selectors import did_you_mean

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("query", "meant"),
    [
        ("lether boots", "leather boots"),
        ("throw blankit", "throw blanket"),
        ("Velvet Sofaa", "velvet sofa"),
    ],
)
def test_misspelt_words_are_corrected_to_catalog_words(search_terms, query, meant):
    assert did_you_mean(query=query) == meant


@pytest.mark.postgres
def test_nothing_is_offered_when_no_correction_finds_products(search_terms):
    assert did_you_mean(query="oak jacket") is None  # both words known, no product has both
    assert did_you_mean(query="qzxv") is None
    assert did_you_mean(query="") is None


@pytest.mark.postgres
def test_the_search_page_offers_the_correction(client, search_terms):
    response = client.get(reverse("catalog:list"), {"q": "lether boots"})
    page = response.content.decode()
    assert 'Did you mean <a href="/catalog/?q=leather%20boots">leather boots</a>?' in page
    found = client.get(reverse("catalog:list"), {"q": "leather boots"})
    assert "Did you mean" not in found.content.decode()


@pytest.mark.postgres
def test_the_api_search_answer_says_what_was_meant(client, search_terms):
    url = reverse("api:product-list")
    assert client.get(url, {"q": "lether boots"}).json()["did_you_mean"] == "leather boots"
    assert client.get(url, {"q": "kettle"}).json()["did_you_mean"] is None
    assert "did_you_mean" not in client.get(url).json()


def test_sqlite_style_correction_uses_close_matches(search_terms, settings):
    settings.IS_POSTGRES = False
    from apps.search.selectors import _nearest

    assert _nearest("blankett") == "blanket"
    assert _nearest("zzzz") is None
