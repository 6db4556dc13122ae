"""A fake login.gov.pl node (Węzeł Krajowy) on loopback, with real cryptography.

It plays the node's side of the profile in PROTOCOLS.md §7:

* ``POST /login/SingleSignOnService`` takes the HTTP-POST AuthnRequest, verifies its ECDSA
  signature with the SP certificate, "logs in" ``node.identity`` and redirects the browser to the
  ACS with a type-4 ``SAMLart`` (the caller follows the ``Location``);
* ``POST /login-services/idpArtifactResolutionService`` takes the signed SOAP ArtifactResolve,
  answers once per artifact with a signed ArtifactResponse holding a signed Response holding an
  EncryptedAssertion (the Assertion itself signed, then ECDH-ES + ConcatKDF + AES-KW + AES-GCM);
* ``POST /login-services/singleLogoutService`` takes a signed SOAP LogoutRequest and answers a
  signed LogoutResponse.

Its keys and certificates are generated at start-up with ``cryptography``. Knobs (attributes, see
:meth:`FakeLoginGovPl.reset`) make it misbehave for the tests.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import struct
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
    SignatureReference,
    XMLSigner,
    XMLVerifier,
)

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DSIG11 = "http://www.w3.org/2009/xmldsig11#"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
NS = {"saml2p": SAMLP, "saml2": SAML, "ds": DS, "soap": SOAP}
SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
ATTR = "http://eidas.europa.eu/attributes/naturalperson/"
KW_AES256 = XENC + "kw-aes256"
INCLUSIVE_PREFIXES = ["ds", "saml2", "saml2p", "xenc"]

PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def make_ec_identity(common_name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A P-256 key and a self-signed certificate valid from an hour ago for a year."""
    key = ec.generate_private_key(ec.SECP256R1())
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
    return key, cert


