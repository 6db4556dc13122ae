"""A SAML 2.0 identity provider on loopback, played by pysaml2 (as AD FS or Keycloak would be).

``GET /idp/sso/redirect`` takes an HTTP-Redirect AuthnRequest, "signs in" ``idp.identity`` and
answers pysaml2's HTTP-POST form (signed Response and Assertion, RSA-SHA256) to the SP's ACS;
the test (or the browser) submits it. ``GET /idp/metadata`` serves the IdP's metadata.

Keys and a self-signed certificate are generated at start-up with ``cryptography``; pysaml2
signs with Debian's ``xmlsec1``. Knobs: ``identity`` (e-mail and attributes) and
``sign_assertion``/``sign_response`` and ``sign_alg`` (RSA-SHA256, or the deprecated RSA-SHA1).
"""

from __future__ import annotations

import html
import re
import shutil
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server

XMLSEC1 = shutil.which("xmlsec1")
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"


def make_rsa_identity(common_name: str) -> tuple[bytes, bytes]:
    """A 2048-bit RSA key and a self-signed certificate (PEM), valid from an hour ago."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return key_pem, cert.public_bytes(serialization.Encoding.PEM)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class FakeSamlIdp:
    def __init__(
        self,
        sp_metadata: str,
        name: str = "fake-idp",
        *,
        impersonate: FakeSamlIdp | None = None,
    ) -> None:
        """``impersonate``: claim another fake's entity id and addresses, with our own key."""
        if XMLSEC1 is None:
            raise RuntimeError("the fake IdP needs xmlsec1 (apt-get install xmlsec1)")
        self.sp_metadata = sp_metadata
        self.name = name
        self.workdir = Path(tempfile.mkdtemp(prefix="fake-saml-idp-"))
        key_pem, cert_pem = make_rsa_identity(name)
        (self.workdir / "idp-key.pem").write_bytes(key_pem)
        (self.workdir / "idp-cert.pem").write_bytes(cert_pem)
        self.identity = {"email": "admin@przykladowo.example"}
        self.sign_assertion = True
        self.sign_response = True
        self.sign_alg = RSA_SHA256
        self._server = make_server(
            "127.0.0.1", 0, self.app, server_class=WSGIServer, handler_class=_QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._impersonated = impersonate
        self.saml = Server(config=IdPConfig().load(self._config()))

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def entity_id(self) -> str:
        if self._impersonated is not None:
            return self._impersonated.entity_id
        return f"{self.base_url}/idp/metadata"

    @property
    def sso_url(self) -> str:
        if self._impersonated is not None:
            return self._impersonated.sso_url
        return f"{self.base_url}/idp/sso/redirect"

    def _config(self) -> dict:
        return {
            "entityid": self.entity_id,
            "service": {
                "idp": {
                    "name": self.name,
                    "endpoints": {
                        "single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)],
                    },
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    "want_authn_requests_signed": False,
                    "policy": {
                        "default": {
                            "lifetime": {"minutes": 5},
                            "attribute_restrictions": None,
                            "name_form": NAME_FORMAT_URI,
                        }
                    },
                }
            },
            "key_file": str(self.workdir / "idp-key.pem"),
            "cert_file": str(self.workdir / "idp-cert.pem"),
            "metadata": {"inline": [self.sp_metadata]},
            "xmlsec_binary": XMLSEC1,
        }

    def metadata(self) -> str:
        xml = create_metadata_string(None, config=self.saml.config, valid=24)
        return xml.decode() if isinstance(xml, bytes) else xml

    def metadata_file(self) -> Path:
        path = self.workdir / "idp-metadata.xml"
        path.write_text(self.metadata())
        return path

    def start(self) -> FakeSamlIdp:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for serve_forever, which may not run
            self._server.shutdown()
        self._server.server_close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- HTTP -------------------------------------------------------------------------------

    def app(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/idp/metadata":
            start_response("200 OK", [("Content-Type", "application/samlmetadata+xml")])
            return [self.metadata().encode()]
        if path == "/idp/sso/redirect":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            page = self.answer(query["SAMLRequest"][0], query.get("RelayState", [""])[0])
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [page.encode()]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    def answer(self, saml_request: str, relay_state: str) -> str:
        """The HTML form pysaml2 makes to post a signed Response for ``identity`` to the ACS."""
        request = self.saml.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
        sp_entity_id = request.message.issuer.text
        _binding, destination = self.saml.pick_binding(
            "assertion_consumer_service", entity_id=sp_entity_id, request=request.message
        )
        identity = {key: [value] for key, value in self.identity.items()}
        response = self.saml.create_authn_response(
            identity,
            in_response_to=request.message.id,
            destination=destination,
            sp_entity_id=sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=self.identity["email"]),
            authn={
                "class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            },
            sign_response=self.sign_response,
            sign_assertion=self.sign_assertion,
            sign_alg=self.sign_alg,
            digest_alg=SHA256 if self.sign_alg == RSA_SHA256 else SHA1,
        )
        http_args = self.saml.apply_binding(
            BINDING_HTTP_POST, str(response), destination, relay_state, response=True
        )
        return http_args["data"]


FORM_FIELD = re.compile(r'name="(SAMLResponse|RelayState)" value="([^"]*)"')
FORM_ACTION = re.compile(r'action="([^"]+)"')


def read_post_form(page: str) -> tuple[str, dict[str, str]]:
    """The action and the fields of the auto-submitting form pysaml2 answered."""
    action = html.unescape(FORM_ACTION.search(page).group(1))
    return action, {name: html.unescape(value) for name, value in FORM_FIELD.findall(page)}
