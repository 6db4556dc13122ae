"""S/MIME (PROTOCOLS.md §11) and DKIM (§12) signing of outgoing email, over raw bytes.

S/MIME signs the MIME entity (its Content-* headers and body) with the office's certificate and
key: `cryptography`'s PKCS7SignatureBuilder makes the complete ``multipart/signed`` entity
(detached signature, ``micalg="sha-256"``, an ``smime.p7s`` part). The message headers (From,
To, Subject, Date, Message-ID, List-Unsubscribe…) stay outside the signed part. DKIM comes last,
over the final bytes, and covers both List-Unsubscribe headers (RFC 8058 §4).

Keys and certificates come from settings as PEM text or as a path to a PEM file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dkim
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# Headers DKIM signs when present; List-Unsubscribe-Post must be among them (RFC 8058 §4).
DKIM_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"auto-submitted",
    b"mime-version",
    b"content-type",
)


def read_pem(value: str, setting: str) -> bytes:
    """``value`` is PEM text, or the path of a file holding it."""
    if "-----BEGIN" in value:
        return value.encode()
    try:
        return Path(value).read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(f"{setting}: cannot read {value!r} ({exc.strerror})") from exc


def _public_der(key_or_cert) -> bytes:
    public = key_or_cert.public_key()
    return public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclass(frozen=True)
class SmimeSigner:
    certificate: x509.Certificate
    key: object  # an RSA or EC private key
    chain: tuple[x509.Certificate, ...] = ()

    def sign(self, entity: bytes) -> bytes:
        """The ``multipart/signed`` entity (with its MIME-Version header) for ``entity``."""
        builder = (
            pkcs7.PKCS7SignatureBuilder()
            .set_data(entity)
            .add_signer(self.certificate, self.key, hashes.SHA256())
        )
        for certificate in self.chain:
            builder = builder.add_certificate(certificate)
        return builder.sign(serialization.Encoding.SMIME, [pkcs7.PKCS7Options.DetachedSignature])

    def problems(self, from_address: str) -> list[str]:
        """Why mail clients would not trust this signer for ``from_address`` (empty: none)."""
        found = []
        if _public_der(self.key) != _public_der(self.certificate):
            found.append("the key does not belong to the certificate")
        now = datetime.now(UTC)
        if not self.certificate.not_valid_before_utc <= now <= self.certificate.not_valid_after_utc:
            found.append("the certificate is not valid now")
        try:
            san = self.certificate.extensions.get_extension_for_class(
                x509.SubjectAlternativeName
            ).value
            addresses = {a.lower() for a in san.get_values_for_type(x509.RFC822Name)}
        except x509.ExtensionNotFound:
            addresses = set()
        if from_address.lower() not in addresses:
            found.append(f"{from_address} is not an rfc822Name in the certificate's SAN")
        try:
            usages = self.certificate.extensions.get_extension_for_class(
                x509.ExtendedKeyUsage
            ).value
            if ExtendedKeyUsageOID.EMAIL_PROTECTION not in usages:
                found.append("the certificate lacks the emailProtection extended key usage")
        except x509.ExtensionNotFound:
            pass  # no EKU: any usage
        return found


@dataclass(frozen=True)
class DkimSigner:
    domain: str
    selector: str
    key_pem: bytes

    def sign(self, message: bytes) -> bytes:
        """``message`` with a DKIM-Signature header in front (relaxed/relaxed, rsa-sha256)."""
        present = _header_names(message)
        header = dkim.sign(
            message,
            self.selector.encode(),
            self.domain.encode(),
            self.key_pem,
            include_headers=[name for name in DKIM_HEADERS if name in present],
            canonicalize=(b"relaxed", b"relaxed"),
            linesep=b"\r\n",
        )
        return header + message


def _header_names(message: bytes) -> set[bytes]:
    head = message.split(b"\r\n\r\n", 1)[0]
    return {
        line.split(b":", 1)[0].strip().lower()
        for line in head.split(b"\r\n")
        if line and line[:1] not in (b" ", b"\t") and b":" in line
    }


@functools.lru_cache(maxsize=4)
def _smime_signer(certificate: str, key: str, password: str, chain: str) -> SmimeSigner:
    try:
        cert = x509.load_pem_x509_certificate(read_pem(certificate, "MESSAGING_SMIME_CERTIFICATE"))
        private_key = serialization.load_pem_private_key(
            read_pem(key, "MESSAGING_SMIME_KEY"), password=password.encode() or None
        )
        intermediates = (
            tuple(x509.load_pem_x509_certificates(read_pem(chain, "MESSAGING_SMIME_CHAIN")))
            if chain
            else ()
        )
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"S/MIME certificate or key unreadable: {exc}") from exc
    return SmimeSigner(cert, private_key, intermediates)


def smime_signer() -> SmimeSigner | None:
    """The configured signer, None when S/MIME is not configured (the embedded default)."""
    certificate, key = settings.MESSAGING_SMIME_CERTIFICATE, settings.MESSAGING_SMIME_KEY
    if not certificate and not key:
        return None
    if not (certificate and key):
        raise ImproperlyConfigured("S/MIME needs both MESSAGING_SMIME_CERTIFICATE and _KEY.")
    password = settings.MESSAGING_SMIME_KEY_PASSWORD or ""
    signer = _smime_signer(certificate, key, password, settings.MESSAGING_SMIME_CHAIN)
    if _public_der(signer.key) != _public_der(signer.certificate):
        raise ImproperlyConfigured("MESSAGING_SMIME_KEY does not belong to the certificate.")
    return signer


def dkim_signer() -> DkimSigner | None:
    domain, selector = settings.MESSAGING_DKIM_DOMAIN, settings.MESSAGING_DKIM_SELECTOR
    key = settings.MESSAGING_DKIM_KEY
    if not (domain or selector or key):
        return None
    if not (domain and selector and key):
        raise ImproperlyConfigured("DKIM needs MESSAGING_DKIM_DOMAIN, _SELECTOR and _KEY.")
    return DkimSigner(domain, selector, read_pem(key, "MESSAGING_DKIM_KEY"))
