"""Food importers and ``manage.py import_foods``, on small real files in meal/tests/data.

What each fixture holds, and which of its lines were broken on purpose, is in
meal/tests/data/README.md.
"""

import gzip
import zipfile
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meal.importers import import_off, import_usda_fdc, import_usda_sr
from meal.importers.rules import derive
from meal.models import Food, FoodCategory, FoodLogEntry, FoodPortion, MealTime

DATA = Path(__file__).parent / "data"
SR_DIR = DATA / "usda_sr28"
FDC_DIR = DATA / "fdc"
OFF_FILE = DATA / "off" / "products.jsonl"
SR_FILES = ("ABBREV.txt", "FOOD_DES.txt", "FD_GROUP.txt", "WEIGHT.txt")

pytestmark = pytest.mark.django_db


def food(source: str, source_id: str) -> Food:
    return Food.objects.get(source=source, source_id=source_id)


def portions(item: Food) -> list[tuple[str, float]]:
    return list(item.portions.order_by("position").values_list("label", "grams"))


def copy_sr(target: Path, *, abbrev_lines: list[int] | None = None, compress: bool = False) -> Path:
    """The SR fixture in ``target``, optionally only some ABBREV lines (1-based), optionally gzipped."""
    target.mkdir(parents=True, exist_ok=True)
    for name in SR_FILES:
        content = (SR_DIR / name).read_bytes()
        if name == "ABBREV.txt" and abbrev_lines is not None:
            lines = content.split(b"\r\n")
            content = b"".join(lines[number - 1] + b"\r\n" for number in abbrev_lines)
        if compress:
            (target / f"{name}.gz").write_bytes(gzip.compress(content))
        else:
            (target / name).write_bytes(content)
    return target


# --- USDA SR28 -------------------------------------------------------------------------


def test_usda_sr_import_creates_foods_with_values_portions_and_categories() -> None:
    report = import_usda_sr(SR_DIR)

    assert (report.read, report.created, report.updated, report.skipped, report.malformed) == (11, 8, 0, 0, 3)
    broccoli = food("usda_sr", "11090")
    assert broccoli.name == "Broccoli, raw"
    assert (broccoli.energy_kcal, broccoli.energy_basis) == (34.0, "stated")
    assert (broccoli.protein_g, broccoli.fat_g, broccoli.carbohydrate_g) == (2.82, 0.37, 6.64)
    assert (broccoli.fiber_g, broccoli.sugar_g, broccoli.sodium_mg) == (2.6, 1.7, 33.0)
    assert broccoli.micronutrients["vitamin_c_mg"] == 89.2
    assert broccoli.micronutrients["calcium_mg"] == 47.0
    assert broccoli.category is not None
    assert (broccoli.category.slug, broccoli.category.name) == (
        "vegetables-and-vegetable-products",
        "Vegetables and Vegetable Products",
    )
    assert (broccoli.vegan, broccoli.vegetarian, broccoli.allergens) == (True, True, [])
    assert portions(broccoli) == [
        ("1 cup chopped", 91.0),
        ("1 bunch", 608.0),
        ('1 spear (about 5" long)', 31.0),
        ("1 stalk", 151.0),
        ("0.5 cup, chopped or diced", 44.0),
        ("1 NLEA serving", 148.0),
    ]
    chicken = food("usda_sr", "05064")
    assert chicken.energy_kcal == 165.0
    assert (chicken.vegan, chicken.vegetarian) == (False, False)
    assert food("usda_sr", "01001").allergens == ["milk"]
    peanut_butter = food("usda_sr", "16098")
    assert (peanut_butter.allergens, peanut_butter.vegan) == (["peanuts"], True)
    # Not in FOOD_DES.txt: ABBREV's short description is the best name there is.
    assert food("usda_sr", "33879").name == "BABYFOOD,FINGER SNACKS,GERB,GRADUAT,LIL CRUNCHI - MILD CHEDD"
    assert report.warnings["name_from_abbrev"] == 1


