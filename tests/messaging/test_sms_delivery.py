"""Campaign SMS through the SerwerSMS client to its loopback fake; the operator's delivery
reports come back to our callback URL and update each message; an unreachable number is
suppressed."""

from __future__ import annotations

import pytest

from messaging import campaigns, sending
from messaging.consents import has_consent
from messaging.models import Campaign, Delivery, MessageTemplate, Suppression
from tests.fakes import serwersms as serwersms_fake

from .conftest import resident_with_arrears, verify_phone

pytestmark = pytest.mark.django_db
CALLBACK_TOKEN = "callback-token-for-tests"


@pytest.fixture
def serwersms(settings):
    with serwersms_fake.FakeSerwerSms() as fake:
        settings.MESSAGING_SMS_PROVIDER = "serwersms"
        settings.MESSAGING_SERWERSMS_URL = fake.base_url
        settings.MESSAGING_SERWERSMS_TOKEN = serwersms_fake.TOKEN
        settings.MESSAGING_SMS_SENDER = "GMINA"
        settings.MESSAGING_SMS_CALLBACK_TOKEN = CALLBACK_TOKEN
        yield fake


def test_sms_campaign_and_delivery_reports(serwersms, client):
    template = MessageTemplate.objects.create(
        name="SMS zaległość",
        channel="sms",
        category="overdue",
        source="total_arrears",
        text="Gmina Przykładowo: prosimy o kontakt w sprawie zaległości, tel. 12 345 67 89.",
    )
    good, _ = resident_with_arrears(grants=[("sms", "overdue")])
    verify_phone(good, "+48500600700")
    bad, _ = resident_with_arrears(grants=[("sms", "overdue"), ("sms", "news")])
    verify_phone(bad, "+48500600701")
    campaign = Campaign.objects.create(name="SMS", template=template, query_code="total_arrears")
    campaigns.materialise(campaign)
    assert sending.drain_batch(campaign.pk) == 2

    by_phone = {m["phone"]: m for m in serwersms.sent}
    assert set(by_phone) == {"+48500600700", "+48500600701"}
    # Transliterated (template default): GSM-7, one part.
    assert by_phone["+48500600700"]["text"].startswith("Gmina Przykladowo: prosimy")
    rows = {d.to: d for d in Delivery.objects.filter(campaign=campaign)}
    assert {r.status for r in rows.values()} == {"sent"}

    url = f"/powiadomienia/sms/raporty/?token={CALLBACK_TOKEN}"
    for phone, status, reason in [
        ("+48500600700", "delivered", ""),
        ("+48500600701", "undelivered", "wrong_number"),
    ]:
        message = by_phone[phone]
        serwersms.deliver(message["id"], status, reason=reason)
        response = client.post(url, serwersms._item(serwersms.messages[message["id"]]))
        assert response.status_code == 200

    assert Delivery.objects.get(pk=rows["+48500600700"].pk).status == "delivered"
    assert Delivery.objects.get(pk=rows["+48500600701"].pk).status == "permanent_failure"
    assert Suppression.objects.filter(channel="sms", address="+48500600701").exists()
    assert not has_consent(bad.pk, "sms", "news")
    assert has_consent(good.pk, "sms", "overdue")


def test_reports_without_the_token_are_refused(serwersms, client):
    response = client.post(
        "/powiadomienia/sms/raporty/?token=wrong", {"id": "x", "status": "delivered"}
    )
    assert response.status_code == 403
