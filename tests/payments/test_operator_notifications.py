"""The operators' notifications end to end without a browser: the PayU and Przelewy24 fakes post
signed notifications over HTTP to the portal's real endpoint (``live_server``), which verifies
them with the production gateway code and moves the `Payment`. Duplicated, reordered, forged
and unverifiable notifications are handled as the issue asks."""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from eservices import access
from eservices.dues import dues
from payments import checkout
from payments.models import Payment, PaymentEvent
from tests.fakes.payu import FakePayU
from tests.fakes.przelewy24 import NOTIFICATION, FakePrzelewy24, p24_sign

Status = Payment.Status
Kind = PaymentEvent.Kind
# The live server reads committed data. What the migrations created (interest rates …) is put
# back before each transactional test by tests/conftest.py (tests/migrated_database.py).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def payu_fake():
    fake = FakePayU().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="module")
def p24_fake():
    fake = FakePrzelewy24().start()
    yield fake
    fake.stop()


@pytest.fixture
def live(resident, live_server, settings, payu_fake, p24_fake):
    payu_fake.reset()
    p24_fake.reset()
    settings.PAYMENT_GATEWAYS = ["payu", "przelewy24", "transfer"]
    settings.PAYU = payu_fake.settings
    settings.PRZELEWY24 = p24_fake.settings
    cache.clear()
    return live_server


def start(resident, live_server, code: str) -> Payment:
    result = dues(access.ledgers_for(resident.user, resident.taxpayer), timezone.localdate())
    selection = checkout.select(result, [f"arrears-{resident.ledger.pk}"])
    payment, _created = checkout.create_payment(
        key=uuid.uuid4(),
        taxpayer=resident.taxpayer,
        user=resident.user,
        gateway=code,
        selection=selection,
    )
    return checkout.register_order(
        payment,
        continue_url=live_server.url + "/powrot/",
        notify_url=live_server.url + reverse("payments_callbacks:notify", args=[code]),
        customer_ip="127.0.0.1",
        language="pl",
    )


def pay(payment: Payment, action: str = "pay") -> None:
    response = requests.post(
        payment.redirect_url, data={"action": action}, timeout=30, allow_redirects=False
    )
    assert response.status_code == 302


def send(delivery) -> int:
    return requests.post(
        delivery.url, data=delivery.body, headers=delivery.headers, timeout=30
    ).status_code


def test_payu_notifications_through_the_portal_endpoint(resident, live, payu_fake):
    # Duplicated and reordered (COMPLETED, COMPLETED, PENDING, PENDING): each answered 200,
    # the payment completes once and the late PENDING is ignored.
    payu_fake.duplicate_notifications = True
    payu_fake.reverse_notifications = True
    payment = start(resident, live, "payu")
    pay(payment)
    assert [d.attempts for d in payu_fake.deliveries] == [[200, 200], [200, 200]]
    payment.refresh_from_db()
    assert payment.status == Status.COMPLETED
    assert payment.operator_reference == payment.gateway_order_id
    assert payment.events.filter(kind=Kind.STATUS, to_status=Status.COMPLETED).count() == 1
    assert payment.events.filter(kind=Kind.DUPLICATE).count() == 1
    assert payment.events.filter(kind=Kind.IGNORED, to_status=Status.PENDING).count() == 2

    # Forged (body altered after signing) and foreign (another POS, correctly signed):
    # 400, logged, nothing changes; the genuine one then completes the payment.
    payu_fake.reset()
    second = start(resident, live, "payu")
    payu_fake.hold_notifications = True
    pay(second)
    genuine = payu_fake.notification(second.gateway_order_id, "COMPLETED")
    forged = payu_fake.notification(second.gateway_order_id, "COMPLETED")
    forged.body = forged.body.replace(b'"status": "COMPLETED"', b'"status": "CANCELED"')
    foreign = payu_fake.notification(second.gateway_order_id, "COMPLETED", merchantPosId="1")
    rejected = PaymentEvent.objects.filter(kind=Kind.REJECTED).count()
    for delivery in (forged, foreign):
        assert send(delivery) == 400
    second.refresh_from_db()
    assert second.status == Status.STARTED
    assert PaymentEvent.objects.filter(kind=Kind.REJECTED).count() == rejected + 2
    assert send(genuine) == 200
    second.refresh_from_db()
    assert second.status == Status.COMPLETED

    # The payer gives up on PayU's page: CANCELED is a failed payment.
    payu_fake.hold_notifications = False
    third = start(resident, live, "payu")
    pay(third, "reject")
    third.refresh_from_db()
    assert third.status == Status.FAILED


