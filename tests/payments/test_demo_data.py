"""Payments demo data: fee table and three payments of Jan; loading twice adds nothing."""

from __future__ import annotations

from django.core.management import call_command

from payments.models import FeeBand, Payment


def test_demo_payments_are_idempotent(demo_site):
    statuses = sorted(Payment.objects.values_list("status", flat=True))
    assert statuses == ["completed", "failed", "started"]
    bands = FeeBand.objects.count()
    assert bands >= 3
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Payment.objects.count() == 3 and FeeBand.objects.count() == bands
    assert Payment.objects.get(status="completed").awaiting_booking
