from django.db import migrations

from eservices.roles import grant_permissions
from payments.roles import GRANTS


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("eservices", "0009_sync_staff_roles_import_history"),
    ]

    operations = [
        migrations.RunPython(lambda apps, se: grant_permissions(apps, GRANTS), migrations.RunPython.noop),
    ]
