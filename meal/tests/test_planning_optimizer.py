"""The meal plan optimizer (meal.planning): eligibility, classification, plans and swaps.

Pure: no database. Most tests plan over the real SR28 catalogue shipped in meal/data, read
with the importer's own parsing (``load_sr28``), so "within tolerance" is tested against
the foods users actually get.
"""

from __future__ import annotations

import json
from collections import Counter
from contextlib import ExitStack
from dataclasses import replace
from functools import lru_cache

import pytest

from meal.importers import usda_sr
from meal.importers.base import FoodRow, ImportReport, category_slug, prepare
from meal.models import MealTime
from meal.planning import foods
from meal.planning.foods import (
    MAX_ITEM_KCAL,
    MEAL_TIMES,
    FoodFacts,
    Preferences,
    blocked_reason,
    classify,
    cuisine_match,
    eligible,
)
from meal.planning.optimizer import (
    SLOTS,
    TOLERANCE_PCT,
    DayTargets,
    PlannedItem,
    PlanResult,
    plan,
    swap,
    totals,
)

TYPICAL = DayTargets(kcal=2200, protein_g=140, carbohydrate_g=250, fat_g=73)
SMALL = DayTargets(kcal=1600, protein_g=110, carbohydrate_g=170, fat_g=53)
OATMEAL = (
    "Cereals, oats, regular and quick, unenriched, cooked with water (includes boiling and microwaving), without salt"
)


@lru_cache(maxsize=1)
def load_sr28() -> tuple[FoodFacts, ...]:
    """Every food of the shipped SR28 files as the importer reads them, with ids 1..n (no database)."""
    report = ImportReport(source="usda-sr")
    with ExitStack() as stack:
        files = {name: stack.enter_context(usda_sr._open(usda_sr.SHIPPED_DIR, name)) for name in usda_sr.FILES}
        groups = {
            fields[0]: fields[1]
            for fields in usda_sr._table(files["FD_GROUP.txt"], "FD_GROUP.txt", usda_sr.FD_GROUP_FIELDS, report)
        }
        broken: set[str] = set()
        descriptions = {
            fields[0]: usda_sr._Description(group_code=fields[1], name=fields[2], brand=fields[5])
            for fields in usda_sr._table(files["FOOD_DES.txt"], "FOOD_DES.txt", usda_sr.FOOD_DES_FIELDS, report, broken)
        }
        portions = usda_sr._portions(files["WEIGHT.txt"], report, broken)
        rows = [
            row
            for row in usda_sr._foods(files["ABBREV.txt"], groups, descriptions, portions, broken, report)
            if isinstance(row, FoodRow) and prepare(row, report) is None
        ]
    facts = []
    for number, row in enumerate(rows, start=1):
        assert row.energy_kcal is not None and row.protein_g is not None
        assert row.carbohydrate_g is not None and row.fat_g is not None
        first = row.portions[0] if row.portions else None
        facts.append(
            FoodFacts(
                id=number,
                name=row.name,
                category=category_slug(row.category),
                kcal=row.energy_kcal,
                protein=row.protein_g,
                carbs=row.carbohydrate_g,
                fat=row.fat_g,
                fiber=row.fiber_g,
                sodium=row.sodium_mg,
                vegan=row.vegan,
                vegetarian=row.vegetarian,
                allergens=tuple(row.allergens),
                portion_label=first.label if first else None,
                portion_grams=first.grams if first else None,
            )
        )
    return tuple(facts)


@lru_cache(maxsize=1)
def by_id() -> dict[int, FoodFacts]:
    return {food.id: food for food in load_sr28()}


def named(name: str) -> FoodFacts:
    return next(food for food in load_sr28() if food.name == name)


def fact(name: str, category: str = "", **values: object) -> FoodFacts:
    base = FoodFacts(
        id=hash(name) % 1_000_000,
        name=name,
        category=category,
        kcal=100.0,
        protein=5.0,
        carbs=10.0,
        fat=3.0,
        fiber=1.0,
        sodium=50.0,
        vegan=True,
        vegetarian=True,
        allergens=(),
    )
    return replace(base, **values)


