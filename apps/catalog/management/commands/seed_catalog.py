"""`seed_catalog`: a deterministic, realistic demo catalog, inserted in batches."""

from __future__ import annotations

import functools
import os
import random
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils.text import slugify

from apps.catalog.cache import NAMESPACE
from apps.catalog.choices import StockReason
from apps.catalog.images import encode_jpeg, placeholder_image
from apps.catalog.models import Category, Product, ProductImage, StockMovement, Variant
from apps.catalog.renditions import (
    RENDITIONS_DIR,
    StoredRenditions,
    file_overwrite,
    renditions_store,
)
from apps.core.cache import namespace_bump


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


def words(text: str) -> tuple[str, ...]:
    """Splits a "|"-separated list, which keeps the tables below compact."""
    return tuple(text.split("|"))


def leaf(
    name: str, nouns: str, options: tuple[Option, ...], price: tuple[int, int], grams: int
) -> Leaf:
    """A Leaf whose nouns are given "|"-separated."""
    return Leaf(name, words(nouns), options, price, grams)


# fmt: off
DEPARTMENTS: tuple[Department, ...] = (
    Department(
        name="Clothing", code="CLO", shape="shirt",
        description="Everyday clothing made to last, from breathable linen to soft merino.",
        brands=words("Alder & Co|Fjordline|Marlowe|Tessellate|Hollis|Wren Studio|Ostara"),
        adjectives=words(
            "Classic|Relaxed|Slim-Fit|Organic Cotton|Linen|Merino|"
            "Recycled|Lightweight|Heavyweight|Everyday|Tailored|Vintage-Wash"
        ),
        features=(
            "Cut for an easy fit that keeps its shape wash after wash.",
            "Made from responsibly sourced fibres.",
            "Machine washable at 30 degrees.",
            "Reinforced seams where it matters.",
            "Soft against the skin and breathable all day.",
            "Designed to layer through the seasons.",
            "Garment-dyed for a lived-in look.",
            "Finished with recycled buttons and trims.",
        ),
        groups={
            "Women": (
                leaf("Dresses", "Wrap Dress|Midi Dress|Shirt Dress|Maxi Dress|Slip Dress",
                     (SIZE, COLOUR), (35, 140), 350),
                leaf("Tops", "T-Shirt|Blouse|Tank Top|Long-Sleeve Top",
                     (SIZE, COLOUR), (15, 70), 180),
                leaf("Knitwear", "Cardigan|Crew-Neck Jumper|Roll-Neck Sweater|Knitted Vest",
                     (SIZE, COLOUR), (40, 150), 450),
            ),
            "Men": (
                leaf("Shirts", "Oxford Shirt|Flannel Shirt|Linen Shirt|Polo Shirt",
                     (SIZE, COLOUR), (30, 110), 300),
                leaf("Trousers", "Chinos|Jeans|Cargo Trousers|Joggers",
                     (SIZE, COLOUR), (40, 130), 550),
                leaf("Knitwear", "Crew-Neck Jumper|Quarter-Zip Sweater|Cardigan|Hoodie",
                     (SIZE, COLOUR), (40, 160), 500),
            ),
            "Outerwear": (
                leaf("Jackets", "Denim Jacket|Bomber Jacket|Quilted Jacket|Fleece Jacket",
                     (SIZE, COLOUR), (60, 220), 800),
                leaf("Coats", "Wool Coat|Parka|Trench Coat|Pea Coat",
                     (SIZE, COLOUR), (120, 380), 1400),
                leaf("Raincoats", "Rain Jacket|Waterproof Shell|Packable Raincoat|Rain Poncho",
                     (SIZE, COLOUR), (50, 200), 500),
            ),
            "Accessories": (
                leaf("Scarves", "Scarf|Wool Scarf|Silk Scarf|Snood", (COLOUR,), (20, 90), 150),
                leaf("Hats", "Beanie|Baseball Cap|Bucket Hat|Sun Hat", (COLOUR,), (15, 60), 120),
                leaf("Belts", "Leather Belt|Canvas Belt|Braided Belt|Reversible Belt",
                     (SIZE_SML, COLOUR), (25, 90), 200),
            ),
        },
    ),
    Department(
        name="Electronics", code="ELE", shape="device",
        description="Audio, computing and smart-home gear that simply works.",
        brands=words("Voltaic|Pixelcraft|Auralis|Kestrine|Nimbler|Quantix|Lumenor"),
        adjectives=words(
            "Compact|Portable|Smart|Premium|Essential|Ultra-Slim|"
            "Rugged|Pro|Wireless|Everyday|Advanced|Studio"
        ),
        series=words("Air|Max|Mini|Plus|Neo|X2|Lite|One"),
        features=(
            "Sets up in minutes with no app required.",
            "USB-C charging gets you going again in under an hour.",
            "Two-year warranty and free firmware updates.",
            "Energy-efficient design with a low standby draw.",
            "Tested for thousands of hours of daily use.",
            "Works with every major phone and computer.",
            "Recyclable packaging with no single-use plastic.",
            "Precision-engineered for clear, reliable performance.",
        ),
        groups={
            "Audio": (
                leaf("Headphones", "Over-Ear Headphones|On-Ear Headphones|Studio Headphones",
                     (TECH_COLOUR,), (40, 350), 280),
                leaf("Speakers", "Bluetooth Speaker|Bookshelf Speaker|Soundbar|Party Speaker",
                     (TECH_COLOUR,), (35, 450), 1200),
                leaf("Earbuds", "True Wireless Earbuds|Sport Earbuds|Noise-Cancelling Earbuds",
                     (TECH_COLOUR,), (25, 250), 60),
            ),
            "Computing": (
                leaf("Laptops", "Laptop|Notebook PC|Ultrabook|Chromebook",
                     (STORAGE, TECH_COLOUR), (450, 1900), 1500),
                leaf("Keyboards", "Mechanical Keyboard|Wireless Keyboard|Compact Keyboard",
                     (TECH_COLOUR,), (30, 180), 700),
                leaf("Mice", "Wireless Mouse|Gaming Mouse|Vertical Mouse|Trackball",
                     (TECH_COLOUR,), (15, 120), 110),
            ),
            "Phones & Tablets": (
                leaf("Phone Cases", "Phone Case|Leather Phone Case|Clear Case|Wallet Case",
                     (TECH_COLOUR,), (10, 60), 50),
                leaf("Chargers", "USB-C Charger|Wireless Charger|Power Bank|Car Charger",
                     (POWER,), (15, 90), 180),
                leaf("Tablets", "Tablet|Drawing Tablet|E-Reader",
                     (STORAGE, TECH_COLOUR), (120, 900), 480),
            ),
            "Smart Home": (
                leaf("Smart Lighting", "Smart Bulb|Light Strip|Smart Lamp", (PACK,), (12, 90), 150),
                leaf("Cameras", "Security Camera|Video Doorbell|Baby Monitor",
                     (TECH_COLOUR,), (40, 260), 400),
                leaf("Thermostats", "Smart Thermostat|Radiator Valve|Temperature Sensor",
                     (), (25, 220), 250),
            ),
        },
    ),
    Department(
        name="Home & Kitchen", code="HOM", shape="mug",
        description="Cookware, tableware and soft furnishings for a home you love.",
        brands=words(
            "Hearthstone|Copperleaf|Linnea Home|"
            "Oakhurst|Potter's Lane|Brightmeadow|Saltmarsh"
        ),
        adjectives=words(
            "Stoneware|Enamel|Cast-Iron|Bamboo|Hand-Glazed|Stackable|"
            "Nordic|Rustic|Minimalist|Heritage|Speckled|Matte"
        ),
        features=(
            "Dishwasher safe and built for everyday use.",
            "Designed in our studio and made by family-run workshops.",
            "Pairs with the rest of the collection.",
            "Oven safe up to 220 degrees.",
            "Each piece is finished by hand, so no two are quite alike.",
            "Made from durable, food-safe materials.",
            "Easy to clean and made to last for years.",
            "Packed in recycled, plastic-free packaging.",
        ),
        groups={
            "Cookware": (
                leaf("Pans", "Frying Pan|Saute Pan|Griddle Pan|Wok", (DIAMETER,), (25, 160), 1600),
                leaf("Pots", "Casserole Dish|Stockpot|Saucepan|Dutch Oven",
                     (DIAMETER,), (30, 240), 2800),
                leaf("Knives", "Chef's Knife|Bread Knife|Paring Knife|Knife Block Set",
                     (), (20, 220), 300),
            ),
            "Tableware": (
                leaf("Mugs", "Mug|Espresso Cup|Travel Mug|Latte Cup", (COLOUR,), (8, 35), 350),
                leaf("Plates", "Dinner Plate|Side Plate|Serving Platter|Pasta Bowl",
                     (COLOUR,), (10, 60), 600),
                leaf("Glassware", "Tumbler|Wine Glass|Carafe|Water Glass", (PACK,), (10, 70), 400),
            ),
            "Bedding": (
                leaf("Duvet Covers", "Duvet Cover|Duvet Cover Set|Linen Duvet Cover",
                     (BED_SIZE, COLOUR), (45, 190), 1300),
                leaf("Pillows", "Pillow|Memory Foam Pillow|Cushion", (COLOUR,), (15, 80), 700),
                leaf("Throws", "Throw Blanket|Knitted Throw|Fleece Blanket",
                     (COLOUR,), (25, 130), 900),
            ),
            "Storage": (
                leaf("Baskets", "Storage Basket|Laundry Basket|Woven Basket",
                     (BASKET_SIZE,), (15, 70), 800),
                leaf("Jars", "Storage Jar|Preserving Jar|Spice Jar Set", (CAPACITY,), (6, 40), 500),
                leaf("Shelving", "Wall Shelf|Bookcase|Floating Shelf", (FINISH,), (30, 350), 6000),
            ),
        },
    ),
    Department(
        name="Sports & Outdoors", code="SPO", shape="ball",
        description="Kit for running, camping, cycling and training, tested outdoors.",
        brands=words(
            "Summitline|Trailhead|Velocita|"
            "Ironpeak|Ridgeback Gear|Aerofit|Basecamp Supply"
        ),
        adjectives=words(
            "Trail|Lightweight|All-Weather|Breathable|Performance|Insulated|"
            "Packable|Reflective|Waterproof|Endurance|Alpine|Ultralight"
        ),
        features=(
            "Field-tested by our athletes in all conditions.",
            "Lightweight without giving up durability.",
            "Reflective details keep you visible after dark.",
            "Backed by a lifetime repair promise.",
            "Quick-drying fabric wicks moisture away.",
            "Packs down small for travel.",
            "Made with recycled materials wherever possible.",
            "Built to shrug off rain, mud and grit.",
        ),
        groups={
            "Running": (
                leaf("Running Shoes", "Road Running Shoes|Trail Running Shoes|Racing Flats",
                     (SHOE_SIZE,), (60, 190), 600),
                leaf("Running Apparel", "Running Tee|Running Shorts|Running Tights|Running Jacket",
                     (SIZE, COLOUR), (20, 120), 200),
                leaf("Hydration", "Water Bottle|Hydration Vest|Soft Flask",
                     (BOTTLE,), (10, 110), 250),
            ),
            "Camping": (
                leaf("Tents", "Dome Tent|Tunnel Tent|Backpacking Tent", (SLEEPS,), (80, 600), 2600),
                leaf("Sleeping Bags", "Sleeping Bag|Down Sleeping Bag|Sleeping Mat",
                     (SEASON,), (40, 350), 1300),
                leaf("Backpacks", "Hiking Backpack|Daypack|Trekking Rucksack",
                     (PACK_VOLUME,), (40, 250), 1200),
            ),
            "Cycling": (
                leaf("Helmets", "Road Helmet|MTB Helmet|Commuter Helmet",
                     (SIZE_SML, COLOUR), (40, 220), 320),
                leaf("Bike Lights", "Front Light|Rear Light|Light Set", (), (15, 120), 120),
                leaf("Cycling Gloves", "Cycling Gloves|Winter Gloves|Mitts",
                     (SIZE_SML,), (15, 70), 100),
            ),
            "Fitness": (
                leaf("Yoga", "Yoga Mat|Yoga Block|Yoga Strap", (COLOUR,), (10, 90), 1100),
                leaf("Weights", "Dumbbell|Kettlebell|Weight Plate", (WEIGHT,), (15, 60), 4000),
                leaf("Resistance Bands", "Resistance Band|Pull-Up Band|Mini Band Set",
                     (RESISTANCE,), (8, 45), 150),
            ),
        },
    ),
    Department(
        name="Beauty & Care", code="BEA", shape="bottle",
        description="Skincare, hair care and fragrance with clean, kind ingredients.",
        brands=words(
            "Verdance|Solenne|Petalworks|"
            "Amberly|Clearwater Botanics|Mossgrove|Halcyon Skin"
        ),
        adjectives=words(
            "Hydrating|Nourishing|Gentle|Organic|Fragrance-Free|Revitalising|"
            "Soothing|Brightening|Vegan|Botanical|Calming|Daily"
        ),
        features=(
            "Dermatologically tested and suitable for sensitive skin.",
            "Vegan and never tested on animals.",
            "Made with natural oils and plant extracts.",
            "Free from parabens and synthetic colours.",
            "Comes in a recyclable glass bottle.",
            "A little goes a long way.",
            "Absorbs quickly without leaving a greasy feel.",
            "Blended in small batches for freshness.",
        ),
        groups={
            "Skincare": (
                leaf("Moisturisers", "Face Cream|Day Moisturiser|Night Cream|Gel Moisturiser",
                     (VOLUME,), (12, 70), 200),
                leaf("Cleansers", "Foaming Cleanser|Cleansing Balm|Micellar Water",
                     (VOLUME,), (8, 40), 220),
                leaf("Serums", "Vitamin C Serum|Hyaluronic Serum|Face Oil",
                     (VOLUME,), (15, 85), 120),
            ),
            "Hair Care": (
                leaf("Shampoo", "Shampoo|Dry Shampoo|Clarifying Shampoo", (VOLUME,), (6, 30), 300),
                leaf("Conditioner", "Conditioner|Leave-In Conditioner|Hair Mask",
                     (VOLUME,), (7, 35), 300),
                leaf("Styling", "Hair Oil|Styling Cream|Texture Spray", (VOLUME,), (9, 40), 150),
            ),
            "Fragrance": (
                leaf("Eau de Parfum", "Eau de Parfum|Parfum|Perfume Oil",
                     (PERFUME,), (35, 160), 250),
                leaf("Eau de Toilette", "Eau de Toilette|Cologne|Eau Fraiche",
                     (PERFUME,), (25, 110), 250),
                leaf("Home Fragrance", "Scented Candle|Reed Diffuser|Room Spray",
                     (SCENT,), (12, 60), 450),
            ),
            "Bath & Body": (
                leaf("Soap", "Bar Soap|Hand Wash|Soap Set", (SCENT,), (4, 25), 150),
                leaf("Body Lotion", "Body Lotion|Body Butter|Hand Cream", (VOLUME,), (8, 40), 300),
                leaf("Bath", "Bath Salts|Bath Oil|Bubble Bath", (SCENT,), (8, 35), 500),
            ),
        },
    ),
    Department(
        name="Books & Stationery", code="STA", shape="book",
        description="Notebooks, pens and art supplies for writing, planning and making.",
        brands=words(
            "Papercrane|Inkwell & Quill|Foliotype|"
            "Marginalia|Ledger & Lark|Brightpage|Nib & Nook"
        ),
        adjectives=words(
            "Recycled|Pocket|Linen-Bound|Minimalist|Classic|Premium|"
            "Artist-Grade|Refillable|Compact|Studio|Heritage|Lay-Flat"
        ),
        features=(
            "Acid-free paper that will not yellow with age.",
            "Fountain-pen friendly with no bleed-through.",
            "Made from FSC-certified materials.",
            "Lies flat for comfortable writing.",
            "Designed in-house and printed locally.",
            "A thoughtful gift for writers and makers.",
            "Refills are available separately.",
            "Tested by illustrators and calligraphers.",
        ),
        groups={
            "Notebooks & Planners": (
                leaf("Notebooks", "Notebook|Journal|Softcover Notebook|Hardcover Notebook",
                     (PAPER, RULING), (6, 35), 300),
                leaf("Planners", "Weekly Planner|Daily Planner|Undated Planner",
                     (PAPER,), (12, 40), 450),
                leaf("Sketchbooks", "Sketchbook|Watercolour Pad|Drawing Pad",
                     (PAPER,), (8, 45), 500),
            ),
            "Writing": (
                leaf("Pens", "Fountain Pen|Rollerball Pen|Ballpoint Pen|Gel Pen Set",
                     (INK_COLOUR,), (4, 160), 40),
                leaf("Pencils", "Graphite Pencil Set|Mechanical Pencil|Coloured Pencils",
                     (), (4, 60), 120),
                leaf("Ink", "Bottled Ink|Ink Cartridges|Calligraphy Ink",
                     (INK_COLOUR,), (4, 30), 120),
            ),
            "Desk": (
                leaf("Desk Organisers", "Desk Organiser|Pen Pot|Letter Tray",
                     (DESK_COLOUR,), (10, 70), 600),
                leaf("Desk Lamps", "Desk Lamp|Clamp Lamp|Reading Light",
                     (DESK_COLOUR,), (25, 190), 1400),
                leaf("Calendars", "Wall Calendar|Desk Calendar|Perpetual Calendar",
                     (), (8, 45), 350),
            ),
            "Art Supplies": (
                leaf("Paints", "Watercolour Set|Acrylic Paint Set|Gouache Set",
                     (PAINT_SET,), (12, 90), 450),
                leaf("Brushes", "Brush Set|Detail Brush|Water Brush Pen", (), (5, 60), 80),
                leaf("Canvas", "Stretched Canvas|Canvas Board|Canvas Pad", (CANVAS,), (6, 50), 700),
            ),
        },
    ),
)
# fmt: on

