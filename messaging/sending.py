"""Draining the outbox: claim a row, check consent and contact *now*, send, record the result.

The claim is one conditional UPDATE (``status='created'`` → ``sending``, ``attempts + 1``): of
two workers (or a retry racing the original task) exactly one gets the row, and a row once
claimed is never sent again by the outbox. A crash after the claim leaves the row in
``sending``; it is not re-sent blindly (the operator may have accepted it), the admin shows it,
and `release_stale` can put such rows back after an operator check. Stopping a campaign only
stops claiming, so starting it again resumes with the rows still ``created``.

Every send takes a token from the shared bucket (`messaging.ratelimit`): the rate holds across
workers (a worker takes a few tokens per round trip to Redis and spends them at once).
Temporary failures are retried by putting the row back to ``created`` up to ``MAX_ATTEMPTS``;
permanent failures suppress the address for later sends.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from .channels import get_email_channel, get_sms_channel
from .channels.base import (
    DeliveryReport,
    DeliveryStatus,
    OutgoingEmail,
    OutgoingSms,
    PermanentFailure,
    TechnicalFailure,
    TemporaryFailure,
)
from .models import (
    Channel,
    Consent,
    ConsentEvent,
    Delivery,
    MessagingSettings,
    Suppression,
    VerifiedPhone,
)
from .ratelimit import bucket_for

logger = logging.getLogger(__name__)

Status = Delivery.Status
MAX_ATTEMPTS = 3
BATCH_SIZE = 100
TOKENS_PER_TRIP = 10  # send tokens taken from the shared bucket per round trip to Redis
# Results of sent rows are written together: a commit per message cost as much as an SMS to a
# fast operator. At most this many rows, or this many seconds of sending, wait to be written.
RESULTS_PER_WRITE = 20
RESULTS_MAX_DELAY = 0.1
RESULT_FIELDS = ["status", "to", "provider_id", "parts", "error", "completed_at"]
UNSUBSCRIBE_SALT = "messaging.unsubscribe"


# --- One-click unsubscribe tokens -----------------------------------------------------------


def unsubscribe_token(user_id: int, channel: str, category: str) -> str:
    return signing.dumps([user_id, channel, category], salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str, max_age: timedelta = timedelta(days=366)) -> tuple:
    """``(user_id, channel, category)``; raises `signing.BadSignature` (incl. expired)."""
    user_id, channel, category = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=max_age)
    return int(user_id), channel, category


def unsubscribe_url(user_id: int, channel: str, category: str) -> str:
    path = reverse(
        "messaging_callbacks:unsubscribe", args=(unsubscribe_token(user_id, channel, category),)
    )
    return settings.PORTAL_BASE_URL.rstrip("/") + path


# --- Claiming -------------------------------------------------------------------------------


def claim(delivery_id: int) -> bool:
    """Move the row from created to sending; True only for the one caller that did."""
    return bool(
        Delivery.objects.filter(pk=delivery_id, status=Status.CREATED).update(
            status=Status.SENDING, attempts=F("attempts") + 1, sent_at=timezone.now()
        )
    )


@dataclass
class SendTimeState:
    """What a batch's sends are checked against, read once the batch is claimed: granted
    consents, verified phones and suppressed addresses of its recipients, and the send rate.

    Read after the claim, so a consent withdrawn (a number unverified, an address suppressed)
    before the batch was claimed stops its message; one read per batch instead of four queries
    per message. A suppression made while the batch is sent is added here too.
    """

    consents: set[tuple[int, str, str]] = field(default_factory=set)
    emails: dict[int, str] = field(default_factory=dict)
    phones: dict[int, str] = field(default_factory=dict)
    suppressed: set[tuple[str, str]] = field(default_factory=set)
    rate: float = 1.0
    # Rows of each channel not yet through `send_claimed`, and send tokens taken but unspent.
    pending: dict[str, int] = field(default_factory=dict)
    reserved: dict[str, int] = field(default_factory=dict)
    # Sent rows whose result is not written yet (`record_sent`), and since when.
    unwritten: list[Delivery] = field(default_factory=list)
    unwritten_since: float = 0.0

    @classmethod
    def read(cls, rows: list[Delivery]) -> SendTimeState:
        user_ids = {row.user_id for row in rows}
        channels = {row.channel for row in rows}
        state = cls(rate=_rate(), pending=dict(Counter(row.channel for row in rows)))
        if not rows:
            return state
        state.consents = set(
            Consent.objects.filter(
                user_id__in=user_ids,
                channel__in=channels,
                category__in={row.category for row in rows},
                granted=True,
            ).values_list("user_id", "channel", "category")
        )
        if Channel.EMAIL in channels:
            users = get_user_model().objects.filter(pk__in=user_ids)
            state.emails = {
                pk: (email or "").lower() for pk, email in users.values_list("pk", "email")
            }
        if Channel.SMS in channels:
            phones = VerifiedPhone.objects.filter(user_id__in=user_ids)
            state.phones = dict(phones.values_list("user_id", "phone"))
        wanted = {(row.channel, address) for row in rows if (address := state.contact(row))}
        if wanted:
            suppressions = Suppression.objects.filter(
                channel__in=channels, address__in={address for _channel, address in wanted}
            )
            state.suppressed = set(suppressions.values_list("channel", "address")) & wanted
        return state

    def take_token(self, channel: str) -> None:
        """Block until this send may go (the shared rate); tokens are taken from Redis a few
        at a time, never more than the rows of the batch still to go nor the bucket's burst,
        so the rate across workers holds as it does token by token."""
        if not self.reserved.get(channel):
            bucket = bucket_for(channel, self.rate)
            tokens = max(1, min(self.pending.get(channel, 0) + 1, bucket.burst, TOKENS_PER_TRIP))
            bucket.acquire(tokens, sleep=self._write_then_sleep)
            self.reserved[channel] = tokens
        self.reserved[channel] -= 1

    def _write_then_sleep(self, seconds: float) -> None:
        """Held back by the rate: nothing already sent waits unwritten meanwhile."""
        self.write_results()
        time.sleep(seconds)

    def record_sent(self, delivery: Delivery) -> None:
        """Note a sent row's result; written with the others every ``RESULTS_PER_WRITE`` rows
        or ``RESULTS_MAX_DELAY`` seconds, and at the end of the batch."""
        if not self.unwritten:
            self.unwritten_since = time.monotonic()
        self.unwritten.append(delivery)
        self.write_results(due_only=True)

    def write_results(self, due_only: bool = False) -> None:
        """Write the noted results in one round trip (all, or only if they are due)."""
        if not self.unwritten:
            return
        if due_only and (
            len(self.unwritten) < RESULTS_PER_WRITE
            and time.monotonic() - self.unwritten_since < RESULTS_MAX_DELAY
        ):
            return
        rows, self.unwritten = self.unwritten, []
        _write_results(rows)

    def contact(self, row: Delivery) -> str:
        """Where the row's channel reaches its recipient now (`consents.contact_for`)."""
        if row.channel == Channel.EMAIL:
            return self.emails.get(row.user_id, "")
        return self.phones.get(row.user_id, "")


