"""What a worker checks when it sends a claimed batch: consent, contact and suppression as they
are when the batch is claimed (not when the outbox was built), read once per batch."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from messaging import campaigns, sending
from messaging.consents import Evidence, set_consent
from messaging.models import (
    Campaign,
    Delivery,
    MessageTemplate,
    MessagingSettings,
    Suppression,
    VerifiedPhone,
)
from messaging.ratelimit import TokenBucket

from .conftest import resident_with_arrears, verify_phone

pytestmark = pytest.mark.django_db

OVERDUE_SMS = [("sms", "overdue")]


@pytest.fixture
def sms_template(db):
    return MessageTemplate.objects.create(
        name="SMS zaległość",
        channel="sms",
        category="overdue",
        source="total_arrears",
        text="Gmina Przykladowo: prosimy o kontakt w sprawie zaleglosci.",
    )


def sms_residents(n: int, first_phone: int = 500600000):
    residents = []
    for i in range(n):
        user, _tp = resident_with_arrears(grants=OVERDUE_SMS)
        verify_phone(user, f"+48{first_phone + i}")
        residents.append(user)
    return residents


def materialised(template) -> Campaign:
    campaign = Campaign.objects.create(name="x", template=template, query_code="total_arrears")
    campaigns.materialise(campaign)
    return campaign


def test_consent_contact_and_suppression_changed_after_planning_stop_the_sms(sms_template, capsys):
    withdrawn, unverified, suppressed, stays = sms_residents(4)
    campaign = materialised(sms_template)
    # Between building the outbox and the worker claiming the batch:
    set_consent(withdrawn, "sms", "overdue", False, Evidence())
    VerifiedPhone.objects.filter(user=unverified).delete()
    Suppression.objects.create(channel="sms", address=suppressed.verified_phone.phone)

    assert sending.drain_batch(campaign.pk) == 4

    rows = {d.user_id: d for d in Delivery.objects.filter(campaign=campaign)}
    assert rows[stays.pk].status == "delivered"  # the console channel counts as delivered
    assert (rows[withdrawn.pk].status, rows[withdrawn.pk].error) == (
        "skipped",
        "no consent at send time",
    )
    assert (rows[unverified.pk].status, rows[unverified.pk].error) == (
        "skipped",
        "no verified contact",
    )
    assert (rows[suppressed.pk].status, rows[suppressed.pk].error) == (
        "skipped",
        "address suppressed",
    )
    printed = capsys.readouterr().out
    assert printed.count("SMS to ") == 1 and stays.verified_phone.phone in printed


def test_a_bounce_stops_the_rest_of_the_batch_to_that_address(smtp_server, db):
    """Two rows to one address in one batch (two reminders): after a 550 the second is not
    tried; the suppression read with the batch is kept up to date while it is sent."""
    user, _tp = resident_with_arrears(grants=[("email", "overdue")])
    ids = [
        Delivery.objects.create(
            key=f"test:{n}", user=user, channel="email", category="overdue", body="x", subject="s"
        ).pk
        for n in range(2)
    ]
    smtp_server.reply_next("RCPT", "550 5.1.1 No such user")
    claimed = sending.claim_batch(None)
    assert claimed == ids

    assert sending.send_claimed_rows(claimed) == {"permanent_failure": 1, "skipped": 1}
    first, second = (Delivery.objects.get(pk=pk) for pk in ids)
    assert first.status == "permanent_failure"
    assert (second.status, second.error) == ("skipped", "address suppressed")
    assert smtp_server.messages == []


def _queries_to_send(ids: list[int]) -> int:
    MessagingSettings.load()  # made on first use; not part of sending
    with CaptureQueriesContext(connection) as queries:
        outcomes = sending.send_claimed_rows(ids)
    assert set(outcomes) <= {"sent", "delivered"} and sum(outcomes.values()) == len(ids)
    return len(queries)


def test_sms_batch_costs_a_few_queries_whatever_its_size(sms_template, capsys):
    sms_residents(9)
    campaign = materialised(sms_template)
    small = _queries_to_send(sending.claim_batch(campaign.pk, limit=3))
    large = _queries_to_send(sending.claim_batch(campaign.pk, limit=6))
    # Rows, settings, consents, phones, suppressions, and one write of the results.
    assert small == large == 5 + 1
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_email_batch_costs_a_few_queries_whatever_its_size(arrears_email_template, smtp_server):
    for _ in range(9):
        resident_with_arrears(grants=[("email", "overdue")])
    campaign = materialised(arrears_email_template)
    small = _queries_to_send(sending.claim_batch(campaign.pk, limit=3))
    large = _queries_to_send(sending.claim_batch(campaign.pk, limit=6))
    assert small == large == 5 + 1  # the accounts' addresses instead of phones
    assert len(smtp_server.messages) == 9
    sent = Delivery.objects.filter(campaign=campaign)
    assert {(d.status, d.to, d.provider_id) for d in sent} == {
        ("sent", d.user.email, f"<gmina.{d.pk}@gmina.example>") for d in sent
    }


@pytest.mark.parametrize(
    ("per_write", "max_delay", "writes"),
    [(2, 60.0, 3), (20, 0.0, 5), (20, 60.0, 1)],
)
def test_results_are_written_every_few_rows_or_fractions_of_a_second(
    sms_template, monkeypatch, capsys, per_write, max_delay, writes
):
    """A worker killed outright loses at most that many results (the rows stay ``sending``)."""
    monkeypatch.setattr(sending, "RESULTS_PER_WRITE", per_write)
    monkeypatch.setattr(sending, "RESULTS_MAX_DELAY", max_delay)
    sms_residents(5)
    campaign = materialised(sms_template)
    ids = sending.claim_batch(campaign.pk)
    with CaptureQueriesContext(connection) as queries:
        sending.send_claimed_rows(ids)
    updates = [q["sql"] for q in queries if 'UPDATE "messaging_delivery"' in q["sql"]]
    assert len(updates) == writes
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delivered"}


def test_a_batch_takes_send_tokens_a_few_at_a_time_never_over_the_burst(
    sms_template, monkeypatch, capsys
):
    """One round trip to the shared bucket per few sends: never more tokens than the burst
    allows nor than the batch still has rows for, so the rate across workers holds."""
    taken = []

    class RecordingBucket(TokenBucket):
        def acquire(self, tokens: int = 1, sleep=time.sleep) -> None:
            taken.append(tokens)
            super().acquire(tokens, sleep)

    bucket = RecordingBucket("test-batch", rate=1000, burst=4, redis_url="")
    monkeypatch.setattr(sending, "bucket_for", lambda channel, rate: bucket)
    sms_residents(7)
    campaign = materialised(sms_template)
    assert sending.drain_batch(campaign.pk) == 7
    assert taken == [4, 3]
    assert capsys.readouterr().out.count("SMS to ") == 7


def test_results_are_written_before_the_rate_makes_the_worker_wait(
    sms_template, monkeypatch, capsys
):
    monkeypatch.setattr(sending, "RESULTS_MAX_DELAY", 60.0)
    bucket = TokenBucket("test-slow", rate=10, burst=1, redis_url="")  # ~0.1 s before each
    monkeypatch.setattr(sending, "bucket_for", lambda channel, rate: bucket)
    sms_residents(3)
    campaign = materialised(sms_template)
    ids = sending.claim_batch(campaign.pk)
    with CaptureQueriesContext(connection) as queries:
        sending.send_claimed_rows(ids)
    updates = [q["sql"] for q in queries if 'UPDATE "messaging_delivery"' in q["sql"]]
    assert len(updates) == 3  # before the 2nd and 3rd sends' waits, and at the end
