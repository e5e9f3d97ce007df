"""The ledger refuses UPDATE and DELETE in the database too (PostgreSQL), whatever the code path."""

from django.db import migrations

CREATE = """
CREATE FUNCTION payment_transaction_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'payment_transaction is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER payment_transaction_append_only
    BEFORE UPDATE OR DELETE ON payment_transaction
    FOR EACH ROW EXECUTE FUNCTION payment_transaction_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS payment_transaction_append_only ON payment_transaction;
DROP FUNCTION IF EXISTS payment_transaction_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # None: the "%" in RAISE is not a placeholder


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("payment", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
