"""The outbox of portal events that the domain systems pull (GET /api/v1/events).

``record_event`` is called inside the transaction that makes the change (booking a payment),
so the event is committed exactly when the change is: never lost, never announced for a change
that was rolled back. Consumers page through events by id (the cursor).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from eservices.bulk import row_writer
from eservices.models import DomainSystem, OutboundEvent

_KIND = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")

#: How long an event waits before it is served. Ids are taken at insert, but transactions can
#: commit out of id order, so a consumer that had already read past a late-committing event
#: would skip it. Payment transactions are short; this covers them.
DEFAULT_SETTLE_SECONDS = 2


def record_event(
    kind: str, payload: dict[str, Any], *, target_system: DomainSystem | None = None
) -> OutboundEvent:
    """Append an event, e.g. ``record_event("payment.booked", {...})``, in the caller's transaction.

    ``payload`` is JSON; Decimal amounts and dates are written as strings. ``target_system``
    limits the event to one domain system (the one that keeps the ledger); by default every
    system sees it.
    """
    _check_kind(kind)
    return OutboundEvent.objects.create(kind=kind, payload=payload, target_system=target_system)


def record_events(
    kind: str, payloads: list[dict[str, Any]], *, target_system: DomainSystem | None = None
) -> None:
    """`record_event` for many changes of one kind at once (a bank statement's bookings)."""
    _check_kind(kind)
    now = timezone.now()
    system = target_system.pk if target_system else None
    with row_writer(OutboundEvent, ("kind", "payload", "target_system_id", "created_at")) as write:
        for payload in payloads:
            write((kind, payload, system, now))


def _check_kind(kind: str) -> None:
    if not _KIND.match(kind):
        raise ValueError(f"event kinds look like 'payment.booked'; got {kind!r}")


def events_for(system: DomainSystem, *, after: int = 0, limit: int = 100) -> list[OutboundEvent]:
    """The events ``system`` may read with an id above ``after``, oldest first."""
    settle = getattr(settings, "INTEGRATION_EVENTS_SETTLE_SECONDS", DEFAULT_SETTLE_SECONDS)
    queryset: QuerySet[OutboundEvent] = OutboundEvent.objects.filter(
        Q(target_system__isnull=True) | Q(target_system=system), pk__gt=after
    )
    if settle:
        queryset = queryset.filter(created_at__lte=timezone.now() - timedelta(seconds=settle))
    return list(queryset.order_by("pk")[:limit])