# Ways to lay out N variants of a two-option product as (first values) x (second values).
_GRIDS = {1: ((1, 1),), 2: ((2, 1), (1, 2)), 3: ((3, 1), (1, 3)), 4: ((2, 2), (4, 1), (1, 4))}
POOL_DIR = "demo"
# Wide enough for every listing rendition and a sharp detail view; a 1200px source would
# double the time `make run` spends drawing pictures for no visible gain on a placeholder.
PLACEHOLDER_SIZE = 800


@dataclass
class Batch:
    """The unsaved rows for one batch of products, in matching order."""

    products: list[Product] = field(default_factory=list)
    variants: list[list[Variant]] = field(default_factory=list)
    images: list[list[tuple[str, str]]] = field(default_factory=list)


class Command(BaseCommand):
    help = "Fills an empty catalog with a deterministic demo catalog of N products."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--products", type=int, default=1000, help="How many products.")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same catalog.")
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if any product exists."
        )
        parser.add_argument(
            "--batch-size", type=int, default=2000, help="Products per INSERT batch."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        total: int = options["products"]
        batch_size: int = options["batch_size"]
        if total < 0 or batch_size < 1:
            raise CommandError("--products must be 0 or more and --batch-size at least 1.")
        if Product.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The catalog already has products; not seeding.")
                return
            raise CommandError(
                "The catalog already has products. seed_catalog only fills an empty "
                "catalog (use --if-empty to skip quietly)."
            )
        started = time.monotonic()
        pool = self.make_pool() if total else {}
        progress = Progress(self.stderr, total, enabled=options["verbosity"] >= 1)
        counts = self.seed(
            total=total, seed=options["seed"], batch_size=batch_size, pool=pool, progress=progress
        )
        namespace_bump(NAMESPACE)  # a shop seeded behind a warm cache shows the new catalog
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"Seeded {total:,} products, {counts['variants']:,} variants and "
            f"{counts['images']:,} images in {elapsed:.1f}s."
        )

    def make_pool(self) -> dict[str, tuple[str, StoredRenditions]]:
        """Draws and renders one picture per department and colour, in parallel."""
        keys = [(department, colour) for department in DEPARTMENTS for colour in COLOURS]
        # Pillow releases the GIL while it resizes and encodes, so threads do overlap.
        workers = min(8, os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers) as executor:
            made = executor.map(lambda key: _pool_image(*key), keys)
            return dict(zip((_pool_key(d.code, c) for d, c in keys), made, strict=True))

    @transaction.atomic
    def seed(
        self,
        *,
        total: int,
        seed: int,
        batch_size: int,
        pool: dict[str, tuple[str, StoredRenditions]],
        progress: Progress,
    ) -> dict[str, int]:
        """Creates the category tree, then the products batch by batch, in one transaction."""
        leaves = _category_tree()
        rng = random.Random(seed)  # noqa: S311 (reproducible demo data, not secrets)
        counts = {"variants": 0, "images": 0}
        done = 0
        while done < total:
            size = min(batch_size, total - done)
            batch = _plan_batch(rng, leaves, start=done + 1, size=size)
            counts["variants"] += sum(len(variants) for variants in batch.variants)
            counts["images"] += _insert(batch, pool)
            done += size
            progress.update(done)
        progress.finish()
        return counts


