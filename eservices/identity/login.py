"""What a successful login.gov.pl login does to the portal's accounts."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model, login
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from eservices import crypto
from eservices.activity import LOGIN_METHOD_ATTR
from eservices.models import AccountLink, ExternalIdentity, Taxpayer

from .saml import Identity

logger = logging.getLogger(__name__)

LOGIN_METHOD_SESSION_KEY = "login_method"
LOGIN_METHOD = "profil_zaufany"
SLO_SESSION_KEY = "login_gov_pl_slo"  # NameID + SessionIndex kept for single logout
PLACEHOLDER_EMAIL_DOMAIN = "profil-zaufany.invalid"


def _find_or_create_user(identity: Identity):
    User = get_user_model()
    subject = crypto.blind_index(identity.pesel)
    now = timezone.now()
    link = (
        ExternalIdentity.objects.select_for_update()
        .select_related("user")
        .filter(provider=ExternalIdentity.Provider.LOGIN_GOV_PL, subject=subject)
        .first()
    )
    if link is not None:
        link.last_login_at = now
        link.save(update_fields=["last_login_at"])
        return link.user, False
    # The account has no e-mail yet: the User model requires a unique one, so it gets a
    # placeholder on a reserved domain (RFC 2606) until the resident gives a real address.
    user = User(
        email=f"wk-{subject[:24]}@{PLACEHOLDER_EMAIL_DOMAIN}",
        first_name=identity.first_names[:150],
        last_name=identity.last_name[:150],
        kind=User.AccountKind.PERSON,
    )
    user.set_unusable_password()
    user.save()
    external = ExternalIdentity(
        user=user,
        provider=ExternalIdentity.Provider.LOGIN_GOV_PL,
        first_login_at=now,
        last_login_at=now,
    )
    external.pesel = identity.pesel
    external.save()
    return user, True


def _auto_link(user, identity: Identity) -> None:
    if not getattr(settings, "PROFIL_ZAUFANY_AUTO_LINK", False):
        return
    taxpayers = list(Taxpayer.objects.with_pesel(identity.pesel)[:2])
    if len(taxpayers) != 1:
        if taxpayers:
            logger.info("login.gov.pl: no auto-link for user %s: several taxpayers match", user.pk)
        return
    taxpayer = taxpayers[0]
    if AccountLink.objects.filter(user=user, taxpayer=taxpayer, revoked_at__isnull=True).exists():
        return
    AccountLink.objects.create(
        user=user, taxpayer=taxpayer, method=AccountLink.Method.PROFIL_ZAUFANY
    )
    logger.info("login.gov.pl: user %s auto-linked to taxpayer %s", user.pk, taxpayer.pk)


def complete_login(request: HttpRequest, identity: Identity):
    """Find or create the account for the asserted PESEL, log it in on a NEW session, link."""
    with transaction.atomic():
        user, created = _find_or_create_user(identity)
        if not user.is_active:
            raise PermissionError("account disabled")
        _auto_link(user, identity)
    # login() cycles the session key (new session token, ASVS 7.2.4) and keeps nothing of the
    # anonymous session's authentication state.
    request.session.cycle_key()
    setattr(request, LOGIN_METHOD_ATTR, LOGIN_METHOD)  # for the activity log
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[LOGIN_METHOD_SESSION_KEY] = LOGIN_METHOD
    request.session[SLO_SESSION_KEY] = {
        "name_id": identity.name_id,
        "session_index": identity.session_index,
    }
    logger.info(
        "login.gov.pl: user %s logged in (%s, LoA %s)",
        user.pk,
        "new account" if created else "existing account",
        identity.loa,
    )
    return user
