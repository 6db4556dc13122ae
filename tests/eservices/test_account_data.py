"""Own data with the current password (seed 004); e-mail change confirmed by the new address."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from eservices.models import AccountEvent

from .accounts_helpers import PASSWORD, last_mail_to, link_in, travel

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def person(client):
    user = User.objects.create_user("ola@example.pl", PASSWORD, first_name="Ola", last_name="Z")
    client.force_login(user)
    return user


def test_account_page_has_my_data_and_activity_sections(client, person):
    content = client.get(reverse("eservices:account")).content.decode()
    assert 'id="moje-dane"' in content and "Moje dane" in content
    assert 'id="aktywnosc"' in content
    assert reverse("eservices:account_data") in content
    assert reverse("eservices:email_change") in content


def test_editing_data_needs_the_current_password(client, person):
    url = reverse("eservices:account_data")
    data = {"first_name": "Aleksandra", "last_name": "Z", "phone": "", "preferred_language": "pl"}
    wrong = client.post(url, {**data, "current_password": "nie-to"})
    assert wrong.status_code == 400
    person.refresh_from_db()
    assert person.first_name == "Ola"
    ok = client.post(url, {**data, "current_password": PASSWORD})
    assert ok.status_code == 302
    person.refresh_from_db()
    assert person.first_name == "Aleksandra"
    event = AccountEvent.objects.get(user=person, kind="data_changed")
    assert "first_name" in event.detail


def test_email_change_takes_effect_only_after_confirmation(client, person):
    url = reverse("eservices:email_change")
    wrong = client.post(url, {"new_email": "nowy@example.pl", "current_password": "x"})
    assert wrong.status_code == 400 and mail.outbox == []
    response = client.post(url, {"new_email": "Nowy@Example.pl", "current_password": PASSWORD})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.email == "ola@example.pl"  # not yet
    notice = last_mail_to("ola@example.pl")
    assert "nowy@example.pl" in notice.body
    path = link_in(last_mail_to("nowy@example.pl"))
    assert client.get(path, follow=True).status_code == 200
    assert client.post(path).status_code == 302
    person.refresh_from_db()
    assert person.email == "nowy@example.pl"
    assert "nowy@example.pl" in last_mail_to("ola@example.pl").body  # old address told
    assert client.post(path).status_code == 410  # single use
    assert AccountEvent.objects.filter(user=person, kind="email_changed").exists()


def test_email_change_link_works_only_for_its_account(client, person):
    client.post(
        reverse("eservices:email_change"),
        {"new_email": "nowy@example.pl", "current_password": PASSWORD},
    )
    path = link_in(last_mail_to("nowy@example.pl"))
    intruder = User.objects.create_user("obcy@example.pl", PASSWORD)
    client.force_login(intruder)
    assert client.post(path).status_code == 400
    intruder.refresh_from_db()
    person.refresh_from_db()
    assert intruder.email == "obcy@example.pl" and person.email == "ola@example.pl"


def test_email_change_link_expires(client, person, settings):
    # Keep the session alive across the jump: only the link's age is under test.
    settings.RESIDENT_SESSION_IDLE_SECONDS = settings.RESIDENT_SESSION_ABSOLUTE_SECONDS = 10**6
    client.post(
        reverse("eservices:email_change"),
        {"new_email": "nowy@example.pl", "current_password": PASSWORD},
    )
    path = link_in(last_mail_to("nowy@example.pl"))
    with travel(24 * 3600 + 5):
        assert client.post(path).status_code == 410
    person.refresh_from_db()
    assert person.email == "ola@example.pl"


def test_email_taken_by_another_account_gets_no_link(client, person):
    User.objects.create_user("zajety@example.pl", PASSWORD)
    client.post(
        reverse("eservices:email_change"),
        {"new_email": "zajety@example.pl", "current_password": PASSWORD},
    )
    assert [m for m in mail.outbox if "zajety@example.pl" in m.to] == []