def _write_results(rows: list[Delivery]) -> None:
    """One transaction of single-row UPDATEs sent with ``executemany`` (psycopg pipelines them:
    one round trip); `bulk_update`'s CASE expressions cost milliseconds a row to build."""
    fields = [Delivery._meta.get_field(name) for name in RESULT_FIELDS]
    quote = connection.ops.quote_name
    sql = "UPDATE {} SET {} WHERE {} = %s".format(  # noqa: S608 - names from the model, quoted
        quote(Delivery._meta.db_table),
        ", ".join(f"{quote(f.column)} = %s" for f in fields),
        quote(Delivery._meta.pk.column),
    )
    params = [
        [f.get_db_prep_value(getattr(row, f.attname), connection) for f in fields] + [row.pk]
        for row in rows
    ]
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _finish(delivery: Delivery, status: str, **fields) -> None:
    fields.setdefault("completed_at", timezone.now())
    Delivery.objects.filter(pk=delivery.pk).update(status=status, **fields)


def _rate() -> float:
    return float(MessagingSettings.load().sends_per_second or 1)


def send_claimed(delivery: Delivery, channel=None, state: SendTimeState | None = None) -> str:
    """Send one claimed row (consent, suppression and contact checked now); its new status.

    ``channel`` is the batch's email or SMS channel (one SMTP connection for the batch);
    ``state`` its `SendTimeState`. Without them they are made for this row alone.
    """
    own_state = state is None
    if state is None:
        state = SendTimeState.read([delivery])
    state.pending[delivery.channel] = state.pending.get(delivery.channel, 1) - 1
    if (delivery.user_id, delivery.channel, delivery.category) not in state.consents:
        _finish(delivery, Status.SKIPPED, error="no consent at send time")
        return Status.SKIPPED
    address = state.contact(delivery)
    if not address:
        _finish(delivery, Status.SKIPPED, error="no verified contact")
        return Status.SKIPPED
    if (delivery.channel, address) in state.suppressed:
        _finish(delivery, Status.SKIPPED, to=address, error="address suppressed")
        return Status.SKIPPED
    state.write_results(due_only=True)  # a slow send must not hold earlier results back
    state.take_token(delivery.channel)
    reference = str(delivery.pk)
    try:
        if delivery.channel == Channel.EMAIL:
            message = OutgoingEmail(
                to=address,
                subject=delivery.subject,
                text=delivery.body,
                html=delivery.html,
                unsubscribe_url=unsubscribe_url(
                    delivery.user_id, delivery.channel, delivery.category
                ),
                reference=reference,
            )
            if channel is not None:
                result = channel.send(message)
            else:
                with get_email_channel() as email_channel:
                    result = email_channel.send(message)
        else:
            result = (channel or get_sms_channel()).send(
                OutgoingSms(to=address, text=delivery.body, reference=reference)
            )
    except TemporaryFailure as exc:
        if delivery.attempts < MAX_ATTEMPTS:
            # Back to the queue: the next drain claims it again (attempts counts the tries).
            Delivery.objects.filter(pk=delivery.pk, status=Status.SENDING).update(
                status=Status.CREATED, to=address, error=str(exc)[:255]
            )
            return Status.CREATED
        _finish(delivery, Status.TEMPORARY_FAILURE, to=address, error=str(exc)[:255])
        return Status.TEMPORARY_FAILURE
    except PermanentFailure as exc:
        _finish(delivery, Status.PERMANENT_FAILURE, to=address, error=str(exc)[:255])
        suppress(delivery.channel, address, str(exc))
        state.suppressed.add((delivery.channel, address))  # for the rest of this batch
        return Status.PERMANENT_FAILURE
    except TechnicalFailure as exc:  # our side: not retried, the address is not at fault
        _finish(delivery, Status.TECHNICAL_FAILURE, to=address, error=str(exc)[:255])
        return Status.TECHNICAL_FAILURE
    except Exception as exc:  # a bug or an unexpected reply: recorded, never retried blindly
        logger.exception("Technical failure sending delivery %s", delivery.pk)
        _finish(delivery, Status.TECHNICAL_FAILURE, to=address, error=repr(exc)[:255])
        return Status.TECHNICAL_FAILURE
    status = Status.DELIVERED if result.status == DeliveryStatus.DELIVERED else Status.SENT
    delivery.status = status
    delivery.to = address
    delivery.provider_id = result.provider_id[:255]
    delivery.parts = result.parts
    delivery.error = ""
    delivery.completed_at = timezone.now() if status == Status.DELIVERED else None
    state.record_sent(delivery)
    if own_state:
        state.write_results()
    return status