@functools.cache
def _pool_key(code: str, colour: str) -> str:
    return f"{code.lower()}-{slugify(colour)}"


def _pool_image(department: Department, colour: str) -> tuple[str, StoredRenditions]:
    key = _pool_key(department.code, colour)
    picture = placeholder_image(
        label=department.name,
        colour=COLOURS[colour],
        shape=department.shape,
        seed=zlib.crc32(key.encode()),
        size=PLACEHOLDER_SIZE,
    )
    data = encode_jpeg(picture)
    name = file_overwrite(default_storage, f"{POOL_DIR}/{key}.jpg", data)
    # The pictures never change, so a reseed (after a database reset) reuses the renditions.
    prefix = f"{RENDITIONS_DIR}/{POOL_DIR}/{key}"
    return name, renditions_store(data=data, prefix=prefix, reuse=True)


def _category_tree() -> list[tuple[Department, Leaf, Category]]:
    """Creates the three-level tree (reusing nodes whose slug exists); returns the leaves."""
    existing = {category.slug: category for category in Category.objects.all()}
    planned: set[str] = set()

    def node(name: str, description: str, position: int, parent: Category | None) -> Category:
        slug = slugify(name)
        if slug in planned and parent is not None:
            slug = f"{parent.slug}-{slug}"
        planned.add(slug)
        if slug in existing:
            return existing[slug]
        fields = {"name": name, "slug": slug, "description": description, "position": position}
        if parent is None:
            return Category.objects.add_root(fields)
        return Category.objects.add_child(parent, fields)

    leaves = []
    for d_position, department in enumerate(DEPARTMENTS):
        root = node(department.name, department.description, d_position, None)
        for g_position, (group, group_leaves) in enumerate(department.groups.items()):
            about = f"{group} from our {department.name.lower()} range."
            middle = node(group, about, g_position, root)
            for l_position, leaf in enumerate(group_leaves):
                about = f"{leaf.name}: {', '.join(leaf.nouns).lower()}."
                leaves.append((department, leaf, node(leaf.name, about, l_position, middle)))
    return leaves


