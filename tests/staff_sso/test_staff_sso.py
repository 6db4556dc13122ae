"""Staff single sign-on against a real SAML IdP (pysaml2) on loopback.

The production code (python3-saml, our views) does everything it does in production: the IdP's
metadata is read from its URL, the AuthnRequest goes by HTTP-Redirect, pysaml2 signs the
Response and the Assertion, the ACS validates them and the staff account is signed in — and
still asked for its second factor.
"""

from __future__ import annotations

import base64
import shutil
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from eservices.roles import CLERKS
from tests.fakes.saml_idp import RSA_SHA1, FakeSamlIdp, read_post_form

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("xmlsec1") is None, reason="pysaml2 needs xmlsec1"),
]

SSO_PATH = "/admin/sso/"


def sp_metadata(settings) -> str:
    from eservices.staff_sso.config import saml_settings

    return saml_settings().get_sp_metadata()


BASE_URL = "https://e-uslugi.przykladowo.example"


@pytest.fixture
def sso_settings(settings):
    # python3-saml wants a real-looking host in the ACS URL ("testserver" has no domain).
    settings.PORTAL_BASE_URL = BASE_URL
    settings.STAFF_SSO = {**settings.STAFF_SSO, "ENABLED": True, "IDP_METADATA": ""}
    return settings


def start_idp(settings, name: str = "fake-idp") -> FakeSamlIdp:
    # The SP metadata does not depend on the IdP, so a placeholder IdP file bootstraps it.
    bootstrap = FakeSamlIdp("<EntityDescriptor/>", name="bootstrap")
    try:
        settings.STAFF_SSO = {**settings.STAFF_SSO, "IDP_METADATA": bootstrap.metadata()}
        metadata = sp_metadata(settings)
    finally:
        bootstrap.stop()
    return FakeSamlIdp(metadata, name=name).start()


@pytest.fixture
def idp(sso_settings):
    idp = start_idp(sso_settings)
    # Remote metadata, as an office would configure it (fetched over HTTP, then cached).
    sso_settings.STAFF_SSO = {**sso_settings.STAFF_SSO, "IDP_METADATA": idp.entity_id}
    cache.clear()
    yield idp
    idp.stop()
    cache.clear()


