"""Statement-line keys start with the booking day (`payments.reconciliation.line_key`).

A key that was the 64-character hash becomes the day (YYYYMMDD) and the hash's first 56
characters: exactly what ``line_key`` now gives for the same line, so a statement imported
again still finds its lines.
"""

from django.db import migrations

SQL = {
    "postgresql": (
        "UPDATE payments_statementline "
        "SET line_hash = to_char(booked_on, 'YYYYMMDD') || left(line_hash, 56)"
    ),
    "sqlite": (
        "UPDATE payments_statementline "
        "SET line_hash = strftime('%Y%m%d', booked_on) || substr(line_hash, 1, 56)"
    ),
}


def day_first(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(SQL[connection.vendor])


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_statement_line_indexes")]

    operations = [migrations.RunPython(day_first, migrations.RunPython.noop)]
