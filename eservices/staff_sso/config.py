"""python3-saml settings for staff single sign-on, built from ``settings.STAFF_SSO``.

The IdP side comes from its metadata (a file path or an https URL, cached), the SP side from our
own settings. Addresses are built from ``PORTAL_BASE_URL``, never from the request's Host header.
"""

from __future__ import annotations

import copy
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.urls import reverse
from onelogin.saml2.constants import OneLogin_Saml2_Constants as Constants
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser as MetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings

_METADATA_CACHE_KEY = "staff_sso:idp_metadata"


def is_enabled() -> bool:
    return bool(settings.STAFF_SSO.get("ENABLED"))


def absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _read(value: str) -> str:
    """PEM text, or a path (relative to BASE_DIR) to a PEM file; "" stays ""."""
    if not value or value.lstrip().startswith("-----BEGIN"):
        return value
    path = Path(value)
    if not path.is_absolute():
        path = Path(settings.BASE_DIR) / path
    return path.read_text()


def idp_settings() -> dict:
    """The IdP part, parsed from its metadata: a URL (cached), a file or the XML itself."""
    conf = settings.STAFF_SSO
    source = conf.get("IDP_METADATA", "")
    if not source:
        raise ImproperlyConfigured("STAFF_SSO_IDP_METADATA must name the IdP's metadata.")
    entity_id = conf.get("IDP_ENTITY_ID") or None
    if source.startswith("https://") or source.startswith("http://"):
        parsed = cache.get(_METADATA_CACHE_KEY)
        if parsed is None:
            parsed = MetadataParser.parse_remote(
                source, entity_id=entity_id, timeout=conf.get("HTTP_TIMEOUT_SECONDS", 10)
            )
            cache.set(_METADATA_CACHE_KEY, parsed, conf.get("METADATA_CACHE_SECONDS", 3600))
        return copy.deepcopy(parsed)
    xml = source if source.lstrip().startswith("<") else _read(source)
    return MetadataParser.parse(xml, entity_id=entity_id)


def saml_settings() -> OneLogin_Saml2_Settings:
    conf = settings.STAFF_SSO
    sp_cert, sp_key = _read(conf.get("SP_CERT", "")), _read(conf.get("SP_KEY", ""))
    signing = bool(sp_cert and sp_key)
    data = {
        # Strict: destinations, audiences, InResponseTo, time windows and signatures checked.
        "strict": True,
        "debug": False,
        "sp": {
            "entityId": conf.get("SP_ENTITY_ID") or absolute(reverse("staff_sso:metadata")),
            "assertionConsumerService": {
                "url": absolute(reverse("staff_sso:acs")),
                "binding": Constants.BINDING_HTTP_POST,
            },
            "NameIDFormat": conf.get("NAME_ID_FORMAT", Constants.NAMEID_EMAIL_ADDRESS),
            "x509cert": sp_cert,
            "privateKey": sp_key,
        },
        "security": {
            "authnRequestsSigned": signing,
            "wantAssertionsSigned": True,
            "wantMessagesSigned": False,
            "wantNameId": True,
            "requestedAuthnContext": False,
            "signMetadata": False,
            "signatureAlgorithm": Constants.RSA_SHA256,
            "digestAlgorithm": Constants.SHA256,
            "rejectDeprecatedAlgorithm": True,
            "allowRepeatAttributeName": True,
        },
    }
    data = MetadataParser.merge_settings(data, idp_settings())
    return OneLogin_Saml2_Settings(data, sp_validation_only=False)


def request_data(request: HttpRequest) -> dict:
    """The request as python3-saml wants it, with scheme, host and port of PORTAL_BASE_URL."""
    base = urlsplit(settings.PORTAL_BASE_URL)
    https = base.scheme == "https"
    return {
        "https": "on" if https else "off",
        "http_host": base.hostname,
        "server_port": str(base.port or (443 if https else 80)),
        "script_name": request.path,
        "get_data": request.GET.copy(),
        "post_data": request.POST.copy(),
    }
