"""Every resident account URL with an object id answers 404 to anyone but its owner."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from eservices import tokens
from eservices.models import LinkRequest

from .accounts_helpers import PASSWORD, PERSON_PESEL

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_foreign_objects_and_links_are_not_found_or_refused():
    owner = User.objects.create_user("wlasciciel@example.pl", PASSWORD)
    request = LinkRequest(user=owner, kind="person", name="W")
    request.identifier = PERSON_PESEL
    request.save()
    stranger = Client()
    stranger.force_login(User.objects.create_user("obcy@example.pl", PASSWORD))
    for name in ("eservices:link_request", "eservices:link_request_pdf"):
        assert stranger.get(reverse(name, kwargs={"code": request.code})).status_code == 404
    email_token = tokens.EMAIL_CHANGE.make(owner, new="przejety@example.pl")
    url = reverse("eservices:email_change_confirm", kwargs={"token": email_token})
    assert stranger.get(url, follow=True).status_code == 400
    assert stranger.post(url).status_code == 400
    owner.refresh_from_db()
    assert owner.email == "wlasciciel@example.pl"
