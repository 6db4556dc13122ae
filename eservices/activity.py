"""The resident's activity log: record an event, and the login signals that feed it."""

from __future__ import annotations

import ipaddress

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from .models import AccountEvent

Kind = AccountEvent.Kind

# Set on the request by a login flow other than the password form (e.g. "profil_zaufany").
LOGIN_METHOD_ATTR = "eservices_login_method"


def client_ip(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    # The same address django-axes locks on (behind TRUSTED_PROXY_COUNT proxies).
    from eservices.staff_security.lockout import client_ip as axes_client_ip

    address = axes_client_ip(request) or ""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def record(
    user,
    kind: str,
    request: HttpRequest | None = None,
    *,
    method: str = "",
    detail: str = "",
    actor=None,
) -> AccountEvent:
    """Append one event to ``user``'s log, with where it came from when there is a request."""
    agent = request.META.get("HTTP_USER_AGENT", "")[:255] if request is not None else ""
    return AccountEvent.objects.create(
        user=user,
        kind=kind,
        method=method[:64],
        detail=detail[:255],
        ip_address=client_ip(request),
        user_agent=agent,
        actor=actor,
    )


def recent(user, limit: int = 20) -> list[AccountEvent]:
    return list(AccountEvent.objects.filter(user=user).select_related("actor")[:limit])


@receiver(user_logged_in, dispatch_uid="eservices.activity.logged_in")
def _logged_in(sender, request, user, **kwargs) -> None:
    if request is None:
        return
    method = getattr(request, LOGIN_METHOD_ATTR, "")
    if not method:
        method = "admin" if request.path.startswith("/admin/") else "password"
    record(user, Kind.LOGIN, request, method=method)


@receiver(user_logged_out, dispatch_uid="eservices.activity.logged_out")
def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None and request is not None and not getattr(request, "_session_expired", 0):
        record(user, Kind.LOGOUT, request)


@receiver(user_login_failed, dispatch_uid="eservices.activity.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    login = credentials.get("username") or credentials.get("email") or ""
    user = get_user_model().objects.filter(email__iexact=login).first() if login else None
    if user is not None:
        record(user, Kind.LOGIN_FAILED, request, method="password")
