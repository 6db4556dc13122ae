"""Thin Django layer: start the login, receive the artifact, log out.

ACS failures show one clear page (Polish/English through gettext), log the reason, and change
nothing: no account is created and nobody is logged in.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time

from django.conf import settings
from django.contrib.auth import logout
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ..staff_security.csp import public_policy_with_form_action
from . import client, saml
from .config import get_config
from .login import LOGIN_METHOD, LOGIN_METHOD_SESSION_KEY, SLO_SESSION_KEY, complete_login

logger = logging.getLogger(__name__)

PENDING_SESSION_KEY = "login_gov_pl_pending"
MAX_PENDING = 5

ERROR_MESSAGES = {
    "signature": _("The answer from login.gov.pl could not be verified."),
    "unsigned": _("The answer from login.gov.pl could not be verified."),
    "issuer": _("The answer from login.gov.pl could not be verified."),
    "audience": _("The answer from login.gov.pl could not be verified."),
    "destination": _("The answer from login.gov.pl could not be verified."),
    "decrypt": _("The answer from login.gov.pl could not be read."),
    "replay": _("This login has already been used. Please log in again."),
    "in_response_to": _(
        "This login was not started in this browser or has timed out. Please start again."
    ),
    "expired": _("The answer from login.gov.pl has expired. Please log in again."),
    "loa": _(
        "The way you logged in does not give a high enough level of assurance. "
        "Please log in again with Profil Zaufany, an e-ID card or your bank."
    ),
    "status": _("login.gov.pl reported that the login was cancelled or did not succeed."),
    "transport": _("login.gov.pl cannot be reached right now. Please try again later."),
    "attributes": _("login.gov.pl did not send the data needed to identify you."),
    "disabled": _("This account is disabled. Please contact the office."),
}
DEFAULT_ERROR = _("The login through login.gov.pl did not succeed. Please try again.")


def _failure(request: HttpRequest, exc: saml.SamlError) -> HttpResponse:
    logger.warning(
        "login.gov.pl login refused: %s (%s) from %s",
        exc.code,
        exc.detail,
        request.META.get("REMOTE_ADDR", "?"),
    )
    message = ERROR_MESSAGES.get(exc.code, DEFAULT_ERROR)
    status = 502 if exc.code == "transport" else 400
    response = render(request, "eservices/identity/error.html", {"message": message}, status=status)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """Build a signed AuthnRequest, remember its ID in the session, POST it to the node.

    The login page's button POSTs here (with its CSRF token); a plain link GETs.
    """
    cfg = get_config()
    authn = saml.build_authn_request(cfg)
    next_url = request.POST.get("next", "") or request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    relay_state = secrets.token_urlsafe(24)
    now = time.time()
    pending = {
        rid: entry
        for rid, entry in request.session.get(PENDING_SESSION_KEY, {}).items()
        if now - entry["issued"] < cfg.request_ttl
    }
    pending[authn.id] = {"issued": now, "relay": relay_state, "next": next_url}
    # Keep only the newest few (a resident may open the login in several tabs).
    pending = dict(sorted(pending.items(), key=lambda kv: kv[1]["issued"])[-MAX_PENDING:])
    request.session[PENDING_SESSION_KEY] = pending
    logger.info("login.gov.pl: AuthnRequest %s sent", authn.id)
    response = render(
        request,
        "eservices/identity/post_form.html",
        {
            "action": cfg.sso_url,
            "saml_request": authn.base64,
            "relay_state": relay_state,
        },
    )
    response["Content-Security-Policy"] = public_policy_with_form_action(cfg.sso_url)
    return response


def _resolve(request: HttpRequest, artifact: str, relay_state: str):
    cfg = get_config()
    now = time.time()
    pending = {
        rid: entry
        for rid, entry in request.session.get(PENDING_SESSION_KEY, {}).items()
        if now - entry["issued"] < cfg.request_ttl
    }
    if not pending:
        raise saml.SamlError("in_response_to", "no login pending in this session")
    saml.check_artifact(cfg, artifact)
    # Single use: an artifact is accepted once, ever (within the replay TTL), before any
    # network call is made with it.
    digest = hashlib.sha256(artifact.encode()).hexdigest()
    if not cache.add(f"login_gov_pl:artifact:{digest}", 1, cfg.replay_ttl):
        raise saml.SamlError("replay", "artifact already used")
    resolve = saml.build_artifact_resolve(cfg, artifact)
    answer = client.resolve_artifact(cfg, resolve.xml)
    identity, request_id = saml.parse_artifact_response(
        cfg, answer, resolve_id=resolve.id, expected_request_ids=frozenset(pending)
    )
    entry = pending[request_id]
    if not secrets.compare_digest(entry["relay"], relay_state):
        raise saml.SamlError("in_response_to", "RelayState does not match the request")
    if not cache.add(f"login_gov_pl:request:{request_id}", 1, cfg.replay_ttl):
        raise saml.SamlError("replay", "request ID already answered")
    return identity, entry.get("next", "")


@csrf_exempt  # the node redirects the browser here; the artifact is bound to the session instead
@never_cache
@require_http_methods(["GET", "POST"])
def acs(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else request.GET
    artifact = data.get("SAMLart", "")
    relay_state = data.get("RelayState", "")
    if not artifact:
        return _failure(request, saml.SamlError("malformed", "no SAMLart"))
    try:
        identity, next_url = _resolve(request, artifact, relay_state)
        user = complete_login(request, identity)
    except saml.SamlError as exc:
        return _failure(request, exc)
    except PermissionError:
        return _failure(request, saml.SamlError("disabled", "inactive account"))
    request.session.pop(PENDING_SESSION_KEY, None)
    logger.info("login.gov.pl: ACS completed for user %s", user.pk)
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)


def node_logout(request: HttpRequest) -> bool | None:
    """End the login.gov.pl session with a signed SOAP LogoutRequest, before a local logout.

    None when the session did not come from login.gov.pl; True when the node confirmed with a
    valid signed LogoutResponse; False otherwise (logged). The portal's own logout view can
    call this too.
    """
    confirmed: bool | None = None
    slo = request.session.get(SLO_SESSION_KEY)
    if request.session.get(LOGIN_METHOD_SESSION_KEY) == LOGIN_METHOD and slo:
        cfg = get_config()
        logout_request = saml.build_logout_request(cfg, slo["name_id"], slo["session_index"])
        try:
            answer = client.send_logout_request(cfg, logout_request.xml)
            saml.parse_logout_response(cfg, answer, request_id=logout_request.id)
            confirmed = True
            logger.info("login.gov.pl: single logout %s confirmed", logout_request.id)
        except saml.SamlError as exc:
            confirmed = False
            logger.warning("login.gov.pl: single logout failed: %s (%s)", exc.code, exc.detail)
    return confirmed


@never_cache
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """Log out at the node (if the login came from there) and here."""
    confirmed = node_logout(request)
    logout(request)  # flushes the session whatever the node said
    response = render(request, "eservices/identity/logged_out.html", {"node_logout": confirmed})
    response["Cache-Control"] = "no-store"
    return response
