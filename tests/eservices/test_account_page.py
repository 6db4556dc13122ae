""" "Moje konto": a page of sections that the apps contribute through a hook."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail import hooks

from eservices.account_panels import ACCOUNT_PANEL_HOOK, AccountPanel, account_panels

from . import factories as f

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("eservices:account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("eservices:login"))


def test_resident_sees_the_sections_in_order_with_headings(client):
    client.force_login(f.user())
    with hooks.register_temporarily(
        ACCOUNT_PANEL_HOOK,
        lambda request: AccountPanel(
            title="Pierwsza sekcja",
            template="eservices/account/dues_panel.html",
            order=1,
            anchor="pierwsza",
        ),
    ):
        response = client.get(reverse("eservices:account"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Moje konto</h1>" in html
    assert '<h2 id="pierwsza-heading">Pierwsza sekcja</h2>' in html
    assert '<h2 id="naleznosci-heading">Moje należności</h2>' in html
    assert html.index("pierwsza-heading") < html.index("naleznosci-heading")
    assert 'href="#naleznosci"' in html  # the contents list
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-store" in response["Cache-Control"]
    )


def test_a_hook_that_returns_none_adds_no_section(rf):
    request = rf.get("/konto/")
    request.user = f.user()
    before = len(account_panels(request))
    with hooks.register_temporarily(ACCOUNT_PANEL_HOOK, lambda request: None):
        assert len(account_panels(request)) == before
