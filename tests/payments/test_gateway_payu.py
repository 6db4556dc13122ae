"""PayU REST v2.1: the production client (payments.gateways.payu) against the loopback fake
(tests/fakes/payu.py) over real HTTP, and PROTOCOLS.md §13 vectors T1–T3."""

from __future__ import annotations

import hashlib
import json
import socket
import uuid
from decimal import Decimal

import pytest
import requests
from django.core.cache import cache
from django.test import RequestFactory
from django.urls import reverse

from payments.gateways.base import (
    GatewayError,
    GatewayStatus,
    InvalidNotification,
    OrderRequest,
)
from payments.gateways.operator_http import to_grosze
from payments.gateways.payu import PayUGateway, sign, verify_signature
from tests.fakes.payu import FakePayU, signature_header
from tests.payments.gateway_receiver import GatewayReceiver

T1_KEY = "13a980d4f851f3d9a1cfc792fb1f5e50"
T1_HEADER = (
    "sender=145227;algorithm=SHA-256;"
    "signature=846b2de129d2200443bd72abe691ce174fcec064f89dc529d6a5d98a046cbb4d"
)
T3_BODY = (
    b'{"order":{"orderId":"LDLW5N7MF4140324GUEST000P01","extOrderId":"RATA-2026-001",'
    b'"status":"COMPLETED","totalAmount":"21000","currencyCode":"PLN"}}'
)
SANDBOX_SECOND_KEY = "b6ca15b0d1020e8094d9b5f8d163db54"


@pytest.fixture(scope="module")
def fake():
    fake = FakePayU().start()
    yield fake
    fake.stop()


@pytest.fixture
def payu(fake, settings):
    fake.reset()
    settings.PAYU = fake.settings
    cache.clear()
    return PayUGateway()


@pytest.fixture
def receiver(payu):
    receiver = GatewayReceiver(PayUGateway)
    yield receiver
    receiver.stop()


def order(receiver_url: str = "http://127.0.0.1:9/notify/", amount="210.00", **kw):
    fields = {
        "ext_order_id": str(uuid.uuid4()),
        "amount": Decimal(amount),
        "description": "Podatek od nieruchomości, rata 1/2026",
        "buyer_email": "jan@example.pl",
        "buyer_first_name": "Jan",
        "buyer_last_name": "Kowalski",
        "continue_url": "http://testserver/platnosci/powrot/?p=1",
        "notify_url": receiver_url,
        "customer_ip": "127.0.0.1",
    }
    fields.update(kw)
    return OrderRequest(**fields)


def click(redirect_url: str, action: str = "pay") -> requests.Response:
    """The payer on PayU's page (the browser does not follow the redirect back here)."""
    page = requests.get(redirect_url, timeout=10)
    assert page.status_code == 200 and 'value="pay"' in page.text
    return requests.post(redirect_url, data={"action": action}, timeout=30, allow_redirects=False)


def notification_request(body: bytes, header: str | None):
    headers = {"HTTP_OPENPAYU_SIGNATURE": header} if header is not None else {}
    return RequestFactory().post(
        "/platnosci/powiadomienia/payu/", body, content_type="application/json", **headers
    )


# --- published vectors ----------------------------------------------------------------------


def test_t1_sha256_vector_valid_and_other_body_invalid():
    assert verify_signature(b"TEST_OK", T1_HEADER, T1_KEY)
    assert not verify_signature(b"TEST_FAIL", T1_HEADER, T1_KEY)


def test_t1_through_the_notification_parser(settings):
    settings.PAYU = dict(settings.PAYU, SECOND_KEY=T1_KEY, POS_ID="145227")
    gateway = PayUGateway()
    # The signature is accepted; the body is not a JSON order, so it is still refused, later.
    with pytest.raises(InvalidNotification, match="not JSON"):
        gateway.parse_notification(notification_request(b"TEST_OK", T1_HEADER))
    with pytest.raises(InvalidNotification, match="signature"):
        gateway.parse_notification(notification_request(b"TEST_FAIL", T1_HEADER))


