"""Search relevance over a fixed catalog: each query's expected products in its top three.

The hit rate (queries whose expected products are all in the top three, over all queries)
is printed (`pytest -s`) and must stay at or above HIT_RATE_FLOOR, so a ranking change is
measured rather than guessed at. The products are created by the test, so the numbers do
not depend on the demo seeder.
"""

from __future__ import annotations

import pytest

from apps.catalog.selectors import ProductFilters, product_list
from tests.search.relevance_catalog import CATALOG, QUERIES

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TOP = 3
# Measured 58/59 (98%). The ranking as it was (websearch full text, or trigram word
# similarity of the whole phrase to the title or brand) scored 57/59: "knives" found
# nothing, as the stemmer keeps it apart from "knife" (now folded, see _plural_folds).
# Still missed: "lether boots", a typo next to a right word (the whole phrase is too far
# from the title for trigrams, and full text needs both words); the page offers "Did you
# mean leather boots?" for it. The floor, 57/59, leaves room for one deliberate trade-off.
HIT_RATE_FLOOR = 0.95


def _top(query: str) -> list[str]:
    products = product_list(filters=ProductFilters(query=query))
    return [product.slug for product in products[:TOP]]


def test_the_relevance_set_is_well_formed() -> None:
    slugs = {item.slug for item in CATALOG}
    assert len(QUERIES) >= 30
    for query, expected in QUERIES:
        assert 1 <= len(expected) <= TOP, query
        assert set(expected) <= slugs, query


def test_search_hit_rate_over_the_relevance_set(relevance_catalog: None) -> None:
    misses = []
    for query, expected in QUERIES:
        top = _top(query)
        if not set(expected) <= set(top):
            misses.append(f"  {query!r}: expected {list(expected)}, top {TOP} {top}")
    hits = len(QUERIES) - len(misses)
    rate = hits / len(QUERIES)
    print(f"\nsearch hit rate: {hits}/{len(QUERIES)} = {rate:.0%} (top {TOP})")
    print("\n".join(misses))
    assert rate >= HIT_RATE_FLOOR, "\n".join(misses)
