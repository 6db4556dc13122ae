"""Settings of the login.gov.pl service provider, read from ``settings.LOGIN_GOV_PL``.

Every key has a development default pointing at the fake node of the test suite
(``tests/fakes/login_gov_pl.py``, normally on http://127.0.0.1:8765). Keys and certificates may
be given as PEM text or as a path to a PEM file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

LOA_LOW = "http://eidas.europa.eu/LoA/low"
LOA_SUBSTANTIAL = "http://eidas.europa.eu/LoA/substantial"
LOA_HIGH = "http://eidas.europa.eu/LoA/high"
LOA_ORDER = {LOA_LOW: 1, LOA_SUBSTANTIAL: 2, LOA_HIGH: 3}

DEV_NODE = "http://127.0.0.1:8765"
DEFAULTS: dict[str, object] = {
    # Our own identity as a service provider.
    "SP_ENTITY_ID": "http://localhost:8000/konto/login-gov-pl/",
    # Absolute URL of the assertion consumer service (where the node sends the artifact back).
    "ACS_URL": "http://localhost:8000/konto/login-gov-pl/acs/",
    "SP_KEY": "var/login_gov_pl/sp-key.pem",  # EC P-256 key: signs our messages
    "SP_CERT": "var/login_gov_pl/sp-cert.pem",
    # Key that the node encrypts assertions to (ECDH-ES); the signing key unless configured.
    "SP_ENCRYPTION_KEY": None,
    # The node ("IdP"): entity id (Issuer), endpoints, and its PINNED signing certificate.
    "IDP_ENTITY_ID": "int.login.gov.pl",
    "SSO_URL": f"{DEV_NODE}/login/SingleSignOnService",
    "ARS_URL": f"{DEV_NODE}/login-services/idpArtifactResolutionService",
    "SLO_URL": f"{DEV_NODE}/login-services/singleLogoutService",
    "IDP_CERT": "var/login_gov_pl/node-cert.pem",
    "REQUIRED_LOA": LOA_SUBSTANTIAL,
    "REQUIRE_SIGNED_ASSERTION": True,
    "CLOCK_SKEW_SECONDS": 60,
    "REQUEST_TTL_SECONDS": 600,  # how long an AuthnRequest ID stays pending
    "REPLAY_TTL_SECONDS": 3600,  # how long used artifacts / request IDs are remembered
    "HTTP_TIMEOUT_SECONDS": 10,
}


def _pem(value: str | bytes) -> bytes:
    if isinstance(value, bytes):
        return value
    if value.lstrip().startswith("-----BEGIN"):
        return value.encode()
    path = Path(value)
    if not path.is_absolute():
        path = Path(settings.BASE_DIR) / path
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(f"LOGIN_GOV_PL: cannot read {path}: {exc}") from exc


@dataclass(frozen=True)
class LoginGovPlConfig:
    sp_entity_id: str
    acs_url: str
    sp_key: ec.EllipticCurvePrivateKey
    sp_cert: x509.Certificate
    sp_encryption_key: ec.EllipticCurvePrivateKey
    idp_entity_id: str
    sso_url: str
    ars_url: str
    slo_url: str
    idp_cert: x509.Certificate
    required_loa: str
    require_signed_assertion: bool
    clock_skew: int
    request_ttl: int
    replay_ttl: int
    http_timeout: float


def get_config() -> LoginGovPlConfig:
    values = {**DEFAULTS, **getattr(settings, "LOGIN_GOV_PL", {})}
    key = load_pem_private_key(_pem(values["SP_KEY"]), password=None)
    enc_key = (
        load_pem_private_key(_pem(values["SP_ENCRYPTION_KEY"]), password=None)
        if values["SP_ENCRYPTION_KEY"]
        else key
    )
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(
        enc_key, ec.EllipticCurvePrivateKey
    ):
        raise ImproperlyConfigured("LOGIN_GOV_PL: the SP keys must be EC (P-256) keys.")
    if values["REQUIRED_LOA"] not in LOA_ORDER:
        raise ImproperlyConfigured("LOGIN_GOV_PL: REQUIRED_LOA must be an eIDAS LoA URI.")
    return LoginGovPlConfig(
        sp_entity_id=str(values["SP_ENTITY_ID"]),
        acs_url=str(values["ACS_URL"]),
        sp_key=key,
        sp_cert=x509.load_pem_x509_certificate(_pem(values["SP_CERT"])),
        sp_encryption_key=enc_key,
        idp_entity_id=str(values["IDP_ENTITY_ID"]),
        sso_url=str(values["SSO_URL"]),
        ars_url=str(values["ARS_URL"]),
        slo_url=str(values["SLO_URL"]),
        idp_cert=x509.load_pem_x509_certificate(_pem(values["IDP_CERT"])),
        required_loa=str(values["REQUIRED_LOA"]),
        require_signed_assertion=bool(values["REQUIRE_SIGNED_ASSERTION"]),
        clock_skew=int(values["CLOCK_SKEW_SECONDS"]),
        request_ttl=int(values["REQUEST_TTL_SECONDS"]),
        replay_ttl=int(values["REPLAY_TTL_SECONDS"]),
        http_timeout=float(values["HTTP_TIMEOUT_SECONDS"]),
    )
