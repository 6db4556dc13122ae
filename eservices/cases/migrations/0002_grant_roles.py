from django.db import migrations

from eservices.cases.roles import GRANTS
from eservices.roles import grant_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0001_initial"),
        ("eservices", "0009_sync_staff_roles_import_history"),
    ]

    operations = [
        migrations.RunPython(
            lambda apps, schema_editor: grant_permissions(apps, GRANTS),
            migrations.RunPython.noop,
        )
    ]
