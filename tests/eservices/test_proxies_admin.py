"""Proxies (pełnomocnicy, seed 000) granted and revoked by clerks in the admin, with audit trail."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from wagtail.models import ModelLogEntry

from eservices import access
from eservices.models import AccountEvent, Mandate
from eservices.roles import CLERKS

from . import factories as f
from .accounts_helpers import PASSWORD
from .admin_helpers import staff_client

pytestmark = pytest.mark.django_db
User = get_user_model()


def mandate_form(proxy, taxpayer, **overrides):
    data = {
        "proxy_email": proxy.email,
        "taxpayer_id": taxpayer.external_id,
        "can_view": "on",
        "can_pay": "on",
        "valid_from": date.today().isoformat(),
        "valid_to": "",
        "document_reference": "PPS-1 z 2026-05-12",
    }
    data.update(overrides)
    return data


def test_clerk_grants_and_revokes_a_mandate_with_an_audit_trail():
    proxy = User.objects.create_user("pelnomocnik@example.pl", PASSWORD)
    taxpayer = f.taxpayer()
    client, clerk = staff_client(CLERKS)
    response = client.post(reverse("mandates:add"), mandate_form(proxy, taxpayer))
    assert response.status_code == 302, response.context["form"].errors
    mandate = Mandate.objects.get()
    assert mandate.granted_by == clerk and mandate.can_pay and not mandate.can_manage_notifications
    assert access.can_act_for(proxy, taxpayer, Mandate.Scope.PAY)
    assert ModelLogEntry.objects.filter(action="wagtail.create", user=clerk).exists()
    assert AccountEvent.objects.filter(user=proxy, kind="mandate_granted").exists()

    edit = reverse("mandates:edit", args=(mandate.pk,))
    data = mandate_form(proxy, taxpayer, revoked_at="2026-01-01 10:00")
    response = client.post(edit, data)
    assert response.status_code == 302
    assert not access.can_act_for(proxy, taxpayer)
    assert ModelLogEntry.objects.filter(action="wagtail.edit", user=clerk).exists()
    assert AccountEvent.objects.filter(user=proxy, kind="mandate_revoked").exists()
    history = client.get(reverse("mandates:history", args=(mandate.pk,)))
    assert history.status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"proxy_email": "nikt@example.pl"}, "proxy_email"),
        ({"taxpayer_id": "BRAK"}, "taxpayer_id"),
        ({"valid_to": "2000-01-01"}, "valid_to"),
    ],
)
def test_bad_mandate_input_creates_nothing(overrides, field):
    proxy = User.objects.create_user("pelnomocnik@example.pl", PASSWORD)
    taxpayer = f.taxpayer()
    client, _ = staff_client(CLERKS)
    response = client.post(reverse("mandates:add"), mandate_form(proxy, taxpayer, **overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors or response.context["form"].non_field_errors()
    assert not Mandate.objects.exists()


def test_staff_cannot_be_made_a_proxy_through_the_resident_admin():
    staff = User.objects.create_user("urzednik2@gmina.example", PASSWORD, is_staff=True)
    client, _ = staff_client(CLERKS)
    response = client.post(reverse("mandates:add"), mandate_form(staff, f.taxpayer()))
    assert "proxy_email" in response.context["form"].errors


def test_resident_listing_is_exportable():
    User.objects.create_user("mieszkaniec@example.pl", PASSWORD)
    client, _ = staff_client(CLERKS)
    response = client.get(reverse("resident_accounts:index") + "?export=csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert "mieszkaniec@example.pl" in body
