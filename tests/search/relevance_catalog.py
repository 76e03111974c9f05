"""A small, fixed shop for measuring search relevance, and the queries asked of it.

Forty products in fourteen categories whose words overlap on purpose (three jackets, two
kettles, "coffee" in a table and a coffee maker, "leather" in a chair and boots), so that
ranking, not mere matching, decides the top three. Each query names the products that
must all appear in the top three (never more than three).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    slug: str
    title: str
    brand: str
    category: str
    description: str


CATALOG: tuple[Item, ...] = (
    Item("oak-dining-table", "Oak Dining Table", "Nordhaus", "Tables", "Solid oak, seats six."),
    Item("oak-coffee-table", "Oak Coffee Table", "Nordhaus", "Tables", "Low, with a shelf."),
    Item("walnut-dining-chair", "Walnut Dining Chair", "Nordhaus", "Chairs", "Curved back."),
    Item("pine-bookshelf", "Pine Bookshelf", "Timberline", "Storage", "Five shelves for books."),
    Item("leather-armchair", "Leather Armchair", "Cosmo", "Chairs", "Deep seat in tan leather."),
    Item("velvet-sofa", "Velvet Sofa", "Cosmo", "Sofas", "Three seats in emerald velvet."),
    Item("linen-sofa-bed", "Linen Sofa Bed", "Cosmo", "Sofas", "Unfolds into a double bed."),
    Item("electric-kettle", "Electric Kettle", "Brewster", "Kitchen", "Boils 1.7 litres."),
    Item("stovetop-kettle", "Stovetop Whistling Kettle", "Brewster", "Kitchen", "Gas or hob."),
    Item("french-press", "French Press Coffee Maker", "Brewster", "Kitchen", "Brews four cups."),
    Item(
        "espresso-machine",
        "Espresso Machine",
        "Brewster",
        "Kitchen",
        "A 15 bar pump and a milk frother.",
    ),
    Item("chef-knife", "Chef's Knife", "Edgecraft", "Kitchen", "Japanese steel, 20 cm blade."),
    Item("bread-knife", "Serrated Bread Knife", "Edgecraft", "Kitchen", "Cuts crusty loaves."),
    Item("cast-iron-skillet", "Cast Iron Skillet", "Ironwood", "Kitchen", "A seasoned frying pan."),
    Item("frying-pan", "Non-Stick Frying Pan", "Basics", "Kitchen", "Ceramic coated, 28 cm."),
    Item("merino-socks", "Merino Wool Socks", "Trailhead", "Clothing", "Cushioned for hiking."),
    Item("ankle-socks", "Cotton Ankle Socks", "Basics", "Clothing", "A pack of five pairs."),
    Item("rain-jacket", "Waterproof Rain Jacket", "Trailhead", "Outerwear", "Packable hood."),
    Item("puffer-jacket", "Down Puffer Jacket", "Trailhead", "Outerwear", "Warm to minus ten."),
    Item("denim-jacket", "Denim Jacket", "Basics", "Outerwear", "Classic blue, button front."),
    Item("hiking-boots", "Leather Hiking Boots", "Trailhead", "Footwear", "Vibram soles."),
    Item("running-shoes", "Running Shoes", "Stride", "Footwear", "Lightweight mesh upper."),
    Item("yoga-mat", "Yoga Mat", "Zenith", "Fitness", "Non-slip natural rubber."),
    Item("dumbbells", "Adjustable Dumbbells", "Zenith", "Fitness", "From 2 to 24 kg each."),
    Item("water-bottle", "Insulated Water Bottle", "Trailhead", "Outdoor", "Cold for a day."),
    Item("tent", "Two-Person Tent", "Trailhead", "Outdoor", "Pitches in five minutes."),
    Item("sleeping-bag", "Sleeping Bag", "Trailhead", "Outdoor", "Rated to minus five."),
    Item("desk-lamp", "LED Desk Lamp", "Lumen", "Lighting", "Dimmable, with a USB port."),
    Item("floor-lamp", "Arc Floor Lamp", "Lumen", "Lighting", "Brushed brass arm."),
    Item("pendant-light", "Glass Pendant Light", "Lumen", "Lighting", "Smoked glass shade."),
    Item("wool-blanket", "Wool Throw Blanket", "Nordhaus", "Textiles", "Woven in Scotland."),
    Item("bath-towels", "Cotton Bath Towels", "Basics", "Textiles", "A set of four."),
    Item(
        "headphones",
        "Wireless Headphones",
        "Sonica",
        "Audio",
        "Noise cancelling, with a 30 hour battery.",
    ),
    Item("speaker", "Bluetooth Speaker", "Sonica", "Audio", "Waterproof; it fits in a bag."),
    Item("backpack", "Laptop Backpack", "Trailhead", "Bags", "A padded 15 inch sleeve."),
    Item("tote-bag", "Canvas Tote Bag", "Basics", "Bags", "Printed organic canvas."),
    Item("ceramic-mug", "Ceramic Mug", "Brewster", "Kitchen", "Pairs well with a kettle."),
    Item("teapot", "Cast Iron Teapot", "Ironwood", "Kitchen", "A Japanese tetsubin."),
    Item("plant-pot", "Terracotta Plant Pot", "Basics", "Garden", "With a drainage hole."),
    Item("garden-hose", "Expandable Garden Hose", "Basics", "Garden", "Stretches to 30 m."),
)

# (what the shopper types, the products that must all be in the top three)
QUERIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Exact titles.
    ("Oak Dining Table", ("oak-dining-table",)),
    ("Espresso Machine", ("espresso-machine",)),
    ("Wireless Headphones", ("headphones",)),
    ("Cast Iron Skillet", ("cast-iron-skillet",)),
    ("Yoga Mat", ("yoga-mat",)),
    ("Sleeping Bag", ("sleeping-bag",)),
    ("Cast Iron Teapot", ("teapot",)),
    # Brands, alone and with a word of the title.
    ("Sonica", ("headphones", "speaker")),
    ("Lumen", ("desk-lamp", "floor-lamp", "pendant-light")),
    ("Ironwood", ("cast-iron-skillet", "teapot")),
    ("Edgecraft", ("chef-knife", "bread-knife")),
    ("zenith", ("yoga-mat", "dumbbells")),
    ("sonica speaker", ("speaker",)),
    ("trailhead jacket", ("rain-jacket", "puffer-jacket")),
    ("nordhaus oak", ("oak-dining-table", "oak-coffee-table")),
    # Plural and singular.
    ("socks", ("merino-socks", "ankle-socks")),
    ("sock", ("merino-socks", "ankle-socks")),
    ("jackets", ("rain-jacket", "puffer-jacket", "denim-jacket")),
    ("knives", ("chef-knife", "bread-knife")),
    ("lamps", ("desk-lamp", "floor-lamp")),
    ("towel", ("bath-towels",)),
    ("boot", ("hiking-boots",)),
    ("shoe", ("running-shoes",)),
    ("kettles", ("electric-kettle", "stovetop-kettle")),
    ("mugs", ("ceramic-mug",)),
    ("dumbbell", ("dumbbells",)),
    ("bookshelves", ("pine-bookshelf",)),
    # Two-word phrases.
    ("dining table", ("oak-dining-table",)),
    ("coffee table", ("oak-coffee-table",)),
    ("frying pan", ("frying-pan", "cast-iron-skillet")),
    ("rain jacket", ("rain-jacket",)),
    ("sofa bed", ("linen-sofa-bed",)),
    ("walnut chair", ("walnut-dining-chair",)),
    ("water bottle", ("water-bottle",)),
    ("leather boots", ("hiking-boots",)),
    ("oak table", ("oak-dining-table", "oak-coffee-table")),
    ("kettle", ("electric-kettle", "stovetop-kettle")),
    ("chef knife", ("chef-knife",)),
    # One letter wrong, missing or doubled.
    ("kettel", ("electric-kettle", "stovetop-kettle")),
    ("hedphones", ("headphones",)),
    ("espreso", ("espresso-machine",)),
    ("blankett", ("wool-blanket",)),
    ("backpak", ("backpack",)),
    ("skilet", ("cast-iron-skillet",)),
    ("Sonika", ("headphones", "speaker")),
    # Two letters wrong.
    ("expresso machne", ("espresso-machine",)),
    ("bluetoth speeker", ("speaker",)),
    ("dumbels", ("dumbbells",)),
    ("tabel", ("oak-dining-table", "oak-coffee-table")),
    ("lether boots", ("hiking-boots",)),
    ("wireles headphones", ("headphones",)),
    ("sleepng bag", ("sleeping-bag",)),
    ("ceramik mug", ("ceramic-mug",)),
    ("terracota pot", ("plant-pot",)),
    # A word found in the description only.
    ("tetsubin", ("teapot",)),
    ("frother", ("espresso-machine",)),
    ("vibram", ("hiking-boots",)),
    ("Scotland", ("wool-blanket",)),
    ("noise cancelling", ("headphones",)),
)
