"""The catalog API's category tree."""

from __future__ import annotations

from typing import Any

import pytest

from apps.catalog.models import Category
from tests.catalog.support import CATEGORIES, _assert_matches_schema
from tests.factories import CategoryFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_media_in_tmp")]


def test_category_tree_nests_active_categories_and_hides_inactive_branches(client):
    home = CategoryFactory(name="Home", slug="home", position=1)
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen", parent=home)
    CategoryFactory(name="Kettles", slug="kettles", parent=kitchen)
    CategoryFactory(name="Retired", slug="retired", parent=home, is_active=False)
    garden = CategoryFactory(name="Garden", slug="garden", position=2)
    hidden = CategoryFactory(name="Hidden", slug="hidden", position=3, is_active=False)
    CategoryFactory(name="Orphan", slug="orphan", parent=hidden)
    CategoryFactory(name="Tools", slug="tools", parent=garden)

    response = client.get(CATEGORIES)

    assert response.status_code == 200
    _assert_matches_schema(response, CATEGORIES)

    def shape(nodes: list[dict[str, Any]]) -> list[Any]:
        return [(node["slug"], shape(node["children"])) for node in nodes]

    assert shape(response.json()) == [
        ("home", [("kitchen", [("kettles", [])])]),
        ("garden", [("tools", [])]),
    ]
    kettles = response.json()[0]["children"][0]["children"][0]
    assert kettles["name"] == "Kettles"
    assert kettles["web_url"] == "http://testserver/catalog/kettles/"


def test_category_tree_is_one_query_however_deep_and_wide(
    client, no_cache, django_assert_num_queries
):
    for root_index in range(3):
        parent = CategoryFactory(slug=f"root-{root_index}")
        for depth in range(4):
            parent = CategoryFactory(slug=f"node-{root_index}-{depth}", parent=parent)
    with django_assert_num_queries(1):
        response = client.get(CATEGORIES)
    assert len(response.json()) == 3
    assert Category.objects.count() == 15
