from django.db import migrations

from eservices.roles import sync_roles


class Migration(migrations.Migration):
    """Grant the roles the receivables permissions (eservices.roles.ROLES); additive only."""

    dependencies = [("eservices", "0006_external_identity")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
