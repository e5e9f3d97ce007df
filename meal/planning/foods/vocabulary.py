"""Name matching, and the food groups and name words that classification goes by.

``_word_pattern`` matches whole words or phrases in a food's name, singular or plural; blocking
(``rules``), classification and cuisines all match names with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .types import (
    BABY_FOODS,
    BEEF,
    BEVERAGES,
    FAST_FOODS,
    FISH,
    GRAINS_PASTA,
    LAMB_VEAL_GAME,
    LEGUMES,
    MEALS_ENTREES,
    NATIVE_FOODS,
    PORK,
    POULTRY,
    RESTAURANT,
    SOUPS_SAUCES,
    SPICES,
    SWEETS,
    VEGETABLES,
)


def _word_pattern(words: Iterable[str]) -> re.Pattern[str]:
    """Whole words or phrases, each with an optional plural ending, case-insensitive."""
    alternatives = []
    for word in words:
        stem = " ".join(word.lower().split())
        if not stem:
            continue
        if stem.endswith("ies") and len(stem) > 4:
            body, ending = stem[:-3], "(?:y|ies)"
        elif stem.endswith("y") and len(stem) > 2 and stem[-2] not in "aeiou":
            body, ending = stem[:-1], "(?:y|ies)"
        elif stem.endswith(("ches", "shes", "sses", "xes", "oes")):
            body, ending = stem[:-2], "(?:es)?"
        elif stem.endswith("s") and not stem.endswith("ss") and len(stem) > 3:
            body, ending = stem[:-1], "(?:e?s)?"
        else:
            body, ending = stem, "(?:e?s)?"
        alternatives.append(re.escape(body).replace(r"\ ", r"[\s,-]+") + ending)
    if not alternatives:
        return re.compile(r"(?!x)x")  # matches nothing
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)


_REJECTED_GROUPS = frozenset(
    {
        BABY_FOODS,
        SPICES,
        FAST_FOODS,
        RESTAURANT,
        SOUPS_SAUCES,
        MEALS_ENTREES,
        NATIVE_FOODS,
        BEVERAGES,
        SWEETS,
    }
)
_MEAT_GROUPS = frozenset({POULTRY, PORK, BEEF, LAMB_VEAL_GAME, FISH})
_EXPENSIVE_GROUPS = frozenset({BEEF, LAMB_VEAL_GAME, FISH})
_CHEAP_GROUPS = frozenset({LEGUMES, GRAINS_PASTA, VEGETABLES})

_REJECTED_WORDS = _word_pattern(
    [
        "babyfood",
        "baby",
        "infant",
        "toddler",
        "formula",
        "powder",
        "powdered",
        "dehydrated",
        "concentrate",
        "juice",
        "nectar",
        "drink",
        "beverage",
        "smoothie",
        "shake",
        "unprepared",
        "uncooked",
        "not reconstituted",
        "dry mix",
        "mix, dry",
        "industrial",
        "shortening",
        "lard",
        "tallow",
        "suet",
        "fish oil",
        "seal",
        "walrus",
        "whale",
        "protein isolate",
        "wheat gluten",
        "isolate",
        "yeast",
        "leavening",
        "extract",
        "seasoning",
        "pie filling",
        "frosting",
        "topping",
        "candied",
        "variety meats",
        "by-products",
        "giblets",
        "mechanically separated",
        "skin only",
        "fat only",
        "separable fat",
        "seam fat",
        "cartilage",
        "feet",
        "tail",
        "snout",
        "chitterlings",
        "as purchased",
        "restaurant",
        "spray",
    ]
)
_DRIED = re.compile(
    r"\b(?:dried|desiccated|freeze-dried|dehydrated)\b|\bdry\b(?![\s-]+(?:heat|roasted))", re.IGNORECASE
)
# Flours, meals and starches are ingredients, except in the name of a baked product ("tortillas, flour").
_INGREDIENT = _word_pattern(["flour", "meal", "starch"])
_COOKED = _word_pattern(
    [
        "cooked",
        "roasted",
        "boiled",
        "braised",
        "broiled",
        "grilled",
        "baked",
        "fried",
        "stewed",
        "simmered",
        "steamed",
        "poached",
        "smoked",
        "cured",
        "canned",
        "rotisserie",
        "heated",
        "microwaved",
        "toasted",
        "prepared",
        "moist heat",
        "dry heat",
        "scrambled",
        "kippered",
        "ready-to-eat",
        "ready-to-serve",
        "precooked",
    ]
)
_RAW = _word_pattern(["raw", "fresh"])
_SWEET_BAKED = _word_pattern(
    [
        "cake",
        "cookie",
        "pie",
        "pastry",
        "pastries",
        "doughnut",
        "danish",
        "brownie",
        "sweet roll",
        "cinnamon roll",
        "dough",
        "mix",
        "crust",
        "stuffing",
        "crouton",
        "bread crumbs",
        "coffeecake",
        "strudel",
        "turnover",
        "eclair",
        "cheesecake",
        "pop-tarts",
        "toaster pastries",
        "coating",
        "cream puff",
        "ice cream cone",
        "wafer",
        "sweet",
    ]
)
_BAKED_STARCH = _word_pattern(
    ["bread", "roll", "bagel", "tortilla", "pita", "english muffin", "toast", "biscuit", "matzo", "focaccia"]
)
_BAKED_BREAKFAST = _word_pattern(["pancake", "waffle", "french toast", "muffin", "croissant"])
_BAKED_SNACK = _word_pattern(["cracker", "crispbread", "rice cake", "melba toast", "breadstick"])
_DAIRY_REJECTED = _word_pattern(
    [
        "ice cream",
        "ice milk",
        "frozen",
        "dessert",
        "custard",
        "eggnog",
        "milkshake",
        "substitute",
        "imitation",
        "whipped",
        "sweetened condensed",
        "dulce",
        "whey",
        "casein",
        "sauce",
        "spread",
        "food",
        "cheez",
        "product",
        "pudding",
        "yolk",
        "human",
    ]
)
_EGG = _word_pattern(["egg", "egg white"])
_CHEESE = _word_pattern(["cheese"])
_SOFT_CHEESE = _word_pattern(["cottage", "ricotta", "quark", "farmer"])
_DRINKABLE_DAIRY = _word_pattern(["milk", "yogurt", "kefir", "buttermilk", "soymilk", "soy milk"])
_CREAMY_FAT = _word_pattern(["butter", "cream", "sour cream", "half and half", "ghee", "margarine"])
_DRESSING = _word_pattern(["dressing", "mayonnaise", "mayo", "sandwich spread", "tartar"])
_FAT_REJECTED = _word_pattern(
    ["frying", "hydrogenated", "confection", "animal", "beef", "chicken", "pork", "mutton", "turkey", "duck", "goose"]
)
_OIL = re.compile(r"^oils?\b", re.IGNORECASE)
_STARCHY_VEGETABLES = _word_pattern(
    ["potato", "sweet potato", "yam", "cassava", "taro", "plantain", "corn", "parsnip", "hominy", "breadfruit"]
)
_VEGETABLE_REJECTED = _word_pattern(
    ["paste", "sauce", "ketchup", "catsup", "puree", "flakes", "chips", "pickle relish"]
)
_SNACKING_VEGETABLES = _word_pattern(["carrot", "celery", "cucumber", "tomato", "peppers, sweet", "radish", "snap pea"])
_READY_LEGUMES = _word_pattern(
    [
        "tofu",
        "tempeh",
        "hummus",
        "falafel",
        "natto",
        "soymilk",
        "soy milk",
        "peanut butter",
        "peanuts",
        "edamame",
        "refried",
        "veggie",
        "meatless",
    ]
)
_PEANUT = _word_pattern(["peanut", "peanuts"])
_LEGUME_REJECTED = _word_pattern(["miso", "soy sauce", "creamer", "frozen", "mature seeds, raw", "sprouted, raw"])
_NUTS_REJECTED = _word_pattern(["milk", "water", "cream", "oil", "paste", "protein"])
_NUT_BUTTER = _word_pattern(["butter", "tahini", "spread"])
_CEREALS_RTE = _word_pattern(["ready-to-eat"])
_BREAKFAST_MEAT = _word_pattern(["bacon", "sausage", "ham", "canadian bacon", "salmon, smoked", "lox"])
_FRUIT_REJECTED = _word_pattern(["pie filling", "heavy syrup", "fruit cocktail, canned, extra heavy syrup", "sauce"])
