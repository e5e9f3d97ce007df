"""Cuisines: a preference, never a filter.

``cuisine_match`` tells whether a food's name fits one of the user's cuisines: the cuisine's own
word ("italian") or one of its keywords below. The optimizer draws and prefers matching foods;
foods matching none stay allowed.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .types import FoodFacts
from .vocabulary import _word_pattern

CUISINE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "italian": (
        "pasta",
        "spaghetti",
        "macaroni",
        "penne",
        "lasagna",
        "ravioli",
        "gnocchi",
        "polenta",
        "mozzarella",
        "parmesan",
        "ricotta",
        "provolone",
        "olive",
        "basil",
        "tomato",
        "zucchini",
        "eggplant",
        "prosciutto",
        "focaccia",
        "ciabatta",
    ),
    "mexican": (
        "tortilla",
        "beans, black",
        "beans, pinto",
        "refried",
        "avocado",
        "salsa",
        "jalapeno",
        "chili",
        "corn",
        "queso",
        "chorizo",
        "cilantro",
        "lime",
        "tomatillo",
    ),
    "japanese": (
        "rice",
        "tofu",
        "edamame",
        "seaweed",
        "nori",
        "salmon",
        "tuna",
        "mackerel",
        "soba",
        "udon",
        "shiitake",
        "daikon",
        "natto",
        "miso",
    ),
    "chinese": ("rice", "tofu", "bok choy", "pak-choi", "noodle", "ginger", "scallion", "shiitake", "bamboo", "mung"),
    "indian": (
        "lentil",
        "chickpea",
        "dal",
        "paneer",
        "basmati",
        "curry",
        "spinach",
        "cauliflower",
        "yogurt",
        "naan",
        "ghee",
        "okra",
    ),
    "thai": ("rice", "coconut", "lemongrass", "basil", "peanut", "noodle", "tofu", "shrimp", "lime"),
    "greek": ("feta", "olive", "yogurt", "cucumber", "tomato", "lamb", "pita", "chickpea", "eggplant", "spinach"),
    "mediterranean": (
        "olive",
        "feta",
        "chickpea",
        "hummus",
        "lentil",
        "yogurt",
        "tomato",
        "eggplant",
        "pita",
        "bulgur",
        "couscous",
        "sardine",
        "salmon",
        "almond",
    ),
    "middle eastern": ("chickpea", "hummus", "tahini", "pita", "lentil", "bulgur", "lamb", "falafel", "date"),
    "french": ("baguette", "brie", "camembert", "croissant", "leek", "butter", "lentil", "duck"),
    "korean": ("kimchi", "rice", "tofu", "sesame", "seaweed", "beef", "cabbage"),
    "american": ("beef", "turkey", "potato", "corn", "cheddar", "bacon", "peanut butter", "apple"),
    "spanish": ("chorizo", "olive", "paprika", "rice", "chickpea", "tomato", "almond"),
}


@lru_cache(maxsize=256)
def _cuisine_pattern(cuisines: tuple[str, ...]) -> re.Pattern[str]:
    words: list[str] = []
    for cuisine in cuisines:
        key = " ".join(cuisine.lower().replace("_", " ").split())
        if key:
            words.append(key)
            words.extend(CUISINE_KEYWORDS.get(key, ()))
    return _word_pattern(words)


def cuisine_match(food: FoodFacts, cuisines: tuple[str, ...]) -> bool:
    """Whether the food's name fits one of the cuisines (its keywords, or the word itself)."""
    return bool(cuisines) and _cuisine_pattern(tuple(cuisines)).search(food.name) is not None
