from django.db import migrations

from eservices.roles import sync_roles


def noop(apps, schema_editor):
    """Groups stay on reverse: they may hold staff and hand-made grants by then."""


class Migration(migrations.Migration):
    dependencies = [
        ("eservices", "0001_initial"),
        ("home", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtailredirects", "0008_add_verbose_name_plural"),
        ("wagtailsearchpromotions", "0008_query_verbose_name"),
        ("simple_translation", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_roles, noop)]
