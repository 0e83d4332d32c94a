"""What the simulated general retailer sells: departments, product lines, brands, palettes.

A :class:`Line` is one leaf of the category tree (``Home > Kitchen > Kettles``) and says how
its products are named (qualifier + noun, with the size in the name where shoppers expect
it: ``Glass kettle 1.7 L``), what they cost (the median of a lognormal) and which colours and
sizes they come in. Brands belong to a department and carry a price tier.
"""

from __future__ import annotations

from dataclasses import dataclass

from shopstream.catalog import CategoryPath


@dataclass(frozen=True, slots=True)
class Brand:
    """A brand and its price tier: a factor on the median price of a line."""

    name: str
    tier: float


@dataclass(frozen=True, slots=True)
class Line:
    """A leaf category and how its products are named, priced and varied."""

    path: CategoryPath
    nouns: tuple[str, ...]
    qualifiers: tuple[str, ...]
    median_price: float
    blurb: str
    colours: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    size_in_name: bool = False
    popularity: float = 1.0
    price_spread: float = 0.35


@dataclass(frozen=True, slots=True)
class Department:
    name: str
    brands: tuple[Brand, ...]
    lines: tuple[Line, ...]


_HOME_COLOURS = ("White", "Charcoal", "Sage", "Terracotta", "Oat", "Navy", "Mustard")
_FASHION_COLOURS = ("Black", "Navy", "Ivory", "Olive", "Rust", "Camel", "Dusty pink", "Denim")
_TECH_COLOURS = ("Black", "White", "Silver", "Graphite", "Midnight blue")
_GARDEN_COLOURS = ("Green", "Black", "Natural", "Anthracite")
_SPORT_COLOURS = ("Black", "Cobalt", "Red", "Lime", "Grey", "Teal")
_APPAREL = ("XS", "S", "M", "L", "XL")
_WOMEN_SHOES = ("6", "7", "8", "9", "10")
_MEN_SHOES = ("8", "9", "10", "11", "12")


def _line(
    path: str,
    *nouns: str,
    qualifiers: tuple[str, ...],
    median_price: float,
    blurb: str,
    colours: tuple[str, ...] = (),
    sizes: tuple[str, ...] = (),
    size_in_name: bool = False,
    popularity: float = 1.0,
    price_spread: float = 0.35,
) -> Line:
    return Line(
        path=tuple(path.split(" > ")),
        nouns=nouns,
        qualifiers=qualifiers,
        median_price=median_price,
        blurb=blurb,
        colours=colours,
        sizes=sizes,
        size_in_name=size_in_name,
        popularity=popularity,
        price_spread=price_spread,
    )