@pytest.mark.parametrize("name", ["SHA", "SHA1", "SHA-1", "sha-1"])
def test_t2_sha1_vector(name):
    expected = "52bb16149d1a5ccc8ac05f8e435c30d82efd5364"
    assert sign(b"OpenPayUData", "SignatureKey", name) == expected
    assert verify_signature(
        b"OpenPayUData", f"signature={expected};algorithm={name}", "SignatureKey"
    )


def test_t3_md5_vector():
    assert sign(T3_BODY, SANDBOX_SECOND_KEY, "MD5") == "5ca88070a4e1c235633cee17e12a48c5"
    header = "sender=checkout;signature=5CA88070A4E1C235633CEE17E12A48C5;algorithm=MD5"
    assert verify_signature(T3_BODY, header, SANDBOX_SECOND_KEY)


def test_unknown_algorithm_means_sha256_as_in_openpayu():
    md5 = hashlib.md5(b"body" + b"key", usedforsecurity=False).hexdigest()
    sha256 = hashlib.sha256(b"body" + b"key").hexdigest()
    assert not verify_signature(b"body", f"signature={md5};algorithm=WHIRLPOOL", "key")
    assert verify_signature(b"body", f"signature={sha256};algorithm=WHIRLPOOL", "key")


def test_amounts_cross_the_boundary_in_grosze():
    assert to_grosze(Decimal("210.00")) == 21000
    assert to_grosze(Decimal("0.01")) == 1
    with pytest.raises(TypeError):
        to_grosze(210.0)
    for bad in ("0.00", "-1.00", "1.005"):
        with pytest.raises(ValueError):
            to_grosze(Decimal(bad))


# --- OAuth ----------------------------------------------------------------------------------


def test_token_is_cached_between_calls_and_gateways(payu, fake):
    first = payu.create_order(order())
    second = PayUGateway().create_order(order())
    assert first.gateway_order_id != second.gateway_order_id
    assert fake.token_requests == 1


def test_token_that_expires_too_soon_is_not_cached(payu, fake):
    fake.expires_in = 30  # less than the renewal margin
    payu.create_order(order())
    payu.create_order(order())
    assert fake.token_requests == 2


def test_revoked_token_is_refreshed_once_on_401(payu, fake):
    payu.create_order(order())
    fake.revoke_tokens()
    created = payu.create_order(order())
    assert created.gateway_order_id in fake.orders
    assert fake.token_requests == 2
    orders = [r for r in fake.requests if r == ("POST", "/api/v2_1/orders")]
    assert len(orders) == 3  # one, then the 401 and its repetition


def test_wrong_client_secret_is_a_gateway_error(settings, fake, payu):
    settings.PAYU = dict(fake.settings, CLIENT_SECRET="0" * 32)
    with pytest.raises(GatewayError, match="OAuth"):
        PayUGateway().create_order(order())
    assert not fake.orders


def test_oauth_without_form_content_type_is_refused_by_the_fake(fake, payu):
    # Guards the fake itself: the client must send the header PayU requires.
    response = requests.post(
        fake.base_url + "/pl/standard/user/oauth/authorize",
        data=b"grant_type=client_credentials&client_id=300746&client_secret=x",
        headers={"Content-Type": "text/plain"},
        timeout=10,
    )
    assert response.status_code == 401


# --- orders ---------------------------------------------------------------------------------


def test_order_create_does_not_follow_the_302(payu, fake):
    request = order(amount="1234.56")
    created = payu.create_order(request)
    assert created.redirect_url == f"{fake.base_url}/pay/{created.gateway_order_id}"
    assert ("GET", f"/pay/{created.gateway_order_id}") not in fake.requests
    stored = fake.orders[created.gateway_order_id]
    assert stored["totalAmount"] == "123456"
    assert stored["extOrderId"] == request.ext_order_id
    assert stored["products"][0]["unitPrice"] == "123456"
    assert stored["merchantPosId"] == fake.pos_id