def send_one(delivery_id: int) -> str | None:
    """Claim and send one row; None if someone else has it (or it is done)."""
    if not claim(delivery_id):
        return None
    return send_claimed(Delivery.objects.get(pk=delivery_id))


# Per campaign (None: the rows without one), the highest id this process has claimed.
_claimed_up_to: dict[int | None, int] = {}


def claim_batch(campaign_id: int | None = None, limit: int | None = None) -> list[int]:
    """Claim up to ``limit`` waiting rows (of a campaign, or those without one) for this caller.

    Rows are picked with ``SKIP LOCKED`` so concurrent workers take different rows, and marked
    with a fresh claim token in the same UPDATE that requires ``status='created'``: the rows
    carrying our token are ours alone, on any database.

    The next rows are taken in id order after the last ones this process claimed: whichever
    plan the statistics lead to (the claimable index, or the primary key), it starts there
    instead of walking past every row already sent on each claim of a large campaign. When
    nothing waits after that point, the claim looks again from the start (rows put back for a
    retry, rows another worker skipped).
    """
    limit = limit or getattr(settings, "MESSAGING_BATCH_SIZE", BATCH_SIZE)
    after = _claimed_up_to.get(campaign_id, 0)
    ids = _claim(campaign_id, limit, after)
    if not ids and after:
        ids = _claim(campaign_id, limit, 0)
    if ids:
        _claimed_up_to[campaign_id] = max(ids)
    return ids


