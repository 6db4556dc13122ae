"""Przelewy24 REST v1: the production client (payments.gateways.przelewy24) against the
loopback fake (tests/fakes/przelewy24.py) over real HTTP, and PROTOCOLS.md §13 vectors T4–T6."""

from __future__ import annotations

import hashlib
import json
import uuid
from decimal import Decimal

import pytest
import requests
from django.core.cache import cache

from payments.gateways.base import GatewayError, GatewayStatus, OrderRequest
from payments.gateways.przelewy24 import (
    NOTIFICATION_SIGN,
    REGISTER_SIGN,
    VERIFY_SIGN,
    Przelewy24Gateway,
    sign,
)
from tests.fakes.przelewy24 import NOTIFICATION, FakePrzelewy24, p24_sign
from tests.payments.gateway_receiver import GatewayReceiver


@pytest.fixture(scope="module")
def fake():
    fake = FakePrzelewy24().start()
    yield fake
    fake.stop()


@pytest.fixture
def p24(fake, settings):
    fake.reset()
    settings.PRZELEWY24 = fake.settings
    cache.clear()
    return Przelewy24Gateway()


@pytest.fixture
def receiver(p24):
    receiver = GatewayReceiver(Przelewy24Gateway)
    yield receiver
    receiver.stop()


def order(notify_url: str = "http://127.0.0.1:9/notify/", amount="210.00", **kw):
    fields = {
        "ext_order_id": str(uuid.uuid4()),
        "amount": Decimal(amount),
        "description": "Opłata za gospodarowanie odpadami, rata 3/2026",
        "buyer_email": "jan@example.pl",
        "buyer_first_name": "Jan",
        "buyer_last_name": "Kowalski",
        "continue_url": "http://testserver/platnosci/powrot/?p=1",
        "notify_url": notify_url,
        "customer_ip": "127.0.0.1",
    }
    fields.update(kw)
    return OrderRequest(**fields)


def click(redirect_url: str, action: str = "pay") -> requests.Response:
    page = requests.get(redirect_url, timeout=10)
    assert page.status_code == 200 and 'value="pay"' in page.text
    return requests.post(redirect_url, data={"action": action}, timeout=30, allow_redirects=False)


def send(delivery):
    return requests.post(delivery.url, data=delivery.body, headers=delivery.headers, timeout=10)


# --- published vectors ----------------------------------------------------------------------


def test_t4_register_sign():
    fields = {"sessionId": "sessionId", "merchantId": 999999, "amount": 1000, "currency": "PLN"}
    assert sign(fields, REGISTER_SIGN, "crc") == (
        "a34cf822f00b51d8d75e2d21334d6ffb5f2fac8408574f4cd7d4897f07ed6131"
        "2244f9875e18ce63a4fbe2668d7ffc30"
    )


def test_t5_verify_sign():
    fields = {"sessionId": "sessionId", "orderId": 999999, "amount": 1000, "currency": "PLN"}
    assert sign(fields, VERIFY_SIGN, "crc") == (
        "3edcfa853ade37780fdcd00541b2c266117a7d35fab662ddc26498495c09b048"
        "e736f28424b616d2f1fbd882f6a47f0c"
    )


def test_t6_notification_sign():
    fields = {
        "merchantId": 999999,
        "posId": 999999,
        "sessionId": "sessionId",
        "amount": 1000,
        "originAmount": 1000,
        "currency": "PLN",
        "orderId": 123456789,
        "methodId": 25,
        "statement": "p24-A1-B2-C3",
    }
    assert sign(fields, NOTIFICATION_SIGN, "crc") == (
        "e15b682e958d4e39f323f6488a85d4c138298ebc23fa7b925c6f1ddb8d99165d"
        "7507336bffec694be70bdb52d54a340f"
    )


