"""Tiered cool-off for django-axes (PRACTICES.md §8).

django-axes 8.3 has no ``AXES_LOCKOUT_TIERS``; its documented hook is ``AXES_COOLOFF_TIME`` as a
callable taking the request. This one counts the failures of the request's username+IP pair
since that pair last logged in successfully (within the longest tier) and picks the tier:
``settings.AXES_LOCKOUT_TIERS`` is ``((failures, seconds), ...)``, e.g. 3 -> 15 min, 6 -> 2 h,
10 -> 24 h. With ``AXES_USE_ATTEMPT_EXPIRATION`` each pair's record keeps its own expiry.
"""

from __future__ import annotations

from datetime import timedelta

from axes.helpers import get_client_username
from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone


def _tiers() -> list[tuple[int, timedelta]]:
    return sorted(
        (int(failures), timedelta(seconds=seconds))
        for failures, seconds in settings.AXES_LOCKOUT_TIERS
    )


def failures_since_last_login(username: str | None, ip_address: str | None) -> int:
    """Failed logins of the pair within the longest tier, after its last successful login."""
    since = timezone.now() - _tiers()[-1][1]
    last_login = (
        AccessLog.objects.filter(username=username, ip_address=ip_address, attempt_time__gt=since)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if last_login:
        since = max(since, last_login)
    return AccessFailureLog.objects.filter(
        username=username, ip_address=ip_address, attempt_time__gt=since
    ).count()


def cool_off(request: HttpRequest | None = None) -> timedelta:
    tiers = _tiers()
    if request is None:
        return tiers[0][1]
    username = get_client_username(request, getattr(request, "axes_credentials", None))
    failures = failures_since_last_login(username, getattr(request, "axes_ip_address", None))
    # "+ 1": while a failure is being recorded it is not in the log yet, and the tier it
    # starts must already set the record's expiry.
    chosen = tiers[0][1]
    for threshold, duration in tiers:
        if failures + 1 >= threshold:
            chosen = duration
    return chosen


def client_ip(request: HttpRequest) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: the client's address, not the reverse proxy's.

    Each of the ``TRUSTED_PROXY_COUNT`` proxies appends the address it saw to X-Forwarded-For,
    so the N-th entry from the right is the one the outermost trusted proxy saw; anything
    further left was written by the client and is ignored.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [h for h in hops if h]
        if len(hops) >= count:
            return hops[-count]
    return request.META.get("REMOTE_ADDR")