def planned_ids(result: PlanResult) -> list[int]:
    return [item.food_id for day in result.days for meal in day.meals for item in meal.items]


def assert_days_within(result: PlanResult) -> None:
    for day in result.days:
        for nutrient, limit in TOLERANCE_PCT.items():
            assert abs(day.deviation_pct[nutrient]) <= limit, (day.day, nutrient, day.deviation_pct)
        assert day.within
    assert result.feasible and result.reasons == []


# --- the catalogue and the model agree -------------------------------------------------------


def test_category_constants_are_the_importer_slugs_of_the_sr28_groups() -> None:
    names = {
        fields[1]
        for fields in usda_sr._table(
            usda_sr._open(usda_sr.SHIPPED_DIR, "FD_GROUP.txt"), "FD_GROUP.txt", 2, ImportReport(source="x")
        )
    }
    constants = {value for key, value in vars(foods).items() if key.isupper() and isinstance(value, str)}
    assert {category_slug(name) for name in names} <= constants


def test_meal_times_are_the_models() -> None:
    assert set(MEAL_TIMES) == set(MealTime.values)
    assert {time for times in SLOTS.values() for time in times} <= set(MealTime.values)


# --- blocking --------------------------------------------------------------------------------


def test_allergens_block_any_overlap_with_a_readable_reason() -> None:
    peanut_butter = named("Peanut butter, smooth style, with salt")
    assert blocked_reason(peanut_butter, Preferences(allergens=frozenset({"peanuts"}))) == "contains peanuts"
    assert blocked_reason(peanut_butter, Preferences(allergens=frozenset({"tree_nuts", "milk"}))) is None
    almonds = named("Nuts, almonds")
    assert blocked_reason(almonds, Preferences(allergens=frozenset({"tree_nuts"}))) == "contains tree nuts"


def test_excluded_words_match_whole_words_in_singular_and_plural() -> None:
    no_egg = Preferences(excluded=("egg",))
    assert blocked_reason(named("Egg, whole, cooked, hard-boiled"), no_egg) == "excluded: egg"
    assert blocked_reason(fact("Eggs, scrambled"), no_egg) == "excluded: egg"
    assert blocked_reason(named("Eggplant, cooked, boiled, drained, without salt"), no_egg) is None
    no_mushrooms = Preferences(excluded=("Mushroom",))
    assert blocked_reason(named("Mushrooms, white, raw"), no_mushrooms) == "excluded: Mushroom"
    no_tomatoes = Preferences(excluded=("tomatoes",))
    assert blocked_reason(fact("Tomato, raw"), no_tomatoes) == "excluded: tomatoes"
    assert blocked_reason(fact("Tomatillos, raw"), no_tomatoes) is None
    assert blocked_reason(fact("Cherries, sweet"), Preferences(excluded=("cherry",))) == "excluded: cherry"
    assert blocked_reason(fact("Peanuts, raw"), Preferences(excluded=("pea",))) is None
    assert blocked_reason(fact("Peanut butter, smooth"), Preferences(excluded=("peanut butter",))) is not None


