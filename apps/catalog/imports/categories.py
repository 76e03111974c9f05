"""Categories by their path of names ("Home > Kitchen > Knives"), as the export writes them.

The whole tree is read once per import (it is small: hundreds of rows, not products'
thousands) and the categories a file names are found in it, or created, parents first.
"""

from __future__ import annotations

from django.utils.text import slugify

from apps.catalog.models import Category

PATH_JOINER = " > "


def _named_paths() -> list[tuple[int, tuple[str, ...]]]:
    """Each category's id and its names from the root down, in tree order."""
    names_at: dict[str, tuple[str, ...]] = {}
    steplen = Category.steplen
    found = []
    for pk, name, path in Category.objects.order_by("path").values_list("pk", "name", "path"):
        names = (*names_at.get(path[:-steplen], ()), name)
        names_at[path] = names
        found.append((pk, names))
    return found


def category_path_names() -> dict[int, str]:
    """Every category's path as the export writes it, by category id."""
    return {pk: PATH_JOINER.join(names) for pk, names in _named_paths()}


def _key(names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name.casefold() for name in names)


class CategoryPaths:
    """The tree's paths (matched without regard to case), and those an import adds."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, ...], int] = {}
        self._by_name: dict[str, list[int]] = {}
        for pk, names in _named_paths():
            self._ids.setdefault(_key(names), pk)
            self._by_name.setdefault(names[-1].casefold(), []).append(pk)
        # Paths a check found missing: counted once each, created only by the import.
        self._planned: set[tuple[str, ...]] = set()
        self.created = 0

    def find(self, names: tuple[str, ...]) -> int | None:
        """The category at `names`, if it exists (or would, after this check)."""
        found = self._ids.get(_key(names))
        if found is None and len(names) == 1:
            # A file exported before paths were written names the category alone: a
            # name that only one category has is that category.
            same_name = self._by_name.get(names[0].casefold(), [])
            found = same_name[0] if len(same_name) == 1 else None
        return found

    def plan(self, names: tuple[str, ...]) -> None:
        """Notes (for a check) the categories `names` would create."""
        for depth in range(1, len(names) + 1):
            key = _key(names[:depth])
            if self.find(names[:depth]) is None and key not in self._planned:
                self._planned.add(key)
                self.created += 1

    def ensure(self, names: tuple[str, ...]) -> int:
        """The category at `names`, created with any missing parents."""
        found = self.find(names)
        if found is not None:
            return found
        parent_id = self.ensure(names[:-1]) if len(names) > 1 else None
        fields = {"name": names[-1], "slug": _free_slug(names[-1])}
        if parent_id is None:
            category = Category.objects.add_root(fields)
        else:
            # Fetched afresh: adding a sibling in name order may have moved its path.
            category = Category.objects.add_child(Category.objects.get(pk=parent_id), fields)
        self._ids[_key(names)] = category.pk
        self._by_name.setdefault(names[-1].casefold(), []).append(category.pk)
        self.created += 1
        return int(category.pk)


def _free_slug(name: str) -> str:
    base = slugify(name)[:130] or "category"
    slug, n = base, 1
    while Category.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug
