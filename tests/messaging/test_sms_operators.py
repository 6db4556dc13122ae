"""The SMS channels against loopback fakes of SerwerSMS and SMSAPI (tests/fakes/): what goes over
HTTP, error codes → Temporary/Permanent/TechnicalFailure, and delivery reports coming back over
HTTP to a callback endpoint that runs the channel's parser the way a Django view would."""

from __future__ import annotations

import io

import pytest
from django.http import HttpResponse

from messaging.channels import get_sms_channel
from messaging.channels.base import (
    DeliveryStatus,
    OutgoingSms,
    PermanentFailure,
    TechnicalFailure,
    TemporaryFailure,
)
from messaging.channels.serwersms import SerwerSmsChannel
from messaging.channels.sms_console import ConsoleSmsChannel
from messaging.channels.smsapi import SmsApiChannel
from tests.fakes import serwersms as serwersms_fake
from tests.fakes import smsapi as smsapi_fake
from tests.fakes.loopback_http import ViewServer
from tests.fakes.smtp import free_port

CALLBACK_TOKEN = "cb-" + "s3cr3t" * 5
POLISH = "Gmina Przykładowo: termin płatności podatku mija 15 marca."
PLAIN = "Gmina Przykladowo: termin platnosci podatku mija 15 marca."


class Callbacks:
    """Our side of the callback: the channel's parser behind a real HTTP endpoint."""

    def __init__(self, channel) -> None:
        self.channel = channel
        self.reports: list = []
        self.server = ViewServer(self.view)

    def view(self, request) -> HttpResponse:
        self.reports.extend(self.channel.parse_delivery_reports(request))
        return self.channel.delivery_report_response()

    def url(self, token: str = CALLBACK_TOKEN) -> str:
        return f"{self.server.base_url}/callbacks/messaging/sms/?token={token}"


@pytest.fixture
def serwersms(settings):
    with serwersms_fake.FakeSerwerSms() as fake:
        settings.MESSAGING_SMS_PROVIDER = "serwersms"
        settings.MESSAGING_SERWERSMS_URL = fake.base_url
        settings.MESSAGING_SERWERSMS_TOKEN = serwersms_fake.TOKEN
        settings.MESSAGING_SMS_SENDER = "GMINA"
        settings.MESSAGING_SMS_TEST_MODE = False
        settings.MESSAGING_SMS_CALLBACK_TOKEN = CALLBACK_TOKEN
        yield fake


@pytest.fixture
def smsapi(settings):
    with smsapi_fake.FakeSmsApi() as fake:
        settings.MESSAGING_SMS_PROVIDER = "smsapi"
        settings.MESSAGING_SMSAPI_URL = fake.base_url
        settings.MESSAGING_SMSAPI_TOKEN = smsapi_fake.TOKEN
        settings.MESSAGING_SMS_SENDER = "GMINA"
        settings.MESSAGING_SMS_TEST_MODE = False
        settings.MESSAGING_SMS_CALLBACK_TOKEN = CALLBACK_TOKEN
        yield fake


@pytest.fixture
def callbacks(settings):
    """An endpoint for the configured channel's delivery reports; SMSAPI is told its URL."""
    receiver = Callbacks(get_sms_channel())
    with receiver.server:
        settings.MESSAGING_SMS_REPORT_URL = f"{receiver.server.base_url}/callbacks/messaging/sms/"
        receiver.channel = get_sms_channel()  # reads the report URL
        yield receiver


def sms(reference: str = "42", text: str = POLISH, to: str = "+48500600700") -> OutgoingSms:
    return OutgoingSms(to=to, text=text, reference=reference)


# --- SerwerSMS --------------------------------------------------------------------------------


def test_serwersms_sends_full_sms_with_utf_for_polish_letters(serwersms):
    channel = get_sms_channel()
    assert isinstance(channel, SerwerSmsChannel)
    result = channel.send(sms("42"))
    [sent] = serwersms.sent
    assert result.provider_id == sent["id"]
    assert result.status == DeliveryStatus.QUEUED
    assert result.parts == 1
    assert (sent["phone"], sent["text"], sent["sender"]) == ("+48500600700", POLISH, "GMINA")
    assert sent["utf"] is True
    assert sent["unique_id"] == "gm42"
    assert sent["test"] is False
    path, body = serwersms.requests[0]
    assert path == "/messages/send_sms.json"
    assert body["details"] is True


