"""The resident's activity log: logins with their method, failed logins, shown on the account page
to the owner only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse

from eservices import activity
from eservices.models import AccountEvent

from .accounts_helpers import PASSWORD

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_logins_and_failed_logins_are_logged_and_shown(client):
    user = User.objects.create_user("kasia@example.pl", PASSWORD)
    client.post(reverse("eservices:login"), {"username": "kasia@example.pl", "password": "zle"})
    client.post(
        reverse("eservices:login"),
        {"username": "kasia@example.pl", "password": PASSWORD},
        HTTP_USER_AGENT="TestBrowser/1.0",
    )
    events = list(AccountEvent.objects.filter(user=user).order_by("pk"))
    assert [e.kind for e in events] == ["login_failed", "login"]
    assert events[1].method == "password"
    assert events[1].ip_address == "127.0.0.1"
    assert events[1].user_agent == "TestBrowser/1.0"
    page = client.get(reverse("eservices:account")).content.decode()
    assert "Nieudane logowanie" in page and "Logowanie" in page


def test_failed_login_for_an_unknown_address_records_nothing(client):
    client.post(reverse("eservices:login"), {"username": "nikt@example.pl", "password": "zle"})
    assert not AccountEvent.objects.exists()


def test_another_users_events_are_not_shown(client):
    owner = User.objects.create_user("a@example.pl", PASSWORD)
    activity.record(owner, AccountEvent.Kind.PASSWORD_CHANGED, detail="tajne-zdarzenie")
    other = User.objects.create_user("b@example.pl", PASSWORD)
    client.force_login(other)
    page = client.get(reverse("eservices:account")).content.decode()
    assert "Zmiana hasła" not in page


def test_events_are_append_only():
    user = User.objects.create_user("c@example.pl", PASSWORD)
    event = activity.record(user, AccountEvent.Kind.LOGIN)
    event.detail = "changed"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_a_forged_forwarded_address_is_not_trusted(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="10.0.0.5")
    assert activity.client_ip(request) == "10.0.0.5"


def test_logout_is_logged():
    user = User.objects.create_user("d@example.pl", PASSWORD)
    client = Client()
    client.force_login(user)
    client.post(reverse("eservices:logout"))
    assert AccountEvent.objects.filter(user=user, kind="logout").exists()
