"""Password reset (OWASP rules in PRACTICES.md §10) and change with the current password."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from eservices import credentials
from eservices.models import AccountEvent

from .accounts_helpers import (
    NIP,
    OTHER_PESEL,
    PASSWORD,
    PERSON_PESEL,
    REGON,
    last_mail_to,
    link_in,
    travel,
)

pytestmark = pytest.mark.django_db
User = get_user_model()
NEW = "nowe-haslo-sosna-77"


@pytest.fixture(autouse=True)
def _fresh_reset_limits():
    # The per-account limit lives in the cache, which outlives each test's transaction.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def person():
    user = User.objects.create_user("jan@example.pl", PASSWORD, first_name="Jan", last_name="K")
    user.pesel = PERSON_PESEL
    user.save()
    return user


@pytest.fixture
def company():
    return User.objects.create_user(
        "firma@example.pl",
        PASSWORD,
        kind="organisation",
        organisation_name="F",
        nip=NIP,
        regon=REGON,
    )


def ask(client, email, identifier):
    return client.post(
        reverse("eservices:password_reset"), {"email": email, "identifier": identifier}
    )


@pytest.mark.parametrize(
    ("email", "identifier", "sent"),
    [
        ("jan@example.pl", PERSON_PESEL, True),
        ("JAN@example.pl", PERSON_PESEL, True),
        ("jan@example.pl", OTHER_PESEL, False),  # wrong identifier
        ("nikt@example.pl", PERSON_PESEL, False),  # no such account
        ("firma@example.pl", "526-104-08-28", True),  # NIP as people write it
        ("firma@example.pl", REGON, True),
        ("firma@example.pl", PERSON_PESEL, False),
    ],
)
def test_reset_answers_the_same_whether_or_not_the_account_matches(
    client, person, company, email, identifier, sent
):
    response = ask(client, email, identifier)
    assert response.status_code == 302
    assert response.url == reverse("eservices:password_reset_sent")
    assert len(mail.outbox) == (1 if sent else 0)
    page = client.get(response.url).content.decode()
    assert "Jeśli dane pasują do konta" in page


def test_reset_pages_keep_the_referrer_to_the_site(client):
    response = client.get(reverse("eservices:password_reset"))
    assert response["Referrer-Policy"] == "same-origin"


def test_reset_link_sets_the_password_once_ends_sessions_and_tells_the_owner(client, person):
    other_device = Client()
    other_device.force_login(person)
    assert other_device.get(reverse("eservices:account")).status_code == 200

    ask(client, "jan@example.pl", PERSON_PESEL)
    path = link_in(last_mail_to("jan@example.pl"))
    assert path.startswith("/konto/haslo/nowe/")
    # The token leaves the address bar: into the session, then a token-free address.
    hop = client.get(path)
    assert hop.status_code == 302 and hop["Referrer-Policy"] == "no-referrer"
    assert hop.url == "/konto/haslo/nowe/-/"
    form = client.get(hop.url)
    assert form.status_code == 200
    response = client.post(hop.url, {"password1": NEW, "password2": NEW})
    assert response.status_code == 302 and response.url == reverse("eservices:login")
    person.refresh_from_db()
    assert person.check_password(NEW)
    assert "_auth_user_id" not in client.session  # no automatic login
    # The other device's session has ended.
    assert other_device.get(reverse("eservices:account")).status_code == 302
    notice = last_mail_to("jan@example.pl")
    assert "zostało zmienione" in notice.body
    # The link worked once.
    again = client.post(
        path, {"password1": "inne-haslo-jodla-9", "password2": "inne-haslo-jodla-9"}
    )
    assert again.status_code == 410
    person.refresh_from_db()
    assert person.check_password(NEW)
    kinds = list(AccountEvent.objects.filter(user=person).values_list("kind", flat=True))
    assert "password_reset_requested" in kinds and "password_reset" in kinds


def test_reset_link_expires_after_an_hour(client, person):
    ask(client, "jan@example.pl", PERSON_PESEL)
    path = link_in(last_mail_to("jan@example.pl"))
    with travel(3600 + 5):
        response = client.post(path, {"password1": NEW, "password2": NEW})
    assert response.status_code == 410
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_tampered_reset_link_changes_nothing(client, person):
    ask(client, "jan@example.pl", PERSON_PESEL)
    path = link_in(last_mail_to("jan@example.pl"))
    tampered = path.replace("/nowe/", "/nowe/x")
    response = client.post(tampered, {"password1": NEW, "password2": NEW})
    assert response.status_code == 400
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_reset_link_never_uses_the_host_header(client, person, settings):
    settings.ALLOWED_HOSTS = ["*"]
    client.post(
        reverse("eservices:password_reset"),
        {"email": "jan@example.pl", "identifier": PERSON_PESEL},
        HTTP_HOST="attacker.example",
    )
    body = last_mail_to("jan@example.pl").body
    assert "attacker.example" not in body
    assert "http://testserver/konto/haslo/nowe/" in body


def test_requesting_a_reset_locks_nothing(client, person):
    for _ in range(3):
        ask(client, "jan@example.pl", PERSON_PESEL)
    assert client.login(username="jan@example.pl", password=PASSWORD)


def test_reset_links_are_rate_limited_per_account_with_the_same_answer(client, person, settings):
    settings.PASSWORD_RESET_MAX_PER_HOUR = 2
    answers = {ask(client, "jan@example.pl", PERSON_PESEL).url for _ in range(4)}
    assert answers == {reverse("eservices:password_reset_sent")}
    assert len(mail.outbox) == 2


def test_identifier_matching_is_exact():
    user = User(email="a@example.pl", nip=NIP)
    assert credentials.identifier_matches(user, "PL 526-104-08-28".replace("PL ", ""))
    assert not credentials.identifier_matches(user, "5261040827")
    assert not credentials.identifier_matches(None, NIP)
    assert not credentials.identifier_matches(User(email="b@example.pl"), "")


# --- Change (logged in) -----------------------------------------------------------------------
def test_change_needs_the_current_password(client, person):
    client.force_login(person)
    url = reverse("eservices:password_change")
    wrong = client.post(url, {"current_password": "zle", "password1": NEW, "password2": NEW})
    assert wrong.status_code == 400
    assert "To nie jest Twoje obecne hasło" in wrong.content.decode()
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_change_keeps_this_session_and_ends_the_others(client, person):
    other = Client()
    other.force_login(person)
    client.force_login(person)
    url = reverse("eservices:password_change")
    response = client.post(url, {"current_password": PASSWORD, "password1": NEW, "password2": NEW})
    assert response.status_code == 302
    assert client.get(reverse("eservices:account")).status_code == 200
    assert other.get(reverse("eservices:account")).status_code == 302
    assert "zostało zmienione" in last_mail_to("jan@example.pl").body
    assert AccountEvent.objects.filter(user=person, kind="password_changed").exists()


def test_change_refuses_a_weak_or_same_password(client, person):
    client.force_login(person)
    url = reverse("eservices:password_change")
    weak = client.post(
        url, {"current_password": PASSWORD, "password1": "krotkie", "password2": "krotkie"}
    )
    assert weak.status_code == 400
    same = client.post(
        url, {"current_password": PASSWORD, "password1": PASSWORD, "password2": PASSWORD}
    )
    assert same.status_code == 400
    assert "musi różnić się" in same.content.decode()
