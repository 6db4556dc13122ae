"""Session rules for residents (PRACTICES.md §10, ASVS 7.3): idle and absolute timeouts, and
the forced password change of accounts created at the counter.

* A resident's session ends after ``RESIDENT_SESSION_IDLE_SECONDS`` without a request and in
  any case ``RESIDENT_SESSION_ABSOLUTE_SECONDS`` after login. Pages show when it will end
  (`request.session_ends_at`); with JavaScript a dialog warns ``SESSION_WARNING_SECONDS``
  before and offers to stay signed in (WCAG 2.2.1). Staff sessions follow the admin's rules.
* An account with ``must_change_password`` reaches only the password change page and logout.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from . import activity
from .models import AccountEvent

STARTED_KEY = "eservices:session_started"
LAST_SEEN_KEY = "eservices:session_last_seen"

# What an account that must change its password may still open.
FORCED_CHANGE_ALLOWED = {
    "eservices:password_change",
    "eservices:logout",
    "identity:login_gov_pl_logout",
    "javascript-catalog",
    "set_language",
}


def idle_seconds() -> int:
    return int(getattr(settings, "RESIDENT_SESSION_IDLE_SECONDS", 15 * 60))


def absolute_seconds() -> int:
    return int(getattr(settings, "RESIDENT_SESSION_ABSOLUTE_SECONDS", 8 * 3600))


def warning_seconds() -> int:
    return int(getattr(settings, "SESSION_WARNING_SECONDS", 150))


def applies_to(user) -> bool:
    return user.is_authenticated and not user.is_staff


@receiver(user_logged_in, dispatch_uid="eservices.sessions.logged_in")
def _start(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[STARTED_KEY] = now
        request.session[LAST_SEEN_KEY] = now


class ResidentSessionMiddleware:
    """Goes after AuthenticationMiddleware and MessageMiddleware."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and applies_to(user):
            expired = self._check(request)
            if expired is not None:
                return expired
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        session = request.session
        now = int(time.time())
        started = session.get(STARTED_KEY)
        last_seen = session.get(LAST_SEEN_KEY)
        if started is None or last_seen is None:
            # A session from before these rules: its clock starts now.
            started = last_seen = now
            session[STARTED_KEY] = now
        if now - last_seen > idle_seconds() or now - started > absolute_seconds():
            user = request.user
            request._session_expired = True
            logout(request)
            activity.record(user, AccountEvent.Kind.SESSION_EXPIRED, request)
            messages.info(
                request, _("Your session has ended for your safety. Please log in again.")
            )
            if request.method == "GET":
                return redirect_to_login(request.get_full_path())
            return redirect(settings.LOGIN_URL)
        session[LAST_SEEN_KEY] = now
        request.session_ends_at = min(now + idle_seconds(), started + absolute_seconds())
        return None

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.must_change_password:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in FORCED_CHANGE_ALLOWED:
            return None
        messages.warning(
            request,
            _("This account was created at the office. Set your own password to continue."),
        )
        return redirect("eservices:password_change")