@pytest.mark.parametrize(
    ("pattern", "food", "blocked"),
    [
        ("vegan", fact("Bread, white", vegan=None, vegetarian=None), "not known to be vegan"),
        ("vegan", fact("Milk, whole", vegan=False), "not vegan"),
        ("vegan", fact("Lentils, cooked"), None),
        ("vegetarian", fact("Cheese, cheddar", vegan=False, vegetarian=None), "not known to be vegetarian"),
        ("vegetarian", fact("Chicken, roasted", vegan=False, vegetarian=False), "not vegetarian"),
        ("vegetarian", fact("Yogurt, plain", vegan=False), None),
        (
            "pescatarian",
            fact("Fish, salmon, cooked", "finfish-and-shellfish-products", vegan=False, vegetarian=False),
            None,
        ),
        ("pescatarian", fact("Beef, roasted", "beef-products", vegan=False, vegetarian=False), "meat, not fish"),
        ("keto", fact("Rice, cooked", carbs=28.0, fiber=0.4), "28 g net carbohydrate per 100 g (keto: at most 10 g)"),
        ("keto", fact("Nuts, almonds", carbs=21.6, fiber=12.5), None),
        (
            "low_carb",
            fact("Bread, white", carbs=49.0, fiber=2.7),
            "46 g net carbohydrate per 100 g (low carb: at most 30 g)",
        ),
        ("low_carb", fact("Rice, cooked", carbs=28.0, fiber=0.4), None),
        (
            "paleo",
            fact("Lentils, cooked", "legumes-and-legume-products"),
            "not paleo: grains, legumes, baked goods and sweets",
        ),
        ("paleo", fact("Milk, whole", "dairy-and-egg-products", allergens=("milk",)), "not paleo: dairy"),
        ("paleo", fact("Egg, whole, cooked", "dairy-and-egg-products", allergens=("eggs",)), None),
        ("paleo", fact("Cranberries, dried, sweetened", "fruits-and-fruit-juices"), "not paleo: added sugar"),
        ("paleo", fact("Applesauce, unsweetened", "fruits-and-fruit-juices"), None),
        ("paleo", fact("Peaches, canned, no sugar added", "fruits-and-fruit-juices"), None),
        ("gluten_free", fact("Bread, wheat", allergens=("gluten",)), "contains gluten"),
        ("halal", fact("Pork, loin, roasted", "pork-products"), "not halal: pork"),
        ("halal", fact("Turkey ham, sliced", "sausages-and-luncheon-meats"), "not halal: ham"),
        ("halal", fact("Hamburger, beef patty"), None),
        ("halal", fact("Vinegar, red wine"), "not halal: wine"),
        ("kosher", fact("Crustaceans, shrimp, cooked", allergens=("crustaceans",)), "not kosher: shellfish"),
        ("kosher", fact("Bacon, turkey"), "not kosher: bacon"),
        ("kosher", fact("Fish, salmon, cooked", "finfish-and-shellfish-products", allergens=("fish",)), None),
        ("mediterranean", fact("Beef, roasted", "beef-products", vegan=False, vegetarian=False), None),
        ("", fact("Pork, loin, roasted", "pork-products", vegan=False, vegetarian=False), None),
    ],
)
def test_dietary_patterns_block_what_they_exclude(pattern: str, food: FoodFacts, blocked: str | None) -> None:
    assert blocked_reason(food, Preferences(dietary_pattern=pattern)) == blocked


def test_eligible_reports_every_blocked_food_and_keeps_asked_for_foods_that_are_not_plausible() -> None:
    raw_chicken = named("Chicken, broiler or fryers, breast, skinless, boneless, meat only, raw")
    peanuts = named("Peanut butter, smooth style, with salt")
    rice = named("Rice, white, long-grain, regular, enriched, cooked")
    assert classify(raw_chicken) is None
    prefs = Preferences(allergens=frozenset({"peanuts"}), include_ids=(raw_chicken.id, peanuts.id))
    candidates, blocked = eligible([raw_chicken, peanuts, rice], prefs)
    assert blocked == {peanuts.id: "contains peanuts"}  # asked for, but never planned
    assert {candidate.id for candidate in candidates} == {raw_chicken.id, rice.id}
    chicken = next(candidate for candidate in candidates if candidate.id == raw_chicken.id)
    assert chicken.role == "protein"


# --- classification --------------------------------------------------------------------------


def test_classify_rejects_rows_that_are_no_plan_ingredient() -> None:
    for name in (
        "Chicken, broiler or fryers, breast, skinless, boneless, meat only, raw",
        "Rice, white, long-grain, regular, raw, enriched",
        "Beans, black, mature seeds, raw",
        "Wheat flour, white, all-purpose, enriched, bleached",
        "Spices, pepper, black",
        "Babyfood, cereal, rice, dry fortified",
        "McDONALD'S, Hamburger",
        "Beverages, coffee, brewed, prepared with tap water",
        "Candies, milk chocolate",
        "Cookies, chocolate chip, commercially prepared, regular, lower fat",
        "Milk, dry, nonfat, regular, without added vitamin A and vitamin D",
        "Potatoes, mashed, dehydrated, flakes without milk, dry form",
    ):
        assert classify(named(name)) is None, name