def _claim(campaign_id: int | None, limit: int, after: int) -> list[int]:
    token = uuid.uuid4().hex
    with transaction.atomic():
        waiting = Delivery.objects.filter(
            status=Status.CREATED, campaign_id=campaign_id, pk__gt=after
        )
        ids = list(
            waiting.select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids, status=Status.CREATED).update(
            status=Status.SENDING, attempts=F("attempts") + 1, sent_at=timezone.now(), claim=token
        )
    return list(Delivery.objects.filter(claim=token).order_by("pk").values_list("pk", flat=True))


def send_claimed_rows(ids: list[int]) -> dict[str, int]:
    """Send rows this caller claimed; email shares one SMTP connection. Counts per outcome.

    The send-time checks are read once for the batch (`SendTimeState`), after the claim.
    Results of sent rows are written a few at a time (`SendTimeState.record_sent`) and at the
    end, also when the batch is interrupted by an exception; a worker killed outright leaves
    the last fraction of a second of sent rows ``sending``, never re-sent.
    """
    outcomes: dict[str, int] = {}
    rows = list(Delivery.objects.filter(pk__in=ids).order_by("pk"))
    state = SendTimeState.read(rows)
    emails = [d for d in rows if d.channel == Channel.EMAIL]
    texts = [d for d in rows if d.channel != Channel.EMAIL]

    def count(status: str) -> None:
        outcomes[status] = outcomes.get(status, 0) + 1

    try:
        if emails:
            with get_email_channel() as channel:
                for delivery in emails:
                    count(send_claimed(delivery, channel, state))
        if texts:
            channel = get_sms_channel()
            for delivery in texts:
                count(send_claimed(delivery, channel, state))
    finally:
        state.write_results()
    return outcomes


def drain_batch(campaign_id: int | None = None, limit: int | None = None) -> int:
    """Claim and send one batch; how many rows were claimed (0: nothing waits)."""
    ids = claim_batch(campaign_id, limit)
    if ids:
        send_claimed_rows(ids)
    return len(ids)


# --- Results coming back --------------------------------------------------------------------


def suppress(channel: str, address: str, reason: str) -> None:
    """No more sends to ``address``; consents bound to it are withdrawn on the record."""
    from .consents import Evidence, set_consent

    with transaction.atomic():
        Suppression.objects.get_or_create(
            channel=channel, address=address, defaults={"reason": reason[:255]}
        )
        evidence = Evidence(source=ConsentEvent.Source.SUPPRESSION)
        holders = Consent.objects.filter(channel=channel, granted=True).select_related("user")
        if channel == Channel.EMAIL:
            holders = holders.filter(user__email__iexact=address)
        else:
            holders = holders.filter(user__verified_phone__phone=address)
        for consent in holders:
            set_consent(consent.user, channel, consent.category, False, evidence)


_REPORT_STATUS = {
    DeliveryStatus.DELIVERED: Status.DELIVERED,
    DeliveryStatus.UNDELIVERED: Status.PERMANENT_FAILURE,
    DeliveryStatus.FAILED: Status.TEMPORARY_FAILURE,
}


def apply_delivery_reports(reports: Iterable[DeliveryReport]) -> int:
    """Update the rows the operator reports on (matched by its id, else our reference)."""
    updated = 0
    for report in reports:
        status = _REPORT_STATUS.get(report.status)
        if status is None:
            continue
        with transaction.atomic():
            rows = Delivery.objects.select_for_update().filter(channel=Channel.SMS)
            delivery = (
                rows.filter(provider_id=report.provider_id).first() if report.provider_id else None
            )
            if delivery is None and report.reference.isdigit():
                delivery = rows.filter(pk=int(report.reference)).first()
            if delivery is None or delivery.status in (Status.DELIVERED,):
                continue
            delivery.status = status
            delivery.completed_at = report.at or timezone.now()
            delivery.save(update_fields=["status", "completed_at"])
            updated += 1
        if status == Status.PERMANENT_FAILURE and delivery.to:
            suppress(Channel.SMS, delivery.to, "undelivered (operator report)")
    return updated


def release_stale(older_than: timedelta = timedelta(hours=1)) -> int:
    """Rows stuck in ``sending`` after a crash → technical failure, for a clerk to review.

    Not re-sent: the provider may have accepted the message before the worker died.
    """
    return Delivery.objects.filter(
        status=Status.SENDING, sent_at__lt=timezone.now() - older_than
    ).update(status=Status.TECHNICAL_FAILURE, error="worker stopped while sending")