def test_serwersms_gsm_text_goes_without_utf_and_test_mode_is_passed_on(serwersms, settings):
    settings.MESSAGING_SMS_TEST_MODE = True
    get_sms_channel().send(sms("7", PLAIN))
    [sent] = serwersms.sent
    assert sent["utf"] is False and sent["test"] is True


def test_serwersms_eco_without_sender_refuses_polish_letters_but_sends_gsm(serwersms, settings):
    settings.MESSAGING_SMS_SENDER = ""
    channel = get_sms_channel()
    with pytest.raises(TechnicalFailure, match="Polish letters"):
        channel.send(sms("1", POLISH))
    assert serwersms.requests == []
    channel.send(sms("2", PLAIN))
    [sent] = serwersms.sent
    assert sent["sender"] == "" and sent["utf"] is False


@pytest.mark.parametrize(
    ("knob", "exception", "match"),
    [
        (("error_next", 1001), TemporaryFailure, "1001"),  # token revoked: fix, then retry
        (("error_next", 3002), TemporaryFailure, "3002"),  # FULL SMS limit exhausted
        (("error_next", 3102), TechnicalFailure, "3102"),
        (("http_error_next", 503), TemporaryFailure, "503"),
        (("http_error_next", 502), TemporaryFailure, "502"),
    ],
)
def test_serwersms_errors_map_to_the_interface(serwersms, knob, exception, match):
    method, argument = knob
    getattr(serwersms, method)(argument)
    with pytest.raises(exception, match=match):
        get_sms_channel().send(sms())
    assert serwersms.sent == []


def test_serwersms_an_invalid_number_is_the_recipients_permanent_failure(serwersms):
    serwersms.invalid_numbers.add("+48500000000")
    with pytest.raises(PermanentFailure, match="2001"):
        get_sms_channel().send(sms(to="+48500000000"))
    with pytest.raises(PermanentFailure, match=r"E\.164"):
        get_sms_channel().send(sms(to="500600700"))  # never leaves the portal
    assert len(serwersms.requests) == 1


def test_serwersms_wrong_token_configured_is_temporary(serwersms, settings):
    settings.MESSAGING_SERWERSMS_TOKEN = "revoked"
    with pytest.raises(TemporaryFailure, match="1001"):
        get_sms_channel().send(sms())


def test_an_unreachable_operator_is_a_temporary_failure(settings):
    settings.MESSAGING_SMS_PROVIDER = "serwersms"
    settings.MESSAGING_SERWERSMS_URL = f"http://127.0.0.1:{free_port()}"
    settings.MESSAGING_SERWERSMS_TOKEN = "t"
    with pytest.raises(TemporaryFailure, match="unreachable"):
        get_sms_channel().send(sms(text=PLAIN))