def test_refused_order_is_a_gateway_error(payu, fake):
    request = order()
    payu.create_order(request)
    with pytest.raises(GatewayError, match="ERROR_ORDER_NOT_UNIQUE"):
        payu.create_order(request)


def test_wrong_pos_is_refused(settings, fake, payu):
    settings.PAYU = dict(fake.settings, POS_ID="145227")
    with pytest.raises(GatewayError, match="ERROR_VALUE_INVALID"):
        PayUGateway().create_order(order())


def test_unreachable_operator_is_a_gateway_error(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.PAYU = {
        "BASE_URL": f"http://127.0.0.1:{port}",
        "POS_ID": "1",
        "CLIENT_ID": "1",
        "CLIENT_SECRET": "x",
        "SECOND_KEY": "y",
        "TIMEOUT": 2,
    }
    cache.clear()
    with pytest.raises(GatewayError, match="could not be reached"):
        PayUGateway().create_order(order())


# --- the payer and the notifications --------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-1", "SHA-256"])
def test_paid_order_is_notified_pending_then_completed(payu, fake, receiver, algorithm):
    fake.signature_algorithm = algorithm
    request = order(receiver.url, amount="210.00")
    created = payu.create_order(request)
    back = click(created.redirect_url, "pay")
    assert back.status_code == 302
    assert back.headers["Location"] == request.continue_url
    assert [r.status for r in receiver.received] == [200, 200]
    pending, completed = receiver.accepted()
    assert pending.status is GatewayStatus.PENDING
    assert completed.status is GatewayStatus.COMPLETED
    assert completed.gateway_order_id == created.gateway_order_id
    assert completed.ext_order_id == request.ext_order_id
    assert completed.amount == Decimal("210.00")
    assert completed.operator_reference == created.gateway_order_id
    assert f"algorithm={algorithm}" in fake.deliveries[-1].headers["OpenPayu-Signature"]


def test_rejected_payment_is_failed_and_continue_url_carries_error(payu, fake, receiver):
    request = order(receiver.url)
    created = payu.create_order(request)
    back = click(created.redirect_url, "reject")
    assert back.headers["Location"] == request.continue_url + "&error=501"
    assert [n.status for n in receiver.accepted()] == [GatewayStatus.PENDING, GatewayStatus.FAILED]
    assert payu.fetch_status(created.gateway_order_id).status is GatewayStatus.FAILED


def test_notifications_are_retried_until_answered_200(payu, fake, receiver):
    created = payu.create_order(order(receiver.url))
    receiver.fail_next = 2
    click(created.redirect_url)
    assert [r.status for r in receiver.received] == [500, 500]
    assert not receiver.accepted()
    assert fake.retry_notifications() == 2
    assert [n.status for n in receiver.accepted()] == [
        GatewayStatus.PENDING,
        GatewayStatus.COMPLETED,
    ]
    assert [d.attempts for d in fake.deliveries] == [[500, 200], [500, 200]]
    assert fake.retry_notifications() == 0


def test_duplicated_and_out_of_order_notifications_are_all_authentic(payu, fake, receiver):
    fake.duplicate_notifications = True
    fake.reverse_notifications = True
    created = payu.create_order(order(receiver.url))
    click(created.redirect_url)
    # What PayU says, in the order it says it; monotonic transitions are the checkout's job.
    assert [n.status for n in receiver.accepted()] == [
        GatewayStatus.COMPLETED,
        GatewayStatus.COMPLETED,
        GatewayStatus.PENDING,
        GatewayStatus.PENDING,
    ]


def test_held_notifications_arrive_when_released(payu, fake, receiver):
    fake.hold_notifications = True
    created = payu.create_order(order(receiver.url))
    click(created.redirect_url)
    assert receiver.received == []
    assert payu.fetch_status(created.gateway_order_id).status is GatewayStatus.COMPLETED
    fake.release_notifications()
    assert len(receiver.accepted()) == 2


def paid(payu, fake, receiver, amount="210.00"):
    created = payu.create_order(order(receiver.url, amount=amount))
    click(created.redirect_url)
    receiver.received.clear()
    return created


def send(delivery):
    return requests.post(delivery.url, data=delivery.body, headers=delivery.headers, timeout=10)


def test_tampered_amount_is_rejected(payu, fake, receiver):
    created = paid(payu, fake, receiver)
    genuine = fake.notification(created.gateway_order_id, "COMPLETED")
    forged = genuine.body.replace(b'"totalAmount": "21000"', b'"totalAmount": "1"')
    assert forged != genuine.body
    assert (
        requests.post(receiver.url, data=forged, headers=genuine.headers, timeout=10).status_code
        == 400
    )
    assert "signature" in receiver.received[-1].error
    assert send(genuine).status_code == 200


def test_missing_empty_and_foreign_key_signatures_are_rejected(payu, fake, receiver):
    created = paid(payu, fake, receiver)
    genuine = fake.notification(created.gateway_order_id, "COMPLETED")
    other_key = signature_header(genuine.body, "0123456789abcdef0123456789abcdef")
    cases = {
        "missing": {"Content-Type": "application/json"},
        "empty": {"OpenPayu-Signature": "sender=checkout;algorithm=MD5"},
        "foreign key": {"OpenPayu-Signature": other_key},
        "wrong algorithm": {
            "OpenPayu-Signature": genuine.headers["OpenPayu-Signature"].replace("MD5", "SHA-256")
        },
    }
    for name, headers in cases.items():
        response = requests.post(receiver.url, data=genuine.body, headers=headers, timeout=10)
        assert response.status_code == 400, name
    assert not receiver.accepted()


def test_x_openpayu_signature_header_alone_is_accepted(payu, fake, receiver):
    created = paid(payu, fake, receiver)
    genuine = fake.notification(created.gateway_order_id, "COMPLETED")
    headers = {"X-OpenPayU-Signature": genuine.headers["X-OpenPayU-Signature"]}
    assert (
        requests.post(receiver.url, data=genuine.body, headers=headers, timeout=10).status_code
        == 200
    )


def test_correctly_signed_notification_of_another_pos_is_rejected(payu, fake, receiver):
    created = paid(payu, fake, receiver)
    foreign = fake.notification(created.gateway_order_id, "COMPLETED", merchantPosId="145227")
    assert send(foreign).status_code == 400
    assert "merchantPosId" in receiver.received[-1].error


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json at all", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"\xff\xfe", "not JSON"),
        (b'{"foo": 1}', "no order"),
        (
            b'{"order": {"merchantPosId": "300746", "orderId": "X", "status": "PAID",'
            b' "totalAmount": "100"}}',
            "unknown PayU order status",
        ),
        (
            b'{"order": {"merchantPosId": "300746", "orderId": "X", "status": "COMPLETED",'
            b' "totalAmount": "1.5"}}',
            "amount",
        ),
        (
            b'{"order": {"merchantPosId": "300746", "status": "COMPLETED", "totalAmount": "100"}}',
            "orderId",
        ),
        (
            b'{"order": {"merchantPosId": "300746", "orderId": "X", "status": "COMPLETED",'
            b' "totalAmount": "100", "currencyCode": "EUR"}}',
            "currency",
        ),
        (b'{"orderId": "X", "refund": "yes"}', "malformed refund"),
    ],
)
def test_malformed_bodies_with_valid_signatures_are_rejected(payu, fake, receiver, body, reason):
    delivery = fake.signed(receiver.url, {})
    delivery.body = body
    delivery.headers["OpenPayu-Signature"] = signature_header(body, fake.second_key)
    assert send(delivery).status_code == 400
    assert reason in receiver.received[-1].error