def test_sign_keeps_unicode_slashes_and_spaces_as_p24_php_does():
    fields = {"sessionId": "a/b ż", "merchantId": 1, "amount": 1, "currency": "PLN"}
    text = '{"sessionId":"a/b ż","merchantId":1,"amount":1,"currency":"PLN","crc":"k"}'
    assert sign(fields, REGISTER_SIGN, "k") == hashlib.sha384(text.encode()).hexdigest()
    # Field order matters: the same values in another order sign differently.
    assert sign(fields, ("merchantId", "sessionId", "amount", "currency", "crc"), "k") != sign(
        fields, REGISTER_SIGN, "k"
    )


# --- register -------------------------------------------------------------------------------


def test_register_redirects_to_trnrequest_token(p24, fake):
    request = order(amount="1234.56")
    created = p24.create_order(request)
    assert created.gateway_order_id == request.ext_order_id
    token = created.redirect_url.removeprefix(f"{fake.base_url}/trnRequest/")
    assert fake.tokens[token] == request.ext_order_id
    register = fake.transactions[request.ext_order_id]["register"]
    assert register["amount"] == 123456 and register["posId"] == fake.pos_id
    assert register["urlStatus"] == request.notify_url


def test_register_with_a_wrong_crc_is_refused_by_the_operator(settings, fake, p24):
    settings.PRZELEWY24 = dict(fake.settings, CRC="not-the-crc")
    with pytest.raises(GatewayError, match="Incorrect sign"):
        Przelewy24Gateway().create_order(order())
    assert not fake.transactions


def test_wrong_api_key_is_refused(settings, fake, p24):
    settings.PRZELEWY24 = dict(fake.settings, API_KEY="wrong")
    gateway = Przelewy24Gateway()
    with pytest.raises(GatewayError, match="401"):
        gateway.create_order(order())
    assert gateway.test_access() is False
    assert p24.test_access() is True


def test_wrong_merchant_is_refused(settings, fake, p24):
    settings.PRZELEWY24 = dict(fake.settings, MERCHANT_ID="111111")
    with pytest.raises(GatewayError):
        Przelewy24Gateway().create_order(order())


def test_reused_session_is_refused(p24):
    request = order()
    p24.create_order(request)
    with pytest.raises(GatewayError, match="sessionId already used"):
        p24.create_order(request)


# --- pay, notify, verify --------------------------------------------------------------------


def test_paid_transaction_counts_after_verify(p24, fake, receiver):
    request = order(receiver.url, amount="210.00")
    created = p24.create_order(request)
    back = click(created.redirect_url)
    assert back.headers["Location"] == request.continue_url
    (received,) = receiver.received
    assert received.status == 200 and received.confirmed is True
    notification = received.notification
    assert notification.status is GatewayStatus.COMPLETED
    assert notification.gateway_order_id == request.ext_order_id
    assert notification.amount == Decimal("210.00")
    transaction = fake.transactions[request.ext_order_id]
    assert notification.operator_reference == str(transaction["orderId"])
    assert transaction["status"] == 2  # verified
    assert fake.verify_calls == 1
    assert p24.notification_response(notification).content == b"OK"
    assert p24.fetch_status(created.gateway_order_id).status is GatewayStatus.COMPLETED


def test_failed_verify_does_not_count_and_p24_resends_until_verified(p24, fake, receiver):
    fake.fail_verify = True
    request = order(receiver.url)
    created = p24.create_order(request)
    click(created.redirect_url)
    (received,) = receiver.received
    assert received.status == 400 and received.confirmed is False
    assert fake.transactions[request.ext_order_id]["status"] == 1
    # Paid but not verified is an advance, not a payment.
    assert p24.fetch_status(created.gateway_order_id).status is GatewayStatus.PENDING
    assert fake.settled_payments() == []
    fake.fail_verify = False
    assert fake.retry_notifications() == 1
    assert receiver.received[-1].status == 200
    assert fake.transactions[request.ext_order_id]["status"] == 2
    assert fake.retry_notifications() == 0