def test_classify_gives_roles_meal_times_and_realistic_amounts() -> None:
    chicken = classify(named("Chicken, broilers or fryers, breast, meat only, cooked, roasted"))
    assert chicken is not None and chicken.role == "protein" and chicken.meal_times == {"lunch", "dinner"}
    assert chicken.unit_g * chicken.min_units >= 60 and chicken.unit_g * chicken.max_units <= 250
    rice = classify(named("Rice, white, long-grain, regular, enriched, cooked"))
    assert rice is not None and rice.role == "starch" and rice.portion_unit
    cup = named("Rice, white, long-grain, regular, enriched, cooked").portion_grams
    assert cup is not None and rice.unit_g == pytest.approx(cup / 2)
    oil = classify(named("Oil, olive, salad or cooking"))
    assert oil is not None and oil.role == "fat" and oil.unit_g * oil.max_units <= 20
    banana = classify(named("Bananas, raw"))
    assert banana is not None and banana.role == "fruit" and "snack" in banana.meal_times
    assert "dinner" not in banana.meal_times
    egg = classify(named("Egg, whole, cooked, hard-boiled"))
    assert egg is not None and "breakfast" in egg.meal_times and egg.price == 1
    assert classify(named("Beef, ground, 85% lean meat / 15% fat, patty, cooked, broiled")).price == 3  # type: ignore[union-attr]


def test_no_single_item_can_exceed_800_kcal() -> None:
    for food in load_sr28():
        candidate = classify(food)
        if candidate is not None:
            assert candidate.unit_g * candidate.max_units * food.kcal / 100 <= MAX_ITEM_KCAL + 1e-6, food.name
            assert 1 <= candidate.min_units <= candidate.max_units


def test_cuisine_words_match_their_keywords_and_themselves() -> None:
    assert cuisine_match(named("Pasta, cooked, enriched, without added salt"), ("italian",))
    assert cuisine_match(named("Tortillas, ready-to-bake or -fry, corn"), ("Mexican",))
    assert cuisine_match(fact("Cheese, mexican, queso anejo"), ("mexican",))
    assert not cuisine_match(named("Bananas, raw"), ("italian", "japanese"))
    assert not cuisine_match(named("Pasta, cooked, enriched, without added salt"), ())


# --- plans -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def omnivore() -> list:
    return eligible(load_sr28(), Preferences())[0]


@pytest.mark.parametrize("meals_per_day", [3, 4, 5, 6])
def test_typical_targets_are_met_every_day(omnivore, meals_per_day) -> None:
    result = plan(omnivore, TYPICAL, days=3, meals_per_day=meals_per_day, seed=meals_per_day)
    assert len(result.days) == 3
    assert_days_within(result)
    for day in result.days:
        assert [meal.meal_time for meal in day.meals] == list(SLOTS[meals_per_day])
        for meal in day.meals:
            low, high = (1, 2) if meal.meal_time == "snack" else ((2, 3) if meal.meal_time == "breakfast" else (2, 4))
            assert low <= len(meal.items) <= high
            roles = [classify(by_id()[item.food_id]).role for item in meal.items]  # type: ignore[union-attr]
            assert len(roles) == len(set(roles))
            if meal.meal_time in ("lunch", "dinner"):
                assert "protein" in roles


def test_lower_energy_targets_are_met_too(omnivore) -> None:
    assert_days_within(plan(omnivore, SMALL, days=3, meals_per_day=4, seed=11))


def test_amounts_are_whole_units_and_portion_counts_follow(omnivore) -> None:
    result = plan(omnivore, TYPICAL, days=2, meals_per_day=4, seed=5)
    for food_id, item in ((item.food_id, item) for day in result.days for meal in day.meals for item in meal.items):
        candidate = classify(by_id()[food_id])
        assert candidate is not None
        units = item.grams / candidate.unit_g
        assert units == pytest.approx(round(units)) and candidate.min_units <= round(units) <= candidate.max_units
        if item.portion_count is not None:
            assert item.portion_label == by_id()[food_id].portion_label
            assert item.portion_count * by_id()[food_id].portion_grams == pytest.approx(item.grams, abs=0.01)  # type: ignore[operator]
    day = result.days[0]
    recomputed = totals((item for meal in day.meals for item in meal.items), by_id())
    assert recomputed["kcal"] == pytest.approx(day.totals["kcal"], abs=0.06)


