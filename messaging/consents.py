"""Giving and withdrawing consents: one function each way, one transaction, one history event.

The current state (`Consent`) and its append-only history (`ConsentEvent`) change together
under a row lock, so a double click or two tabs record one change, not two. Senders ask
consent at the moment they send (`messaging.sending` reads it once per claimed batch), never
only when planning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Category, Channel, Consent, ConsentEvent, VerifiedPhone

#: The version of the consent texts below. Change it whenever a text changes: every event
#: records the version the resident was shown (GDPR art. 7(1), ICO: "the exact text shown").
TEXT_VERSION = "2026-11-1"

CONSENT_TEXTS = {
    Category.UPCOMING_DUES: _(
        "I want the municipality to remind me of instalments of taxes and fees that fall due soon."
    ),
    Category.OVERDUE: _("I want the municipality to tell me when a payment is overdue."),
    Category.PAYMENT_BOOKED: _(
        "I want a confirmation when my payment is booked, with what is left to pay."
    ),
    Category.NEWS: _("I want news and invitations to events from the municipality."),
    Category.CASE_STATUS: _("I want to know when the status of a case I filed changes."),
}

CONSENT_NOTICE = _(
    "Giving consent is voluntary and refusing costs nothing: paper notices stay as they are. "
    "You can withdraw any consent here at any time, as easily as you gave it."
)

Source = ConsentEvent.Source


@dataclass(frozen=True)
class Evidence:
    """How the change was made, for the record."""

    source: str = Source.PORTAL
    recorded_by: object | None = None
    document_reference: str = ""
    ip_address: str | None = None
    user_agent: str = ""


def contact_for(user, channel: str) -> str:
    """Where ``channel`` reaches ``user`` now: the login email, or the verified phone, or ''."""
    if channel == Channel.EMAIL:
        return (user.email or "").lower()
    try:
        return VerifiedPhone.objects.get(user=user).phone
    except VerifiedPhone.DoesNotExist:
        return ""


def set_consent(user, channel: str, category: str, granted: bool, evidence: Evidence) -> bool:
    """Record ``granted`` for (channel, category); True if it changed, False if it already was."""
    if channel not in Channel.values or category not in Category.values:
        raise ValueError(f"unknown consent {channel}/{category}")
    with transaction.atomic():
        state = _locked_state(user, channel, category)
        if state.granted == granted:
            return False
        now = timezone.now()
        state.granted = granted
        state.updated_at = now
        state.save(update_fields=["granted", "updated_at"])
        ConsentEvent.objects.create(
            user=user,
            channel=channel,
            category=category,
            action=ConsentEvent.Action.GRANTED if granted else ConsentEvent.Action.WITHDRAWN,
            source=evidence.source,
            text_version=TEXT_VERSION,
            contact_value=contact_for(user, channel),
            recorded_by=evidence.recorded_by,
            document_reference=evidence.document_reference[:100],
            ip_address=evidence.ip_address,
            user_agent=evidence.user_agent[:255],
            created_at=now,
        )
        return True


def _locked_state(user, channel: str, category: str) -> Consent:
    lookup = {"user": user, "channel": channel, "category": category}
    try:
        return Consent.objects.select_for_update().get(**lookup)
    except Consent.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            Consent.objects.create(**lookup, granted=False)
    except IntegrityError:
        pass  # a concurrent request created it first: lock theirs
    return Consent.objects.select_for_update().get(**lookup)


def update_consents(user, wanted: Iterable[tuple[str, str]], evidence: Evidence) -> list[tuple]:
    """Make exactly ``wanted`` (channel, category) pairs granted; the changes made."""
    wanted = set(wanted)
    changes = []
    with transaction.atomic():
        for channel in Channel.values:
            for category in Category.values:
                granted = (channel, category) in wanted
                if set_consent(user, channel, category, granted, evidence):
                    changes.append((channel, category, granted))
    return changes


def granted_pairs(user) -> set[tuple[str, str]]:
    return set(Consent.objects.filter(user=user, granted=True).values_list("channel", "category"))


def has_consent(user_id: int, channel: str, category: str) -> bool:
    return Consent.objects.filter(
        user_id=user_id, channel=channel, category=category, granted=True
    ).exists()


def consenting_user_ids(channel: str, category: str) -> QuerySet:
    """The accounts that consent to ``category`` through ``channel`` now (planning's view)."""
    return Consent.objects.filter(channel=channel, category=category, granted=True).values_list(
        "user_id", flat=True
    )