# fmt: off
DEPARTMENTS: tuple[Department, ...] = (
    Department(
        "Home",
        (Brand("Hearth & Co", 1.0), Brand("Nordvik", 1.3), Brand("Kiln", 1.6), Brand("Oakmoor", 0.75), Brand("Brightside", 0.6)),
        (
            _line("Home > Kitchen > Kettles", "kettle", qualifiers=("Glass", "Stainless steel", "Matte", "Retro", "Cordless"), median_price=45.0, blurb="Boils fast, pours clean and switches off by itself.", colours=_HOME_COLOURS, sizes=("1.0 L", "1.5 L", "1.7 L"), size_in_name=True, popularity=0.8),
            _line("Home > Kitchen > Mugs", "mug", "cup", "espresso cup", qualifiers=("Stoneware", "Porcelain", "Enamel", "Speckled", "Double-walled glass"), median_price=12.0, blurb="Dishwasher and microwave safe.", colours=_HOME_COLOURS, popularity=1.4),
            _line("Home > Kitchen > Cookware", "frying pan", "saucepan", "casserole dish", "wok", "stockpot", qualifiers=("Cast iron", "Non-stick", "Stainless steel", "Copper", "Ceramic"), median_price=55.0, blurb="Works on every hob, induction included.", colours=_HOME_COLOURS, sizes=("20 cm", "24 cm", "28 cm"), size_in_name=True, popularity=1.2),
            _line("Home > Kitchen > Small Appliances", "toaster", "blender", "coffee maker", "stand mixer", "air fryer", qualifiers=("Compact", "Digital", "Classic", "Pro", "Smart"), median_price=85.0, blurb="Two-year guarantee included.", colours=_HOME_COLOURS, popularity=1.1, price_spread=0.5),
            _line("Home > Bedding > Duvet Covers", "duvet cover set", "pillowcase pair", "fitted sheet", qualifiers=("Cotton percale", "Washed linen", "Brushed cotton", "Sateen"), median_price=45.0, blurb="Breathable, soft and easy to iron.", colours=_HOME_COLOURS, sizes=("Twin", "Full", "Queen", "King")),
            _line("Home > Bath > Towels", "bath towel", "hand towel", "bath sheet", qualifiers=("Organic cotton", "Waffle", "Quick-dry", "Plush"), median_price=18.0, blurb="Thirsty loops that stay soft wash after wash.", colours=_HOME_COLOURS),
            _line("Home > Decor > Candles", "scented candle", "pillar candle", "candle set", qualifiers=("Soy wax", "Fig and cedar", "Sea salt", "Vanilla bean", "Amber"), median_price=20.0, blurb="Hand-poured, with a clean and even burn.", popularity=0.9),
            _line("Home > Decor > Lamps", "table lamp", "floor lamp", "desk lamp", qualifiers=("Brass", "Rattan", "Ceramic", "Industrial", "Linen shade"), median_price=70.0, blurb="Warm light; bulb sold separately.", colours=_HOME_COLOURS, popularity=0.8),
            _line("Home > Furniture > Chairs", "dining chair", "armchair", "bar stool", qualifiers=("Oak", "Velvet", "Rattan", "Powder-coated steel"), median_price=150.0, blurb="Solid frame, simple to assemble.", colours=_HOME_COLOURS, popularity=0.6, price_spread=0.45),
        ),
    ),
    Department(
        "Fashion",
        (Brand("Marlow", 1.0), Brand("Thread Theory", 0.7), Brand("Aster", 1.4), Brand("Northline", 1.1), Brand("Loom & Lane", 1.8), Brand("Basics Lab", 0.5)),
        (
            _line("Fashion > Women > Dresses", "midi dress", "wrap dress", "maxi dress", "shirt dress", qualifiers=("Linen", "Floral", "Satin", "Jersey", "Broderie"), median_price=60.0, blurb="Easy fit with pockets.", colours=_FASHION_COLOURS, sizes=_APPAREL, popularity=1.5),
            _line("Fashion > Women > Tops", "blouse", "t-shirt", "knit top", "camisole", qualifiers=("Cotton", "Silk", "Striped", "Ribbed", "Organic cotton"), median_price=30.0, blurb="A wardrobe staple in a relaxed cut.", colours=_FASHION_COLOURS, sizes=_APPAREL, popularity=1.5),
            _line("Fashion > Women > Shoes", "ankle boots", "sneakers", "loafers", "sandals", qualifiers=("Leather", "Suede", "Canvas", "Platform"), median_price=80.0, blurb="Cushioned insole for all-day comfort.", colours=_FASHION_COLOURS, sizes=_WOMEN_SHOES, popularity=1.2),
            _line("Fashion > Men > Shirts", "oxford shirt", "flannel shirt", "polo shirt", "linen shirt", qualifiers=("Slim-fit", "Regular-fit", "Brushed", "Garment-dyed"), median_price=40.0, blurb="Cut from soft, long-staple cotton.", colours=_FASHION_COLOURS, sizes=_APPAREL, popularity=1.1),
            _line("Fashion > Men > Jeans", "slim jeans", "straight jeans", "relaxed jeans", qualifiers=("Dark wash", "Stretch", "Selvedge", "Light wash"), median_price=55.0, blurb="Five pockets and a button fly.", colours=("Indigo", "Black", "Stone", "Mid blue"), sizes=("30W", "32W", "34W", "36W", "38W")),
            _line("Fashion > Men > Shoes", "sneakers", "chelsea boots", "loafers", "derby shoes", qualifiers=("Leather", "Suede", "Canvas", "Waxed"), median_price=90.0, blurb="Rubber sole with a good grip.", colours=_FASHION_COLOURS, sizes=_MEN_SHOES, popularity=0.9),
            _line("Fashion > Kids > Clothing", "hoodie", "t-shirt", "pyjama set", "raincoat", qualifiers=("Dinosaur", "Rainbow", "Striped", "Organic cotton"), median_price=20.0, blurb="Made to be played in.", colours=_FASHION_COLOURS, sizes=("2-3Y", "4-5Y", "6-7Y", "8-9Y"), popularity=0.9),
            _line("Fashion > Accessories > Bags", "tote bag", "backpack", "crossbody bag", "wallet", qualifiers=("Leather", "Canvas", "Recycled nylon", "Woven"), median_price=45.0, blurb="Room for the essentials and then some.", colours=_FASHION_COLOURS, popularity=0.8),
            _line("Fashion > Accessories > Watches", "watch", qualifiers=("Minimalist", "Chronograph", "Field", "Dress"), median_price=110.0, blurb="Sapphire-coated glass, water resistant to 50 m.", colours=("Gold", "Silver", "Black", "Rose gold"), popularity=0.5, price_spread=0.5),
        ),
    ),
    Department(
        "Electronics",
        (Brand("Voltra", 1.0), Brand("Sonique", 1.5), Brand("Pixelon", 1.2), Brand("Arcwave", 0.7), Brand("Kestrel", 1.9)),
        (
            _line("Electronics > Audio > Headphones", "over-ear headphones", "wireless earbuds", "on-ear headphones", qualifiers=("Noise-cancelling", "Wireless", "Studio", "Sport"), median_price=120.0, blurb="Up to 30 hours of battery life.", colours=_TECH_COLOURS, popularity=1.3, price_spread=0.5),
            _line("Electronics > Audio > Speakers", "bluetooth speaker", "smart speaker", "soundbar", qualifiers=("Portable", "Waterproof", "Compact", "Room-filling"), median_price=100.0, blurb="Rich sound from a small box.", colours=_TECH_COLOURS, popularity=0.9, price_spread=0.5),
            _line("Electronics > Computers > Laptops", "laptop", qualifiers=("Ultralight", "Creator", "Everyday", "Gaming"), median_price=900.0, blurb="All-day battery and a bright display.", colours=_TECH_COLOURS, sizes=("13-inch", "14-inch", "15-inch", "16-inch"), size_in_name=True, popularity=0.6),
            _line("Electronics > Computers > Accessories", "wireless mouse", "keyboard", "USB-C hub", "laptop sleeve", "webcam", qualifiers=("Ergonomic", "Slim", "Mechanical", "Travel"), median_price=35.0, blurb="Plug in and get going.", colours=_TECH_COLOURS, popularity=1.1),
            _line("Electronics > Phones > Cases & Chargers", "phone case", "wireless charger", "power bank", "charging cable", qualifiers=("Fast", "Rugged", "Clear", "MagSafe-compatible"), median_price=22.0, blurb="Fits the latest models.", colours=_TECH_COLOURS, popularity=1.3),
            _line("Electronics > TV & Video > TVs", "4K TV", "OLED TV", "QLED TV", qualifiers=("Smart", "Frameless", "Ambient"), median_price=650.0, blurb="Streaming apps built in.", sizes=('43"', '50"', '55"', '65"'), size_in_name=True, popularity=0.5, price_spread=0.45),
            _line("Electronics > Cameras", "mirrorless camera", "action camera", "instant camera", qualifiers=("Compact", "Vlogging", "Weatherproof", "Retro"), median_price=350.0, blurb="Sharp pictures in any light.", colours=_TECH_COLOURS, popularity=0.5, price_spread=0.6),
        ),
    ),
    Department(
        "Garden",
        (Brand("Greenreach", 1.0), Brand("Fernhill", 1.4), Brand("Terracotta Lane", 1.2), Brand("Yardwise", 0.7)),
        (
            _line("Garden > Tools", "pruning shears", "trowel", "garden fork", "hose reel", "watering can", qualifiers=("Stainless", "Ash-handled", "Lightweight", "Heavy-duty"), median_price=25.0, blurb="Built to last season after season.", colours=_GARDEN_COLOURS, popularity=0.9),
            _line("Garden > Furniture", "bistro set", "lounger", "garden bench", "parasol", qualifiers=("Acacia", "Aluminium", "Rattan-effect", "Folding"), median_price=180.0, blurb="Weatherproof and easy to store.", colours=_GARDEN_COLOURS, popularity=0.6, price_spread=0.5),
            _line("Garden > Plants & Seeds", "herb seed kit", "lavender plant", "olive tree", "succulent trio", qualifiers=("Organic", "Pet-safe", "Hardy", "Potted"), median_price=15.0, blurb="Grown by independent nurseries.", popularity=0.8),
            _line("Garden > Outdoor Cooking", "charcoal grill", "gas grill", "pizza oven", "grill tool set", qualifiers=("Kettle", "Portable", "Two-burner", "Cast iron"), median_price=150.0, blurb="Fires up in minutes.", colours=_GARDEN_COLOURS, popularity=0.6, price_spread=0.55),
        ),
    ),
    Department(
        "Beauty",
        (Brand("Lumi", 1.0), Brand("Petal & Pine", 1.3), Brand("Dermae", 1.8), Brand("Sol", 0.7)),
        (
            _line("Beauty > Skincare", "moisturizer", "serum", "cleanser", "face mask", "eye cream", qualifiers=("Hydrating", "Vitamin C", "Gentle", "Retinol", "Niacinamide"), median_price=24.0, blurb="Dermatologist tested, fragrance free.", sizes=("30 ml", "50 ml"), size_in_name=True, popularity=1.3),
            _line("Beauty > Makeup", "lipstick", "mascara", "foundation", "blush", qualifiers=("Matte", "Long-wear", "Sheer", "Volumising"), median_price=18.0, blurb="Buildable colour that lasts.", colours=("Nude", "Berry", "Coral", "Rosewood", "Deep brown"), popularity=1.1),
            _line("Beauty > Fragrance", "eau de parfum", "eau de toilette", qualifiers=("Amber", "Citrus", "Oud", "Fresh linen", "Jasmine"), median_price=65.0, blurb="Long-lasting, with notes that change through the day.", sizes=("30 ml", "50 ml", "100 ml"), size_in_name=True, popularity=0.8),
            _line("Beauty > Hair Care", "shampoo", "conditioner", "hair oil", "hair dryer", qualifiers=("Repairing", "Volumising", "Curl", "Ionic"), median_price=16.0, blurb="For every hair type.", price_spread=0.6),
        ),
    ),
    Department(
        "Sports",
        (Brand("Stride", 1.0), Brand("Summit Gear", 1.4), Brand("Apex", 1.7), Brand("Tidewater", 0.8)),
        (
            _line("Sports > Fitness", "yoga mat", "dumbbell set", "resistance bands", "kettlebell", qualifiers=("Non-slip", "Adjustable", "Cork", "Pro"), median_price=30.0, blurb="Made for home workouts.", colours=_SPORT_COLOURS),
            _line("Sports > Running", "running shoes", "running jacket", "running shorts", "hydration vest", qualifiers=("Lightweight", "Trail", "Reflective", "Cushioned"), median_price=65.0, blurb="Breathable and quick to dry.", colours=_SPORT_COLOURS, sizes=_APPAREL),
            _line("Sports > Cycling", "bike helmet", "bike light set", "cycling gloves", "bike lock", qualifiers=("Commuter", "Road", "Rechargeable", "Gel-padded"), median_price=45.0, blurb="Be seen and stay safe.", colours=_SPORT_COLOURS, popularity=0.7),
            _line("Sports > Camping", "tent", "sleeping bag", "camping stove", "headlamp", qualifiers=("Two-person", "Ultralight", "Three-season", "Waterproof"), median_price=70.0, blurb="Packs small, sets up fast.", colours=_SPORT_COLOURS, popularity=0.7, price_spread=0.5),
        ),
    ),
    Department(
        "Toys & Games",
        (Brand("Playbright", 1.0), Brand("Kinder Kraft", 1.3), Brand("Meeple & Co", 1.1)),
        (
            _line("Toys & Games > Board Games", "board game", "1000-piece puzzle", "card game", qualifiers=("Family", "Strategy", "Party", "Cooperative"), median_price=28.0, blurb="For two to six players, ages eight and up.", popularity=0.8),
            _line("Toys & Games > Building Sets", "building set", "marble run", "magnetic tiles", qualifiers=("Starter", "Space", "City", "Deluxe"), median_price=40.0, blurb="Hours of building, again and again.", popularity=0.7, price_spread=0.5),
        ),
    ),
)
# fmt: on
"""The general retailer's departments, in the order the storefront lists them."""