def test_usda_sr_empty_fields_are_unknown_and_missing_energy_is_computed() -> None:
    import_usda_sr(SR_DIR)

    cooked = food("usda_sr", "11091")  # Energ_Kcal emptied in the fixture
    assert (cooked.energy_kcal, cooked.energy_basis) == (41.9, "computed")  # 4 x 2.38 + 4 x 7.18 + 9 x 0.41
    butter = food("usda_sr", "01001")
    assert "vitamin_d_ug" in butter.micronutrients
    salmon = food("usda_sr", "15076")  # Sugar_Tot and Vit_D_mcg are empty in ABBREV.txt: unknown, not zero
    assert salmon.sugar_g is None
    assert "vitamin_d_ug" not in salmon.micronutrients
    assert salmon.micronutrients["vitamin_b12_ug"] == 3.18
    assert (salmon.allergens, salmon.vegan, salmon.vegetarian) == (["fish"], False, False)
    assert portions(salmon) == [("3 oz", 85.0), ("0.5 fillet", 198.0)]


def test_usda_sr_reports_malformed_rows_with_line_numbers_and_writes_none_of_them() -> None:
    report = import_usda_sr(SR_DIR)

    assert report.malformed_rows == [
        (9, "ABBREV.txt: Protein '0.2x6' is not a number"),
        (10, "energy (kcal) 952 is outside 0..902"),
        (11, "ABBREV.txt: expected 53 fields, found 12"),
    ]
    assert not Food.objects.filter(source_id__in=["09003", "04002", "09040"]).exists()
    assert not FoodPortion.objects.filter(food__source_id__in=["09003", "04002", "09040"]).exists()


def test_usda_sr_reads_gzip_compressed_files(tmp_path: Path) -> None:
    report = import_usda_sr(copy_sr(tmp_path / "sr", compress=True))

    assert (report.read, report.created, report.malformed) == (11, 8, 3)
    assert food("usda_sr", "11090").energy_kcal == 34.0


# --- USDA FoodData Central -------------------------------------------------------------


def test_usda_fdc_energy_basis_follows_the_nutrient_ids() -> None:
    report = import_usda_fdc(FDC_DIR)

    hummus = food("usda_fdc", "321358")  # 1008 (and 2047, 2048): the stated value wins
    assert (hummus.energy_kcal, hummus.energy_basis) == (229.0, "stated")
    soy_milk = food("usda_fdc", "1750337")  # 2048 and 2047: specific factors win
    assert (soy_milk.energy_kcal, soy_milk.energy_basis) == (38.485, "atwater_specific")
    oat_milk = food("usda_fdc", "2257046")  # 2047 only
    assert (oat_milk.energy_kcal, oat_milk.energy_basis) == (48.3298, "atwater_general")
    tomatoes = food("usda_fdc", "321360")  # no energy row: 4 x 0.83 + 4 x 5.51 + 9 x 0.63
    assert (tomatoes.energy_kcal, tomatoes.energy_basis) == (31.0, "computed")
    assert report.energy_basis == {"stated": 2, "atwater_specific": 1, "atwater_general": 1, "computed": 1}
    assert "energy basis: stated 2, atwater_general 1, atwater_specific 1, computed 1" in report.summary()


def test_usda_fdc_import_values_portions_skips_and_malformed_rows() -> None:
    report = import_usda_fdc(FDC_DIR)

    assert (report.read, report.created, report.updated, report.skipped, report.malformed) == (9, 5, 0, 2, 2)
    assert report.skip_reasons == {"missing_macros": 1, "data_type:sample_food": 1}
    assert report.malformed_rows == [
        (102, "food_nutrient.csv: nutrient 1003 amount '2.8g' is not a number (food 321900)"),
        (10, "food.csv: expected 5 fields, found 2"),
    ]
    assert not Food.objects.filter(source_id__in=["321900", "335245", "999999001", "999999002"]).exists()
    hummus = food("usda_fdc", "321358")
    # Carbohydrate by difference (1005) before by summation (1050); sugars 1063 when 2000 is absent.
    assert (hummus.carbohydrate_g, hummus.sugar_g, hummus.sodium_mg) == (14.9, 0.34, 438.0)
    assert hummus.category is not None and hummus.category.name == "Legumes and Legume Products"
    milk = food("usda_fdc", "321359")
    assert milk.micronutrients["calcium_mg"] == 126.0
    assert (milk.allergens, milk.vegan, milk.vegetarian) == (["milk"], False, True)
    assert portions(milk) == [("1 cup", 227.0), ("1 fl oz", 30.5), ("1 quart", 976.0)]
    assert portions(food("usda_fdc", "321358")) == [("2 tablespoon", 33.9)]
    assert food("usda_fdc", "1750337").allergens == ["soy"]
    # Unit "undetermined" without a description: no label to show.
    assert portions(food("usda_fdc", "2257046")) == []
    assert report.warnings == {"portion_undetermined": 1}


