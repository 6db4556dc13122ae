"""login.gov.pl (Profil Zaufany) end to end against the fake node on loopback.

Nothing is mocked: the browser side runs through Django's test client, the node is a real HTTP
server (tests/fakes/login_gov_pl.py) with its own keys, and the SP resolves artifacts over HTTP.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache

from eservices import crypto
from eservices.identity import saml
from eservices.identity.config import LOA_LOW, LOA_SUBSTANTIAL, get_config
from eservices.models import AccountEvent, AccountLink, ExternalIdentity, User
from tests.eservices import factories
from tests.fakes.login_gov_pl import (
    FakeLoginGovPl,
    cert_pem,
    key_pem,
    length_prefixed_hex,
    make_ec_identity,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.eservices.urls_login_gov_pl")]

SP_KEY, SP_CERT = make_ec_identity("gmina-e-uslugi SP (test)")
SP_ENTITY_ID = "http://testserver/sp"
ACS_URL = "http://testserver/login-gov-pl/acs/"
START_URL = "/login-gov-pl/"
PESEL = FakeLoginGovPl.DEFAULT_IDENTITY["PersonIdentifier"]


@pytest.fixture(scope="module")
def node():
    fake = FakeLoginGovPl(SP_CERT).start()
    yield fake
    fake.stop()


@pytest.fixture
def wk(node, settings):
    node.reset()
    node.errors.clear()
    settings.LOGIN_GOV_PL = {
        "SP_ENTITY_ID": SP_ENTITY_ID,
        "ACS_URL": ACS_URL,
        "SP_KEY": key_pem(SP_KEY),
        "SP_CERT": cert_pem(SP_CERT),
        "IDP_ENTITY_ID": node.entity_id,
        "SSO_URL": node.sso_url,
        "ARS_URL": node.ars_url,
        "SLO_URL": node.slo_url,
        "IDP_CERT": cert_pem(node.cert),
        "REQUIRED_LOA": LOA_SUBSTANTIAL,
        "HTTP_TIMEOUT_SECONDS": 5,
    }
    settings.PROFIL_ZAUFANY_AUTO_LINK = False
    cache.clear()
    return node


def start(client, next_url: str | None = None) -> tuple[str, dict[str, str]]:
    response = client.get(START_URL, {"next": next_url} if next_url else {})
    assert response.status_code == 200
    page = response.content.decode()
    action = html.unescape(re.search(r'<form id="login-gov-pl-form"[^>]*action="([^"]+)"', page)[1])
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(r'name="(SAMLRequest|RelayState)" value="([^"]*)"', page)
    }
    return action, fields


def at_node(action: str, fields: dict[str, str]) -> str:
    """The browser POSTs the form to the node, which answers with a redirect to the ACS."""
    answer = requests.post(action, data=fields, allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def back_at_acs(client, location: str):
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == ACS_URL
    return client.get(f"{parts.path}?{parts.query}")


def login(client, next_url: str | None = None):
    return back_at_acs(client, at_node(*start(client, next_url)))


@pytest.fixture(autouse=True)
def english(settings):
    """The assertions read the English messages. These URLs sit outside the language prefix,
    where the portal always speaks its default language: make that English here."""
    settings.LANGUAGE_CODE = "en"


def assert_refused(response, text: str) -> None:
    assert response.status_code == 400
    assert text in response.content.decode()
    assert SESSION_KEY not in response.client.session
    assert not User.objects.exists()
    assert not ExternalIdentity.objects.exists()


# --- Happy path ------------------------------------------------------------------------------


@pytest.mark.parametrize("cek_bytes", [16, 32], ids=["128-bit-cek", "256-bit-cek"])
def test_happy_path_creates_account_and_logs_in(client, wk, cek_bytes):
    wk.cek_bytes = cek_bytes
    client.get(START_URL)
    anonymous_key = client.session.session_key

    response = login(client)

    assert response.status_code == 302, response.content
    assert response["Location"] == "/moje-naleznosci/"
    assert wk.errors == []
    user = User.objects.get()
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session.session_key != anonymous_key  # new session on login
    assert client.session["login_method"] == "profil_zaufany"
    assert client.session["login_gov_pl_slo"]["session_index"]
    assert (user.first_name, user.last_name, user.kind) == ("JAN MARIA", "KOWALSKI", "person")
    assert not user.has_usable_password()
    identity = ExternalIdentity.objects.get()
    assert identity.user == user
    assert identity.provider == "wk"
    assert identity.pesel == PESEL
    assert identity.subject == crypto.blind_index(PESEL)
    assert PESEL not in identity.pesel_encrypted
    sent = wk.authn_requests[-1]
    assert sent["force_authn"] == "true"
    assert sent["binding"] == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"
    assert sent["requested_loa"] == LOA_SUBSTANTIAL
    assert sent["acs_url"] == ACS_URL
    # The resident's activity log names the method.
    event = AccountEvent.objects.get(user=user, kind="login")
    assert event.method == "profil_zaufany"


def test_login_page_button_posts_to_the_start(client, wk):
    # (The login page's form is checked in test_registration.py.)
    response = client.post(START_URL, {"next": "/moje-naleznosci/wybierz/"})
    assert response.status_code == 200
    assert f'action="{wk.sso_url}"' in response.content.decode()
    pending = client.session["login_gov_pl_pending"]
    assert [entry["next"] for entry in pending.values()] == ["/moje-naleznosci/wybierz/"]


def test_second_login_reuses_the_account_and_honours_next(client, wk):
    login(client)
    client.logout()
    response = login(client, next_url="/moje-naleznosci/wybierz/")
    assert response.status_code == 302
    assert response["Location"] == "/moje-naleznosci/wybierz/"
    assert User.objects.count() == 1
    assert ExternalIdentity.objects.count() == 1


def test_external_next_is_ignored(client, wk):
    response = login(client, next_url="https://evil.example/")
    assert response["Location"] == "/moje-naleznosci/"


def test_start_page_works_without_javascript(client, wk):
    response = client.get(START_URL)
    page = response.content.decode()
    assert f'action="{wk.sso_url}"' in page
    assert '<button type="submit"' in page
    assert "autosubmit.js" in page
    assert wk.base_url in response["Content-Security-Policy"]
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


# --- Refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["artifact_response", "response", "assertion"])
def test_tampered_signature_is_refused(client, wk, level, caplog):
    wk.tamper = level
    response = login(client)
    assert_refused(response, "could not be verified")
    assert "signature" in caplog.text


def test_wrong_certificate_is_refused(client, wk, caplog):
    wk.wrong_key = True
    response = login(client)
    assert_refused(response, "could not be verified")
    assert "signature" in caplog.text


def test_unsigned_assertion_is_refused(client, wk, caplog):
    wk.sign_assertion = False
    response = login(client)
    assert_refused(response, "could not be verified")
    assert "unsigned" in caplog.text


def test_replayed_artifact_is_refused(client, wk, caplog):
    location = at_node(*start(client))
    assert back_at_acs(client, location).status_code == 302
    user = User.objects.get()
    start(client)  # a new login is pending; the old artifact must still not work
    response = back_at_acs(client, location)
    assert response.status_code == 400
    assert "already been used" in response.content.decode()
    assert "replay" in caplog.text
    assert User.objects.get() == user


def test_artifact_from_another_browser_is_refused(client, wk, django_user_model):
    from django.test import Client

    location = at_node(*start(client))
    response = back_at_acs(Client(), location)
    assert_refused(response, "not started in this browser")


def test_unknown_in_response_to_is_refused(client, wk, caplog):
    wk.in_response_to = "_someone-elses-request"
    response = login(client)
    assert_refused(response, "not started in this browser")
    assert "in_response_to" in caplog.text


def test_expired_assertion_is_refused(client, wk, caplog):
    wk.expired = True
    response = login(client)
    assert_refused(response, "has expired")
    assert "expired" in caplog.text


def test_too_low_loa_is_refused(client, wk, caplog):
    wk.loa = LOA_LOW
    response = login(client)
    assert_refused(response, "level of assurance")
    assert "loa" in caplog.text


def test_node_failure_status_is_shown(client, wk):
    wk.status = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
    response = login(client)
    assert_refused(response, "cancelled or did not succeed")


def test_unreachable_node(client, wk, settings):
    action, fields = start(client)
    location = at_node(action, fields)
    settings.LOGIN_GOV_PL = {**settings.LOGIN_GOV_PL, "ARS_URL": "http://127.0.0.1:9/ars"}
    response = back_at_acs(client, location)
    assert response.status_code == 502
    assert SESSION_KEY not in client.session


def test_relay_state_must_match(client, wk):
    action, fields = start(client)
    location = at_node(action, {**fields, "RelayState": "forged"})
    assert_refused(back_at_acs(client, location), "not started in this browser")


def test_polish_message(client, wk):
    wk.loa = LOA_LOW
    client.cookies["django_language"] = "pl"
    response = login(client)
    assert response.status_code == 400


# --- Auto-linking ----------------------------------------------------------------------------


def test_auto_link_one_taxpayer(client, wk, settings):
    settings.PROFIL_ZAUFANY_AUTO_LINK = True
    taxpayer = factories.taxpayer(pesel=PESEL)
    login(client)
    link = AccountLink.objects.get()
    assert link.taxpayer == taxpayer
    assert link.method == AccountLink.Method.PROFIL_ZAUFANY
    client.logout()
    login(client)  # no second link
    assert AccountLink.objects.count() == 1


def test_auto_link_off(client, wk):
    factories.taxpayer(pesel=PESEL)
    login(client)
    assert not AccountLink.objects.exists()


def test_auto_link_two_taxpayers_links_none(client, wk, settings):
    settings.PROFIL_ZAUFANY_AUTO_LINK = True
    factories.taxpayer(pesel=PESEL)
    factories.taxpayer(pesel=PESEL)
    response = login(client)
    assert response.status_code == 302
    assert not AccountLink.objects.exists()


# --- Logout ----------------------------------------------------------------------------------


def test_logout_round_trip(client, wk):
    login(client)
    slo = client.session["login_gov_pl_slo"]
    response = client.post("/login-gov-pl/wyloguj/")
    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    sent = wk.logout_requests[-1]
    assert sent["name_id"] == slo["name_id"]
    assert sent["session_index"] == slo["session_index"]
    assert "did not confirm" not in response.content.decode()


def test_logout_with_bad_node_signature_still_logs_out_here(client, wk, caplog):
    login(client)
    wk.tamper_logout = True
    response = client.post("/login-gov-pl/wyloguj/")
    assert SESSION_KEY not in client.session
    assert "did not confirm" in response.content.decode()
    assert "single logout failed" in caplog.text


# --- Units -----------------------------------------------------------------------------------


def test_parser_refuses_doctype_and_entities():
    evil = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    with pytest.raises(saml.SamlError):
        saml.parse_xml(evil)


def test_concat_kdf_otherinfo_vector_t27():
    """T27: len‖kw-aes256 ‖ len‖int.login.gov.pl ‖ len‖SP issuer, 4-byte big-endian lengths."""
    from lxml import etree

    params = etree.Element(
        "p",
        AlgorithmID=length_prefixed_hex(b"http://www.w3.org/2001/04/xmlenc#kw-aes256"),
        PartyUInfo=length_prefixed_hex(b"int.login.gov.pl"),
        PartyVInfo=length_prefixed_hex(SP_ENTITY_ID.encode()),
    )
    expected = (
        b"\x00\x00\x00\x2a"
        + b"http://www.w3.org/2001/04/xmlenc#kw-aes256"
        + b"\x00\x00\x00\x10"
        + b"int.login.gov.pl"
        + len(SP_ENTITY_ID).to_bytes(4, "big")
        + SP_ENTITY_ID.encode()
    )
    assert saml._concat_kdf_otherinfo(params) == expected


def test_artifact_from_another_issuer_is_refused(wk):
    other = FakeLoginGovPl(SP_CERT, entity_id="login.example")
    with pytest.raises(saml.SamlError) as info:
        saml.check_artifact(get_config(), other.new_artifact())
    assert info.value.code == "artifact"


# --- Message level: wrapping and profile details ---------------------------------------------


def resolved_soap(client, node) -> tuple[bytes, str, str]:
    """Do the browser part, then resolve the artifact by hand over real HTTP."""
    from eservices.identity import client as wk_client

    location = at_node(*start(client))
    artifact = dict(p.split("=", 1) for p in urlsplit(location).query.split("&"))["SAMLart"]
    from urllib.parse import unquote

    cfg = get_config()
    resolve = saml.build_artifact_resolve(cfg, unquote(artifact))
    answer = wk_client.resolve_artifact(cfg, resolve.xml)
    return answer, resolve.id, node.authn_requests[-1]["request_id"]


def test_resolved_message_parses(client, wk):
    soap, resolve_id, request_id = resolved_soap(client, wk)
    identity, answered = saml.parse_artifact_response(
        get_config(), soap, resolve_id=resolve_id, expected_request_ids={request_id}
    )
    assert answered == request_id
    assert identity.pesel == PESEL
    assert identity.date_of_birth.isoformat() == "1944-05-14"
    assert PESEL not in repr(identity)


def test_signature_wrapping_is_refused(client, wk):
    """A forged Response next to the signed one, reusing its ID, must not be read."""
    from copy import deepcopy

    from lxml import etree

    soap, resolve_id, request_id = resolved_soap(client, wk)
    envelope = etree.fromstring(soap)
    outer = envelope.find(".//saml2p:ArtifactResponse", saml.NS)
    genuine = outer.find("saml2p:Response", saml.NS)
    forged = deepcopy(genuine)
    forged.remove(forged.find("ds:Signature", saml.NS))
    outer.insert(list(outer).index(genuine), forged)
    with pytest.raises(saml.SamlError) as info:
        saml.parse_artifact_response(
            get_config(),
            etree.tostring(envelope),
            resolve_id=resolve_id,
            expected_request_ids={request_id},
        )
    assert info.value.code == "signature"


def test_unsigned_outer_level_is_refused(client, wk):
    from lxml import etree

    soap, resolve_id, request_id = resolved_soap(client, wk)
    envelope = etree.fromstring(soap)
    outer = envelope.find(".//saml2p:ArtifactResponse", saml.NS)
    outer.remove(outer.find("ds:Signature", saml.NS))
    with pytest.raises(saml.SamlError) as info:
        saml.parse_artifact_response(
            get_config(),
            etree.tostring(envelope),
            resolve_id=resolve_id,
            expected_request_ids={request_id},
        )
    assert info.value.code == "unsigned"


def test_artifact_response_must_answer_our_resolve(client, wk):
    soap, _resolve_id, request_id = resolved_soap(client, wk)
    with pytest.raises(saml.SamlError) as info:
        saml.parse_artifact_response(
            get_config(), soap, resolve_id="_other", expected_request_ids={request_id}
        )
    assert info.value.code == "in_response_to"


def test_authn_request_follows_the_profile(wk):
    from lxml import etree

    request = saml.build_authn_request(get_config())
    root = etree.fromstring(request.xml)
    children = [child.tag for child in root]
    assert children[:2] == [saml.q(saml.SAML, "Issuer"), saml.q(saml.DS, "Signature")]
    signature = root.find("ds:Signature", saml.NS)
    assert (
        signature.find(".//ds:SignatureMethod", saml.NS).get("Algorithm")
        == "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    )
    assert (
        signature.find(".//ds:CanonicalizationMethod", saml.NS).get("Algorithm")
        == "http://www.w3.org/2001/10/xml-exc-c14n#"
    )
    assert signature.find(".//ds:Reference", saml.NS).get("URI") == "#" + request.id
    assert root.get("ForceAuthn") == "true"
    assert root.find("saml2p:Extensions/eidas:SPType", saml.NS).text == "public"
    assert root.find("saml2p:RequestedAuthnContext", saml.NS).get("Comparison") == "minimum"
    assert len(root.findall(".//eidas:RequestedAttribute", saml.NS)) == 4