# --- status and refunds ---------------------------------------------------------------------


def test_fetch_status(payu, fake, receiver):
    created = payu.create_order(order(receiver.url, amount="99.99"))
    assert payu.fetch_status(created.gateway_order_id).status is GatewayStatus.PENDING
    click(created.redirect_url)
    status = payu.fetch_status(created.gateway_order_id)
    assert status.status is GatewayStatus.COMPLETED
    assert status.amount == Decimal("99.99")
    with pytest.raises(GatewayError, match="DATA_NOT_FOUND"):
        payu.fetch_status("NOSUCHORDER")


def test_partial_refund_is_idempotent_and_finalized_by_notification(payu, fake, receiver):
    created = paid(payu, fake, receiver)
    first = payu.refund(created.gateway_order_id, Decimal("10.00"), "Zwrot nadpłaty")
    again = payu.refund(created.gateway_order_id, Decimal("10.00"), "Zwrot nadpłaty")
    assert first.status is GatewayStatus.PENDING
    assert again.refund_id == first.refund_id
    assert len(fake.refunds[created.gateway_order_id]) == 1
    assert fake.refunds[created.gateway_order_id][0]["amount"] == "1000"
    fake.finalize_refunds()
    (refund,) = receiver.accepted()
    assert refund.status is GatewayStatus.REFUNDED
    assert refund.amount == Decimal("10.00")
    assert refund.gateway_order_id == created.gateway_order_id


