"""What the demo catalog looks like: products, variants, prices and pictures, drawn from a seed.

Nothing here touches the database or storage, and every random choice comes from the
`rng` passed in, so the same seed and batch sequence always give the same rows.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.text import slugify

from apps.catalog.models import Category, Product, Variant
from apps.catalog.seeding.options import COLOURS, Department, Leaf

# Ways to lay out N variants of a two-option product as (first values) x (second values).
_GRIDS = {1: ((1, 1),), 2: ((2, 1), (1, 2)), 3: ((3, 1), (1, 3)), 4: ((2, 2), (4, 1), (1, 4))}


@dataclass
class Batch:
    """The unsaved rows for one batch of products, in matching order."""

    products: list[Product] = field(default_factory=list)
    variants: list[list[Variant]] = field(default_factory=list)
    images: list[list[tuple[str, str]]] = field(default_factory=list)


@functools.cache
def pool_key(code: str, colour: str) -> str:
    """The name of the shared placeholder picture for a department and colour."""
    return f"{code.lower()}-{slugify(colour)}"


def plan_batch(
    rng: random.Random, leaves: list[tuple[Department, Leaf, Category]], *, start: int, size: int
) -> Batch:
    """Draws `size` products numbered from `start`; all randomness comes from `rng`."""
    batch = Batch()
    for number in range(start, start + size):
        department, leaf, category = rng.choice(leaves)
        title = f"{rng.choice(department.adjectives)} {rng.choice(leaf.nouns)}"
        if department.series and rng.random() < 0.5:
            title = f"{title} {rng.choice(department.series)}"
        brand = rng.choice(department.brands)
        variants = _plan_variants(rng, department, leaf, number)
        active_prices = [variant.price for variant in variants if variant.is_active]
        features = " ".join(rng.sample(department.features, 3))
        batch.products.append(
            Product(
                title=title,
                slug=f"{slugify(title)}-{number}",
                description=(
                    f"The {title} by {brand}, from our {leaf.name.lower()} range. {features}"
                ),
                brand=brand,
                category=category,
                is_active=rng.random() >= 0.01,
                is_featured=rng.random() < 0.04,
                option_names=[option.name for option in leaf.options],
                price=min(active_prices),
            )
        )
        batch.variants.append(variants)
        batch.images.append(_plan_images(rng, department, title, variants))
    return batch


def _plan_variants(
    rng: random.Random, department: Department, leaf: Leaf, number: int
) -> list[Variant]:
    options = leaf.options
    count = rng.choice((1, 1, 2, 2, 3, 4)) if options else 1
    if len(options) == 2:
        fitting = [
            (a, b)
            for a, b in _GRIDS[count]
            if a <= len(options[0].values) and b <= len(options[1].values)
        ]
        counts = list(rng.choice(fitting))
    else:
        counts = [min(count, len(option.values)) for option in options]
    # A run of neighbouring values (S-M-L, 256-512 GB) is how real ranges look.
    starts = [rng.randint(0, len(o.values) - n) for o, n in zip(options, counts, strict=True)]
    grid: list[list[int]] = [[]]
    for start, n in zip(starts, counts, strict=True):
        grid = [[*combo, start + step] for combo in grid for step in range(n)]

    base = rng.uniform(*leaf.price)
    sale = rng.uniform(1.2, 1.6) if rng.random() < 0.15 else None
    grams = leaf.grams * rng.uniform(0.85, 1.15)
    variants = []
    for position, combo in enumerate(grid):
        surcharge = 1 + sum(
            option.price_step * (index - start)
            for option, index, start in zip(options, combo, starts, strict=True)
        )
        price = _price_99(base * surcharge)
        compare_at = max(_price_99(base * surcharge * sale), price + 1) if sale else None
        variants.append(
            Variant(
                sku=f"{department.code}-{number:06d}-{position + 1}",
                options={o.name: o.values[i] for o, i in zip(options, combo, strict=True)},
                price=price,
                compare_at_price=compare_at,
                stock=_stock(rng),
                is_active=True,
                weight_grams=round(grams * surcharge),
                position=position,
            )
        )
    if len(variants) > 1 and rng.random() < 0.05:
        variants[-1].is_active = False
    return variants


def _price_99(amount: float) -> Decimal:
    return Decimal(max(1, round(amount))) - Decimal("0.01")


def _stock(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.07:
        return 0
    if roll < 0.17:
        return rng.randint(1, 5)
    return rng.randint(6, 250)


def _plan_images(
    rng: random.Random, department: Department, title: str, variants: list[Variant]
) -> list[tuple[str, str]]:
    """(pool key, alt text) per image: a product sold in colours shows those colours."""
    roll = rng.random()
    count = 1 + (roll < 0.5) + (roll < 0.2)
    shown = list(dict.fromkeys(v.options["Colour"] for v in variants if "Colour" in v.options))
    if shown:
        return [(pool_key(department.code, c), f"{title} in {c.lower()}") for c in shown[:count]]
    colours = rng.sample(list(COLOURS), count)
    return [
        (pool_key(department.code, colour), title if n == 0 else f"{title}, view {n + 1}")
        for n, colour in enumerate(colours)
    ]
