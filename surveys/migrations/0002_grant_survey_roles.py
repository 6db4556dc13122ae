"""Clerks and administrators may read survey results (surveys/roles.py)."""

from django.db import migrations

from eservices.roles import grant_permissions
from surveys.roles import GRANTS


def grant(apps, schema_editor):
    grant_permissions(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
        ("eservices", "0009_sync_staff_roles_import_history"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
