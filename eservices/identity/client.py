"""HTTP back-channel to the node: ArtifactResolve and LogoutRequest, SOAP 1.1 over ``requests``."""

from __future__ import annotations

import logging

import requests

from .config import LoginGovPlConfig
from .saml import SamlError

logger = logging.getLogger(__name__)

SOAP_HEADERS = {
    "Content-Type": "text/xml; charset=utf-8",
    "SOAPAction": '"http://www.oasis-open.org/committees/security"',
    "Accept": "text/xml",
}
MAX_RESPONSE_BYTES = 1_000_000


def soap_post(cfg: LoginGovPlConfig, url: str, body: bytes) -> bytes:
    """POST a SOAP message; any transport problem becomes a SamlError('transport')."""
    try:
        response = requests.post(
            url,
            data=body,
            headers=SOAP_HEADERS,
            timeout=cfg.http_timeout,
            allow_redirects=False,
            stream=True,
        )
        content = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
    except requests.RequestException as exc:
        raise SamlError("transport", f"{url}: {type(exc).__name__}") from exc
    if len(content) > MAX_RESPONSE_BYTES:
        raise SamlError("transport", f"{url}: response too large")
    if response.status_code != 200:
        raise SamlError("transport", f"{url}: HTTP {response.status_code}")
    return content


def resolve_artifact(cfg: LoginGovPlConfig, soap_request: bytes) -> bytes:
    return soap_post(cfg, cfg.ars_url, soap_request)


def send_logout_request(cfg: LoginGovPlConfig, soap_request: bytes) -> bytes:
    return soap_post(cfg, cfg.slo_url, soap_request)
