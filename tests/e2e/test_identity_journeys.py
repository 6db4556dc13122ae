"""Identity journeys in a real browser:

* Profil Zaufany: a resident presses "Przejdź do login.gov.pl" on the login page; the fake
  login.gov.pl node (tests/fakes/login_gov_pl.py, real keys and signatures) answers with an
  artifact, the portal resolves it over SOAP, logs the resident in and — with
  PROFIL_ZAUFANY_AUTO_LINK on — links the one demo taxpayer carrying the asserted PESEL, so the
  resident lands on that taxpayer's dues.
* Linking at the office: a resident with no linked records files a link request (a bad PESEL is
  explained first), a clerk (password + TOTP) approves it in the Wagtail admin, and the resident
  then sees the taxpayer's dues. axe-core finds no WCAG 2.1 A/AA violation on the request pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Page, expect

from eservices import access
from eservices.dues import dues
from eservices.identity.config import LOA_SUBSTANTIAL
from eservices.models import AccountLink, ExternalIdentity, LinkRequest
from eservices.templatetags.eservices_tags import format_money
from tests.e2e.conftest import LiveSite, django_sync, ui_text
from tests.e2e.test_surveys_journeys import staff_log_in
from tests.fakes.login_gov_pl import FakeLoginGovPl, cert_pem, key_pem, make_ec_identity

pytestmark = pytest.mark.e2e

SP_KEY, SP_CERT = make_ec_identity("gmina-e-uslugi SP (e2e)")
CLERK = ("urzednik@przykladowo.example", "Demo-Urzednik-2026")
RESIDENT = ("anna.kowalska@example.pl", "kwiat-lipa-rzeka-42")
ANNA_PESEL = "02070803628"  # demo taxpayer SIGID-10002, co-owner of the Kowalskis' property
ANNA_ID = "SIGID-10002"


def to_pay_today(user, taxpayer) -> str:
    """What `eservices.dues` says ``user`` sees for ``taxpayer`` today, as the page prints it."""
    result = dues(access.ledgers_for(user, taxpayer), timezone.localdate())
    assert result.to_pay_today > 0  # the demo data gives both taxpayers something to pay
    return format_money(result.to_pay_today, language="pl")


@pytest.fixture
def node(live_site: LiveSite, settings) -> Iterator[FakeLoginGovPl]:
    """The fake node, and the portal configured as its SP at the live server's address."""
    fake = FakeLoginGovPl(SP_CERT).start()
    settings.LOGIN_GOV_PL = {
        "SP_ENTITY_ID": live_site("/konto/login-gov-pl/"),
        "ACS_URL": live_site("/konto/login-gov-pl/acs/"),
        "SP_KEY": key_pem(SP_KEY),
        "SP_CERT": cert_pem(SP_CERT),
        "IDP_ENTITY_ID": fake.entity_id,
        "SSO_URL": fake.sso_url,
        "ARS_URL": fake.ars_url,
        "SLO_URL": fake.slo_url,
        "IDP_CERT": cert_pem(fake.cert),
        "REQUIRED_LOA": LOA_SUBSTANTIAL,
        "HTTP_TIMEOUT_SECONDS": 5,
    }
    settings.PROFIL_ZAUFANY_AUTO_LINK = True
    yield fake
    fake.stop()


