"""Allergens and diet flags for USDA foods, derived from the food's name and USDA food group.

USDA data (SR28, FoodData Central) states neither allergens nor diets, so they are derived
from the description with the keyword rules below. They are a heuristic for filtering and
suggestions, never a guarantee: an allergen missing from the list only means none of its
keywords is in the name, and a diet flag is ``None`` (unknown) whenever a rule is unsure.

Before matching, the name is lower-cased, negations are removed ("without milk", "no salt
added", "not breaded", "gluten-free", "non-dairy") and plant foods named after animal
foods are rewritten to what they are ("peanut butter" -> peanut, "coconut milk" ->
coconut, "cream of wheat" -> wheat, "butternut", "oyster mushroom", "poultry seasoning",
"cream style" corn ...). Keywords then match whole words, with an optional plural ("egg"
matches "eggs", not "eggplant").

Allergens (EU-14 codes of ``users.models.Allergen``):

- ``milk``: milk, cheese, butter, cream, yogurt, whey, casein, ghee, kefir, custard ...;
  every food of the group "Dairy and Egg Products" (0100) except eggs alone.
- ``eggs``: egg, yolk, mayonnaise, meringue, eggnog, fresh pasta (made with egg).
- ``fish``: fish names (salmon, tuna, cod, anchovy ...), roe, caviar, surimi, Worcestershire
  sauce; every food of "Finfish and Shellfish Products" (1500) that is not a crustacean or
  a mollusc.
- ``crustaceans``: crab, lobster, shrimp, prawn, crayfish, crawfish, langoustine, krill.
- ``molluscs``: clam, mussel, oyster, scallop, squid, octopus, calamari, snail, abalone ...
- ``peanuts``: peanut, groundnut.
- ``tree_nuts``: almond, hazelnut, filbert, walnut, cashew, pecan, Brazil nut, pistachio,
  macadamia, mixed nuts (the EU list: coconut, chestnut and pine nuts are not on it).
- ``soy``: soy, soya, soybean, tofu, tempeh, miso, edamame, natto.
- ``gluten``: wheat, barley, rye, oat, spelt, kamut, semolina, durum, bulgur, couscous,
  farina, seitan, triticale, malt, and foods made from wheat flour (bread, pasta, noodles,
  cake, cookie, cracker, bagel, muffin, pizza, pretzel, waffle, breaded ...); not rice
  noodles, rice cakes or anything "gluten-free".
- ``celery``: celery, celeriac. ``mustard``: mustard (not mustard greens or spinach).
  ``sesame``: sesame, tahini. ``lupin``: lupin, lupini.
- ``sulphites``: sulfite, sulfured, sulfur dioxide, wine (wine and wine vinegar).

Diet flags, the first rule that applies wins (``vegan``, ``vegetarian``):

1. Groups of meat, poultry and fish (0500, 0700, 1000, 1300, 1500, 1700): False, False.
2. A meat substitute ("meatless", "vegetarian", "veggie", "imitation" ...): the meat words
   in its name are not meat. Vegan is False if an animal product (milk, egg, honey ...) is
   named, else unknown; vegetarian is unknown (such products may hold egg, gelatin, rennet).
3. A meat, fish or shellfish word, lard, tallow, gelatin, broth of meat ...: False, False.
4. An animal product (milk, cheese, butter, cream, egg, honey ...) or the group "Dairy
   and Egg Products": vegan False; vegetarian True for plant groups and for dairy and eggs
   without cheese (cheese may be made with animal rennet), else unknown.
5. Plant groups (spices and herbs 0200, fruits 0900, vegetables 1100, nuts and seeds 1200,
   legumes 1600, cereal grains and pasta 2000), and oils ("Oil, ..." in fats and oils 0400):
   True, True; unknown for restaurant dishes and chow mein noodles, whose recipes vary.
6. Anything else (baked products, sweets, beverages, soups, fast foods, mixed dishes,
   breakfast cereals ...): unknown, unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MEAT_GROUPS = frozenset({"0500", "0700", "1000", "1300", "1500", "1700"})
DAIRY_EGG_GROUP = "0100"
FISH_GROUP = "1500"
FATS_OILS_GROUP = "0400"
PLANT_GROUPS = frozenset({"0200", "0900", "1100", "1200", "1600", "2000"})


def _words(*words: str) -> re.Pattern[str]:
    """Whole words (or phrases), each with an optional plural ending."""
    alternatives = "|".join(re.escape(word).replace(r"\ ", r"[\s-]+") for word in words)
    return re.compile(rf"\b(?:{alternatives})(?:e?s)?\b")


# Removed from the name before any keyword matches.
_NEGATIONS = re.compile(r"\b(?:without|not|no|non|free of)[\s-]+(?:added\s+)?[a-z]+|\b[a-z]+[\s-]free\b")
# Plant foods named after animal foods, and what they are for the rules below.
_MISLEADING_PHRASES = {
    "peanut butter": "peanut",
    "nut butter": "nut",
    "almond butter": "almond",
    "cashew butter": "cashew",
    "sesame butter": "sesame",
    "sunflower seed butter": "sunflower seed",
    "seed butter": "seed",
    "soy butter": "soy",
    "cocoa butter": "cocoa",
    "apple butter": "apple",
    "nutmeg butter": "nutmeg",
    "shea butter": "shea",
    "sheanut butter": "sheanut",
    "ucuhuba butter": "ucuhuba",
    "hard butter": "fat",
    "bread and butter": "sweet",
    "butter bean": "bean",
    "butternut": "squash",
    "butterhead": "lettuce",
    "butterbur": "butterbur",
    "buttercup": "squash",
    "cream style": "style",
    "creamed corn": "corn",
    "cream of tartar": "tartar",
    "cream of wheat": "wheat",
    "cream of rice": "rice",
    "cream soda": "soda",
    "coconut meat": "coconut",
    "coconut milk": "coconut",
    "coconut cream": "coconut",
    "coconut water": "coconut",
    "soymilk": "soy",
    "soy milk": "soy",
    "almond milk": "almond",
    "rice milk": "rice",
    "oat milk": "oat",
    "milk substitute": "substitute",
    "poultry seasoning": "seasoning",
    "oyster mushroom": "mushroom",
    "mushrooms, oyster": "mushroom",
    "mustard green": "greens",
    "mustard spinach": "greens",
    "rice noodle": "rice",
    "rice cake": "rice",
    "chicken of the woods": "mushroom",
}
_MISLEADING = re.compile(
    r"\b(" + "|".join(re.escape(phrase).replace(r"\ ", r"[\s-]+") for phrase in _MISLEADING_PHRASES) + r")(?:e?s)?\b"
)

# Meat substitutes: rule 2.
_SUBSTITUTE = _words("meatless", "vegetarian", "veggie", "vegan", "meat substitute", "meat extender", "imitation")

_MILK = _words(
    "milk",
    "buttermilk",
    "cheese",
    "cheeseburger",
    "butter",
    "buttered",
    "cream",
    "creamer",
    "creamy",
    "ice cream",
    "sour cream",
    "yogurt",
    "yoghurt",
    "whey",
    "casein",
    "caseinate",
    "lactose",
    "ghee",
    "kefir",
    "custard",
    "eggnog",
    "dulce de leche",
    "ricotta",
    "mozzarella",
    "parmesan",
    "cheddar",
    "milkshake",
)
_CHEESE = _words("cheese", "cheeseburger", "ricotta", "mozzarella", "parmesan", "cheddar")
_EGGS = _words("egg", "yolk", "egg white", "mayonnaise", "meringue", "eggnog", "pasta, fresh")
_HONEY = _words("honey", "royal jelly")
_FISH = _words(
    "fish",
    "catfish",
    "shellfish",
    "anchovy",
    "anchovie",
    "salmon",
    "tuna",
    "cod",
    "haddock",
    "halibut",
    "herring",
    "mackerel",
    "sardine",
    "trout",
    "tilapia",
    "pollock",
    "sea bass",
    "striped bass",
    "carp",
    "perch",
    "snapper",
    "swordfish",
    "flounder",
    "whiting",
    "eel",
    "roe",
    "caviar",
    "surimi",
    "worcestershire",
    "bonito",
    "mahimahi",
    "grouper",
    "sturgeon",
    "whitefish",
    "pompano",
    "croaker",
    "roughy",
    "burbot",
    "cusk",
    "smelt",
    "dolphinfish",
)
_CRUSTACEANS = _words("crab", "lobster", "shrimp", "prawn", "crayfish", "crawfish", "langoustine", "krill")
_MOLLUSCS = _words(
    "clam",
    "mussel",
    "oyster",
    "scallop",
    "squid",
    "octopus",
    "calamari",
    "snail",
    "escargot",
    "abalone",
    "whelk",
    "conch",
    "cuttlefish",
)
_MEAT = _words(
    "meat",
    "beef",
    "veal",
    "pork",
    "ham",
    "bacon",
    "lamb",
    "mutton",
    "chicken",
    "turkey",
    "duck",
    "goose",
    "poultry",
    "sausage",
    "salami",
    "pepperoni",
    "frankfurter",
    "bologna",
    "hot dog",
    "jerky",
    "lard",
    "tallow",
    "suet",
    "gelatin",
    "gelatine",
    "venison",
    "rabbit",
    "bison",
    "buffalo",
    "elk",
    "moose",
    "caribou",
    "giblet",
    "liver",
    "meatball",
    "meatloaf",
    "chorizo",
    "prosciutto",
    "pancetta",
    "pate",
    "broth",
    "bouillon",
    "consomme",
    "pemmican",
    "gravy",
)
_PEANUTS = _words("peanut", "groundnut")
_TREE_NUTS = _words(
    "almond",
    "hazelnut",
    "filbert",
    "walnut",
    "cashew",
    "pecan",
    "brazil nut",
    "brazilnut",
    "pistachio",
    "macadamia",
    "queensland nut",
    "mixed nut",
    "praline",
    "marzipan",
)
_SOY = _words("soy", "soya", "soybean", "tofu", "tempeh", "miso", "edamame", "natto")
_GLUTEN = _words(
    "wheat",
    "barley",
    "rye",
    "oat",
    "oatmeal",
    "spelt",
    "kamut",
    "semolina",
    "durum",
    "bulgur",
    "couscous",
    "farina",
    "seitan",
    "triticale",
    "malt",
    "malted",
    "bread",
    "breaded",
    "breadcrumb",
    "bagel",
    "biscuit",
    "bun",
    "cake",
    "cookie",
    "cracker",
    "croissant",
    "crouton",
    "doughnut",
    "muffin",
    "pancake",
    "pastry",
    "pie crust",
    "pizza",
    "pretzel",
    "waffle",
    "pasta",
    "spaghetti",
    "macaroni",
    "lasagna",
    "ravioli",
    "noodle",
    "graham",
    "wafer",
    "brownie",
    "beer",
)
_CELERY = _words("celery", "celeriac")
_MUSTARD = _words("mustard")
_SESAME = _words("sesame", "tahini")
_SULPHITES = _words("sulfite", "sulphite", "sulfured", "sulphured", "sulfur dioxide", "wine")
_LUPIN = _words("lupin", "lupine", "lupini")
# Plant foods whose recipe varies too much to call them vegan (rule 5).
_UNSURE = _words("restaurant", "chow mein")
_OIL = re.compile(r"^oils?\b")


@dataclass(frozen=True)
class Derived:
    allergens: list[str] = field(default_factory=list)
    vegan: bool | None = None
    vegetarian: bool | None = None


def _clean(name: str) -> str:
    text = name.lower()
    text = _NEGATIONS.sub(" ", text)
    return _MISLEADING.sub(lambda match: _MISLEADING_PHRASES[re.sub(r"[\s-]+", " ", match.group(1))], text)


def derive(name: str, group_code: str | None) -> Derived:
    """Allergens and diet flags of a USDA food (rules in the module docstring)."""
    text = _clean(name)
    group = group_code or ""
    allergens = _allergens(text, group)
    vegan, vegetarian = _diet(text, group)
    return Derived(allergens=allergens, vegan=vegan, vegetarian=vegetarian)


def _allergens(text: str, group: str) -> list[str]:
    found: list[str] = []
    has_egg = bool(_EGGS.search(text))
    has_milk = bool(_MILK.search(text))
    crustacean = bool(_CRUSTACEANS.search(text))
    mollusc = bool(_MOLLUSCS.search(text))
    if _GLUTEN.search(text):
        found.append("gluten")
    if crustacean:
        found.append("crustaceans")
    if has_egg:
        found.append("eggs")
    if _FISH.search(text) or (group == FISH_GROUP and not (crustacean or mollusc)):
        found.append("fish")
    if _PEANUTS.search(text):
        found.append("peanuts")
    if _SOY.search(text):
        found.append("soy")
    if has_milk or (group == DAIRY_EGG_GROUP and not has_egg):
        found.append("milk")
    if _TREE_NUTS.search(text):
        found.append("tree_nuts")
    if _CELERY.search(text):
        found.append("celery")
    if _MUSTARD.search(text):
        found.append("mustard")
    if _SESAME.search(text):
        found.append("sesame")
    if _SULPHITES.search(text):
        found.append("sulphites")
    if _LUPIN.search(text):
        found.append("lupin")
    if mollusc:
        found.append("molluscs")
    return found


def _diet(text: str, group: str) -> tuple[bool | None, bool | None]:
    animal_product = bool(_MILK.search(text) or _EGGS.search(text) or _HONEY.search(text))
    if group in MEAT_GROUPS:
        return False, False
    if _SUBSTITUTE.search(text):
        return (False if animal_product else None), None
    if _MEAT.search(text) or _FISH.search(text) or _CRUSTACEANS.search(text) or _MOLLUSCS.search(text):
        return False, False
    if animal_product or group == DAIRY_EGG_GROUP:
        plant_base = group in PLANT_GROUPS
        dairy_without_cheese = group == DAIRY_EGG_GROUP and not _CHEESE.search(text)
        return False, (True if plant_base or dairy_without_cheese else None)
    if (group in PLANT_GROUPS or (group == FATS_OILS_GROUP and _OIL.search(text))) and not _UNSURE.search(text):
        return True, True
    return None, None