def test_the_proxy_from_the_environment_is_used_and_no_proxy_respected(settings, monkeypatch):
    """The environment is read once per session (not per request), with the same meaning."""
    from django.http import JsonResponse

    from messaging.channels import operators

    seen = []

    def proxy(request):  # answers for the operator, as a forwarding proxy would
        seen.append(request.path)
        return JsonResponse({"items": [{"id": "p1", "status": "queued", "parts": 1}]})

    settings.MESSAGING_SMS_PROVIDER = "serwersms"
    settings.MESSAGING_SERWERSMS_URL = "http://operator.invalid/api"
    settings.MESSAGING_SERWERSMS_TOKEN = "t"
    with ViewServer(proxy) as server:
        monkeypatch.setenv("HTTP_PROXY", server.base_url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.setattr(operators, "_sessions", {})
        assert get_sms_channel().send(sms(text=PLAIN)).provider_id == "p1"
        # The proxy got the absolute URL (Django's request shows it as a path).
        [path] = seen
        assert path.endswith("http:/operator.invalid/api/messages/send_sms.json")

        monkeypatch.setenv("NO_PROXY", "operator.invalid")
        monkeypatch.setattr(operators, "_sessions", {})
        with pytest.raises(TemporaryFailure, match="unreachable"):
            get_sms_channel().send(sms(text=PLAIN))  # straight to a host that does not exist
        assert len(seen) == 1


def test_too_long_or_empty_texts_are_refused_before_the_operator(serwersms):
    with pytest.raises(TechnicalFailure, match="7 parts"):
        get_sms_channel().send(sms(text="a" * 919))
    with pytest.raises(TechnicalFailure, match="empty"):
        get_sms_channel().send(sms(text="  "))
    assert serwersms.requests == []


def test_serwersms_reports_are_polled_by_id(serwersms):
    channel = get_sms_channel()
    delivered = channel.send(sms("41")).provider_id
    wrong = channel.send(sms("42", to="+48500600701")).provider_id
    expired = channel.send(sms("43", to="+48500600702")).provider_id
    pending = channel.send(sms("44", to="+48500600703")).provider_id
    serwersms.deliver(delivered, "delivered")
    serwersms.deliver(wrong, "undelivered", reason="wrong_number")
    serwersms.deliver(expired, "undelivered", reason="message_expired")
    reports = {
        r.provider_id: r
        for r in channel.fetch_delivery_reports([delivered, wrong, expired, pending])
    }
    assert reports[delivered].status == DeliveryStatus.DELIVERED
    assert reports[delivered].reference == "41"
    assert reports[delivered].at is not None and reports[delivered].at.tzinfo is not None
    assert reports[wrong].status == DeliveryStatus.UNDELIVERED  # suppress the number
    assert reports[expired].status == DeliveryStatus.FAILED  # the phone was off: not its fault
    assert reports[pending].status == DeliveryStatus.QUEUED
    assert serwersms.requests[-1] == (
        "/messages/reports.json",
        {"id": [delivered, wrong, expired, pending]},
    )


def test_serwersms_push_callback_reaches_our_endpoint_with_the_token(serwersms, callbacks):
    channel = get_sms_channel()
    message_id = channel.send(sms("42")).provider_id
    response = serwersms.deliver(message_id, "delivered", callback_url=callbacks.url())
    assert (response.status_code, response.text) == (200, "OK")
    [report] = callbacks.reports
    assert (report.provider_id, report.status, report.reference) == (
        message_id,
        DeliveryStatus.DELIVERED,
        "42",
    )


def test_serwersms_callback_with_a_wrong_or_missing_token_is_refused(serwersms, callbacks):
    message_id = get_sms_channel().send(sms("42")).provider_id
    forged = serwersms.deliver(message_id, "undelivered", "wrong_number", callbacks.url("guess"))
    assert forged.status_code == 403
    bare = serwersms.deliver(message_id, "delivered", callback_url=callbacks.url("").split("?")[0])
    assert bare.status_code == 403
    assert callbacks.reports == []


# --- SMSAPI -----------------------------------------------------------------------------------


def test_smsapi_sends_with_idx_dedup_and_our_notify_url(smsapi, callbacks):
    channel = callbacks.channel
    assert isinstance(channel, SmsApiChannel)
    result = channel.send(sms("42"))
    [sent] = smsapi.sent
    assert result.provider_id == sent["id"]
    assert (result.status, result.parts) == (DeliveryStatus.QUEUED, 1)
    assert (sent["number"], sent["message"], sent["from"], sent["idx"]) == (
        "48500600700",
        POLISH,
        "GMINA",
        "42",
    )
    form = smsapi.requests[0]
    assert form["check_idx"] == "1"
    assert form["format"] == "json"
    assert form["encoding"] == "utf-8"
    assert form["max_parts"] == "6"
    assert form["notify_url"] == callbacks.url()
    assert "test" not in form


def test_smsapi_a_retry_of_an_accepted_message_sends_nothing_twice(smsapi):
    channel = get_sms_channel()
    first = channel.send(sms("42"))
    again = channel.send(sms("42"))  # e.g. the worker died after SMSAPI had accepted it
    assert len(smsapi.sent) == 1
    assert first.provider_id and again.provider_id == ""
    assert again.status == DeliveryStatus.QUEUED


@pytest.mark.parametrize(
    ("code", "exception"),
    [
        (101, TemporaryFailure),  # authorization
        (105, TemporaryFailure),  # IP filter
        (13, PermanentFailure),  # no valid number
        (14, TechnicalFailure),  # sender name not registered
        (12, TechnicalFailure),  # more parts than max_parts
    ],
)
def test_smsapi_error_codes_map_to_the_interface(smsapi, code, exception):
    smsapi.error_next(code)
    with pytest.raises(exception, match=f"ERROR:{code}"):
        get_sms_channel().send(sms())
    assert smsapi.sent == []


def test_smsapi_real_refusals_from_the_fake(smsapi, settings):
    smsapi.invalid_numbers.add("48500000000")
    with pytest.raises(PermanentFailure, match="ERROR:13"):
        get_sms_channel().send(sms("1", to="+48500000000"))
    settings.MESSAGING_SMS_SENDER = "NIEZNANY"
    with pytest.raises(TechnicalFailure, match="ERROR:14"):
        get_sms_channel().send(sms("2"))
    settings.MESSAGING_SMSAPI_TOKEN = "wrong"
    with pytest.raises(TemporaryFailure, match="ERROR:101"):
        get_sms_channel().send(sms("3"))
    smsapi.http_error_next(500)
    with pytest.raises(TemporaryFailure, match="HTTP 500"):
        get_sms_channel().send(sms("4"))
    assert smsapi.sent == []


def test_smsapi_test_mode_is_passed_on(smsapi, settings):
    settings.MESSAGING_SMS_TEST_MODE = True
    get_sms_channel().send(sms("5", PLAIN))
    assert smsapi.requests[0]["test"] == "1"
    assert smsapi.sent[0]["test"] is True


def test_smsapi_delivery_reports_come_back_one_by_one_and_in_bulk(smsapi, callbacks):
    channel = callbacks.channel
    ids = [channel.send(sms(str(n), to=f"+4850060070{n}")).provider_id for n in range(1, 5)]
    response = smsapi.deliver(ids[0], 404)
    assert (response.status_code, response.text) == (200, "OK")
    response = smsapi.deliver_bulk([(ids[1], 405), (ids[2], 402), (ids[3], 403)])
    assert (response.status_code, response.text) == (200, "OK")
    statuses = [(r.provider_id, r.status, r.reference) for r in callbacks.reports]
    assert statuses == [
        (ids[0], DeliveryStatus.DELIVERED, "1"),
        (ids[1], DeliveryStatus.UNDELIVERED, "2"),  # wrong or inactive number
        (ids[2], DeliveryStatus.FAILED, "3"),  # expired
        (ids[3], DeliveryStatus.QUEUED, "4"),  # sent, no final word yet
    ]
    assert all(r.at is not None for r in callbacks.reports)
    method, path, _body = callbacks.server.requests[0]
    assert method == "GET" and f"token={CALLBACK_TOKEN}" in path


def test_smsapi_forged_or_malformed_callbacks_are_refused(smsapi, callbacks):
    import requests

    message_id = callbacks.channel.send(sms("42")).provider_id
    endpoint = callbacks.url().split("?")[0]
    forged = requests.get(
        endpoint, params={"token": "nope", "MsgId": message_id, "status": "405"}, timeout=10
    )
    assert forged.status_code == 403
    mismatched = requests.get(
        endpoint,
        params={"token": CALLBACK_TOKEN, "MsgId": f"{message_id},X", "status": "404"},
        timeout=10,
    )
    assert mismatched.status_code == 400
    garbage = requests.get(
        endpoint, params={"token": CALLBACK_TOKEN, "MsgId": message_id, "status": "ok"}, timeout=10
    )
    assert garbage.status_code == 400
    assert callbacks.reports == []


# --- console ----------------------------------------------------------------------------------


def test_the_console_channel_is_the_default_and_prints(settings):
    settings.MESSAGING_SMS_PROVIDER = "console"
    assert isinstance(get_sms_channel(), ConsoleSmsChannel)
    out = io.StringIO()
    result = ConsoleSmsChannel(stream=out).send(sms("9"))
    assert result.status == DeliveryStatus.DELIVERED
    assert result.provider_id.startswith("console-")
    printed = out.getvalue()
    assert "+48500600700" in printed and POLISH in printed and "UCS-2" in printed
    with pytest.raises(PermanentFailure):
        ConsoleSmsChannel(stream=out).send(sms(to="0048500600700"))
