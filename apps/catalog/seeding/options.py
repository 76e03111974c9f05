"""The building blocks of the demo catalog: departments, leaf categories, options, colours."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    """A product option and its values; `price_step` is the surcharge per step up."""

    name: str
    values: tuple[str, ...]
    price_step: float = 0.0


@dataclass(frozen=True)
class Leaf:
    """A bottom-level category: what its products are called and how they vary."""

    name: str
    nouns: tuple[str, ...]
    options: tuple[Option, ...]
    price: tuple[int, int]
    grams: int


@dataclass(frozen=True)
class Department:
    """A top-level category with its brands, words and picture."""

    name: str
    code: str
    shape: str
    description: str
    brands: tuple[str, ...]
    adjectives: tuple[str, ...]
    features: tuple[str, ...]
    groups: dict[str, tuple[Leaf, ...]]
    series: tuple[str, ...] = ()


COLOURS: dict[str, tuple[int, int, int]] = {
    "Black": (38, 38, 42),
    "White": (242, 240, 235),
    "Navy": (31, 45, 84),
    "Red": (190, 40, 45),
    "Forest Green": (34, 94, 60),
    "Mustard": (214, 170, 48),
    "Sky Blue": (120, 180, 225),
    "Grey": (140, 142, 148),
    "Burgundy": (112, 28, 48),
    "Sand": (214, 196, 160),
}

SIZE = Option("Size", ("XS", "S", "M", "L", "XL", "XXL"))
SIZE_SML = Option("Size", ("S", "M", "L", "XL"))
SHOE_SIZE = Option("Size", tuple(f"EU {size}" for size in range(38, 47)))
COLOUR = Option("Colour", tuple(COLOURS))
TECH_COLOUR = Option("Colour", ("Black", "White", "Grey", "Navy", "Sky Blue"))
DESK_COLOUR = Option("Colour", ("Black", "White", "Mustard", "Forest Green", "Sand"))
INK_COLOUR = Option("Colour", ("Black", "Navy", "Burgundy", "Forest Green", "Sky Blue"))
STORAGE = Option("Storage", ("128 GB", "256 GB", "512 GB", "1 TB"), 0.2)
POWER = Option("Power", ("20 W", "35 W", "65 W", "100 W"), 0.25)
PACK = Option("Pack", ("1-pack", "2-pack", "4-pack", "6-pack"), 0.7)
DIAMETER = Option("Diameter", ("20 cm", "24 cm", "28 cm", "32 cm"), 0.15)
BED_SIZE = Option("Bed size", ("Single", "Double", "King", "Super King"), 0.2)
BASKET_SIZE = Option("Size", ("Small", "Medium", "Large"), 0.25)
CAPACITY = Option("Capacity", ("0.5 L", "1 L", "1.5 L", "2 L"), 0.2)
BOTTLE = Option("Capacity", ("500 ml", "750 ml", "1 L"), 0.15)
FINISH = Option("Finish", ("Oak", "Walnut", "White", "Black"))
SLEEPS = Option("Sleeps", ("1 person", "2 people", "3 people", "4 people"), 0.3)
SEASON = Option("Rating", ("2-season", "3-season", "4-season"), 0.3)
PACK_VOLUME = Option("Volume", ("20 L", "30 L", "45 L", "65 L"), 0.2)
WEIGHT = Option("Weight", ("2 kg", "4 kg", "8 kg", "12 kg", "16 kg"), 0.5)
RESISTANCE = Option("Resistance", ("Light", "Medium", "Heavy", "Extra Heavy"))
VOLUME = Option("Volume", ("50 ml", "100 ml", "200 ml", "400 ml"), 0.35)
PERFUME = Option("Volume", ("30 ml", "50 ml", "100 ml"), 0.45)
SCENT = Option("Scent", ("Lavender", "Fig", "Cedar", "Citrus", "Sea Salt", "Rose"))
PAPER = Option("Format", ("A6", "A5", "A4"), 0.25)
RULING = Option("Ruling", ("Lined", "Dotted", "Plain", "Squared"))
PAINT_SET = Option("Set", ("12 colours", "24 colours", "36 colours"), 0.5)
CANVAS = Option("Size", ("20 x 20 cm", "30 x 40 cm", "50 x 70 cm"), 0.6)