def test_blocked_foods_never_appear() -> None:
    prefs = Preferences(dietary_pattern="vegan", allergens=frozenset({"peanuts", "soy"}), excluded=("rice", "banana"))
    candidates, blocked = eligible(load_sr28(), prefs)
    result = plan(candidates, DayTargets(2000, 90, 280, 67), days=3, meals_per_day=4, seed=2, prefer=prefs)
    for food_id in planned_ids(result):
        assert food_id not in blocked
        food = by_id()[food_id]
        assert food.vegan is True and not {"peanuts", "soy"} & set(food.allergens)
        assert "rice" not in food.name.lower() and "banana" not in food.name.lower()


def test_required_foods_appear(omnivore) -> None:
    required = [
        named("Fish, salmon, Atlantic, farmed, cooked, dry heat").id,
        named("Broccoli, cooked, boiled, drained, without salt").id,
        named(OATMEAL).id,
        named("Bananas, raw").id,
    ]
    result = plan(omnivore, TYPICAL, days=2, meals_per_day=4, seed=3, required_ids=required)
    used = Counter(planned_ids(result))
    assert all(used[food_id] >= 1 for food_id in required)
    assert result.feasible


def test_required_food_that_is_not_a_candidate_is_reported(omnivore) -> None:
    result = plan(omnivore, TYPICAL, days=1, meals_per_day=3, seed=1, required_ids=[999_999])
    assert result.reasons == ["required food 999999 is not among the allowed candidates and was left out"]


def test_no_food_more_than_n_times_in_any_seven_days() -> None:
    # A small catalogue, so that repeats are tempting.
    names = [
        "Chicken, broilers or fryers, breast, meat only, cooked, roasted",
        "Fish, salmon, Atlantic, farmed, cooked, dry heat",
        "Beef, ground, 85% lean meat / 15% fat, patty, cooked, broiled",
        "Pork, fresh, loin, tenderloin, separable lean only, cooked, roasted",
        "Lentils, mature seeds, cooked, boiled, without salt",
        "Rice, white, long-grain, regular, enriched, cooked",
        "Pasta, cooked, enriched, without added salt",
        "Potatoes, baked, flesh and skin, without salt",
        "Broccoli, cooked, boiled, drained, without salt",
        "Carrots, cooked, boiled, drained, without salt",
        "Spinach, cooked, boiled, drained, without salt",
        "Peas, green, frozen, cooked, boiled, drained, without salt",
        "Oil, olive, salad or cooking",
        "Egg, whole, cooked, hard-boiled",
        "Bananas, raw",
        "Apples, raw, with skin",
        "Yogurt, plain, whole milk, 8 grams protein per 8 ounce",
        "Milk, reduced fat, fluid, 2% milkfat, with added vitamin A and vitamin D",
        "Nuts, almonds",
        "Bread, whole-wheat, commercially prepared",
        OATMEAL,
        "Oranges, raw, all commercial varieties",
    ]
    candidates = [candidate for candidate in (classify(named(name)) for name in names) if candidate is not None]
    assert len(candidates) == len(names)
    result = plan(candidates, SMALL, days=14, meals_per_day=4, seed=7, max_uses_per_week=4)
    per_day = [Counter(item.food_id for meal in day.meals for item in meal.items) for day in result.days]
    assert all(count == 1 for day in per_day for count in day.values())  # at most once a day
    for start in range(len(per_day) - 6):
        window = sum(per_day[start : start + 7], Counter())
        assert max(window.values()) <= 4, (start, window.most_common(3))


