"""Signed, expiring, single-use links in account e-mails: activation, reset, e-mail change.

A token is a signed, timestamped payload naming the user and a keyed hash of the account state
the link may act on (``state``: e.g. the password hash for a reset). Using the link changes that
state, so the same link can never work twice, and nothing has to be stored: a reset link dies
with the password it would replace. Links are always built from ``settings.PORTAL_BASE_URL``,
never from the request's Host header (PRACTICES.md §10).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac


class TokenError(Exception):
    """The link cannot be used; ``reason`` is "expired", "used" or "invalid"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AccountToken:
    purpose: str
    # Read when checked, so that a deployment (or a test) can change it.
    max_age_setting: str
    default_max_age: int
    state: Callable[[Any], str]

    @property
    def max_age_seconds(self) -> int:
        return int(getattr(settings, self.max_age_setting, self.default_max_age))

    def _state_hash(self, user, extra: dict) -> str:
        material = f"{user.pk}|{self.state(user)}|{sorted(extra.items())}"
        return salted_hmac(f"eservices.tokens.{self.purpose}", material).hexdigest()[:32]

    def make(self, user, **extra: str) -> str:
        payload = {"u": user.pk, "s": self._state_hash(user, extra), **extra}
        return signing.dumps(payload, salt=f"eservices.tokens.{self.purpose}", compress=True)

    def check(self, token: str, *, lock: bool = False) -> tuple[Any, dict]:
        """The user the token is for and its extra values, or `TokenError`.

        ``lock`` takes a row lock on the user (inside a transaction) so that two clicks on the
        same link cannot both use it.
        """
        try:
            payload = signing.loads(
                token, salt=f"eservices.tokens.{self.purpose}", max_age=self.max_age_seconds
            )
        except signing.SignatureExpired:
            raise TokenError("expired") from None
        except signing.BadSignature:
            raise TokenError("invalid") from None
        if not isinstance(payload, dict) or "u" not in payload or "s" not in payload:
            raise TokenError("invalid")
        extra = {k: v for k, v in payload.items() if k not in {"u", "s"}}
        users = get_user_model().objects.all()
        if lock:
            users = users.select_for_update()
        user = users.filter(pk=payload["u"]).first()
        if user is None:
            raise TokenError("invalid")
        if not constant_time_compare(payload["s"], self._state_hash(user, extra)):
            raise TokenError("used")
        return user, extra

    def url(self, viewname: str, user, **extra: str) -> str:
        path = reverse(viewname, kwargs={"token": self.make(user, **extra)})
        return settings.PORTAL_BASE_URL.rstrip("/") + path


ACTIVATION = AccountToken(
    "activation",
    "ACCOUNT_ACTIVATION_SECONDS",
    72 * 3600,
    state=lambda user: f"{user.is_active}|{user.email}|{user.last_login}",
)
PASSWORD_RESET = AccountToken(
    "password-reset",
    "PASSWORD_RESET_LINK_SECONDS",
    3600,
    state=lambda user: f"{user.password}|{user.last_login}|{user.is_active}",
)
# The payload carries the new address; the state is the current one, so once changed (by this
# link or another) the link stops working.
EMAIL_CHANGE = AccountToken(
    "email-change",
    "EMAIL_CHANGE_LINK_SECONDS",
    24 * 3600,
    state=lambda user: f"{user.email}|{user.password}",
)
