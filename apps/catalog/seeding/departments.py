"""The demo catalog's departments: their groups, leaf categories, brands and words."""

from __future__ import annotations

from apps.catalog.seeding.options import (
    BASKET_SIZE,
    BED_SIZE,
    BOTTLE,
    CANVAS,
    CAPACITY,
    COLOUR,
    DESK_COLOUR,
    DIAMETER,
    FINISH,
    INK_COLOUR,
    PACK,
    PACK_VOLUME,
    PAINT_SET,
    PAPER,
    PERFUME,
    POWER,
    RESISTANCE,
    RULING,
    SCENT,
    SEASON,
    SHOE_SIZE,
    SIZE,
    SIZE_SML,
    SLEEPS,
    STORAGE,
    TECH_COLOUR,
    VOLUME,
    WEIGHT,
    Department,
    Leaf,
    Option,
)


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
