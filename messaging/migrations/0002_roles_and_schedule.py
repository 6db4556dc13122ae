"""Messaging's grants to the staff roles, and the beat schedule of its periodic tasks.

The schedule lives in django_celery_beat's tables (the DatabaseScheduler): the daily reminder
job at 08:00 Europe/Warsaw (with an expiry, so a late beat does not run yesterday's job at
noon), scheduled campaigns checked every minute, and the outbox drained every 5 minutes as a
safety net (transactional messages are drained at once anyway).
"""

from django.db import migrations

from eservices.roles import grant_permissions
from messaging.roles import GRANTS

TASKS = [
    # name, task, crontab (minute, hour), expire_seconds
    ("messaging: daily reminders", "messaging.tasks.run_reminders", ("0", "8"), 6 * 3600),
    (
        "messaging: start scheduled campaigns",
        "messaging.tasks.release_scheduled_campaigns",
        ("*", "*"),
        60,
    ),
    ("messaging: drain the outbox", "messaging.tasks.drain_outbox", ("*/5", "*"), 300),
]


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, (minute, hour), expire in TASKS:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="Europe/Warsaw",
        )
        PeriodicTask.objects.update_or_create(
            name=name,
            defaults={"task": task, "crontab": crontab, "expire_seconds": expire, "enabled": True},
        )


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[t[0] for t in TASKS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_initial"),
        ("eservices", "0009_sync_staff_roles_import_history"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(
            lambda apps, se: grant_permissions(apps, GRANTS), migrations.RunPython.noop
        ),
        migrations.RunPython(schedule, unschedule),
    ]