def test_usda_fdc_reads_the_official_zip_with_its_top_level_folder(tmp_path: Path) -> None:
    archive = tmp_path / "FoodData_Central_foundation_food_csv_2024-10-31.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for csv_file in sorted(FDC_DIR.glob("*.csv")):
            bundle.write(csv_file, f"FoodData_Central_foundation_food_csv_2024-10-31/{csv_file.name}")

    report = import_usda_fdc(archive)

    assert (report.read, report.created, report.skipped, report.malformed) == (9, 5, 2, 2)
    assert food("usda_fdc", "321358").energy_kcal == 229.0


# --- Open Food Facts ---------------------------------------------------------------------


def test_off_import_values_allergens_diet_and_barcodes() -> None:
    report = import_off(OFF_FILE)

    assert (report.read, report.created, report.updated, report.skipped, report.malformed) == (10, 6, 0, 1, 3)
    assert report.skip_reasons == {"no_name": 1}
    chocolate = food("off", "0000609124107")
    assert (chocolate.name, chocolate.brand, chocolate.barcode) == (
        "Solid Milk Chocolate",
        "Madelaine Chocolate Novelties",
        "0000609124107",
    )
    assert (chocolate.energy_kcal, chocolate.energy_basis, chocolate.sodium_mg) == (554.0, "stated", 80.0)
    # Grams in Open Food Facts, the unit of the key here: 0.179 g calcium, 0.0000537 g vitamin A.
    assert {
        key: chocolate.micronutrients[key] for key in ("calcium_mg", "iron_mg", "vitamin_c_mg", "vitamin_a_ug")
    } == {
        "calcium_mg": 179.0,
        "iron_mg": 1.93,
        "vitamin_c_mg": 2.1,
        "vitamin_a_ug": 53.7,
    }
    assert chocolate.allergens == ["milk", "soy"]
    assert chocolate.category is not None and chocolate.category.name == "Sugary snacks"
    cookies = food("off", "0000433906023")
    assert (cookies.allergens, cookies.vegan, cookies.vegetarian) == (["eggs", "milk"], False, None)
    tea = food("off", "0000105000219")
    assert (tea.vegan, tea.vegetarian, tea.category) == (True, True, None)
    whey = food("off", "0000470322800")  # energy only in kJ: 1644 / 4.184
    assert (whey.energy_kcal, whey.energy_basis) == (392.9, "stated")
    # An invalid check digit: imported, without a barcode.
    cheese = food("off", "00002220")
    assert (cheese.name, cheese.barcode) == ("Monterey Jack", "")
    assert report.warnings == {"barcode_invalid": 1}


def test_off_reports_malformed_lines_with_their_numbers() -> None:
    report = import_off(OFF_FILE)

    assert [line for line, _ in report.malformed_rows] == [4, 8, 10]
    assert report.malformed_rows[0][1].startswith("not JSON")
    assert report.malformed_rows[1][1] == "protein + fat + carbohydrate is 126.67 g per 100 g (at most 105)"
    assert not Food.objects.filter(source_id__in=["0000105000073", "0001146901886"]).exists()
    # Line 10 is a truncated copy of line 9: line 9 still counts once.
    assert Food.objects.filter(source_id="0000127534587").count() == 1


def test_off_reads_a_gzip_compressed_export(tmp_path: Path) -> None:
    compressed = tmp_path / "products.jsonl.gz"
    compressed.write_bytes(gzip.compress(OFF_FILE.read_bytes()))

    report = import_off(compressed)

    assert (report.read, report.created, report.malformed) == (10, 6, 3)