@pytest.fixture
def clerk(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("Urzednik@Przykladowo.example", "x" * 16)
    user.groups.add(Group.objects.get(name=CLERKS))
    return user


def start_login(client: Client, next_url: str = "") -> str:
    """Ask for the login; return the IdP URL the portal redirects to."""
    response = client.get(SSO_PATH + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302
    return response["Location"]


def idp_answer(idp: FakeSamlIdp, location: str) -> tuple[str, dict[str, str]]:
    import requests

    page = requests.get(location, timeout=10)
    assert page.status_code == 200, page.text
    return read_post_form(page.text)


def post_to_acs(client: Client, action: str, fields: dict[str, str]):
    path = urlsplit(action).path
    assert path == reverse("staff_sso:acs")
    return Client().post(path, fields)  # the IdP posts cross-site: no session cookie


def full_login(client: Client, idp: FakeSamlIdp, next_url: str = ""):
    action, fields = idp_answer(idp, start_login(client, next_url))
    response = post_to_acs(client, action, fields)
    assert response.status_code == 302, response.content
    return client.get(response["Location"])


def test_staff_member_signs_in_and_is_then_asked_for_the_second_factor(client, idp, clerk):
    idp.identity = {"email": "urzednik@przykladowo.example"}  # the case differs from the account
    response = full_login(client, idp, next_url="/admin/pages/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/pages/"
    assert client.session["_auth_user_id"] == str(clerk.pk)
    # Single sign-on replaced the password, not the second factor: this clerk has no TOTP yet,
    # so the admin sends them to enrol before anything else.
    admin = client.get("/admin/pages/")
    assert admin.status_code == 302
    assert admin["Location"].startswith(reverse("staff_security:enrol"))


def test_the_request_goes_to_the_idp_from_its_metadata_with_a_one_time_relay_state(client, idp):
    location = start_login(client)
    assert location.startswith(f"{idp.base_url}/idp/sso/redirect?SAMLRequest=")
    assert "RelayState=" in location


def test_an_identity_without_a_staff_account_is_refused_and_nothing_is_created(
    client, idp, django_user_model
):
    idp.identity = {"email": "nieznany@przykladowo.example"}
    before = django_user_model.objects.count()
    response = full_login(client, idp)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session
    assert django_user_model.objects.count() == before


def test_a_resident_with_the_same_address_is_not_a_staff_account(client, idp, django_user_model):
    django_user_model.objects.create_user("mieszkaniec@przykladowo.example", "x" * 16)
    idp.identity = {"email": "mieszkaniec@przykladowo.example"}
    assert full_login(client, idp).status_code == 403
    assert "_auth_user_id" not in client.session


def test_a_replayed_response_is_refused(client, idp, clerk):
    idp.identity = {"email": clerk.email}
    action, fields = idp_answer(idp, start_login(client))
    assert post_to_acs(client, action, fields).status_code == 302
    assert post_to_acs(client, action, fields).status_code == 400


def test_a_tampered_assertion_is_refused(client, idp, clerk, django_user_model):
    other = django_user_model.objects.create_user("inny@przykladowo.example", "x" * 16)
    other.is_superuser = True
    other.save()
    idp.identity = {"email": clerk.email}
    action, fields = idp_answer(idp, start_login(client))
    xml = base64.b64decode(fields["SAMLResponse"]).decode()
    assert clerk.email in xml
    fields["SAMLResponse"] = base64.b64encode(
        xml.replace(clerk.email, other.email).encode()
    ).decode()
    assert post_to_acs(client, action, fields).status_code == 400


def test_a_response_signed_by_another_idp_is_refused(client, idp, clerk, sso_settings):
    # Same entity id and addresses as the trusted IdP, but a key the metadata does not hold.
    impostor = FakeSamlIdp(idp.sp_metadata, name="impostor", impersonate=idp)
    impostor.start()
    try:
        impostor.identity = {"email": clerk.email}
        location = start_login(client).replace(idp.base_url, impostor.base_url)
        action, fields = idp_answer(impostor, location)
        assert post_to_acs(client, action, fields).status_code == 400
    finally:
        impostor.stop()


def test_an_unsigned_assertion_is_refused(client, idp, clerk):
    idp.identity = {"email": clerk.email}
    idp.sign_assertion = idp.sign_response = False
    action, fields = idp_answer(idp, start_login(client))
    assert post_to_acs(client, action, fields).status_code == 400


def test_a_response_signed_with_sha1_is_refused(client, idp, clerk):
    idp.identity = {"email": clerk.email}
    idp.sign_alg = RSA_SHA1
    action, fields = idp_answer(idp, start_login(client))
    assert post_to_acs(client, action, fields).status_code == 400


def test_a_response_completed_in_another_browser_is_refused(client, idp, clerk):
    idp.identity = {"email": clerk.email}
    action, fields = idp_answer(idp, start_login(client))
    response = post_to_acs(client, action, fields)
    other_browser = Client()
    assert other_browser.get(response["Location"]).status_code == 400
    assert "_auth_user_id" not in other_browser.session
    # …and the outcome is gone: the rightful browser cannot reuse it either.
    assert client.get(response["Location"]).status_code == 400


def test_an_unknown_relay_state_is_refused(client, idp, clerk):
    idp.identity = {"email": clerk.email}
    action, fields = idp_answer(idp, start_login(client))
    fields["RelayState"] = "forged"
    assert post_to_acs(client, action, fields).status_code == 400


def test_an_outside_next_address_is_replaced_by_the_admin_home(client, idp, clerk):
    idp.identity = {"email": clerk.email}
    response = full_login(client, idp, next_url="https://evil.example/")
    assert response["Location"] == reverse("wagtailadmin_home")


def test_sp_metadata_names_our_acs(client, idp):
    response = client.get(reverse("staff_sso:metadata"))
    assert response.status_code == 200
    assert f"{BASE_URL}/admin/sso/acs/".encode() in response.content


def test_sign_in_page_offers_single_sign_on_only_when_enabled(client, settings):
    settings.STAFF_SSO = {**settings.STAFF_SSO, "ENABLED": False}
    assert SSO_PATH.encode() not in client.get(reverse("wagtailadmin_login")).content
    assert client.get(SSO_PATH).status_code == 404
    settings.STAFF_SSO = {**settings.STAFF_SSO, "ENABLED": True}
    assert SSO_PATH.encode() in client.get(reverse("wagtailadmin_login")).content