def key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def sign(element, key, cert):
    """Enveloped ECDSA-SHA256, exclusive C14N, right after Issuer (as the node does)."""
    issuer = element.find("saml2:Issuer", NS)
    placeholder = etree.Element(q(DS, "Signature"), {"Id": "placeholder"}, nsmap={"ds": DS})
    issuer.addnext(placeholder)
    signer = XMLSigner(
        signature_algorithm=SignatureMethod.ECDSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signer.namespaces = {"ds": DS}
    # The node's PrefixList goes on SignedInfo's CanonicalizationMethod. signxml 5.2.0 cannot
    # put it on an enveloped reference: it applies the prefixes to the digest but never writes
    # them into the reference's Transform, so the signature would not verify anywhere. An empty
    # list on the reference keeps the digest and the Transform consistent.
    reference = SignatureReference(URI="#" + element.get("ID"), inclusive_ns_prefixes=[])
    return signer.sign(
        element,
        key=key,
        cert=[cert],
        reference_uri=[reference],
        inclusive_ns_prefixes=INCLUSIVE_PREFIXES,
    )


def verify_sp(element, cert) -> etree._Element:
    config = SignatureConfiguration(
        location="./",
        signature_methods=frozenset({SignatureMethod.ECDSA_SHA256}),
    )
    return (
        XMLVerifier()
        .verify(etree.tostring(element), x509_cert=cert, expect_config=config, id_attribute="ID")
        .signed_xml
    )


def length_prefixed_hex(value: bytes) -> str:
    return (struct.pack(">I", len(value)) + value).hex().upper()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class FakeLoginGovPl:
    DEFAULT_IDENTITY = {
        "CurrentGivenName": "JAN MARIA",
        "CurrentFamilyName": "KOWALSKI",
        "DateOfBirth": "1944-05-14",
        "PersonIdentifier": "44051401359",
    }

    def __init__(self, sp_cert: x509.Certificate, entity_id: str = "int.login.gov.pl") -> None:
        self.entity_id = entity_id
        self.sp_cert = sp_cert
        self.key, self.cert = make_ec_identity("WK_SIG_EC (fake)")
        self.rogue_key, self.rogue_cert = make_ec_identity("WK_SIG_EC (fake)")
        self.sp_encryption_cert = sp_cert
        self._artifacts: dict[str, dict] = {}
        self._lock = threading.Lock()
        self.authn_requests: list[dict] = []
        self.logout_requests: list[dict] = []
        self.errors: list[str] = []
        self.reset()
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def reset(self) -> None:
        """Back to good behaviour."""
        self.identity = dict(self.DEFAULT_IDENTITY)
        self.loa = "http://eidas.europa.eu/LoA/substantial"
        self.cek_bytes = 32  # content key size; the 2021 production quirk is 16
        self.tamper: str | None = None  # "artifact_response" | "response" | "assertion"
        self.wrong_key = False  # sign with a key/certificate that is not the pinned one
        self.expired = False  # assertion validity window in the past
        self.in_response_to: str | None = None  # answer some other request ID
        self.sign_assertion = True
        self.status = SUCCESS
        self.tamper_logout = False

    # --- server ---------------------------------------------------------------------------

    def start(self) -> FakeLoginGovPl:
        self._server = make_server("127.0.0.1", 0, self.app, handler_class=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def sso_url(self) -> str:
        return self.base_url + "/login/SingleSignOnService"

    @property
    def ars_url(self) -> str:
        return self.base_url + "/login-services/idpArtifactResolutionService"

    @property
    def slo_url(self) -> str:
        return self.base_url + "/login-services/singleLogoutService"

    def app(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if environ["REQUEST_METHOD"] != "POST":
            return self._reply(start_response, "405 Method Not Allowed", b"")
        try:
            if path == "/login/SingleSignOnService":
                return self._sso(body, start_response)
            if path == "/login-services/idpArtifactResolutionService":
                return self._xml(start_response, self._resolve(body))
            if path == "/login-services/singleLogoutService":
                return self._xml(start_response, self._logout(body))
        except Exception as exc:  # the test reads node.errors
            self.errors.append(f"{type(exc).__name__}: {exc}")
            return self._reply(start_response, "500 Internal Server Error", str(exc).encode())
        return self._reply(start_response, "404 Not Found", b"")

    @staticmethod
    def _reply(start_response, status, body, headers=()):
        start_response(status, [("Content-Length", str(len(body))), *headers])
        return [body]

    def _xml(self, start_response, body: bytes):
        return self._reply(
            start_response, "200 OK", body, [("Content-Type", "text/xml; charset=utf-8")]
        )

    # --- SSO: AuthnRequest in, artifact out ------------------------------------------------

    def _sso(self, body: bytes, start_response):
        form = parse_qs(body.decode())
        xml = base64.b64decode(form["SAMLRequest"][0])
        request = verify_sp(etree.fromstring(xml, PARSER), self.sp_cert)  # raises if bad
        entry = {
            "request_id": request.get("ID"),
            "acs_url": request.get("AssertionConsumerServiceURL"),
            "sp_entity_id": request.findtext("saml2:Issuer", namespaces=NS),
            "requested_loa": request.findtext(".//saml2:AuthnContextClassRef", namespaces=NS),
            "force_authn": request.get("ForceAuthn"),
            "binding": request.get("ProtocolBinding"),
        }
        self.authn_requests.append(entry)
        artifact = self.new_artifact()
        with self._lock:
            self._artifacts[artifact] = entry
        query = {"SAMLart": artifact}
        if form.get("RelayState"):
            query["RelayState"] = form["RelayState"][0]
        location = f"{entry['acs_url']}?{urlencode(query)}"
        return self._reply(start_response, "302 Found", b"", [("Location", location)])

    def new_artifact(self) -> str:
        source_id = hashlib.sha1(self.entity_id.encode(), usedforsecurity=False).digest()
        raw = b"\x00\x04\x00\x00" + source_id + secrets.token_bytes(20)
        return base64.b64encode(raw).decode()

    # --- ArtifactResolve ------------------------------------------------------------------

    def _signing(self):
        if self.wrong_key:
            return self.rogue_key, self.rogue_cert
        return self.key, self.cert

    def _resolve(self, body: bytes) -> bytes:
        envelope = etree.fromstring(body, PARSER)
        resolve = verify_sp(envelope.find("soap:Body/saml2p:ArtifactResolve", NS), self.sp_cert)
        artifact = resolve.findtext("saml2p:Artifact", namespaces=NS)
        with self._lock:
            entry = self._artifacts.pop(artifact, None)  # single use at the node too
        key, cert = self._signing()
        now = datetime.now(UTC)
        outer = self._root("ArtifactResponse", now, InResponseTo=resolve.get("ID"))
        self._status(outer, SUCCESS)
        if entry is not None:
            response = self._response(entry, now)
            response = sign(response, key, cert)
            if self.tamper == "response":
                response.set("IssueInstant", instant(now + timedelta(seconds=1)))
            outer.append(response)
        outer = sign(outer, key, cert)
        if self.tamper == "artifact_response":
            outer.set("IssueInstant", instant(now + timedelta(seconds=1)))
        return self._envelope(outer)

    def _root(self, tag: str, now: datetime, **attrs) -> etree._Element:
        root = etree.Element(
            q(SAMLP, tag),
            {"ID": "_" + secrets.token_hex(16), "Version": "2.0", "IssueInstant": instant(now)},
            nsmap={"saml2p": SAMLP, "saml2": SAML},
        )
        for name, value in attrs.items():
            root.set(name, value)
        etree.SubElement(root, q(SAML, "Issuer")).text = self.entity_id
        return root

    @staticmethod
    def _status(parent, value: str) -> None:
        status = etree.SubElement(parent, q(SAMLP, "Status"))
        code = etree.SubElement(status, q(SAMLP, "StatusCode"), {"Value": value})
        if value != SUCCESS:
            code.set("Value", "urn:oasis:names:tc:SAML:2.0:status:Responder")
            etree.SubElement(code, q(SAMLP, "StatusCode"), {"Value": value})

    def _response(self, entry: dict, now: datetime) -> etree._Element:
        in_response_to = self.in_response_to or entry["request_id"]
        response = self._root(
            "Response", now, InResponseTo=in_response_to, Destination=entry["acs_url"]
        )
        self._status(response, self.status)
        if self.status == SUCCESS:
            assertion = self._assertion(entry, in_response_to, now)
            response.append(self._encrypt(assertion, entry["sp_entity_id"]))
        return response

    def _assertion(self, entry: dict, in_response_to: str, now: datetime) -> bytes:
        key, cert = self._signing()
        start, end = now - timedelta(minutes=1), now + timedelta(minutes=5)
        if self.expired:
            start, end = now - timedelta(minutes=30), now - timedelta(minutes=10)
        assertion = etree.Element(
            q(SAML, "Assertion"),
            {"ID": "_" + secrets.token_hex(16), "Version": "2.0", "IssueInstant": instant(now)},
            nsmap={"saml2": SAML},
        )
        etree.SubElement(assertion, q(SAML, "Issuer")).text = self.entity_id
        subject = etree.SubElement(assertion, q(SAML, "Subject"))
        etree.SubElement(
            subject,
            q(SAML, "NameID"),
            {"Format": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"},
        ).text = "wk-" + secrets.token_hex(8)
        confirmation = etree.SubElement(
            subject,
            q(SAML, "SubjectConfirmation"),
            {"Method": "urn:oasis:names:tc:SAML:2.0:cm:bearer"},
        )
        etree.SubElement(
            confirmation,
            q(SAML, "SubjectConfirmationData"),
            {
                "InResponseTo": in_response_to,
                "NotOnOrAfter": instant(end),
                "Recipient": entry["acs_url"],
            },
        )
        conditions = etree.SubElement(
            assertion,
            q(SAML, "Conditions"),
            {"NotBefore": instant(start), "NotOnOrAfter": instant(end)},
        )
        restriction = etree.SubElement(conditions, q(SAML, "AudienceRestriction"))
        etree.SubElement(restriction, q(SAML, "Audience")).text = entry["sp_entity_id"]
        statement = etree.SubElement(
            assertion,
            q(SAML, "AuthnStatement"),
            {"AuthnInstant": instant(now), "SessionIndex": "_" + secrets.token_hex(12)},
        )
        context = etree.SubElement(statement, q(SAML, "AuthnContext"))
        etree.SubElement(context, q(SAML, "AuthnContextClassRef")).text = self.loa
        attributes = etree.SubElement(assertion, q(SAML, "AttributeStatement"))
        for name, value in self.identity.items():
            attribute = etree.SubElement(
                attributes,
                q(SAML, "Attribute"),
                {
                    "Name": ATTR + name,
                    "NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
                },
            )
            etree.SubElement(attribute, q(SAML, "AttributeValue")).text = value
        if self.sign_assertion:
            assertion = sign(assertion, key, cert)
        if self.tamper == "assertion":  # e.g. swap in somebody else's PESEL after signing
            for value in assertion.iterfind(".//saml2:AttributeValue", NS):
                if value.text == self.identity["PersonIdentifier"]:
                    value.text = "02070803628"
        return etree.tostring(assertion)

    def _encrypt(self, plaintext: bytes, sp_entity_id: str) -> etree._Element:
        """ECDH-ES (ephemeral P-256) + ConcatKDF(SHA-256) → KEK; AES-KW(CEK); AES-GCM(content)."""
        recipient = self.sp_encryption_cert.public_key()
        ephemeral = ec.generate_private_key(ec.SECP256R1())
        shared = ephemeral.exchange(ec.ECDH(), recipient)
        alg_id = length_prefixed_hex(KW_AES256.encode())
        party_u = length_prefixed_hex(self.entity_id.encode())
        party_v = length_prefixed_hex(sp_entity_id.encode())
        otherinfo = bytes.fromhex(alg_id + party_u + party_v)
        kek = ConcatKDFHash(algorithm=hashes.SHA256(), length=32, otherinfo=otherinfo).derive(
            shared
        )
        cek = os.urandom(self.cek_bytes)
        nonce = os.urandom(12)
        ciphertext = nonce + AESGCM(cek).encrypt(nonce, plaintext, None)

        encrypted = etree.Element(
            q(SAML, "EncryptedAssertion"),
            nsmap={"saml2": SAML, "xenc": XENC, "xenc11": XENC11, "ds": DS, "dsig11": DSIG11},
        )
        data = etree.SubElement(encrypted, q(XENC, "EncryptedData"), {"Type": XENC + "Element"})
        # Declared 256-bit whatever the real key size (the production quirk).
        etree.SubElement(data, q(XENC, "EncryptionMethod"), {"Algorithm": XENC11 + "aes256-gcm"})
        key_info = etree.SubElement(data, q(DS, "KeyInfo"))
        enc_key = etree.SubElement(key_info, q(XENC, "EncryptedKey"))
        etree.SubElement(enc_key, q(XENC, "EncryptionMethod"), {"Algorithm": KW_AES256})
        enc_key_info = etree.SubElement(enc_key, q(DS, "KeyInfo"))
        agreement = etree.SubElement(
            enc_key_info, q(XENC, "AgreementMethod"), {"Algorithm": XENC11 + "ECDH-ES"}
        )
        kdf = etree.SubElement(
            agreement, q(XENC11, "KeyDerivationMethod"), {"Algorithm": XENC11 + "ConcatKDF"}
        )
        params = etree.SubElement(
            kdf,
            q(XENC11, "ConcatKDFParams"),
            {"AlgorithmID": alg_id, "PartyUInfo": party_u, "PartyVInfo": party_v},
        )
        etree.SubElement(params, q(DS, "DigestMethod"), {"Algorithm": XENC + "sha256"})
        originator = etree.SubElement(agreement, q(XENC, "OriginatorKeyInfo"))
        key_value = etree.SubElement(originator, q(DS, "KeyValue"))
        ec_value = etree.SubElement(key_value, q(DSIG11, "ECKeyValue"))
        etree.SubElement(ec_value, q(DSIG11, "NamedCurve"), {"URI": "urn:oid:1.2.840.10045.3.1.7"})
        etree.SubElement(ec_value, q(DSIG11, "PublicKey")).text = base64.b64encode(
            ephemeral.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        ).decode()
        recipient_info = etree.SubElement(agreement, q(XENC, "RecipientKeyInfo"))
        x509_data = etree.SubElement(recipient_info, q(DS, "X509Data"))
        etree.SubElement(x509_data, q(DS, "X509Certificate")).text = base64.b64encode(
            self.sp_encryption_cert.public_bytes(serialization.Encoding.DER)
        ).decode()
        cipher_data = etree.SubElement(enc_key, q(XENC, "CipherData"))
        etree.SubElement(cipher_data, q(XENC, "CipherValue")).text = base64.b64encode(
            aes_key_wrap(kek, cek)
        ).decode()
        content = etree.SubElement(data, q(XENC, "CipherData"))
        etree.SubElement(content, q(XENC, "CipherValue")).text = base64.b64encode(
            ciphertext
        ).decode()
        return encrypted

    # --- Logout ---------------------------------------------------------------------------

    def _logout(self, body: bytes) -> bytes:
        envelope = etree.fromstring(body, PARSER)
        request = verify_sp(envelope.find("soap:Body/saml2p:LogoutRequest", NS), self.sp_cert)
        self.logout_requests.append(
            {
                "id": request.get("ID"),
                "name_id": request.findtext("saml2:NameID", namespaces=NS),
                "session_index": request.findtext("saml2p:SessionIndex", namespaces=NS),
            }
        )
        key, cert = self._signing()
        now = datetime.now(UTC)
        response = self._root("LogoutResponse", now, InResponseTo=request.get("ID"))
        self._status(response, SUCCESS)
        response = sign(response, key, cert)
        if self.tamper_logout:
            response.set("IssueInstant", instant(now + timedelta(seconds=1)))
        return self._envelope(response)

    @staticmethod
    def _envelope(element) -> bytes:
        envelope = etree.Element(q(SOAP, "Envelope"), nsmap={"soap": SOAP})
        etree.SubElement(envelope, q(SOAP, "Body")).append(element)
        return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def main() -> None:  # pragma: no cover - a development aid
    """Run the fake node for the development server or Playwright.

    ``python -m tests.fakes.login_gov_pl [port]`` writes the SP key/certificate (if missing) and
    the node certificate to var/login_gov_pl/ (the paths eservices.identity.config defaults to)
    and serves on 127.0.0.1:8765.
    """
    import sys
    import time
    from pathlib import Path

    folder = Path("var/login_gov_pl")
    folder.mkdir(parents=True, exist_ok=True)
    key_file, cert_file = folder / "sp-key.pem", folder / "sp-cert.pem"
    if not key_file.exists():
        sp_key, sp_cert = make_ec_identity("gmina-e-uslugi SP (dev)")
        key_file.write_text(key_pem(sp_key))
        cert_file.write_text(cert_pem(sp_cert))
    sp_cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    node = FakeLoginGovPl(sp_cert)
    (folder / "node-cert.pem").write_text(cert_pem(node.cert))
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    node._server = make_server("127.0.0.1", port, node.app, handler_class=_QuietHandler)
    threading.Thread(target=node._server.serve_forever, daemon=True).start()
    print(f"Fake login.gov.pl on {node.base_url}; certificates in {folder}/")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        node.stop()


if __name__ == "__main__":
    main()