def test_profil_zaufany_login_links_the_taxpayer_and_shows_the_dues(
    page: Page, node: FakeLoginGovPl, live_site: LiveSite
):
    page.goto("/moje-naleznosci/")
    expect(page).to_have_url(re.compile(r"/konto/logowanie/\?next=/moje-naleznosci/$"))
    # The hand-over page submits itself to the node, which redirects back with an artifact.
    page.get_by_role("button", name=ui_text("Continue to login.gov.pl")).click()
    expect(page).to_have_url(re.compile(r"/moje-naleznosci/\d+/$"))
    expect(page.locator("h1")).to_have_text(ui_text("My dues"))
    expect(page.locator(".acting")).to_contain_text("Jan Kowalski")

    assert node.errors == []
    assert node.authn_requests[-1]["acs_url"] == live_site("/konto/login-gov-pl/acs/")
    with django_sync():
        identity = ExternalIdentity.objects.select_related("user").get()
        user = identity.user
        assert identity.pesel == FakeLoginGovPl.DEFAULT_IDENTITY["PersonIdentifier"]
        link = AccountLink.objects.active().get(user=user)
        assert link.method == AccountLink.Method.PROFIL_ZAUFANY
        assert link.taxpayer.external_id == "SIGID-10001"
        amount = to_pay_today(user, link.taxpayer)
    expect(page.locator(".figure--main .figure__amount")).to_have_text(amount)


def test_link_request_approved_by_a_clerk_shows_the_dues(page: Page, axe, live_site: LiveSite):
    email, password = RESIDENT
    with django_sync():
        resident = get_user_model().objects.create_user(
            email, password, first_name="Anna", last_name="Kowalska"
        )
    page.goto("/konto/logowanie/?next=/konto/powiazania/nowe/")
    page.get_by_label(ui_text("Email address")).fill(email)
    page.get_by_label(ui_text("Password"), exact=True).fill(password)
    page.locator("main").get_by_role("button", name=ui_text("Log in"), exact=True).click()
    expect(page.locator("h1")).to_have_text(ui_text("Ask to link your account to your records"))

    # A PESEL with a wrong check digit is explained on its field; nothing is filed.
    page.get_by_label(ui_text("myself, a natural person")).check()
    expect(page.get_by_label(ui_text("Payer's name"))).to_have_value("Anna Kowalska")
    pesel = page.get_by_label(ui_text("PESEL (person) or NIP (company or institution)"))
    pesel.fill(ANNA_PESEL[:-1] + "9")
    page.get_by_role("button", name=ui_text("File the request")).click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(pesel).to_have_attribute("aria-invalid", "true")
    axe(page)
    with django_sync():
        assert not LinkRequest.objects.filter(user=resident).exists()

    pesel.fill(ANNA_PESEL)
    page.get_by_role("button", name=ui_text("File the request")).click()
    expect(page).to_have_url(re.compile(r"/konto/powiazania/PW-[A-Z0-9-]+/$"))
    with django_sync():
        code = LinkRequest.objects.get(user=resident).code
    expect(page.locator("h1")).to_contain_text(code)
    expect(page.locator(".summary-list")).to_contain_text(ui_text("Waiting for the office"))
    axe(page)

    # The clerk, in a browser of their own, finds the request and links the taxpayer.
    clerk_context = page.context.browser.new_context(base_url=live_site.url, locale="pl-PL")
    try:
        clerk = clerk_context.new_page()
        staff_log_in(clerk, *CLERK)
        clerk.get_by_role("button", name=ui_text("Residents")).click()
        clerk.get_by_role("link", name=ui_text("Link requests")).click()
        clerk.get_by_role("link", name=code).click()
        expect(clerk.locator("main")).to_contain_text(f"{ANNA_ID} – Anna Kowalska")
        clerk.locator("#id_taxpayers").fill(ANNA_ID)
        clerk.get_by_role("button", name=ui_text("Approve and link")).click()
        expect(clerk.locator(".messages")).to_contain_text(ui_text("The account has been linked."))
    finally:
        clerk_context.close()

    page.goto("/konto/")
    page.locator("#naleznosci").get_by_role("link", name=ui_text("My dues")).click()
    expect(page).to_have_url(re.compile(r"/moje-naleznosci/\d+/$"))
    expect(page.locator(".acting")).to_contain_text("Anna Kowalska")
    with django_sync():
        link = AccountLink.objects.active().select_related("taxpayer").get(user=resident)
        assert link.taxpayer.external_id == ANNA_ID
        amount = to_pay_today(resident, link.taxpayer)
    expect(page.locator(".figure--main .figure__amount")).to_have_text(amount)
