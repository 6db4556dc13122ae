"""The login.gov.pl (Węzeł Krajowy) SAML profile: building, signing, verifying and decrypting.

Profile (PROTOCOLS.md §7): ECDSA-signed AuthnRequest sent by HTTP-POST, artifact back to the ACS,
ECDSA-signed ArtifactResolve in SOAP 1.1, ArtifactResponse and Response both signed by the node,
the Assertion encrypted with ECDH-ES (ConcatKDF SHA-256) + AES key wrap + AES-GCM. Signatures are
enveloped, exclusive C14N, placed right after ``saml2:Issuer``, and made/checked with signxml.

Everything here works on bytes and lxml elements and raises :class:`SamlError`; the Django side
(session, cache, accounts) lives in ``views`` and ``login``.

Verification rule: every signed level is verified against the PINNED node certificate only (never
a certificate from KeyInfo), the signature must be a direct child of the element and reference
that very element, and IDs must be unique in the document, so the element read is the element
signed. This is what stops signature wrapping.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    SignatureConfiguration,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
)
from signxml.exceptions import InvalidCertificate, InvalidDigest, InvalidInput, InvalidSignature

from .config import LOA_ORDER, LoginGovPlConfig

SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
DS = "http://www.w3.org/2000/09/xmldsig#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
DSIG11 = "http://www.w3.org/2009/xmldsig11#"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
EIDAS = "http://eidas.europa.eu/saml-extensions"
NS = {
    "saml2p": SAMLP,
    "saml2": SAML,
    "ds": DS,
    "xenc": XENC,
    "xenc11": XENC11,
    "dsig11": DSIG11,
    "soap": SOAP,
    "eidas": EIDAS,
}

BINDING_ARTIFACT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact"
STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
CM_BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"

ATTR_PREFIX = "http://eidas.europa.eu/attributes/naturalperson/"
ATTR_GIVEN_NAME = ATTR_PREFIX + "CurrentGivenName"
ATTR_FAMILY_NAME = ATTR_PREFIX + "CurrentFamilyName"
ATTR_DATE_OF_BIRTH = ATTR_PREFIX + "DateOfBirth"
ATTR_PERSON_ID = ATTR_PREFIX + "PersonIdentifier"
REQUIRED_ATTRIBUTES = (ATTR_GIVEN_NAME, ATTR_FAMILY_NAME, ATTR_DATE_OF_BIRTH, ATTR_PERSON_ID)

ALG_AES_GCM = {
    XENC11 + "aes128-gcm",
    XENC11 + "aes192-gcm",
    XENC11 + "aes256-gcm",
}
ALG_KW = {XENC + "kw-aes128": 16, XENC + "kw-aes192": 24, XENC + "kw-aes256": 32}
ALG_ECDH_ES = XENC11 + "ECDH-ES"
ALG_CONCAT_KDF = XENC11 + "ConcatKDF"
ALG_SHA256 = XENC + "sha256"
CURVES = {"urn:oid:1.2.840.10045.3.1.7": ec.SECP256R1(), "urn:oid:1.3.132.0.34": ec.SECP384R1()}

SIGNATURE_METHODS = frozenset(
    {SignatureMethod.ECDSA_SHA256, SignatureMethod.ECDSA_SHA384, SignatureMethod.ECDSA_SHA512}
)
DIGEST_ALGORITHMS = frozenset(
    {DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512}
)
EXC_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0


class SamlError(Exception):
    """A message we must refuse. ``code`` is short and safe to log; never includes PESEL."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


# --- XML helpers ---------------------------------------------------------------------------

# No DTDs, no entity expansion, no network, no huge trees (defusedxml's rules for lxml).
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    load_dtd=False,
    dtd_validation=False,
    remove_pis=True,
    # Comments are invisible to C14N without comments but would split .text (the SAML comment
    # truncation attack), so they are dropped at parse time.
    remove_comments=True,
)


def parse_xml(data: bytes | str) -> etree._Element:
    if isinstance(data, str):
        data = data.encode()
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SamlError("malformed", str(exc)) from exc
    if root.getroottree().docinfo.doctype:
        raise SamlError("malformed", "DOCTYPE is not allowed")
    return root


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def new_id() -> str:
    # NCName: must not start with a digit.
    return "_" + secrets.token_hex(20)