def test_refund_over_the_balance_or_of_an_unpaid_order_is_refused(payu, fake, receiver):
    created = paid(payu, fake, receiver, amount="20.00")
    with pytest.raises(GatewayError, match="ERROR_VALUE_INVALID"):
        payu.refund(created.gateway_order_id, Decimal("20.01"), "Za dużo")
    unpaid = payu.create_order(order(receiver.url))
    with pytest.raises(GatewayError):
        payu.refund(unpaid.gateway_order_id, Decimal("1.00"), "Nieopłacone")


def test_cancelled_refund_reports_the_order_as_payu_has_it(payu, fake, receiver):
    created = paid(payu, fake, receiver)
    payu.refund(created.gateway_order_id, Decimal("5.00"), "Zwrot")
    fake.finalize_refunds(status="CANCELED")
    (notification,) = receiver.accepted()
    assert notification.status is GatewayStatus.COMPLETED
    assert notification.amount == Decimal("210.00")
    assert notification.raw["refund"]["status"] == "CANCELED"


def test_payout_covers_completed_orders_once(payu, fake, receiver):
    a = paid(payu, fake, receiver, amount="100.00")
    b = paid(payu, fake, receiver, amount="23.45")
    payu.create_order(order(receiver.url))  # never paid: not in the payout
    single = fake.payout([a.gateway_order_id])
    assert single.amount == Decimal("100.00")
    rest = fake.payout()
    assert rest.amount == Decimal("23.45")
    assert [p[0] for p in rest.payments] == [b.gateway_order_id]
    assert rest.reference in rest.title and rest.reference != single.reference
    with pytest.raises(ValueError):
        fake.payout()


def test_origin_is_where_the_payer_is_sent(payu, fake):
    created = payu.create_order(order())
    assert created.redirect_url.startswith(payu.origin + "/")
    assert payu.origin == fake.base_url


def test_notification_response_is_an_empty_200(payu):
    assert payu.notification_response(None).status_code == 200
    assert payu.confirm(None) is True


def test_signature_is_over_raw_bytes_not_reserialised_json(payu, fake, receiver):
    created = paid(payu, fake, receiver)
    genuine = fake.notification(created.gateway_order_id, "COMPLETED")
    # Same JSON, different bytes: PayU signed the bytes, so this must fail.
    reserialised = json.dumps(json.loads(genuine.body), separators=(",", ":")).encode()
    assert reserialised != genuine.body
    response = requests.post(receiver.url, data=reserialised, headers=genuine.headers, timeout=10)
    assert response.status_code == 400


def test_checkout_page_lets_its_form_redirect_to_the_operators(resident, settings, fake):
    settings.PAYMENT_GATEWAYS = ["payu", "transfer"]
    settings.PAYU = fake.settings
    response = resident.client.get(reverse("payments:checkout", args=[resident.taxpayer.pk]))
    assert response.status_code == 200
    directives = dict(
        d.strip().split(" ", 1) for d in response["Content-Security-Policy"].split(";")
    )
    assert fake.base_url in directives["form-action"].split()