def test_consecutive_days_differ() -> None:
    # Lunch can only be chicken and rice, dinner only salmon and potatoes: without the rule,
    # most days would repeat the day before.
    lunch = (
        "Chicken, broilers or fryers, breast, meat only, cooked, roasted",
        "Rice, white, long-grain, regular, enriched, cooked",
    )
    dinner = ("Fish, salmon, Atlantic, farmed, cooked, dry heat", "Potatoes, baked, flesh and skin, without salt")
    breakfast = ("Egg, whole, cooked, hard-boiled", "Bread, whole-wheat, commercially prepared", "Bananas, raw")
    candidates = []
    for names, meal_time in ((lunch, "lunch"), (dinner, "dinner"), (breakfast, None)):
        for name in names:
            candidate = classify(named(name))
            assert candidate is not None
            candidates.append(replace(candidate, meal_times=frozenset({meal_time})) if meal_time else candidate)
    for seed in range(4):
        result = plan(candidates, SMALL, days=6, meals_per_day=3, seed=seed, max_uses_per_week=7)
        assert_days_within(result)
        meals = [{(meal.slot, item.food_id) for meal in day.meals for item in meal.items} for day in result.days]
        assert all(meals[i] != meals[i + 1] for i in range(len(meals) - 1)), seed


def test_same_seed_same_plan_other_seed_other_plan(omnivore) -> None:
    first = plan(omnivore, TYPICAL, days=3, meals_per_day=4, seed=42)
    again = plan(omnivore, TYPICAL, days=3, meals_per_day=4, seed=42)
    other = plan(omnivore, TYPICAL, days=3, meals_per_day=4, seed=43)
    assert first.days == again.days
    assert first.as_dict()["days"] == again.as_dict()["days"]
    assert planned_ids(first) != planned_ids(other)


def test_an_impossible_target_still_gives_days_with_deviations_and_a_reason() -> None:
    prefs = Preferences(dietary_pattern="vegan", allergens=frozenset({"soy"}))
    candidates, _ = eligible(load_sr28(), prefs)
    targets = DayTargets(kcal=1400, protein_g=300, carbohydrate_g=30, fat_g=20)
    result = plan(candidates, targets, days=2, meals_per_day=3, seed=1, prefer=prefs)
    assert not result.feasible
    assert len(result.days) == 2 and all(day.meals and not day.within for day in result.days)
    assert result.largest_deviation_pct["protein_g"] < -10
    assert abs(result.largest_deviation_pct["kcal"]) < 15  # energy is kept first
    reason = next(reason for reason in result.reasons if reason.startswith("protein stays"))
    assert "below target" in reason and "vegan pattern without soy" in reason and "1,400 kcal" in reason
    json.dumps(result.as_dict())


def test_fibre_minimum_and_sodium_maximum_hold() -> None:
    prefs = Preferences(fiber_min_g=38, sodium_max_mg=1500)
    candidates, _ = eligible(load_sr28(), prefs)
    result = plan(candidates, TYPICAL, days=3, meals_per_day=4, seed=9, prefer=prefs)
    assert_days_within(result)
    for day in result.days:
        assert day.totals["fiber_g"] >= 38 - 0.05
        assert day.totals["sodium_mg"] <= 1500 + 0.05
    assert all(by_id()[food_id].sodium is not None for food_id in planned_ids(result))
    loose = plan(candidates, TYPICAL, days=3, meals_per_day=4, seed=9)
    assert (
        min(day.totals["fiber_g"] for day in loose.days) < 38
        or max(day.totals["sodium_mg"] for day in loose.days) > 1500
    )  # the limits did something


def test_an_unreachable_fibre_minimum_is_explained(omnivore) -> None:
    result = plan(omnivore, DayTargets(1500, 100, 150, 50, fiber_min_g=120), days=1, meals_per_day=3, seed=1)
    assert not result.feasible
    assert any(reason.startswith("fibre stays below the 120 g minimum") for reason in result.reasons)