def test_przelewy24_notifications_through_the_portal_endpoint(resident, live, p24_fake):
    # Paid at P24 but verify refused: not ours yet; P24 resends until verified.
    payment = start(resident, live, "przelewy24")
    p24_fake.fail_verify = True
    pay(payment)
    payment.refresh_from_db()
    assert payment.status == Status.STARTED
    assert payment.events.filter(kind=Kind.ERROR, message="confirmation failed").exists()
    assert p24_fake.deliveries[0].attempts == [400]
    p24_fake.fail_verify = False
    assert p24_fake.retry_notifications() == 1
    payment.refresh_from_db()
    assert payment.status == Status.COMPLETED
    assert payment.operator_reference == str(p24_fake.transactions[str(payment.key)]["orderId"])
    assert p24_fake.transactions[str(payment.key)]["status"] == 2
    assert p24_fake.retry_notifications() == 0

    # Duplicated: both answered 200, completed once.
    p24_fake.duplicate_notifications = True
    second = start(resident, live, "przelewy24")
    pay(second)
    assert p24_fake.deliveries[-1].attempts == [200, 200]
    second.refresh_from_db()
    assert second.status == Status.COMPLETED
    assert second.events.filter(kind=Kind.STATUS, to_status=Status.COMPLETED).count() == 1

    # A wrong amount signed with our CRC (a leaked key, or a bug): refused before any verify.
    p24_fake.duplicate_notifications = False
    p24_fake.hold_notifications = True
    third = start(resident, live, "przelewy24")
    pay(third)
    delivery = p24_fake.notification(str(third.key))
    data = json.loads(delivery.body)
    data.update(amount=100, originAmount=100)
    data["sign"] = p24_sign(data, NOTIFICATION, p24_fake.crc)
    delivery.body = json.dumps(data).encode()
    verify_calls = p24_fake.verify_calls
    assert send(delivery) == 400
    third.refresh_from_db()
    assert third.status == Status.STARTED
    assert p24_fake.verify_calls == verify_calls


def test_payu_refund_from_the_admin_completes_with_the_operators_notification(
    resident, live, payu_fake
):
    from django.test import Client

    from eservices.models import OutboundEvent
    from eservices.roles import ADMINISTRATORS
    from tests.eservices.conftest import login_verified
    from tests.payments.test_admin import staff

    payment = start(resident, live, "payu")
    pay(payment)
    payment.refresh_from_db()
    assert payment.status == Status.COMPLETED
    admin = login_verified(Client(), staff(ADMINISTRATORS))
    response = admin.post(
        reverse("payments_refund", args=[payment.pk]), {"reason": "Wniosek o zwrot nadpłaty"}
    )
    assert response.status_code == 302
    (refund,) = payu_fake.refunds[payment.gateway_order_id]
    assert refund["amount"] == str(int(payment.total * 100))
    payment.refresh_from_db()
    assert payment.status == Status.COMPLETED  # PayU has taken it; the money is not back yet
    assert payment.events.filter(kind=Kind.REFUND).count() == 1
    payu_fake.finalize_refunds()
    payment.refresh_from_db()
    assert payment.status == Status.REFUNDED
    assert OutboundEvent.objects.filter(kind="payment.refunded").count() == 1
