"""Link requests (seed 004): the resident files and prints one, a clerk approves or rejects it;
unlinking; only the owner sees a request."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from eservices import access, linking
from eservices.models import AccountEvent, AccountLink, LinkRequest
from eservices.roles import CLERKS

from . import factories as f
from .accounts_helpers import NIP, PASSWORD, PERSON_PESEL
from .admin_helpers import staff_client

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def resident():
    user = User.objects.create_user("piotr@example.pl", PASSWORD, first_name="Piotr")
    client = Client()
    client.force_login(user)
    return client, user


def file(client, **overrides):
    data = {"kind": "person", "name": "Piotr Zając", "identifier": PERSON_PESEL, "reference": ""}
    data.update(overrides)
    return client.post(reverse("eservices:link_request_new"), data)


def test_resident_files_a_request_and_prints_it(resident):
    client, user = resident
    response = file(client)
    link_request = LinkRequest.objects.get(user=user)
    assert response.status_code == 302
    assert response.url == reverse("eservices:link_request", kwargs={"code": link_request.code})
    assert link_request.identifier == PERSON_PESEL
    assert PERSON_PESEL not in link_request.identifier_encrypted
    detail = client.get(response.url).content.decode()
    assert link_request.code in detail and "Czeka na urząd" in detail
    pdf = client.get(reverse("eservices:link_request_pdf", kwargs={"code": link_request.code}))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert AccountEvent.objects.filter(user=user, kind="link_requested").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"identifier": "44051401358"}, "PESEL"),
        ({"kind": "organisation", "identifier": "1234567890"}, "NIP"),
        ({"name": ""}, "wymagane"),
    ],
)
def test_bad_request_gets_a_message_and_creates_nothing(resident, overrides, message):
    client, _ = resident
    response = file(client, **overrides)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not LinkRequest.objects.exists()


def test_organisation_request_takes_a_nip(resident):
    client, _ = resident
    assert file(client, kind="organisation", name="Firma", identifier=NIP).status_code == 302


def test_someone_elses_request_is_404(resident):
    client, _ = resident
    file(client)
    code = LinkRequest.objects.get().code
    stranger = Client()
    stranger.force_login(User.objects.create_user("obcy@example.pl", PASSWORD))
    assert stranger.get(reverse("eservices:link_request", kwargs={"code": code})).status_code == 404
    pdf = reverse("eservices:link_request_pdf", kwargs={"code": code})
    assert stranger.get(pdf).status_code == 404


def test_clerk_approves_the_request_and_the_resident_sees_the_dues(resident):
    client, user = resident
    file(client)
    link_request = LinkRequest.objects.get()
    taxpayer = f.taxpayer(first_name="Piotr", last_name="Zając", pesel=PERSON_PESEL)
    clerk_client, clerk = staff_client(CLERKS)
    page = clerk_client.get(reverse("link_requests:inspect", args=(link_request.pk,)))
    assert taxpayer.external_id in page.content.decode()  # suggested by the PESEL
    response = clerk_client.post(
        reverse("link_requests:decide", args=(link_request.pk,)),
        {"decision": "approve", "taxpayers": taxpayer.external_id},
    )
    assert response.status_code == 302
    link_request.refresh_from_db()
    assert link_request.status == "approved" and link_request.decided_by == clerk
    link = AccountLink.objects.get(user=user, taxpayer=taxpayer)
    assert link.linked_by == clerk and link.method == AccountLink.Method.COUNTER
    assert access.can_act_for(user, taxpayer)
    assert ModelLogEntry.objects.filter(action="eservices.link_request.approve", user=clerk)
    assert AccountEvent.objects.filter(user=user, kind="linked", actor=clerk).exists()
    assert client.get(reverse("eservices:dues")).status_code == 302  # straight to the dues
    # A second decision (double click, another clerk) changes nothing.
    clerk_client.post(
        reverse("link_requests:decide", args=(link_request.pk,)),
        {"decision": "reject", "rejection_reason": "za późno"},
    )
    link_request.refresh_from_db()
    assert link_request.status == "approved"
    assert AccountLink.objects.filter(user=user).count() == 1


def test_approval_with_an_unknown_taxpayer_changes_nothing(resident):
    client, _ = resident
    file(client)
    link_request = LinkRequest.objects.get()
    clerk_client, _ = staff_client(CLERKS)
    clerk_client.post(
        reverse("link_requests:decide", args=(link_request.pk,)),
        {"decision": "approve", "taxpayers": "NIE-MA-TAKIEGO"},
    )
    link_request.refresh_from_db()
    assert link_request.status == "pending"
    assert not AccountLink.objects.exists()


def test_rejection_needs_a_reason_and_the_resident_sees_it(resident):
    client, user = resident
    file(client)
    link_request = LinkRequest.objects.get()
    clerk_client, _ = staff_client(CLERKS)
    url = reverse("link_requests:decide", args=(link_request.pk,))
    clerk_client.post(url, {"decision": "reject", "rejection_reason": " "})
    link_request.refresh_from_db()
    assert link_request.status == "pending"
    clerk_client.post(url, {"decision": "reject", "rejection_reason": "Brak dokumentu"})
    link_request.refresh_from_db()
    assert link_request.status == "rejected"
    detail = client.get(reverse("eservices:link_request", kwargs={"code": link_request.code}))
    assert "Brak dokumentu" in detail.content.decode()
    assert AccountEvent.objects.filter(user=user, kind="link_rejected").exists()


def test_unlinking_ends_access_and_is_logged(resident):
    _client, user = resident
    taxpayer = f.taxpayer()
    link = f.link(user, taxpayer)
    clerk_client, clerk = staff_client(CLERKS)
    response = clerk_client.post(reverse("account_links:unlink", args=(link.pk,)))
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.revoked_at is not None
    assert not access.can_act_for(user, taxpayer)
    assert ModelLogEntry.objects.filter(action="eservices.unlink", user=clerk)
    assert AccountEvent.objects.filter(user=user, kind="unlinked").exists()


def test_approve_refuses_a_decided_request(resident):
    _client, user = resident
    link_request = LinkRequest(user=user, kind="person", name="X")
    link_request.identifier = PERSON_PESEL
    link_request.save()
    clerk = User.objects.create_user("c@gmina.example", PASSWORD, is_staff=True)
    linking.reject(None, link_request, "powód", clerk)
    with pytest.raises(linking.AlreadyDecided):
        linking.approve(None, link_request, [f.taxpayer()], clerk)
