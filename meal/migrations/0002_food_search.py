"""Food search on PostgreSQL: a weighted tsvector kept by a trigger, and trigram indexes.

``search_vector`` holds the name (weight A, English stemming) and the brand (weight B, no
stemming: brands are names). A trigger keeps it, so bulk imports (``INSERT ... ON CONFLICT``),
the admin and the API all agree without remembering to. ``pg_trgm``'s GIN indexes on name
and brand serve the ``<%`` (word similarity) operator, so typos still find the food.
On SQLite this migration does nothing and search falls back to a ranked LIKE match.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

FORWARD = [
    """
    CREATE FUNCTION meal_food_search_vector() RETURNS trigger AS $$
    BEGIN
        NEW.search_vector :=
            setweight(to_tsvector('english', coalesce(NEW.name, '')), 'A')
            || setweight(to_tsvector('simple', coalesce(NEW.brand, '')), 'B');
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER meal_food_search_vector BEFORE INSERT OR UPDATE OF name, brand ON meal_food
    FOR EACH ROW EXECUTE FUNCTION meal_food_search_vector()
    """,
    "UPDATE meal_food SET name = name",
    "CREATE INDEX meal_food_search_vector ON meal_food USING gin (search_vector)",
    "CREATE INDEX meal_food_name_trgm ON meal_food USING gin (name gin_trgm_ops)",
    "CREATE INDEX meal_food_brand_trgm ON meal_food USING gin (brand gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS meal_food_brand_trgm",
    "DROP INDEX IF EXISTS meal_food_name_trgm",
    "DROP INDEX IF EXISTS meal_food_search_vector",
    "DROP TRIGGER IF EXISTS meal_food_search_vector ON meal_food",
    "DROP FUNCTION IF EXISTS meal_food_search_vector()",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARD:
            schema_editor.execute(sql, params=None)


class Migration(migrations.Migration):
    dependencies = [("meal", "0001_initial")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(forward, backward),
    ]