# --- every source ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("importer", "path", "source"),
    [(import_usda_sr, SR_DIR, "usda_sr"), (import_usda_fdc, FDC_DIR, "usda_fdc"), (import_off, OFF_FILE, "off")],
)
def test_importing_twice_updates_instead_of_creating(importer, path, source) -> None:
    first = importer(path)
    foods, portion_ids = Food.objects.count(), set(FoodPortion.objects.values_list("pk", flat=True))
    categories = FoodCategory.objects.count()

    second = importer(path)

    assert (second.created, second.updated) == (0, first.created)
    assert (second.skipped, second.malformed) == (first.skipped, first.malformed)
    assert Food.objects.count() == foods == first.created
    assert set(FoodPortion.objects.values_list("pk", flat=True)) == portion_ids
    assert FoodCategory.objects.count() == categories
    assert Food.objects.filter(source=source).count() == foods


def test_reimport_keeps_portions_that_diary_entries_use_and_drops_removed_ones(tmp_path: Path, user) -> None:
    import_usda_sr(SR_DIR)
    broccoli = food("usda_sr", "11090")
    bunch = broccoli.portions.get(label="1 bunch")
    entry = FoodLogEntry.unscoped.create(
        tenant=user.tenant, user=user, date=date(2026, 1, 5), meal_time=MealTime.LUNCH, food=broccoli,
        grams=608.0, portion=bunch, portion_count=1,
    )  # fmt: skip

    import_usda_sr(SR_DIR)
    entry.refresh_from_db()
    assert entry.portion_id == bunch.pk

    # USDA drops the bunch and re-weighs the spear: the entry keeps its grams, loses the portion.
    changed = copy_sr(tmp_path / "sr")
    weights = (changed / "WEIGHT.txt").read_bytes()
    weights = weights.replace(b"~11090~^2^1^~bunch~^608^^\r\n", b"")
    weights = weights.replace(b'~11090~^3^1^~spear (about 5" long)~^31^^', b'~11090~^3^1^~spear (about 5" long)~^33^^')
    (changed / "WEIGHT.txt").write_bytes(weights)
    import_usda_sr(changed)

    entry.refresh_from_db()
    assert (entry.portion_id, entry.grams) == (None, 608.0)
    assert ('1 spear (about 5" long)', 33.0) in portions(broccoli)
    assert "1 bunch" not in dict(portions(broccoli))


