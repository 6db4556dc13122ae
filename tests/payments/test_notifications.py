"""Notifications and the state machine: forged, duplicated, out-of-order, wrong-amount and
unknown-order notifications change nothing and are logged; two concurrent notifications book
once; a completed payment is never demoted."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from payments.models import Payment, PaymentEvent
from payments.transitions import ALLOWED

from .helpers import demo_body, post_notification, start_payment

Status = Payment.Status
Kind = PaymentEvent.Kind


def _rejections() -> int:
    return PaymentEvent.objects.filter(kind=Kind.REJECTED).count()


def test_completed_notification_completes_once(resident):
    payment = start_payment(resident)
    response = post_notification(demo_body(payment, "completed"))
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == Status.COMPLETED and payment.completed_at is not None
    assert payment.operator_reference == payment.gateway_order_id
    again = post_notification(demo_body(payment, "completed"))
    assert again.status_code == 200  # the operator must stop resending
    assert payment.events.filter(kind=Kind.STATUS, to_status=Status.COMPLETED).count() == 1
    assert payment.events.filter(kind=Kind.DUPLICATE).count() == 1


@pytest.mark.parametrize("late", ["failed", "cancelled", "pending"])
def test_late_notification_never_demotes_a_completed_payment(resident, late):
    payment = start_payment(resident)
    post_notification(demo_body(payment, "completed"))
    response = post_notification(demo_body(payment, late))
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == Status.COMPLETED
    assert payment.events.filter(kind=Kind.IGNORED, to_status=late).count() == 1


def test_out_of_order_pending_after_failed_changes_nothing_but_completion_still_wins(resident):
    payment = start_payment(resident)
    post_notification(demo_body(payment, "failed"))
    post_notification(demo_body(payment, "pending"))
    payment.refresh_from_db()
    assert payment.status == Status.FAILED
    post_notification(demo_body(payment, "completed"))  # the money was taken after all
    payment.refresh_from_db()
    assert payment.status == Status.COMPLETED


@pytest.mark.parametrize(
    "signature",
    ["", "0" * 64, "deadbeef"],
    ids=["missing", "wrong", "short"],
)
def test_forged_notification_is_rejected_and_logged(resident, signature):
    payment = start_payment(resident)
    response = post_notification(demo_body(payment, "completed"), signature=signature)
    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == Status.STARTED
    assert _rejections() == 1


def test_body_altered_after_signing_is_rejected(resident):
    payment = start_payment(resident)
    body = demo_body(payment, "failed")
    from payments.gateways import demo

    signature = demo.sign(body)
    tampered = body.replace(b'"failed"', b'"completed"')
    assert post_notification(tampered, signature=signature).status_code == 400
    payment.refresh_from_db()
    assert payment.status == Status.STARTED


def test_wrong_amount_is_rejected_and_logged(resident):
    payment = start_payment(resident)
    response = post_notification(demo_body(payment, "completed", amount=Decimal("1.00")))
    assert response.status_code == 400
    payment.refresh_from_db()
    assert payment.status == Status.STARTED
    event = PaymentEvent.objects.get(kind=Kind.REJECTED)
    assert event.payment == payment and event.message == "amount does not match"


def test_unknown_order_and_malformed_body_are_rejected(resident):
    payment = start_payment(resident)
    body = demo_body(payment, "completed").replace(str(payment.key).encode(), b"nonsense")
    assert post_notification(body).status_code == 400
    assert post_notification(b"{not json").status_code == 400
    assert post_notification(demo_body(payment, "teleported")).status_code == 400
    payment.refresh_from_db()
    assert payment.status == Status.STARTED
    assert _rejections() == 3


def test_notification_to_a_disabled_gateway_is_404(resident, settings):
    payment = start_payment(resident)
    settings.PAYMENT_GATEWAYS = ["transfer"]
    assert post_notification(demo_body(payment, "completed")).status_code == 404


def test_state_machine_has_no_way_back_from_completed():
    assert ALLOWED[Status.COMPLETED] == {Status.REFUNDED}
    assert not ALLOWED[Status.REFUNDED]
    for status, targets in ALLOWED.items():
        assert Status.STARTED not in targets, status


@pytest.mark.django_db(transaction=True)
def test_concurrent_notifications_complete_once(resident):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers: the race needs PostgreSQL row locks")
    payment = start_payment(resident)
    body = demo_body(payment, "completed")
    barrier = threading.Barrier(4)
    codes = []

    def notify():
        try:
            barrier.wait()
            codes.append(post_notification(body).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=notify) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [200] * 4
    payment.refresh_from_db()
    assert payment.status == Status.COMPLETED
    assert payment.events.filter(kind=Kind.STATUS, to_status=Status.COMPLETED).count() == 1
    assert payment.events.filter(kind=Kind.DUPLICATE).count() == 3
