"""Automatic reminders, planned once a day by Celery beat (no countdowns; PRACTICES.md §4).

For each active `ReminderRule` the job looks at the instalments whose effective due date is
``days`` ahead (before) or ``days`` ago (after, while still unpaid), and puts one `Delivery` in
the outbox per rule, instalment, channel and consenting account — keyed, so running the job
twice on a day (two beats, a retry) plans nothing new.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from eservices.ledger import annotate_installments
from eservices.models import AccountLink, Installment

from . import placeholders
from .campaigns import render_template
from .consents import consenting_user_ids
from .models import Delivery, ReminderRule


def reminder_key(rule: ReminderRule, installment_id: int, user_id: int) -> str:
    return f"r{rule.pk}:{rule.kind}:i{installment_id}:{rule.template.channel}:u{user_id}"


def plan_rule(rule: ReminderRule, today: date) -> int:
    """Outbox rows for one rule on ``today``; how many were new."""
    template = rule.template
    offset = timedelta(days=rule.days)
    due = today + offset if rule.kind == ReminderRule.Kind.BEFORE else today - offset
    installments = (
        annotate_installments(Installment.objects.filter(due_date=due), through=today)
        .filter(outstanding__gt=0)
        .select_related("ledger__taxpayer", "ledger__receivable_type")
    )
    # The consenting accounts of every taxpayer due that day, in one query.
    links = AccountLink.objects.active().filter(
        taxpayer_id__in=installments.values("ledger__taxpayer_id"),
        user_id__in=consenting_user_ids(template.channel, rule.category),
    )
    accounts: dict[int, list[int]] = {}
    for taxpayer_id, user_id in links.values_list("taxpayer_id", "user_id"):
        accounts.setdefault(taxpayer_id, []).append(user_id)
    rows = []
    for inst in installments:
        taxpayer = inst.ledger.taxpayer
        users = accounts.get(taxpayer.pk)
        if not users:
            continue  # nobody to tell: nothing to render
        values = placeholders.person_values(
            taxpayer.first_name, taxpayer.last_name, taxpayer.organisation_name
        ) | {
            "amount": inst.outstanding,
            "due_date": inst.due_date,
            "receivable": inst.ledger.receivable_type.name,
            "installment": f"{inst.number}/{inst.year}",
        }
        rendered = render_template(template, values)
        for user_id in users:
            rows.append(
                Delivery(
                    key=reminder_key(rule, inst.pk, user_id),
                    user_id=user_id,
                    taxpayer=taxpayer,
                    channel=template.channel,
                    category=rule.category,
                    template=template,
                    subject=rendered.subject[:255],
                    body=rendered.text,
                    html=rendered.html,
                )
            )
    before = Delivery.objects.filter(key__in=[r.key for r in rows]).count()
    with transaction.atomic():
        Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows) - before


def plan_reminders(today: date | None = None) -> int:
    today = today or timezone.localdate()
    return sum(
        plan_rule(rule, today)
        for rule in ReminderRule.objects.filter(active=True).select_related("template")
    )