def format_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}Z"
    )


def parse_instant(value: str | None) -> datetime:
    if not value:
        raise SamlError("malformed", "missing timestamp")
    text = value.strip().replace("Z", "+00:00")
    if "." in text:  # trim fractions beyond microseconds (Java sends up to nanoseconds)
        head, _, rest = text.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits) :]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise SamlError("malformed", f"bad timestamp {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _assert_unique_ids(root: etree._Element) -> None:
    ids = root.xpath("//@ID | //@Id | //@id")
    if len(ids) != len(set(ids)):
        raise SamlError("signature", "duplicate IDs in the document")


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _child(element: etree._Element, path: str) -> etree._Element:
    found = element.find(path, NS)
    if found is None:
        raise SamlError("malformed", f"missing {path}")
    return found


# --- Signing and verification --------------------------------------------------------------


def sign(element: etree._Element, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate):
    """Enveloped ECDSA-SHA256 signature with exclusive C14N, right after ``saml2:Issuer``.

    Returns a NEW element (signxml works on a copy).
    """
    issuer = element.find("saml2:Issuer", NS)
    placeholder = etree.Element(q(DS, "Signature"), {"Id": "placeholder"}, nsmap={"ds": DS})
    if issuer is not None:
        issuer.addnext(placeholder)
    else:
        element.insert(0, placeholder)
    signer = XMLSigner(
        signature_algorithm=SignatureMethod.ECDSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=EXC_C14N,
    )
    signer.namespaces = {"ds": DS}
    return signer.sign(element, key=key, cert=[cert], reference_uri="#" + element.get("ID"))


def verify(element: etree._Element, cert: x509.Certificate, level: str) -> etree._Element:
    """Verify the enveloped signature of ``element`` with the pinned ``cert``.

    Returns the signed element as signxml saw it; callers must read only that.
    """
    if element.find("ds:Signature", NS) is None:
        raise SamlError("unsigned", f"{level} is not signed")
    element_id = element.get("ID")
    if not element_id:
        raise SamlError("malformed", f"{level} has no ID")
    config = SignatureConfiguration(
        location="./",
        expect_references=1,
        signature_methods=SIGNATURE_METHODS,
        digest_algorithms=DIGEST_ALGORITHMS,
    )
    try:
        # validate_schema=False: the node puts <ec:InclusiveNamespaces PrefixList="ds saml2
        # saml2p xenc"/> in CanonicalizationMethod (PROTOCOLS.md §7), which signxml's bundled
        # xmldsig schema rejects ("strict wildcard"). The structure that matters is checked
        # anyway: location, exactly one reference to this element, allowed algorithms.
        result = XMLVerifier().verify(
            etree.tostring(element),
            x509_cert=cert,
            expect_config=config,
            id_attribute="ID",
            validate_schema=False,
            parser=_PARSER,
        )
    except (
        InvalidSignature,
        InvalidDigest,
        InvalidCertificate,
        InvalidInput,
        etree.LxmlError,
        ValueError,
    ) as exc:
        raise SamlError("signature", f"{level}: {exc}") from exc
    signed = result.signed_xml
    if signed is None or signed.tag != element.tag or signed.get("ID") != element_id:
        raise SamlError("signature", f"{level}: the signature does not cover the element")
    # The signature's only reference is this very element (its ID, unique in the document:
    # see _assert_unique_ids), so ``element`` is what was signed. We go on reading the original
    # tree rather than signxml's re-parsed canonical copy: exclusive C14N moves namespace
    # declarations, and a nested signature with an InclusiveNamespaces PrefixList (as the node
    # sends) no longer verifies inside that copy.
    return element


# --- Outgoing messages ---------------------------------------------------------------------


@dataclass(frozen=True)
class OutgoingRequest:
    id: str
    xml: bytes

    @property
    def base64(self) -> str:
        return base64.b64encode(self.xml).decode()


def _issuer(parent: etree._Element, value: str) -> None:
    etree.SubElement(parent, q(SAML, "Issuer")).text = value


def build_authn_request(
    cfg: LoginGovPlConfig, *, now: datetime | None = None, loa: str | None = None
) -> OutgoingRequest:
    now = now or datetime.now(UTC)
    request_id = new_id()
    root = etree.Element(
        q(SAMLP, "AuthnRequest"),
        {
            "ID": request_id,
            "Version": "2.0",
            "IssueInstant": format_instant(now),
            "Destination": cfg.sso_url,
            "ForceAuthn": "true",
            "ProtocolBinding": BINDING_ARTIFACT,
            "AssertionConsumerServiceURL": cfg.acs_url,
        },
        nsmap={"saml2p": SAMLP, "saml2": SAML, "eidas": EIDAS},
    )
    _issuer(root, cfg.sp_entity_id)
    extensions = etree.SubElement(root, q(SAMLP, "Extensions"))
    etree.SubElement(extensions, q(EIDAS, "SPType")).text = "public"
    requested = etree.SubElement(extensions, q(EIDAS, "RequestedAttributes"))
    for name in REQUIRED_ATTRIBUTES:
        etree.SubElement(
            requested,
            q(EIDAS, "RequestedAttribute"),
            {
                "Name": name,
                "NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
                "isRequired": "true",
            },
        )
    etree.SubElement(
        root, q(SAMLP, "NameIDPolicy"), {"Format": NAMEID_UNSPECIFIED, "AllowCreate": "true"}
    )
    context = etree.SubElement(root, q(SAMLP, "RequestedAuthnContext"), {"Comparison": "minimum"})
    etree.SubElement(context, q(SAML, "AuthnContextClassRef")).text = loa or cfg.required_loa
    signed = sign(root, cfg.sp_key, cfg.sp_cert)
    return OutgoingRequest(
        request_id, etree.tostring(signed, xml_declaration=True, encoding="UTF-8")
    )


def soap_envelope(body_child: etree._Element) -> bytes:
    envelope = etree.Element(q(SOAP, "Envelope"), nsmap={"soap": SOAP})
    body = etree.SubElement(envelope, q(SOAP, "Body"))
    body.append(body_child)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def soap_body_child(data: bytes, expected: str) -> etree._Element:
    envelope = parse_xml(data)
    if envelope.tag != q(SOAP, "Envelope"):
        raise SamlError("malformed", "not a SOAP envelope")
    body = _child(envelope, "soap:Body")
    children = [c for c in body if isinstance(c.tag, str)]
    if len(children) != 1 or children[0].tag != expected:
        raise SamlError("malformed", f"SOAP body does not hold exactly one {expected}")
    return children[0]


def build_artifact_resolve(
    cfg: LoginGovPlConfig, artifact: str, *, now: datetime | None = None
) -> OutgoingRequest:
    now = now or datetime.now(UTC)
    request_id = new_id()
    root = etree.Element(
        q(SAMLP, "ArtifactResolve"),
        {
            "ID": request_id,
            "Version": "2.0",
            "IssueInstant": format_instant(now),
            "Destination": cfg.ars_url,
        },
        nsmap={"saml2p": SAMLP, "saml2": SAML},
    )
    _issuer(root, cfg.sp_entity_id)
    etree.SubElement(root, q(SAMLP, "Artifact")).text = artifact
    return OutgoingRequest(request_id, soap_envelope(sign(root, cfg.sp_key, cfg.sp_cert)))


def build_logout_request(
    cfg: LoginGovPlConfig, name_id: str, session_index: str, *, now: datetime | None = None
) -> OutgoingRequest:
    now = now or datetime.now(UTC)
    request_id = new_id()
    root = etree.Element(
        q(SAMLP, "LogoutRequest"),
        {
            "ID": request_id,
            "Version": "2.0",
            "IssueInstant": format_instant(now),
            "Destination": cfg.slo_url,
        },
        nsmap={"saml2p": SAMLP, "saml2": SAML},
    )
    _issuer(root, cfg.sp_entity_id)
    etree.SubElement(root, q(SAML, "NameID"), {"Format": NAMEID_UNSPECIFIED}).text = name_id
    etree.SubElement(root, q(SAMLP, "SessionIndex")).text = session_index
    return OutgoingRequest(request_id, soap_envelope(sign(root, cfg.sp_key, cfg.sp_cert)))


# --- Artifact ------------------------------------------------------------------------------


def check_artifact(cfg: LoginGovPlConfig, artifact: str) -> None:
    """SAML 2.0 type 0x0004 artifact whose SourceID is SHA-1 of the node's entity ID."""
    try:
        raw = base64.b64decode(artifact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SamlError("artifact", "not base64") from exc
    if len(raw) != 44 or raw[:2] != b"\x00\x04":
        raise SamlError("artifact", "not a type 4 artifact")
    source_id = hashlib.sha1(cfg.idp_entity_id.encode(), usedforsecurity=False).digest()
    if raw[4:24] != source_id:
        raise SamlError("artifact", "artifact from an unknown issuer")


# --- Incoming: ArtifactResponse ------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """What the node asserted about the person."""

    first_names: str
    last_name: str
    date_of_birth: date | None
    pesel: str
    loa: str
    name_id: str
    session_index: str
    attributes: dict[str, str] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:  # keep PESEL out of logs and tracebacks
        return f"Identity(loa={self.loa!r}, name_id=…, pesel=…)"


def _check_status(element: etree._Element, level: str) -> None:
    code = element.find("saml2p:Status/saml2p:StatusCode", NS)
    if code is None or code.get("Value") != STATUS_SUCCESS:
        nested = [c.get("Value", "") for c in element.iterfind(".//saml2p:StatusCode", NS)]
        message = _text(element.find("saml2p:Status/saml2p:StatusMessage", NS))
        raise SamlError("status", f"{level}: {' / '.join(nested)} {message}".strip())


def _check_issuer(element: etree._Element, cfg: LoginGovPlConfig, level: str) -> None:
    if _text(element.find("saml2:Issuer", NS)) != cfg.idp_entity_id:
        raise SamlError("issuer", f"{level}: unexpected issuer")


def _check_time_window(
    not_before: str | None, not_on_or_after: str | None, now: datetime, skew: timedelta, what: str
) -> None:
    if not_before and now + skew < parse_instant(not_before):
        raise SamlError("expired", f"{what} not yet valid")
    if not_on_or_after and now - skew >= parse_instant(not_on_or_after):
        raise SamlError("expired", f"{what} expired")


def _concat_kdf_otherinfo(params: etree._Element) -> bytes:
    """Hex attributes (each already carrying its 4-byte length prefix) concatenated (T27)."""
    try:
        return b"".join(
            binascii.unhexlify(params.get(name, ""))
            for name in ("AlgorithmID", "PartyUInfo", "PartyVInfo")
        )
    except (binascii.Error, ValueError) as exc:
        raise SamlError("decrypt", "bad ConcatKDFParams") from exc


def decrypt_assertion(encrypted: etree._Element, key: ec.EllipticCurvePrivateKey) -> bytes:
    """EncryptedAssertion → Assertion bytes: ECDH-ES + ConcatKDF → KEK, AES-KW → CEK, AES-GCM.

    The content key's size is taken from the unwrapped key (16, 24 or 32 bytes), not from the
    declared algorithm: production once declared aes256-gcm and sent a 128-bit key.
    """
    data = _child(encrypted, "xenc:EncryptedData")
    if _child(data, "xenc:EncryptionMethod").get("Algorithm") not in ALG_AES_GCM:
        raise SamlError("decrypt", "unsupported content encryption")
    enc_key = _child(data, "ds:KeyInfo/xenc:EncryptedKey")
    kw_alg = _child(enc_key, "xenc:EncryptionMethod").get("Algorithm")
    if kw_alg not in ALG_KW:
        raise SamlError("decrypt", "unsupported key wrap")
    agreement = _child(enc_key, "ds:KeyInfo/xenc:AgreementMethod")
    if agreement.get("Algorithm") != ALG_ECDH_ES:
        raise SamlError("decrypt", "unsupported key agreement")
    kdf = _child(agreement, "xenc11:KeyDerivationMethod")
    if kdf.get("Algorithm") != ALG_CONCAT_KDF:
        raise SamlError("decrypt", "unsupported KDF")
    params = _child(kdf, "xenc11:ConcatKDFParams")
    if _child(params, "ds:DigestMethod").get("Algorithm") != ALG_SHA256:
        raise SamlError("decrypt", "unsupported KDF digest")
    ec_value = _child(agreement, "xenc:OriginatorKeyInfo/ds:KeyValue/dsig11:ECKeyValue")
    curve = CURVES.get(_child(ec_value, "dsig11:NamedCurve").get("URI", ""))
    if curve is None or curve.name != key.curve.name:
        raise SamlError("decrypt", "unexpected curve")
    try:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(
            curve, base64.b64decode(_text(_child(ec_value, "dsig11:PublicKey")))
        )
        shared = key.exchange(ec.ECDH(), peer)
        kek = ConcatKDFHash(
            algorithm=hashes.SHA256(),
            length=ALG_KW[kw_alg],
            otherinfo=_concat_kdf_otherinfo(params),
        ).derive(shared)
        cek = aes_key_unwrap(
            kek, base64.b64decode(_text(_child(enc_key, "xenc:CipherData/xenc:CipherValue")))
        )
        if len(cek) not in (16, 24, 32):
            raise SamlError("decrypt", "unexpected content key size")
        payload = base64.b64decode(_text(_child(data, "xenc:CipherData/xenc:CipherValue")))
        if len(payload) < 12 + 16:
            raise SamlError("decrypt", "ciphertext too short")
        return AESGCM(cek).decrypt(payload[:12], payload[12:], None)
    except (ValueError, InvalidUnwrap, InvalidTag, binascii.Error) as exc:
        raise SamlError("decrypt", type(exc).__name__) from exc


def _attributes(assertion: etree._Element) -> dict[str, str]:
    values: dict[str, str] = {}
    for attribute in assertion.iterfind("saml2:AttributeStatement/saml2:Attribute", NS):
        value = attribute.find("saml2:AttributeValue", NS)
        if attribute.get("Name") and value is not None:
            values[attribute.get("Name")] = _text(value)
    return values


def _pesel(person_identifier: str) -> str:
    # eIDAS PersonIdentifier may be "PL/PL/<PESEL>"; the node sends the bare PESEL.
    from stdnum.pl import pesel as stdnum_pesel

    candidate = person_identifier.rsplit("/", 1)[-1].strip()
    if not stdnum_pesel.is_valid(candidate):
        raise SamlError("attributes", "PersonIdentifier is not a valid PESEL")
    return stdnum_pesel.compact(candidate)


def parse_artifact_response(
    cfg: LoginGovPlConfig,
    soap: bytes,
    *,
    resolve_id: str,
    expected_request_ids: set[str] | frozenset[str],
    now: datetime | None = None,
) -> tuple[Identity, str]:
    """Verify and read a resolved artifact. Returns the identity and the AuthnRequest ID it answers.

    ``expected_request_ids`` are the AuthnRequest IDs pending in this browser session.
    """
    now = now or datetime.now(UTC)
    skew = timedelta(seconds=cfg.clock_skew)

    # Level 1: ArtifactResponse (signed by the node, answers our ArtifactResolve).
    outer = soap_body_child(soap, q(SAMLP, "ArtifactResponse"))
    _assert_unique_ids(outer.getroottree().getroot())
    outer = verify(outer, cfg.idp_cert, "ArtifactResponse")
    _check_issuer(outer, cfg, "ArtifactResponse")
    if outer.get("InResponseTo") != resolve_id:
        raise SamlError("in_response_to", "ArtifactResponse does not answer our ArtifactResolve")
    _check_status(outer, "ArtifactResponse")

    # Level 2: Response (signed separately).
    responses = outer.findall("saml2p:Response", NS)
    if len(responses) != 1:
        raise SamlError("malformed", "ArtifactResponse must hold exactly one Response")
    response = verify(responses[0], cfg.idp_cert, "Response")
    _check_issuer(response, cfg, "Response")
    request_id = response.get("InResponseTo", "")
    if request_id not in expected_request_ids:
        raise SamlError("in_response_to", "Response answers no request pending in this session")
    destination = response.get("Destination")
    if destination is not None and destination != cfg.acs_url:
        raise SamlError("destination", "Response Destination is not our ACS")
    _check_status(response, "Response")
    issued = parse_instant(response.get("IssueInstant"))
    if issued - skew > now or now - issued > timedelta(seconds=cfg.request_ttl) + skew:
        raise SamlError("expired", "Response IssueInstant out of range")

    # Level 3: the encrypted Assertion.
    encrypted = response.findall("saml2:EncryptedAssertion", NS)
    plain = response.findall("saml2:Assertion", NS)
    if len(encrypted) != 1 or plain:
        raise SamlError("malformed", "Response must hold exactly one EncryptedAssertion")
    assertion = parse_xml(decrypt_assertion(encrypted[0], cfg.sp_encryption_key))
    _assert_unique_ids(assertion)
    if assertion.tag != q(SAML, "Assertion"):
        raise SamlError("malformed", "decrypted content is not an Assertion")
    if assertion.find("ds:Signature", NS) is not None or cfg.require_signed_assertion:
        assertion = verify(assertion, cfg.idp_cert, "Assertion")
    _check_issuer(assertion, cfg, "Assertion")
    return _read_assertion(cfg, assertion, request_id, now, skew), request_id


def _read_assertion(
    cfg: LoginGovPlConfig, assertion: etree._Element, request_id: str, now: datetime, skew
) -> Identity:
    subject = _child(assertion, "saml2:Subject")
    name_id = _text(_child(subject, "saml2:NameID"))
    confirmations = [
        c for c in subject.iterfind("saml2:SubjectConfirmation", NS) if c.get("Method") == CM_BEARER
    ]
    if not confirmations:
        raise SamlError("malformed", "no bearer SubjectConfirmation")
    data = _child(confirmations[0], "saml2:SubjectConfirmationData")
    if data.get("InResponseTo") != request_id:
        raise SamlError("in_response_to", "SubjectConfirmationData InResponseTo mismatch")
    if data.get("Recipient") != cfg.acs_url:
        raise SamlError("destination", "SubjectConfirmationData Recipient is not our ACS")
    if not data.get("NotOnOrAfter"):
        raise SamlError("malformed", "SubjectConfirmationData without NotOnOrAfter")
    _check_time_window(data.get("NotBefore"), data.get("NotOnOrAfter"), now, skew, "Subject")

    conditions = _child(assertion, "saml2:Conditions")
    _check_time_window(
        conditions.get("NotBefore"), conditions.get("NotOnOrAfter"), now, skew, "Assertion"
    )
    audiences = {
        _text(a) for a in conditions.iterfind("saml2:AudienceRestriction/saml2:Audience", NS)
    }
    if cfg.sp_entity_id not in audiences:
        raise SamlError("audience", "Assertion is not meant for us")

    statement = _child(assertion, "saml2:AuthnStatement")
    loa = _text(statement.find("saml2:AuthnContext/saml2:AuthnContextClassRef", NS))
    if LOA_ORDER.get(loa, 0) < LOA_ORDER[cfg.required_loa]:
        raise SamlError("loa", f"level of assurance {loa or '(none)'} is too low")

    values = _attributes(assertion)
    missing = [name for name in REQUIRED_ATTRIBUTES if not values.get(name)]
    if missing:
        raise SamlError("attributes", "missing " + ", ".join(m.rsplit("/", 1)[-1] for m in missing))
    try:
        born = date.fromisoformat(values[ATTR_DATE_OF_BIRTH])
    except ValueError:
        born = None
    return Identity(
        first_names=values[ATTR_GIVEN_NAME],
        last_name=values[ATTR_FAMILY_NAME],
        date_of_birth=born,
        pesel=_pesel(values[ATTR_PERSON_ID]),
        loa=loa,
        name_id=name_id,
        session_index=statement.get("SessionIndex", ""),
        attributes=values,
    )


def parse_logout_response(
    cfg: LoginGovPlConfig, soap: bytes, *, request_id: str, now: datetime | None = None
) -> None:
    response = verify(
        soap_body_child(soap, q(SAMLP, "LogoutResponse")), cfg.idp_cert, "LogoutResponse"
    )
    _check_issuer(response, cfg, "LogoutResponse")
    if response.get("InResponseTo") != request_id:
        raise SamlError("in_response_to", "LogoutResponse does not answer our LogoutRequest")
    _check_status(response, "LogoutResponse")
