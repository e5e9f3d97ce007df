"""Food importers: USDA SR28, USDA FoodData Central and Open Food Facts into ``meal.Food``.

``manage.py import_foods`` is their command line; ``base`` holds the validation and the
set-based writer they share, ``rules`` the allergen and diet rules for USDA foods.
"""

from .base import ImportFormatError, ImportReport, Progress
from .off import import_off
from .usda_fdc import import_usda_fdc
from .usda_sr import SHIPPED_DIR as SHIPPED_SR28_DIR
from .usda_sr import import_usda_sr

__all__ = [
    "SHIPPED_SR28_DIR",
    "ImportFormatError",
    "ImportReport",
    "Progress",
    "import_off",
    "import_usda_fdc",
    "import_usda_sr",
]