def test_notification_is_resent_while_unverified_even_after_200(p24, fake, receiver):
    created = p24.create_order(order(receiver.url))
    fake.hold_notifications = True
    click(created.redirect_url)
    assert receiver.received == []
    fake.release_notifications()
    assert receiver.received[-1].status == 200
    assert fake.retry_notifications() == 0


def test_confirm_with_a_mismatched_amount_is_refused_by_verify(p24, fake, receiver):
    created = p24.create_order(order(receiver.url))
    fake.hold_notifications = True
    click(created.redirect_url)
    genuine = fake.notification(created.gateway_order_id)
    data = json.loads(genuine.body)
    data.update(amount=100, originAmount=100)
    data["sign"] = p24_sign(data, NOTIFICATION, fake.crc)
    # Authentic (signed with our CRC) but the amount differs from the registration:
    # P24's verify refuses, so the payment does not count.
    genuine.body = json.dumps(data).encode()
    assert send(genuine).status_code == 400
    assert receiver.received[-1].error == "confirmation failed"
    assert fake.transactions[created.gateway_order_id]["status"] == 1


def test_rejected_payment_sends_nothing(p24, fake, receiver):
    request = order(receiver.url)
    created = p24.create_order(request)
    back = click(created.redirect_url, "reject")
    assert back.headers["Location"] == request.continue_url
    assert receiver.received == []
    assert p24.fetch_status(created.gateway_order_id).status is GatewayStatus.PENDING


def test_duplicated_notifications_are_each_verified(p24, fake, receiver):
    fake.duplicate_notifications = True
    created = p24.create_order(order(receiver.url))
    click(created.redirect_url)
    assert [r.status for r in receiver.received] == [200, 200]
    assert len({r.notification.operator_reference for r in receiver.received}) == 1


def paid(p24, fake, receiver, amount="210.00"):
    created = p24.create_order(order(receiver.url, amount=amount))
    click(created.redirect_url)
    receiver.received.clear()
    return created


def tampered(delivery, **changes):
    data = json.loads(delivery.body)
    data.update(changes)
    delivery.body = json.dumps(data).encode()
    return delivery


def test_forged_notifications_are_rejected(p24, fake, receiver):
    created = paid(p24, fake, receiver)
    calls = fake.verify_calls
    cases = {
        "amount": tampered(fake.notification(created.gateway_order_id), amount=1),
        "session": tampered(fake.notification(created.gateway_order_id), sessionId="other"),
        "no sign": tampered(fake.notification(created.gateway_order_id), sign=""),
        "other crc": tampered(
            fake.notification(created.gateway_order_id),
            sign=p24_sign(
                json.loads(fake.notification(created.gateway_order_id).body), NOTIFICATION, "x"
            ),
        ),
    }
    for name, delivery in cases.items():
        assert send(delivery).status_code == 400, name
        assert "sign" in receiver.received[-1].error, name
    assert fake.verify_calls == calls  # nothing forged reaches verify


def test_correctly_signed_notification_of_another_merchant_is_rejected(p24, fake, receiver):
    created = paid(p24, fake, receiver)
    data = json.loads(fake.notification(created.gateway_order_id).body)
    data.update(merchantId=123, posId=123)
    data["sign"] = p24_sign(data, NOTIFICATION, fake.crc)
    delivery = fake.delivery(receiver.url, data)
    assert send(delivery).status_code == 400
    assert "foreign" in receiver.received[-1].error


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"merchantId=1&sign=x", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"merchantId": 999999}', "no sign"),
        (b'{"merchantId": 999999, "sign": "00"}', "missing"),
    ],
)
def test_malformed_bodies_are_rejected(p24, receiver, body, reason):
    response = requests.post(receiver.url, data=body, timeout=10)
    assert response.status_code == 400
    assert reason in receiver.received[-1].error


