"""Messages triggered by events: a payment booked, a case's status changed.

Subscribed in `MessagingConfig.ready` to ``payments.signals.payment_booked`` and
``eservices.signals.case_status_changed`` (both sent on commit). Each puts keyed rows in the
outbox — at most one per event, channel and account — for those who consented to the
category, and asks a worker to drain the outbox; the consent is checked again when sent.

The text is the office's template for that source if there is one (the first by name), else
the built-in default below.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eservices.bulk import any_of
from eservices.dues import dues
from eservices.models import AccountLink, Ledger, Taxpayer

from . import placeholders
from .campaigns import render_template
from .models import Category, Channel, Consent, Delivery, MessageTemplate

logger = logging.getLogger(__name__)

DEFAULTS = {
    placeholders.PAYMENT: {
        "subject": _("Your payment has been booked"),
        "text": _(
            "Hello ((imie)),\n\nyour payment of ((kwota)) was booked on ((data)). "
            "Still to pay: ((saldo)).\n\nThe municipal office"
        ),
        "sms": _("Your payment to the municipality was booked. Thank you."),
    },
    placeholders.CASE: {
        "subject": _("Your case has a new status"),
        "text": _(
            "Hello ((imie)),\n\nyour case now has the status: ((status)).\n((wiadomosc))\n\n"
            "Details: ((link))\n\nThe municipal office"
        ),
        "sms": _("Your case at the municipal office has a new status: ((status))."),
    },
}


def _template(source: str, channel: str, category: str) -> MessageTemplate:
    found = MessageTemplate.objects.filter(source=source, channel=channel).order_by("name").first()
    if found:
        return found
    default = DEFAULTS[source]
    return MessageTemplate(
        name="default",
        channel=channel,
        category=category,
        source=source,
        subject=str(default["subject"]),
        text=str(default["sms" if channel == Channel.SMS else "text"]),
        transliterate=True,
    )


def queue_event(key: str, user_ids, category: str, source: str, values: dict, **extra) -> int:
    """One outbox row per consenting account and channel; how many were new."""
    consents = Consent.objects.filter(
        user_id__in=list(user_ids), category=category, granted=True
    ).values_list("user_id", "channel")
    rows = []
    for user_id, channel in consents:
        template = _template(source, channel, category)
        rendered = render_template(template, values, values.get("link", ""))
        rows.append(
            Delivery(
                key=f"{key}:{channel}:u{user_id}"[:120],
                user_id=user_id,
                channel=channel,
                category=category,
                template=template if template.pk else None,
                subject=rendered.subject[:255],
                body=rendered.text,
                html=rendered.html,
                **extra,
            )
        )
    if not rows:
        return 0
    existing = Delivery.objects.filter(key__in=[r.key for r in rows]).count()
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    from .tasks import drain_outbox

    transaction.on_commit(drain_outbox.delay)
    return len(rows) - existing


def on_payment_booked(sender, *, taxpayer, amount, booked_on: date, reference: str, **kwargs):
    """Confirmation with the amount and what is left to pay (`eservices.dues`, as of today)."""
    today = timezone.localdate()
    owed = dues(Ledger.objects.filter(taxpayer=taxpayer), today)
    balance = owed.outstanding + owed.interest + owed.reminder_costs
    values = placeholders.person_values(
        taxpayer.first_name, taxpayer.last_name, taxpayer.organisation_name
    ) | {"amount": amount, "booked_on": booked_on, "balance": balance}
    users = AccountLink.objects.active().filter(taxpayer=taxpayer).values_list("user_id", flat=True)
    try:
        queue_event(
            f"pay:{reference}",
            users,
            Category.PAYMENT_BOOKED,
            placeholders.PAYMENT,
            values,
            taxpayer=taxpayer,
        )
    except Exception:  # a notification must never undo or block a booking
        logger.exception("Could not queue the payment confirmation for %s", reference)


def on_payments_booked(sender, *, bookings: list[dict], **kwargs):
    """A bank statement's bookings: only taxpayers linked to a portal account get a message,
    so they are picked out in one query instead of a dues reckoning per line."""
    followed = set(
        AccountLink.objects.active()
        .filter(taxpayer_id__in=any_of({booking["taxpayer_id"] for booking in bookings}))
        .values_list("taxpayer_id", flat=True)
    )
    taxpayers = Taxpayer.objects.in_bulk(followed)
    for booking in bookings:
        if booking["taxpayer_id"] in followed:
            details = {k: v for k, v in booking.items() if k != "taxpayer_id"}
            on_payment_booked(sender, taxpayer=taxpayers[booking["taxpayer_id"]], **details)


def on_case_status_changed(sender, *, case, user, status_label, message="", url="", **kwargs):
    from django.conf import settings

    values = placeholders.person_values(user.first_name, user.last_name) | {
        "status": str(status_label),
        "message": message,
        "link": settings.PORTAL_BASE_URL.rstrip("/") + url if url else "",
    }
    # The signal carries no id of the change; the status, the message and the minute make a
    # key under which a repeated delivery of one signal adds nothing.
    digest = hashlib.sha256(f"{status_label}|{message}".encode()).hexdigest()[:16]
    stamp = timezone.now().strftime("%Y%m%d%H%M")
    try:
        queue_event(
            f"case:{case.pk}:{digest}:{stamp}",
            [user.pk],
            Category.CASE_STATUS,
            placeholders.CASE,
            values,
        )
    except Exception:
        logger.exception("Could not queue the case status message for case %s", case.pk)


def connect() -> None:
    from eservices.signals import case_status_changed
    from payments.signals import payment_booked, payments_booked

    payment_booked.connect(on_payment_booked, dispatch_uid="messaging.payment_booked")
    payments_booked.connect(on_payments_booked, dispatch_uid="messaging.payments_booked")
    case_status_changed.connect(on_case_status_changed, dispatch_uid="messaging.case_status")
