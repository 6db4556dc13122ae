"""S/MIME (PROTOCOLS.md §11) and DKIM (§12) signing of outgoing email, over raw bytes.

S/MIME signs the MIME entity (its Content-* headers and body) with the office's certificate and
key: `cryptography`'s PKCS7SignatureBuilder makes the complete ``multipart/signed`` entity
(detached signature, ``micalg="sha-256"``, an ``smime.p7s`` part). The message headers (From,
To, Subject, Date, Message-ID, List-Unsubscribe…) stay outside the signed part. DKIM comes last,
over the final bytes, and covers both List-Unsubscribe headers (RFC 8058 §4).

Keys and certificates come from settings as PEM text or as a path to a PEM file.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
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


class DkimSigner:
    """RFC 6376 signatures (rsa-sha256, relaxed/relaxed) with the key parsed once.

    The canonicalisation is written here (RFC 6376 §3.4.2, §3.4.4) and the RSA signature is
    OpenSSL's, through `cryptography`: dkimpy's pure-Python RSA cost ~40 ms a message, more than
    everything else a worker does for it. The tests check every signature with dkimpy's own,
    independent ``dkim.verify``.
    """

    def __init__(self, domain: str, selector: str, key_pem: bytes) -> None:
        try:
            key = serialization.load_pem_private_key(key_pem, password=None)
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(f"MESSAGING_DKIM_KEY unreadable: {exc}") from exc
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ImproperlyConfigured("MESSAGING_DKIM_KEY must be an RSA key (rsa-sha256).")
        if key.key_size < 1024:  # receivers (and RFC 8301) refuse shorter keys
            raise ImproperlyConfigured("MESSAGING_DKIM_KEY is shorter than 1024 bits.")
        if not (domain.isascii() and selector.isascii()) or ";" in domain + selector:
            raise ImproperlyConfigured("DKIM domain and selector must be plain ASCII names.")
        self.domain = domain
        self.selector = selector
        self._key = key

    def sign(self, message: bytes, now: float | None = None) -> bytes:
        """``message`` (CRLF) with a DKIM-Signature header in front, covering the headers of
        `DKIM_HEADERS` it has (List-Unsubscribe-Post among them, RFC 8058 §4)."""
        head, separator, body = message.partition(b"\r\n\r\n")
        if not separator:  # no body at all: the whole message is headers
            head, body = message.removesuffix(b"\r\n"), b""
        fields = _header_fields(head + b"\r\n")
        signed = _select(fields, DKIM_HEADERS)
        body_hash = base64.b64encode(hashlib.sha256(relaxed_body(body)).digest()).decode()
        timestamp = int(time.time() if now is None else now)
        value = (
            f" v=1; a=rsa-sha256; c=relaxed/relaxed; d={self.domain}; s={self.selector};\r\n"
            f"\tt={timestamp}; {_fold_names([name for name, _raw in signed])};\r\n"
            f"\tbh={body_hash};\r\n\tb="
        ).encode("ascii")
        # What is signed: the chosen headers, then this header with an empty b= and no CRLF.
        data = b"".join(relaxed_header(name, raw) for name, raw in signed)
        data += relaxed_header(b"dkim-signature", value)[:-2]
        signature = base64.b64encode(self._key.sign(data, padding.PKCS1v15(), hashes.SHA256()))
        folded = b"\r\n\t".join(signature[i : i + 72] for i in range(0, len(signature), 72))
        return b"DKIM-Signature:" + value + folded + b"\r\n" + message


_WSP_RUN = re.compile(rb"[ \t]+")
_WSP_BEFORE_CRLF = re.compile(rb"[ \t]+\r\n")
_TRAILING_CRLFS = re.compile(rb"(?:\r\n)+\Z")


def relaxed_body(body: bytes) -> bytes:
    """RFC 6376 §3.4.4: no WSP at line ends, WSP runs as one SP, no empty lines at the end;
    a non-empty body ends with CRLF, an empty one is empty."""
    if body and not body.endswith(b"\r\n"):
        body += b"\r\n"
    body = _WSP_RUN.sub(b" ", _WSP_BEFORE_CRLF.sub(b"\r\n", body))
    body = _TRAILING_CRLFS.sub(b"", body)
    return body + b"\r\n" if body else b""


def relaxed_header(name: bytes, raw_value: bytes) -> bytes:
    """RFC 6376 §3.4.2: lower-case name, unfolded value with WSP runs as one SP, no WSP around
    the colon or at the end; ``name:value`` CRLF."""
    value = _WSP_RUN.sub(b" ", raw_value.replace(b"\r\n", b"")).strip(b" ")
    return name.lower().rstrip(b" \t") + b":" + value + b"\r\n"


def _header_fields(head: bytes) -> list[tuple[bytes, bytes]]:
    """``(name, raw value with its folds)`` of every header field, in order."""
    fields: list[tuple[bytes, bytes]] = []
    for line in head.split(b"\r\n")[:-1]:
        if line[:1] in (b" ", b"\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + b"\r\n" + line)
        elif b":" in line:
            name, _colon, value = line.partition(b":")
            fields.append((name, value))
    return fields


def _select(fields: list[tuple[bytes, bytes]], names) -> list[tuple[bytes, bytes]]:
    """The fields to sign, in ``names`` order; a repeated name takes the next instance from the
    bottom up (RFC 6376 §5.4.2). Names the message lacks are left out."""
    used: dict[bytes, int] = {}
    chosen = []
    for wanted in names:
        index = used.get(wanted, len(fields))
        while index > 0:
            index -= 1
            if fields[index][0].strip().lower() == wanted:
                chosen.append((wanted, fields[index][1]))
                break
        used[wanted] = index
    return chosen


def _fold_names(names: list[bytes]) -> str:
    """``h=`` with the names, folded after a colon so that no line runs past ~76 characters."""
    lines, line = [], "h="
    for i, name in enumerate(names):
        piece = name.decode("ascii") + (":" if i < len(names) - 1 else "")
        if len(line) + len(piece) > 70 and line != "h=":
            lines.append(line)
            line = ""
        line += piece
    lines.append(line)
    return "\r\n\t".join(lines)


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
    return _dkim_signer(domain, selector, key)


@functools.lru_cache(maxsize=4)
def _dkim_signer(domain: str, selector: str, key: str) -> DkimSigner:
    return DkimSigner(domain, selector, read_pem(key, "MESSAGING_DKIM_KEY"))
