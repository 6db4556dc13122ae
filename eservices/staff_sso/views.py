"""Staff single sign-on (SAML 2.0 Web Browser SSO, SP-initiated) with python3-saml.

1. ``login``: an AuthnRequest by HTTP-Redirect; its ID goes into the session and into the
   cache under a random one-time RelayState.
2. ``acs``: the IdP posts the Response cross-site, so the session cookie (SameSite=Lax) is not
   sent. The Response is validated strictly (signature against the IdP's metadata certificate,
   destination, audience, InResponseTo = the ID the RelayState stands for, time window); the
   RelayState and the assertion ID are each accepted once. The outcome waits in the cache
   under a one-time key.
3. ``complete``: the browser follows a redirect (a top-level GET, so its session cookie comes
   along); the outcome is accepted only if this session started that request. Then the staff
   account is signed in and the admin asks for the second factor as for any other login
   (`eservices.staff_security`): single sign-on replaces the password, not the TOTP.
"""

from __future__ import annotations

import logging
import secrets

from django.contrib.auth import login as auth_login
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from wagtail.log_actions import log

from .config import is_enabled, request_data, saml_settings
from .login import NoStaffAccount, asserted_email, staff_user_for

logger = logging.getLogger(__name__)

SESSION_KEY = "staff_sso:request_id"
RELAY_PREFIX = "staff_sso:relay:"
RELAY_MAX_AGE = 10 * 60
OUTCOME_SECONDS = 2 * 60
ONCE_SECONDS = 24 * 3600  # longer than any assertion's validity window


def _enabled_or_404() -> None:
    if not is_enabled():
        raise Http404


def _safe_next(request: HttpRequest, value: str | None) -> str:
    admin_home = reverse("wagtailadmin_home")
    if value and value.startswith(admin_home) and url_has_allowed_host_and_scheme(value, None):
        return value
    return admin_home


def _refused(request: HttpRequest, reason: str, status: int = 403) -> HttpResponse:
    logger.warning("Staff single sign-on refused: %s", reason)
    return render(request, "eservices/staff_sso/refused.html", status=status)


@never_cache
@require_GET
def login(request: HttpRequest) -> HttpResponse:
    _enabled_or_404()
    auth = OneLogin_Saml2_Auth(request_data(request), saml_settings())
    # RelayState is a random one-time key; what it stands for stays here, in the cache.
    relay = secrets.token_urlsafe(32)
    url = auth.login(return_to=relay)
    request_id = auth.get_last_request_id()
    next_url = _safe_next(request, request.GET.get("next"))
    cache.set(f"{RELAY_PREFIX}{relay}", {"rid": request_id, "next": next_url}, RELAY_MAX_AGE)
    request.session[SESSION_KEY] = request_id
    return HttpResponseRedirect(url)


@csrf_exempt  # the IdP posts from its own origin; the signed Response is the proof
@never_cache
@require_POST
def acs(request: HttpRequest) -> HttpResponse:
    _enabled_or_404()
    relay_key = f"{RELAY_PREFIX}{request.POST.get('RelayState', '')}"
    relay = cache.get(relay_key)
    if relay is None:
        return _refused(request, "missing, unknown or expired RelayState", status=400)
    auth = OneLogin_Saml2_Auth(request_data(request), saml_settings())
    try:
        auth.process_response(request_id=relay["rid"])
    except Exception as exc:  # python3-saml raises on unparsable input
        return _refused(request, f"unreadable response: {exc}", status=400)
    if auth.get_errors() or not auth.is_authenticated():
        return _refused(request, f"{auth.get_errors()}: {auth.get_last_error_reason()}", 400)
    assertion_id = auth.get_last_assertion_id()
    if cache.delete(relay_key) is False:  # another request took it first
        return _refused(request, "request answered before (replay)", status=400)
    if not assertion_id or not cache.add(f"staff_sso:aid:{assertion_id}", 1, ONCE_SECONDS):
        return _refused(request, "assertion seen before (replay)", status=400)
    key = secrets.token_urlsafe(32)
    outcome = {
        "rid": relay["rid"],
        "next": relay["next"],
        "email": asserted_email(auth.get_nameid(), auth.get_attributes()),
    }
    cache.set(f"staff_sso:outcome:{key}", outcome, OUTCOME_SECONDS)
    return HttpResponseRedirect(f"{reverse('staff_sso:complete')}?key={key}")


@never_cache
@require_GET
def complete(request: HttpRequest) -> HttpResponse:
    _enabled_or_404()
    key = request.GET.get("key", "")
    outcome = cache.get(f"staff_sso:outcome:{key}") if key else None
    if outcome is None:
        return _refused(request, "unknown or used outcome key", status=400)
    cache.delete(f"staff_sso:outcome:{key}")
    if request.session.pop(SESSION_KEY, None) != outcome["rid"]:
        return _refused(request, "the response belongs to another browser", status=400)
    try:
        user = staff_user_for(outcome["email"])
    except NoStaffAccount:
        return _refused(request, f"no staff account for {outcome['email']!r}")
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    log(instance=user, action="eservices.staff_sso_login", user=user)
    return HttpResponseRedirect(outcome["next"])


@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    """Our SP metadata, for the IdP's administrator."""
    _enabled_or_404()
    saml = saml_settings()
    xml = saml.get_sp_metadata()
    errors = saml.validate_metadata(xml)
    if errors:
        return HttpResponse(_("Invalid metadata: %s") % ", ".join(errors), status=500)
    return HttpResponse(xml, content_type="application/samlmetadata+xml")