def test_a_failing_batch_writes_neither_foods_nor_portions(monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(FoodPortion.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        import_usda_sr(SR_DIR)

    assert not Food.objects.exists()
    assert not FoodCategory.objects.exists()


@pytest.mark.parametrize("source", ["usda_sr", "off"])
def test_import_queries_do_not_grow_with_the_number_of_rows(tmp_path: Path, source: str) -> None:
    def queries(size: str) -> int:
        Food.objects.all().delete()
        FoodCategory.objects.all().delete()
        if source == "usda_sr":
            lines = [1, 2] if size == "small" else [1, 2, 3, 4, 5, 6, 7, 8]
            path = copy_sr(tmp_path / size, abbrev_lines=lines)
            run = import_usda_sr
        else:
            products = OFF_FILE.read_text().splitlines()
            path = tmp_path / f"{size}.jsonl"
            path.write_text("\n".join(products[:2] if size == "small" else products[:9]) + "\n")
            run = import_off
        with CaptureQueriesContext(connection) as captured:
            report = run(path)
        assert report.created == (2 if size == "small" else 6 if source == "off" else 8)
        return len(captured)

    assert queries("small") == queries("large") <= 12


# --- the command -------------------------------------------------------------------------


def test_import_foods_prints_the_summary_and_the_malformed_lines() -> None:
    out = StringIO()
    call_command("import_foods", "usda-sr", str(SR_DIR), stdout=out)

    text = out.getvalue()
    assert text.startswith("usda-sr: read 11, created 8, updated 0, skipped 0, malformed 3; energy basis: stated 7")
    assert "foods/s" in text
    assert "  line 9: ABBREV.txt: Protein '0.2x6' is not a number" in text


def test_import_foods_with_verbosity_0_prints_nothing() -> None:
    out = StringIO()
    call_command("import_foods", "off", str(OFF_FILE), verbosity=0, stdout=out)

    assert out.getvalue() == ""
    assert Food.objects.filter(source="off").count() == 6


def test_import_foods_if_empty_does_nothing_when_the_source_has_foods() -> None:
    call_command("import_foods", "off", str(OFF_FILE), stdout=StringIO())
    out = StringIO()
    with CaptureQueriesContext(connection) as captured:
        call_command("import_foods", "off", str(OFF_FILE), "--if-empty", stdout=out)

    assert out.getvalue() == "off: 6 foods already imported; nothing to do (--if-empty).\n"
    assert len(captured) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["usda-sr", "/nonexistent/sr28"], "/nonexistent/sr28 does not exist."),
        (["off"], "PATH is required for off."),
        (["usda-sr"], r"PATH is required for usda-sr \(or --shipped\)."),
        (["off", "--shipped"], "--shipped is only for usda-sr"),
        (["usda-fdc", str(OFF_FILE)], "is neither a directory nor a zip file"),
        (["usda-fdc", str(SR_DIR)], "No food.csv found"),
        (["usda-sr", str(FDC_DIR)], "has no ABBREV.txt"),
        (["off", str(SR_DIR / "ABBREV.txt")], r"No row of .*ABBREV.txt could be read \(line 1: not JSON"),
    ],
)
def test_import_foods_refuses_a_missing_path_or_a_foreign_format(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("import_foods", *args, stdout=StringIO())
    assert not Food.objects.exists()


def test_import_foods_refuses_a_truncated_gzip_file(tmp_path: Path) -> None:
    broken = tmp_path / "products.jsonl.gz"
    broken.write_bytes(gzip.compress(OFF_FILE.read_bytes())[:-20])

    with pytest.raises(CommandError, match="cannot be read after line"):
        call_command("import_foods", "off", str(broken), stdout=StringIO())


def test_seed_demo_imports_the_shipped_sr28_foods_once(settings) -> None:
    settings.DEBUG = True
    first = StringIO()
    call_command("seed_demo", stdout=first)

    assert Food.objects.filter(source="usda_sr").count() >= 8700
    assert FoodPortion.objects.filter(food__source="usda_sr").count() >= 15000
    assert food("usda_sr", "11090").name == "Broccoli, raw"
    assert food("usda_sr", "11090").energy_kcal == 34.0
    assert food("usda_sr", "05064").energy_kcal == 165.0
    assert "usda-sr: read 8790, created 8790" in first.getvalue()

    second = StringIO()
    call_command("seed_demo", stdout=second)
    assert "usda-sr: 8790 foods already imported; nothing to do (--if-empty)." in second.getvalue()

    # And FitCore's template meals and plan from those foods, once.
    from meal.models import MealPlan
    from meal.selectors import plan_days

    plan = MealPlan.objects.get(tenant__isnull=True, name="Balanced week")
    days = plan_days(plan)
    assert len(days) == 7 and all(len(day["meals"]) == 4 for day in days)
    assert all(1500 < day["totals"]["kcal"] < 2500 for day in days)
    assert "Meal templates: already there" in second.getvalue()


# --- rules for USDA foods ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "group", "allergens", "vegan", "vegetarian"),
    [
        ("Peanut butter, smooth style, with salt", "1600", ["peanuts"], True, True),
        ("Potatoes, mashed, dehydrated, flakes without milk, dry form", "1100", [], True, True),
        ("Mushrooms, oyster, raw", "1100", [], True, True),
        ("Spices, poultry seasoning", "0200", [], True, True),
        ("Cereals, CREAM OF WHEAT, regular, 10 minute cooking, dry", "0800", ["gluten"], None, None),
        ("Cheese, cheddar", "0100", ["milk"], False, None),
        ("Egg, whole, raw, fresh", "0100", ["eggs"], False, True),
        ("Chicken, broilers or fryers, breast, meat only, cooked, roasted", "0500", [], False, False),
        ("Crustaceans, shrimp, raw", "1500", ["crustaceans"], False, False),
        ("Veal, leg (top round), separable lean only, cooked, pan-fried, not breaded", "1700", [], False, False),
        ("Bacon, meatless", "1600", [], None, None),
        ("Nuts, almonds, honey roasted, unblanched", "1200", ["tree_nuts"], False, True),
        ("Oil, olive, salad or cooking", "0400", [], True, True),
        ("Fish oil, cod liver", "0400", ["fish"], False, False),
        ("Bagels, plain, enriched (includes onion, poppy, sesame)", "1800", ["gluten", "sesame"], None, None),
    ],
)
def test_usda_rules_derive_allergens_and_diet_from_name_and_group(name, group, allergens, vegan, vegetarian) -> None:
    derived = derive(name, group)
    assert (sorted(derived.allergens), derived.vegan, derived.vegetarian) == (sorted(allergens), vegan, vegetarian)


