from django.db import migrations

from eservices.roles import sync_roles


class Migration(migrations.Migration):
    """Clerks and administrators manage residents' accounts, link requests and proxies."""

    dependencies = [("eservices", "0010_accounts_activity_linking")]

    operations = [migrations.RunPython(sync_roles, migrations.RunPython.noop)]
