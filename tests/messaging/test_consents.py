"""Consents: history of every change, the account-page form, counter records, unsubscribe,
and that a resident reaches only their own messages."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from wagtail.models import ModelLogEntry

from messaging.consents import TEXT_VERSION, Evidence, has_consent, set_consent
from messaging.models import Consent, ConsentEvent, Delivery
from messaging.sending import unsubscribe_token, unsubscribe_url
from tests.eservices import factories as f

pytestmark = pytest.mark.django_db


def test_every_change_is_recorded_and_repeats_are_not():
    user = f.user()
    assert set_consent(user, "email", "overdue", True, Evidence(ip_address="10.0.0.1"))
    assert not set_consent(user, "email", "overdue", True, Evidence())  # a double click
    assert set_consent(user, "email", "overdue", False, Evidence())
    events = list(ConsentEvent.objects.filter(user=user).order_by("pk"))
    assert [e.action for e in events] == ["granted", "withdrawn"]
    assert events[0].text_version == TEXT_VERSION
    assert events[0].contact_value == user.email
    assert events[0].ip_address == "10.0.0.1"
    assert not has_consent(user.pk, "email", "overdue")


def test_history_is_append_only():
    user = f.user()
    set_consent(user, "sms", "news", True, Evidence())
    event = ConsentEvent.objects.get(user=user)
    event.action = "withdrawn"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_account_page_gives_and_withdraws_with_one_form(client):
    user = f.user()
    client.force_login(user)
    page = client.get(reverse("eservices:account"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="powiadomienia"' in html
    assert 'name="consent" value="email:overdue"' in html

    url = reverse("messaging:consents")
    response = client.post(
        url, {"consent": ["email:overdue", "sms:upcoming_dues"]}, HTTP_USER_AGENT="Firefox"
    )
    assert response.status_code == 302
    assert response["Location"].endswith("/konto/#powiadomienia")
    assert has_consent(user.pk, "email", "overdue")
    assert has_consent(user.pk, "sms", "upcoming_dues")
    assert ConsentEvent.objects.get(user=user, category="overdue").user_agent == "Firefox"
    page = client.get(reverse("eservices:account")).content.decode()
    assert 'value="email:overdue" id="consent-email-overdue" checked' in page

    # Withdrawing is the same form, one click: untick and save.
    client.post(url, {"consent": ["sms:upcoming_dues"]})
    assert not has_consent(user.pk, "email", "overdue")
    assert has_consent(user.pk, "sms", "upcoming_dues")
    assert ConsentEvent.objects.filter(user=user).count() == 3
    assert all(e.source == "portal" for e in ConsentEvent.objects.filter(user=user))


def test_the_form_changes_only_the_logged_in_residents_consents(client):
    user, other = f.user(), f.user()
    client.force_login(user)
    client.post(
        reverse("messaging:consents"),
        {"consent": ["email:news", "bogus:value", "email:nothing"], "user": other.pk},
    )
    assert has_consent(user.pk, "email", "news")
    assert not Consent.objects.filter(user=other).exists()
    assert ConsentEvent.objects.filter(user=user).count() == 1


def test_anonymous_cannot_post_consents(client):
    response = client.post(reverse("messaging:consents"), {"consent": ["email:news"]})
    assert response.status_code == 302
    assert "logowanie" in response["Location"]
    assert not ConsentEvent.objects.exists()


def test_another_residents_message_is_404(client):
    owner, other = f.user(), f.user()
    delivery = Delivery.objects.create(
        key="t1", user=owner, channel="email", category="news", subject="Tajne", body="x"
    )
    client.force_login(other)
    assert client.get(reverse("messaging:message", args=(delivery.pk,))).status_code == 404
    client.force_login(owner)
    response = client.get(reverse("messaging:message", args=(delivery.pk,)))
    assert response.status_code == 200
    assert "Tajne" in response.content.decode()


# --- One-click unsubscribe (RFC 8058) -------------------------------------------------------


def test_one_click_post_withdraws_only_that_category(client):
    user = f.user()
    set_consent(user, "email", "news", True, Evidence())
    set_consent(user, "email", "overdue", True, Evidence())
    url = unsubscribe_url(user.pk, "email", "news")
    assert url.startswith("https://e-uslugi.gmina.example/powiadomienia/wypisz/")
    path = url.removeprefix("https://e-uslugi.gmina.example")
    response = client.post(path, {"List-Unsubscribe": "One-Click"})  # no session, no CSRF
    assert response.status_code == 200
    assert not has_consent(user.pk, "email", "news")
    assert has_consent(user.pk, "email", "overdue")
    event = ConsentEvent.objects.filter(user=user).first()
    assert (event.action, event.source) == ("withdrawn", "unsubscribe")
    # A repeat (mail clients retry) is fine and records nothing new.
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert ConsentEvent.objects.filter(user=user, source="unsubscribe").count() == 1


def test_get_only_shows_a_confirmation_page(client):
    user = f.user()
    set_consent(user, "email", "news", True, Evidence())
    path = reverse(
        "messaging_callbacks:unsubscribe", args=(unsubscribe_token(user.pk, "email", "news"),)
    )
    page = client.get(path)
    assert page.status_code == 200
    assert "Tak, wypisz mnie" in page.content.decode()
    assert has_consent(user.pk, "email", "news")  # link scanners must not unsubscribe
    page = client.post(path)
    assert "nie będziesz" in page.content.decode().lower()
    assert not has_consent(user.pk, "email", "news")


@pytest.mark.parametrize("token", ["garbage", "eyJ0ZXN0Ijp0cnVlfQ:1abc:forged"])
def test_bad_or_forged_tokens_are_404(client, token):
    assert (
        client.post(
            f"/powiadomienia/wypisz/{token}/", {"List-Unsubscribe": "One-Click"}
        ).status_code
        == 404
    )


def test_a_token_for_one_user_cannot_be_edited_to_another(client):
    victim = f.user()
    set_consent(victim, "email", "news", True, Evidence())
    token = unsubscribe_token(victim.pk + 1, "email", "news")
    tampered = token.replace(
        token.split(":")[0], unsubscribe_token(victim.pk, "email", "news").split(":")[0]
    )
    client.post(f"/powiadomienia/wypisz/{tampered}/", {"List-Unsubscribe": "One-Click"})
    assert has_consent(victim.pk, "email", "news")


# --- Admin: history listing, CSV export, counter consents ------------------------------------


def test_clerk_records_a_counter_consent_logged_and_exportable(clerk_client, clerk):
    resident = f.user(first_name="Zofia", last_name="Wiśniewska")
    response = clerk_client.post(
        reverse("messaging_counter_consent"),
        {
            "resident": resident.pk,
            "channel": "email",
            "category": "upcoming_dues",
            "granted": "1",
            "document_reference": "ZG/2026/17",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = ConsentEvent.objects.get(user=resident)
    assert (event.source, event.recorded_by, event.document_reference) == (
        "counter",
        clerk,
        "ZG/2026/17",
    )
    assert has_consent(resident.pk, "email", "upcoming_dues")
    log = ModelLogEntry.objects.get(action="messaging.consent_counter")
    assert log.user == clerk
    assert log.data["document_reference"] == "ZG/2026/17"

    listing = clerk_client.get(reverse("messaging_consent_events:index") + f"?user={resident.pk}")
    assert listing.status_code == 200
    export = clerk_client.get(reverse("messaging_consent_events:index") + "?export=csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert any("ZG/2026/17" in row for row in rows)


def test_consent_history_has_no_add_edit_or_delete_urls(clerk_client):
    resident = f.user()
    set_consent(resident, "email", "news", True, Evidence())
    event = ConsentEvent.objects.get(user=resident)
    assert clerk_client.get(f"/admin/messaging/consents/inspect/{event.pk}/").status_code == 200
    for url in ("/admin/messaging/consents/add/", f"/admin/messaging/consents/edit/{event.pk}/"):
        assert clerk_client.get(url).status_code == 404


def test_residents_cannot_reach_the_counter_view(client):
    resident = f.user()
    client.force_login(resident)
    response = client.get(reverse("messaging_counter_consent"))
    assert response.status_code in (302, 403)