# --- odd input found in review --------------------------------------------------------------


def _off_line(code: str, **extra: object) -> str:
    import json

    product = {
        "code": code,
        "product_name": f"Product {code}",
        "nutriments": {"energy-kcal_100g": 100, "proteins_100g": 1, "carbohydrates_100g": 20, "fat_100g": 1},
        **extra,
    }
    return json.dumps(product)


def test_off_odd_tags_and_a_repeated_code_across_batches(tmp_path: Path) -> None:
    dump = tmp_path / "odd.jsonl"
    lines = [
        _off_line("4006381333931", allergens_tags=[{"id": "en:milk"}, "en:milk", ["en:eggs"]]),
        _off_line("96385074"),
        _off_line("4006381333931", product_name="A later copy"),  # same code, in another batch
    ]
    dump.write_text("\n".join(lines) + "\n")
    report = import_off(dump, batch_size=1)
    assert (report.read, report.created, report.updated) == (3, 2, 0)
    assert report.skip_reasons["duplicate_id"] == 1
    first = food("off", "4006381333931")
    assert first.name == "Product 4006381333931" and first.allergens == ["milk"]


def test_a_number_too_large_for_a_float_is_a_malformed_row(tmp_path: Path) -> None:
    dump = tmp_path / "huge.jsonl"
    dump.write_text(
        _off_line("4006381333931", nutriments={"energy-kcal_100g": "9" * 400}) + "\n" + _off_line("96385074") + "\n"
    )
    report = import_off(dump)
    assert report.created == 1 and report.malformed == 1 and report.malformed_rows[0][0] == 1


def test_usda_sr_files_saved_as_utf8_with_a_bom(tmp_path: Path) -> None:
    for source in SR_DIR.iterdir():
        data = source.read_bytes()
        if source.name == "FOOD_DES.txt":
            data = data.decode("cp1252").replace("Broccoli, raw", "Broccoli, raw, café style").encode("utf-8")
            data = b"\xef\xbb\xbf" + data
        (tmp_path / source.name).write_bytes(data)
    import_usda_sr(tmp_path)
    assert food("usda_sr", "01001").name  # the first line, behind the BOM, is read
    assert food("usda_sr", "11090").name == "Broccoli, raw, café style"


def test_usda_sr_food_with_a_broken_portion_line_is_not_written_in_part(tmp_path: Path) -> None:
    for source in SR_DIR.iterdir():
        data = source.read_bytes()
        if source.name == "WEIGHT.txt":
            # Broccoli's first portion loses its gram weight.
            lines = data.split(b"\r\n")
            index = next(i for i, line in enumerate(lines) if line.startswith(b"~11090~"))
            lines[index] = lines[index].replace(b"^", b"^x", 4)
            data = b"\r\n".join(lines)
        (tmp_path / source.name).write_bytes(data)
    report = import_usda_sr(tmp_path)
    assert not Food.objects.filter(source="usda_sr", source_id="11090").exists()
    assert any("FOOD_DES.txt or WEIGHT.txt line is malformed" in reason for _, reason in report.malformed_rows)
    assert food("usda_sr", "01001").name == "Butter, salted"


def test_reimport_keeps_each_portion_on_its_own_weight(tmp_path: Path) -> None:
    from meal.importers.base import FoodRow, ImportReport, PortionRow, write_foods

    def row(portions: list[PortionRow]) -> FoodRow:
        return FoodRow(
            line=1,
            source_id="p1",
            name="Soup",
            brand="",
            category="",
            energy_kcal=50.0,
            protein_g=2.0,
            fat_g=1.0,
            carbohydrate_g=8.0,
            portions=portions,
        )

    write_foods(
        [row([PortionRow("1 cup", 240.0), PortionRow("1 cup", 100.0)])],
        source="usda_fdc",
        report=ImportReport(source="x"),
    )
    small = FoodPortion.objects.get(food__source_id="p1", grams=100.0)
    # The source drops the 240 g cup: the 100 g row must survive as itself.
    write_foods([row([PortionRow("1 cup", 100.0)])], source="usda_fdc", report=ImportReport(source="x"))
    assert list(FoodPortion.objects.filter(food__source_id="p1").values_list("pk", "grams")) == [(small.pk, 100.0)]
