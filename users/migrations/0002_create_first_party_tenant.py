from django.db import migrations

SLUG = "fitcore"


def create_first_party_tenant(apps, schema_editor):
    Tenant = apps.get_model("users", "Tenant")
    Tenant.objects.get_or_create(slug=SLUG, defaults={"name": "FitCore", "plan": "enterprise"})


def remove_first_party_tenant(apps, schema_editor):
    Tenant = apps.get_model("users", "Tenant")
    Tenant.objects.filter(slug=SLUG, users__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("users", "0001_initial")]

    operations = [migrations.RunPython(create_first_party_tenant, remove_first_party_tenant)]
