"""Celery tasks of messaging: thin wrappers over `campaigns`, `sending` and `reminders`.

Each task may run twice (a retry, a second worker, a redelivery): the outbox claim makes the
second run send nothing. No task waits with a long countdown (PRACTICES.md §4); a drain that
has worked for ``DRAIN_SECONDS`` hands over to a fresh task instead of holding a worker.
"""

from __future__ import annotations

import time

from celery import shared_task
from django.conf import settings

from . import campaigns, reminders, sending
from .models import Campaign

DRAIN_SECONDS = 60


def enqueue_campaign(campaign_id: int) -> None:
    """Start ``MESSAGING_PARALLEL_DRAINS`` drains of the campaign (they share the rows)."""
    for _ in range(getattr(settings, "MESSAGING_PARALLEL_DRAINS", 1)):
        drain_campaign.delay(campaign_id)


@shared_task(acks_late=True, ignore_result=True)
def drain_campaign(campaign_id: int) -> None:
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        if not Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.SENDING).exists():
            return  # stopped: the rows left stay created and are claimed on resume
        if not sending.drain_batch(campaign_id):
            campaigns.finish_if_done(campaign_id)
            return
    drain_campaign.delay(campaign_id)


@shared_task(acks_late=True, ignore_result=True)
def drain_outbox() -> None:
    """Reminders and confirmations (rows without a campaign)."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        if not sending.drain_batch(None):
            return
    drain_outbox.delay()


@shared_task(ignore_result=True)
def run_reminders() -> None:
    """Daily (beat): plan today's reminders, then send them."""
    reminders.plan_reminders()
    drain_outbox.delay()


@shared_task(ignore_result=True)
def release_scheduled_campaigns() -> None:
    """Every minute (beat): start campaigns whose time has come."""
    campaigns.release_scheduled()
