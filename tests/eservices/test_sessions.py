"""Resident session rules: idle and absolute timeouts with a notice, logout everywhere else."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from eservices.models import AccountEvent

from .accounts_helpers import PASSWORD, travel

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def resident():
    return User.objects.create_user("ewa@example.pl", PASSWORD)


def login(client, user):
    response = client.post(
        reverse("eservices:login"), {"username": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def test_page_says_when_the_session_ends_and_ships_the_warning_dialog(client, resident, settings):
    login(client, resident)
    content = client.get(reverse("eservices:account")).content.decode()
    assert "Dla bezpieczeństwa sesja wygaśnie o" in content
    assert 'id="session-warning"' in content
    assert "eservices/session-timeout.js" in content
    assert "<script>" not in content  # CSP: no inline scripts


def test_idle_session_ends_and_asks_to_log_in_again(client, resident, settings):
    login(client, resident)
    with travel(settings.RESIDENT_SESSION_IDLE_SECONDS - 30):
        assert client.get(reverse("eservices:account")).status_code == 200
    # Activity renewed the idle clock: the same offset from the last request is fine again.
    with travel(2 * settings.RESIDENT_SESSION_IDLE_SECONDS - 60):
        assert client.get(reverse("eservices:account")).status_code == 200
    with travel(3 * settings.RESIDENT_SESSION_IDLE_SECONDS):
        response = client.get(reverse("eservices:account"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("eservices:login"))
    assert "_auth_user_id" not in client.session
    assert AccountEvent.objects.filter(user=resident, kind="session_expired").exists()
    assert not AccountEvent.objects.filter(user=resident, kind="logout").exists()


def test_absolute_lifetime_ends_even_an_active_session(client, resident, settings):
    settings.RESIDENT_SESSION_IDLE_SECONDS = 3600
    settings.RESIDENT_SESSION_ABSOLUTE_SECONDS = 3 * 3600
    login(client, resident)
    for hours in (0.9, 1.8, 2.7):
        with travel(hours * 3600):
            assert client.get(reverse("eservices:account")).status_code == 200
    with travel(3 * 3600 + 10):
        assert client.get(reverse("eservices:account")).status_code == 302


def test_stay_signed_in_renews_the_idle_clock(client, resident, settings):
    login(client, resident)
    idle = settings.RESIDENT_SESSION_IDLE_SECONDS
    with travel(idle - 10):
        response = client.post(reverse("eservices:keep_alive"), HTTP_ACCEPT="application/json")
        assert response.status_code == 200
        assert response.json()["ends_at"] > 0
    with travel(2 * idle - 20):
        assert client.get(reverse("eservices:account")).status_code == 200


def test_log_out_other_sessions_keeps_this_one(client, resident):
    other = login(Client(), resident)
    login(client, resident)
    response = client.post(reverse("eservices:end_other_sessions"))
    assert response.status_code == 302
    assert client.get(reverse("eservices:account")).status_code == 200
    assert other.get(reverse("eservices:account")).status_code == 302
    # A later login still works (the epoch is part of the session hash).
    assert login(Client(), resident).get(reverse("eservices:account")).status_code == 200


def test_login_gets_a_new_session_key(client, resident):
    before = client.session.session_key  # an anonymous session, as a visitor may already have
    assert before and client.cookies["sessionid"].value == before
    login(client, resident)
    after = client.cookies["sessionid"].value
    assert before != after


def test_staff_sessions_are_left_to_the_admin(client, settings):
    staff = User.objects.create_user("urzednik@example.pl", PASSWORD, is_staff=True)
    client.force_login(staff)
    with travel(settings.RESIDENT_SESSION_IDLE_SECONDS * 2):
        assert client.get(reverse("eservices:account")).status_code == 200
