"""Basic abuse protection of public surveys answered without an account.

A browser that has answered carries a signed cookie (refused again while it has it), and each
IP address may send at most ``SURVEYS_ANONYMOUS_ANSWERS_PER_IP`` answers to one survey per
``SURVEYS_ANONYMOUS_WINDOW_SECONDS`` (a counter in the shared cache, so it holds across web
processes when Redis is configured). Neither is proof against a determined person with many
addresses: surveys that need one answer per person are for logged-in residents.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from eservices.staff_security.lockout import client_ip

COOKIE_SALT = "surveys.answered"
COOKIE_MAX_AGE = 60 * 60 * 24 * 400


def cookie_name(page) -> str:
    return f"ankieta_{page.pk}"


def browser_has_answered(request: HttpRequest, page) -> bool:
    value = request.get_signed_cookie(cookie_name(page), default=None, salt=COOKIE_SALT)
    return value == str(page.pk)


def mark_browser(response: HttpResponse, page) -> None:
    response.set_signed_cookie(
        cookie_name(page),
        str(page.pk),
        salt=COOKIE_SALT,
        max_age=COOKIE_MAX_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def take_ip_slot(request: HttpRequest, page) -> bool:
    """Count one anonymous answer from the request's IP; False once over the limit."""
    ip = client_ip(request) or "unknown"
    # The address itself is not kept, only a keyed hash of it, for as long as the window.
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()[:32]
    key = f"surveys:ip:{page.pk}:{digest}"
    window = settings.SURVEYS_ANONYMOUS_WINDOW_SECONDS
    if cache.add(key, 1, timeout=window):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=window)
            count = 1
    return count <= settings.SURVEYS_ANONYMOUS_ANSWERS_PER_IP