def _plan_batch(
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
        return [(_pool_key(department.code, c), f"{title} in {c.lower()}") for c in shown[:count]]
    colours = rng.sample(list(COLOURS), count)
    return [
        (_pool_key(department.code, colour), title if n == 0 else f"{title}, view {n + 1}")
        for n, colour in enumerate(colours)
    ]


def _insert(batch: Batch, pool: dict[str, tuple[str, StoredRenditions]]) -> int:
    """Inserts one planned batch; returns how many images it added."""
    products = batch.products
    _insert_products(products)
    variants: list[Variant] = []
    images: list[ProductImage] = []
    for product, product_variants, product_images in zip(
        products, batch.variants, batch.images, strict=True
    ):
        for variant in product_variants:
            variant.product = product
            variants.append(variant)
        for position, (key, alt_text) in enumerate(product_images):
            name, stored = pool[key]
            images.append(
                ProductImage(
                    product=product,
                    image=name,
                    width=stored.width,
                    height=stored.height,
                    alt_text=alt_text,
                    position=position,
                    renditions=stored.renditions,
                )
            )
    Variant.objects.bulk_create(variants, batch_size=5000)
    ProductImage.objects.bulk_create(images, batch_size=5000)
    StockMovement.objects.bulk_create(
        [
            StockMovement(
                variant=variant,
                delta=variant.stock,
                stock_after=variant.stock,
                reason=StockReason.IMPORT,
                note="Demo catalog",
            )
            for variant in variants
            if variant.stock
        ],
        batch_size=5000,
    )
    return len(images)


def _insert_products(products: list[Product]) -> None:
    """INSERTs products and sets their ids: bulk_create minus the search_vector column."""
    # bulk_create lists every column, and Django's fast PostgreSQL insert (one UNNEST array
    # per column) does not take a SearchVectorField, so it falls back to a VALUES list of
    # 14 placeholders a row: about 4x the client CPU, the largest single cost of a 100k
    # seed. The trigger fills the column anyway. QuerySet._insert is what Model.save() and
    # bulk_create themselves insert through.
    meta = Product._meta
    search_vector = meta.get_field("search_vector")
    fields = [f for f in meta.concrete_fields if not f.primary_key and f is not search_vector]
    connection = connections[DEFAULT_DB_ALIAS]
    step = connection.ops.bulk_batch_size(fields, products)
    for start in range(0, len(products), step):
        chunk = products[start : start + step]
        # PostgreSQL and SQLite 3.35+ return the new ids, which the child rows need.
        rows = Product.objects._insert(  # type: ignore[attr-defined]
            chunk, fields=fields, returning_fields=meta.db_returning_fields, using=connection.alias
        )
        for product, row in zip(chunk, rows, strict=True):
            product.pk = row[0]
            product._state.adding = False
            product._state.db = connection.alias


class Progress:
    """A one-line progress display on stderr: count, percentage and rate."""

    def __init__(self, out: OutputWrapper, total: int, *, enabled: bool) -> None:
        self.out = out
        self.total = total
        self.enabled = enabled and total > 0
        self.interactive = self.out.isatty()
        self.started = time.monotonic()
        self.last_shown = -1

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        percent = done * 100 // self.total
        # Without a terminal to redraw on, one line per tenth keeps logs short.
        if not self.interactive and percent // 10 == self.last_shown // 10:
            return
        self.last_shown = percent
        rate = done / max(time.monotonic() - self.started, 1e-6)
        line = f"Seeding products: {done:,}/{self.total:,} ({percent}%), {rate:,.0f}/s"
        self.out.write(
            f"\r{line}" if self.interactive else line,
            style_func=_plain,
            ending="" if self.interactive else "\n",
        )
        self.out.flush()

    def finish(self) -> None:
        if self.enabled and self.interactive:
            self.out.write("", style_func=_plain)


def _plain(text: str) -> str:
    return text