def test_preferences_steer_the_choice(omnivore) -> None:
    def share(result: PlanResult, predicate) -> float:
        ids = planned_ids(result)
        return sum(predicate(by_id()[food_id]) for food_id in ids) / len(ids)

    italian = ("italian",)
    plain = plan(omnivore, TYPICAL, days=7, meals_per_day=4, seed=4)
    themed = plan(omnivore, TYPICAL, days=7, meals_per_day=4, seed=4, prefer=Preferences(cuisines=italian))
    assert_days_within(themed)
    assert share(themed, lambda f: cuisine_match(f, italian)) > share(plain, lambda f: cuisine_match(f, italian)) + 0.05

    low = Preferences(budget="low")
    cheap = plan(eligible(load_sr28(), low)[0], TYPICAL, days=7, meals_per_day=4, seed=4, prefer=low)
    assert_days_within(cheap)

    def price(result: PlanResult) -> float:
        return sum(classify(by_id()[food_id]).price for food_id in planned_ids(result)) / len(planned_ids(result))  # type: ignore[union-attr]

    assert price(cheap) < price(plain) - 0.1


# --- proposals -------------------------------------------------------------------------------


def test_proposed_foods_make_the_meal_when_the_day_can_meet_its_targets(omnivore) -> None:
    lunch = [
        named("Chicken, broilers or fryers, breast, meat only, cooked, roasted").id,
        named("Rice, white, long-grain, regular, enriched, cooked").id,
        named("Broccoli, cooked, boiled, drained, without salt").id,
    ]
    result = plan(omnivore, TYPICAL, days=2, meals_per_day=4, seed=1, proposals={(1, 1): lunch})
    first, second = result.days
    assert first.source == "proposal" and second.source == "optimizer"
    meal = first.meals[1]
    assert meal.meal_time == "lunch" and meal.items
    assert {item.food_id for item in meal.items} <= set(lunch)
    assert_days_within(result)


def test_impossible_proposals_fall_back_to_the_optimizer(omnivore) -> None:
    lettuce = named("Lettuce, cos or romaine, raw").id
    proposals = {(1, slot): [lettuce] for slot in range(4)}
    result = plan(omnivore, TYPICAL, days=1, meals_per_day=4, seed=1, proposals=proposals)
    day = result.days[0]
    assert day.source == "optimizer" and day.within
    assert any(item.food_id != lettuce for meal in day.meals for item in meal.items)


def test_proposals_with_unknown_foods_are_ignored(omnivore) -> None:
    result = plan(omnivore, TYPICAL, days=1, meals_per_day=3, seed=1, proposals={(1, 0): [999_999]})
    assert result.days[0].source == "optimizer" and result.feasible


# --- swapping a meal -------------------------------------------------------------------------


def test_swap_gives_other_foods_with_the_same_macros(omnivore) -> None:
    day = plan(omnivore, TYPICAL, days=1, meals_per_day=4, seed=8).days[0]
    for original in (day.meals[1], day.meals[0]):  # lunch, breakfast
        original_totals = totals(original.items, by_id())
        original_ids = {item.food_id for item in original.items}
        result = swap(
            omnivore,
            meal_time=original.meal_time,
            original=original,
            original_totals=original_totals,
            exclude_ids=original_ids,
            seed=3,
        )
        assert result.meal.items and not original_ids & {item.food_id for item in result.meal.items}
        assert result.meal.slot == original.slot and result.meal.meal_time == original.meal_time
        assert result.within, (original_totals, result.totals)
        assert abs(result.totals["kcal"] - original_totals["kcal"]) <= max(0.05 * original_totals["kcal"], 20)
        for nutrient in ("protein_g", "carbohydrate_g", "fat_g"):
            assert abs(result.totals[nutrient] - original_totals[nutrient]) <= max(0.1 * original_totals[nutrient], 2)


def test_totals_add_up_per_100_g_values() -> None:
    a = fact("A", kcal=200.0, protein=10.0, carbs=20.0, fat=5.0, fiber=None, sodium=100.0)
    b = replace(fact("B", kcal=50.0, protein=1.0, carbs=10.0, fat=0.0, fiber=2.0, sodium=None), id=a.id + 1)
    sums = totals([PlannedItem(a.id, 150.0), PlannedItem(b.id, 50.0)], {a.id: a, b.id: b})
    assert sums == pytest.approx(
        {"kcal": 325.0, "protein_g": 15.5, "carbohydrate_g": 35.0, "fat_g": 7.5, "fiber_g": 1.0, "sodium_mg": 150.0}
    )