def test_string_amount_is_malformed_even_when_signed(p24, fake, receiver):
    created = paid(p24, fake, receiver)
    data = json.loads(fake.notification(created.gateway_order_id).body)
    data["amount"] = str(data["amount"])
    data["sign"] = p24_sign(data, NOTIFICATION, fake.crc)
    assert send(fake.delivery(receiver.url, data)).status_code == 400
    assert "not an integer" in receiver.received[-1].error


# --- status and refunds ---------------------------------------------------------------------


def test_fetch_status_of_unknown_session_is_a_gateway_error(p24):
    with pytest.raises(GatewayError, match="Transaction not found"):
        p24.fetch_status(str(uuid.uuid4()))


def test_refund_is_idempotent_and_completed_by_its_notification(settings, p24, fake, receiver):
    settings.PRZELEWY24 = dict(fake.settings, REFUND_STATUS_URL=receiver.url)
    gateway = Przelewy24Gateway()
    created = paid(gateway, fake, receiver, amount="50.00")
    first = gateway.refund(created.gateway_order_id, Decimal("50.00"), "Zwrot nadpłaty")
    again = gateway.refund(created.gateway_order_id, Decimal("50.00"), "Zwrot nadpłaty")
    assert first == again and first.status is GatewayStatus.PENDING
    assert len(fake.refunds) == 1
    assert fake.transactions[created.gateway_order_id]["refunded"] == 5000
    fake.finalize_refunds()
    (received,) = receiver.received
    assert received.status == 200
    assert received.notification.status is GatewayStatus.REFUNDED
    assert received.notification.amount == Decimal("50.00")
    assert gateway.fetch_status(created.gateway_order_id).status is GatewayStatus.REFUNDED


def test_rejected_refund_reports_the_transaction_as_p24_has_it(settings, p24, fake, receiver):
    settings.PRZELEWY24 = dict(fake.settings, REFUND_STATUS_URL=receiver.url)
    gateway = Przelewy24Gateway()
    created = paid(gateway, fake, receiver)
    gateway.refund(created.gateway_order_id, Decimal("10.00"), "Zwrot")
    fake.finalize_refunds(status=1)
    (received,) = receiver.received
    assert received.status == 200
    assert received.notification.status is GatewayStatus.COMPLETED
    assert received.notification.amount == Decimal("210.00")


def test_forged_refund_notification_is_rejected(settings, p24, fake, receiver):
    created = paid(p24, fake, receiver)
    p24.refund(created.gateway_order_id, Decimal("10.00"), "Zwrot")
    (delivery,) = fake.finalize_refunds(url=receiver.url)
    tampered(delivery, amount=21000)
    assert send(delivery).status_code == 400


def test_refund_refusals(p24, fake, receiver):
    created = paid(p24, fake, receiver, amount="20.00")
    with pytest.raises(GatewayError, match="Refund not possible"):
        p24.refund(created.gateway_order_id, Decimal("20.01"), "Za dużo")
    unverified = p24.create_order(order(receiver.url))
    fake.fail_verify = True
    click(unverified.redirect_url)
    with pytest.raises(GatewayError, match="Refund not possible"):
        p24.refund(unverified.gateway_order_id, Decimal("1.00"), "Niezweryfikowana")
    never_paid = p24.create_order(order(receiver.url))
    with pytest.raises(GatewayError, match="never paid"):
        p24.refund(never_paid.gateway_order_id, Decimal("1.00"), "Nieopłacona")


def test_payout_covers_verified_transactions_only(p24, fake, receiver):
    a = paid(p24, fake, receiver, amount="100.00")
    fake.fail_verify = True
    paid(p24, fake, receiver, amount="7.00")  # an advance: not paid out
    payout = fake.payout()
    assert payout.amount == Decimal("100.00")
    reference = fake.transactions[a.gateway_order_id]["orderId"]
    assert payout.payments == ((str(reference), a.gateway_order_id, Decimal("100.00")),)


def test_origin_is_where_the_payer_is_sent(p24, fake):
    created = p24.create_order(order())
    assert created.redirect_url.startswith(p24.origin + "/")
    assert p24.origin == fake.base_url
