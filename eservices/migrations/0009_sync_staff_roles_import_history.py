from django.db import migrations

from eservices.roles import sync_roles


class Migration(migrations.Migration):
    """Administrators see the import history (eservices.roles.ROLES); additive only."""

    dependencies = [("eservices", "0008_integration")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
