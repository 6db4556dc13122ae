"""Automatic reminders: N days before and after due dates, once per rule and instalment,
only to consenting residents; the beat schedule exists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django_celery_beat.models import PeriodicTask

from eservices.models import LedgerEntry
from messaging import sending
from messaging.models import Delivery, MessageTemplate, ReminderRule
from messaging.reminders import plan_reminders
from tests.eservices import factories as f

from .conftest import PORTAL, verify_phone

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(db):
    sms = MessageTemplate.objects.create(
        name="Termin",
        channel="sms",
        category="upcoming_dues",
        source="reminder",
        text="Gmina: termin ((naleznosc)) rata ((rata)) mija ((termin)).",
    )
    mail = MessageTemplate.objects.create(
        name="Po terminie",
        channel="email",
        category="overdue",
        source="reminder",
        subject="Rata ((rata)) po terminie",
        text="Do zapłaty ((kwota)), termin minął ((termin)).",
    )
    before = ReminderRule.objects.create(name="7 przed", kind="before", days=7, template=sms)
    after = ReminderRule.objects.create(name="14 po", kind="after", days=14, template=mail)
    return before, after


def resident(today, due_offset, amount="200.00", grants=()):
    from messaging.consents import set_consent

    user = f.user()
    tp = f.taxpayer()
    f.link(user, tp)
    inst = f.installment(f.ledger(tp), amount, today + timedelta(days=due_offset))
    for channel, category in grants:
        set_consent(user, channel, category, True, PORTAL)
    return user, inst


def test_reminders_fire_once_per_rule_and_instalment(rules, today, capsys):
    before, _after = rules
    soon, soon_inst = resident(today, 7, grants=[("sms", "upcoming_dues")])
    verify_phone(soon)
    late, late_inst = resident(today, -14, grants=[("email", "overdue")])
    resident(today, 7)  # no consent
    resident(today, 8, grants=[("sms", "upcoming_dues")])  # another day

    assert plan_reminders(today) == 2
    assert plan_reminders(today) == 0  # a second beat run, a retry
    rows = {d.user_id: d for d in Delivery.objects.all()}
    assert set(rows) == {soon.pk, late.pk}
    assert rows[soon.pk].key == f"r{before.pk}:before:i{soon_inst.pk}:sms:u{soon.pk}"
    assert rows[soon.pk].body.startswith("Gmina: termin Podatek od nieruchomosci")  # transliterated
    assert rows[late.pk].subject == f"Rata 1/{late_inst.year} po terminie"
    assert "Do zapłaty 200,00 zł" in rows[late.pk].body


def test_paid_instalments_get_no_overdue_reminder(rules, today):
    _user, inst = resident(today, -14, grants=[("email", "overdue")])
    f.entry(
        inst, LedgerEntry.Kind.PAYMENT, principal="-200.00", booked_on=today - timedelta(days=3)
    )
    assert plan_reminders(today) == 0


def test_reminder_sms_goes_out_through_the_channel(rules, today, capsys):
    user, _inst = resident(today, 7, grants=[("sms", "upcoming_dues")])
    verify_phone(user, "+48600999888")
    plan_reminders(today)
    assert sending.drain_batch(None) == 1
    row = Delivery.objects.get(user=user)
    assert row.status in ("sent", "delivered") and row.to == "+48600999888"
    assert "+48600999888" in capsys.readouterr().out


def test_the_daily_job_is_scheduled_by_migration():
    import importlib

    from django.apps import apps

    # Run the migration's function again (idempotent): a transactional test elsewhere may
    # have truncated what the migration inserted on a reused test database.
    importlib.import_module("messaging.migrations.0002_roles_and_schedule").schedule(apps, None)
    importlib.import_module("messaging.migrations.0002_roles_and_schedule").schedule(apps, None)
    assert PeriodicTask.objects.filter(task="messaging.tasks.run_reminders").count() == 1
    task = PeriodicTask.objects.get(task="messaging.tasks.run_reminders")
    assert (task.crontab.hour, task.crontab.minute, str(task.crontab.timezone)) == (
        "8",
        "0",
        "Europe/Warsaw",
    )
    assert task.expire_seconds  # a late beat does not run yesterday's job
