"""The outbox claim under concurrency (threads on PostgreSQL) and the shared send rate."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from messaging import campaigns, sending
from messaging.models import Campaign, Delivery
from messaging.ratelimit import TokenBucket

from .conftest import resident_with_arrears

OVERDUE_EMAIL = [("email", "overdue")]


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_claim_disjoint_rows_and_send_each_once(
    arrears_email_template, smtp_server
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs PostgreSQL")
    residents = [resident_with_arrears(grants=OVERDUE_EMAIL)[0] for _ in range(24)]
    campaign = Campaign.objects.create(
        name="Wyścig", template=arrears_email_template, query_code="total_arrears"
    )
    campaigns.materialise(campaign)
    claimed: list[list[int]] = []
    barrier = threading.Barrier(4)
    errors = []

    def worker():
        try:
            barrier.wait()
            while ids := sending.claim_batch(campaign.pk, limit=5):
                claimed.append(ids)
                sending.send_claimed_rows(ids)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)

    assert errors == []
    all_ids = [pk for batch in claimed for pk in batch]
    assert len(all_ids) == len(set(all_ids)) == 24  # no row claimed twice
    recipients = [m.rcpt_tos[0] for m in smtp_server.messages]
    assert sorted(recipients) == sorted(r.email for r in residents)
    assert set(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True)) == {
        "sent"
    }


@pytest.mark.django_db
def test_a_claimed_row_cannot_be_claimed_again(arrears_email_template):
    resident_with_arrears(grants=OVERDUE_EMAIL)
    campaign = Campaign.objects.create(
        name="x", template=arrears_email_template, query_code="total_arrears"
    )
    campaigns.materialise(campaign)
    row = Delivery.objects.get(campaign=campaign)
    assert sending.claim(row.pk)
    assert not sending.claim(row.pk)  # a retry of the same task, a second worker
    assert sending.claim_batch(campaign.pk) == []
    assert sending.send_one(row.pk) is None


@pytest.mark.django_db
def test_claims_go_on_after_the_last_claimed_row_and_come_back_for_rows_put_back(
    arrears_email_template,
):
    for _ in range(5):
        resident_with_arrears(grants=OVERDUE_EMAIL)
    campaign = Campaign.objects.create(
        name="x", template=arrears_email_template, query_code="total_arrears"
    )
    campaigns.materialise(campaign)
    rows = list(
        Delivery.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True)
    )
    assert sending.claim_batch(campaign.pk, limit=2) == rows[:2]
    # The first is put back for a retry (as a temporary failure does).
    Delivery.objects.filter(pk=rows[0]).update(status="created")
    assert sending.claim_batch(campaign.pk, limit=2) == rows[2:4]
    assert sending.claim_batch(campaign.pk, limit=2) == rows[4:]
    assert sending.claim_batch(campaign.pk, limit=2) == rows[:1]  # looked again from the start
    assert sending.claim_batch(campaign.pk, limit=2) == []


def _redis_url():
    import os

    return os.environ.get("REDIS_URL")


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_token_bucket_is_shared_by_every_sender(backend):
    """Two buckets with one key (two workers) share one budget; none over the burst."""
    url = ""
    if backend == "redis":
        url = _redis_url()
        if not url:
            pytest.skip("no REDIS_URL")
        import redis

        redis.Redis.from_url(url).delete("messaging:bucket:test-shared")
    # A slow refill (1 per 100 s) so the test does not depend on the clock.
    a = TokenBucket("test-shared", rate=0.01, burst=3, redis_url=url)
    b = TokenBucket("test-shared", rate=0.01, burst=3, redis_url=url) if url else a
    taken = [bucket.take() for bucket in (a, b, a, b, a)]
    assert taken[:3] == [0, 0, 0]
    assert all(wait > 0 for wait in taken[3:])
    # The wait is what one token takes to refill: about 100 s, never "now".
    assert 90_000_000 <= taken[3] <= 100_000_001


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_tokens_taken_several_at_once_come_from_the_same_budget(backend):
    url = ""
    if backend == "redis":
        url = _redis_url()
        if not url:
            pytest.skip("no REDIS_URL")
        import redis

        redis.Redis.from_url(url).delete("messaging:bucket:test-several")
    a = TokenBucket("test-several", rate=0.01, burst=5, redis_url=url)
    b = TokenBucket("test-several", rate=0.01, burst=5, redis_url=url) if url else a
    assert a.take(3) == 0
    assert 90_000_000 <= b.take(3) <= 100_000_001  # 2 left: one more token to wait for
    assert b.take(2) == 0
    assert a.take(1) > 0
    with pytest.raises(ValueError, match="1 to 5"):
        a.take(6)  # more than the burst would wait for ever


def test_acquire_sleeps_for_the_wait_the_bucket_names():
    bucket = TokenBucket("test-sleep", rate=10, burst=1, redis_url="")
    slept = []
    bucket.take()

    def fake_sleep(seconds):
        slept.append(seconds)
        bucket._tokens = 1  # the refill that time would bring

    bucket.acquire(sleep=fake_sleep)
    assert len(slept) == 1 and 0 < slept[0] <= 0.1
