"""Accounts created at the counter (seed 000): verification, initial password, forced change."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from eservices import counter
from eservices.models import AccountEvent, ResidentAccount
from eservices.roles import CLERKS, EDITORS

from .accounts_helpers import OTHER_PESEL, PASSWORD
from .admin_helpers import staff_client

pytestmark = pytest.mark.django_db
User = get_user_model()


def account_form(**overrides):
    data = {
        "kind": "person",
        "email": "Marek@example.pl",
        "first_name": "Marek",
        "last_name": "Wiśniewski",
        "organisation_name": "",
        "nip": "",
        "regon": "",
        "phone": "",
        "pesel": OTHER_PESEL,
        "verification_method": "id_card",
        "verification_document": "ABC 123456",
    }
    data.update(overrides)
    return data


@pytest.fixture
def clerk():
    return staff_client(CLERKS)


def create(client, **overrides):
    return client.post(reverse("resident_accounts:add"), account_form(**overrides))


def test_clerk_creates_an_account_recording_the_verification(clerk):
    client, clerk_user = clerk
    response = create(client)
    account = ResidentAccount.objects.get(email="marek@example.pl")
    assert response.status_code == 302
    assert response.url == reverse("resident_accounts:initial_password", args=(account.pk,))
    assert account.is_active and account.must_change_password
    assert not account.has_usable_password()
    assert account.created_by == clerk_user
    assert "ABC 123456" in account.identity_verification
    assert account.pesel == OTHER_PESEL
    entry = ModelLogEntry.objects.get(action="wagtail.create", object_id=str(account.pk))
    assert entry.user == clerk_user
    assert AccountEvent.objects.filter(user=account, kind="counter_created", actor=clerk_user)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"pesel": "12345678901"}, "pesel"),
        ({"pesel": ""}, "pesel"),
        ({"verification_document": ""}, "verification_document"),
        ({"kind": "organisation", "nip": ""}, "nip"),
        ({"kind": "organisation", "nip": "1234567890", "organisation_name": "X"}, "nip"),
    ],
)
def test_bad_input_creates_nothing(clerk, overrides, field):
    client, _ = clerk
    response = create(client, **overrides)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.filter(email="marek@example.pl").exists()


def test_email_already_used_is_refused(clerk):
    client, _ = clerk
    User.objects.create_user("marek@example.pl", PASSWORD)
    response = create(client)
    assert "email" in response.context["form"].errors


def test_password_shown_once_works_once_and_forces_a_change(clerk):
    client, clerk_user = clerk
    create(client)
    account = ResidentAccount.objects.get(email="marek@example.pl")
    url = reverse("resident_accounts:initial_password", args=(account.pk,))
    page = client.post(url, {"delivery": "screen"})
    assert page.status_code == 200
    password = re.search(r"data-initial-password>([a-z0-9-]+)<", page.content.decode()).group(1)
    assert ModelLogEntry.objects.filter(action="eservices.initial_password", user=clerk_user)
    # The GET page never shows it again.
    assert password not in client.get(url).content.decode()

    resident = Client()
    login = resident.post(
        reverse("eservices:login"), {"username": "marek@example.pl", "password": password}
    )
    assert login.status_code == 302
    # Every page leads to the password change until it is done.
    for name in ("eservices:account", "eservices:dues"):
        response = resident.get(reverse(name))
        assert response.status_code == 302
        assert response.url == reverse("eservices:password_change")
    change = resident.get(reverse("eservices:password_change"))
    assert "hasłem wstępnym" in change.content.decode()
    new = "wlasne-haslo-brzoza-3"
    resident.post(
        reverse("eservices:password_change"),
        {"current_password": password, "password1": new, "password2": new},
    )
    assert resident.get(reverse("eservices:account")).status_code == 200
    account.refresh_from_db()
    assert not account.must_change_password


def test_issuing_again_replaces_the_password_and_ends_sessions(clerk):
    client, _ = clerk
    create(client)
    account = ResidentAccount.objects.get(email="marek@example.pl")
    url = reverse("resident_accounts:initial_password", args=(account.pk,))
    first = re.search(
        r"data-initial-password>([a-z0-9-]+)<",
        client.post(url, {"delivery": "screen"}).content.decode(),
    ).group(1)
    resident = Client()
    resident.post(reverse("eservices:login"), {"username": account.email, "password": first})
    client.post(url, {"delivery": "screen"})
    account.refresh_from_db()
    assert not account.check_password(first)
    assert resident.get(reverse("eservices:password_change")).status_code == 302  # logged out


def test_letter_is_a_pdf_and_sets_a_new_password(clerk):
    client, _ = clerk
    create(client)
    account = ResidentAccount.objects.get(email="marek@example.pl")
    response = client.post(
        reverse("resident_accounts:initial_password", args=(account.pk,)), {"delivery": "letter"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    account.refresh_from_db()
    assert account.has_usable_password() and account.must_change_password


def test_generated_passwords_are_long_and_different():
    passwords = {counter.generate_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(len(p.replace("-", "")) == 15 for p in passwords)


def test_editors_cannot_create_accounts_or_issue_passwords():
    client, _ = staff_client(EDITORS)
    account = User.objects.create_user("r@example.pl", PASSWORD)
    assert client.get(reverse("resident_accounts:add")).status_code in (302, 403)
    response = client.post(
        reverse("resident_accounts:initial_password", args=(account.pk,)), {"delivery": "screen"}
    )
    assert response.status_code in (302, 403)  # Wagtail turns the refusal into a redirect
    account.refresh_from_db()
    assert account.check_password(PASSWORD)


def test_clerks_do_not_reach_staff_accounts_through_the_resident_admin(clerk):
    client, _ = clerk
    admin = User.objects.create_superuser("admin@gmina.example", PASSWORD)
    assert client.get(reverse("resident_accounts:inspect", args=(admin.pk,))).status_code == 404
    response = client.post(
        reverse("resident_accounts:initial_password", args=(admin.pk,)), {"delivery": "screen"}
    )
    assert response.status_code == 404
    listing = client.get(reverse("resident_accounts:index")).content.decode()
    assert "admin@gmina.example" not in listing


def test_clerk_sees_the_residents_activity(clerk):
    client, _ = clerk
    create(client)
    account = ResidentAccount.objects.get(email="marek@example.pl")
    page = client.get(reverse("resident_accounts:inspect", args=(account.pk,)))
    assert page.status_code == 200
    assert "Założenie konta w urzędzie" in page.content.decode()
