"""A throwaway CA and S/MIME signer, a DKIM key with its DNS record, and verification the way a
receiver does it: ``openssl smime -verify`` as a subprocess, dkimpy's verify (PROTOCOLS.md §11-12).

    pki = make_test_pki(tmp_path, "e-uslugi@przykladowo.example")
    settings.MESSAGING_SMIME_CERTIFICATE = pki.signer_cert_pem   # or pki.signer_cert_path
    ok, output = openssl_verify(raw_bytes, pki.ca_path)
    dkim_verify(raw_bytes, pki)
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dkim
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _pem_key(key) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _pem_cert(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Gmina Przykładowo (test)"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def make_signer(ca_key, ca_cert, email: str, *, eku: bool = True, key=None):
    """An end-entity S/MIME certificate for ``email`` issued by the CA; (key, certificate)."""
    key = key or rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(email))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    )
    if eku:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
    return key, builder.sign(ca_key, hashes.SHA256())


@dataclass(frozen=True)
class TestPki:
    ca_key: object
    ca_cert: x509.Certificate
    ca_path: Path
    signer_key: object
    signer_cert: x509.Certificate
    signer_key_pem: str
    signer_cert_pem: str
    signer_key_path: Path
    signer_cert_path: Path
    dkim_domain: str
    dkim_selector: str
    dkim_key_pem: str
    dkim_dns_record: bytes

    __test__ = False  # not a test class, despite the name


def make_test_pki(directory: Path, email: str, dkim_domain: str = "przykladowo.example") -> TestPki:
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.now(UTC)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Test CA"))
        .issuer_name(_name("Test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    signer_key, signer_cert = make_signer(ca_key, ca_cert, email)
    directory.mkdir(parents=True, exist_ok=True)
    ca_path = directory / "ca.pem"
    ca_path.write_text(_pem_cert(ca_cert))
    key_path, cert_path = directory / "signer-key.pem", directory / "signer-cert.pem"
    key_path.write_text(_pem_key(signer_key))
    cert_path.write_text(_pem_cert(signer_cert))
    dkim_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_der = dkim_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return TestPki(
        ca_key=ca_key,
        ca_cert=ca_cert,
        ca_path=ca_path,
        signer_key=signer_key,
        signer_cert=signer_cert,
        signer_key_pem=_pem_key(signer_key),
        signer_cert_pem=_pem_cert(signer_cert),
        signer_key_path=key_path,
        signer_cert_path=cert_path,
        dkim_domain=dkim_domain,
        dkim_selector="gmina2026",
        dkim_key_pem=_pem_key(dkim_key),
        dkim_dns_record=b"v=DKIM1; k=rsa; p=" + base64.b64encode(public_der),
    )


def openssl_verify(raw: bytes, ca_path: Path) -> tuple[bool, str]:
    """``openssl smime -verify -purpose smimesign`` on the message; (verified, openssl's output)."""
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [
            shutil.which("openssl") or "/usr/bin/openssl",
            "smime",
            "-verify",
            "-CAfile",
            str(ca_path),
            "-purpose",
            "smimesign",
            "-out",
            "/dev/null",
        ],
        input=raw,
        capture_output=True,
        timeout=30,
        check=False,
    )
    output = (result.stdout + result.stderr).decode("utf-8", "replace")
    return result.returncode == 0 and "Verification successful" in output, output


def dkim_verify(raw: bytes, pki: TestPki) -> bool:
    """dkimpy's verify with our DNS record served from memory (no network)."""
    expected = f"{pki.dkim_selector}._domainkey.{pki.dkim_domain}.".encode()

    def dns(name: bytes, timeout: int = 5) -> bytes | None:
        return pki.dkim_dns_record if name == expected else None

    return bool(dkim.verify(raw, dnsfunc=dns))
