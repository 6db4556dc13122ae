"""Passwords, e-mail address and sessions of an account (PRACTICES.md §10, OWASP reset rules).

* A reset is asked for with the login and an identifier given at registration (PESEL, NIP or
  REGON; seed 004). The answer and the work done are the same whether or not they match: the
  e-mail is rendered either way and only sent when they do. The link works once and expires;
  using it ends every session, sends a notice, and does not log in.
* Changing the password or the e-mail address needs the current password; a new address takes
  effect only once the link sent to it is followed, and the old address is told.
* "Log out other sessions" raises the account's session epoch (part of the session hash,
  `User.get_session_auth_hash`), which ends every session but the current one.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core.cache import cache
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from stdnum.pl import nip as stdnum_nip
from stdnum.pl import pesel as stdnum_pesel
from stdnum.pl import regon as stdnum_regon

from . import account_mail, activity, crypto, tokens
from .models import AccountEvent, User

Kind = AccountEvent.Kind


def identifier_matches(user: User | None, identifier: str) -> bool:
    """Whether ``identifier`` is the account's PESEL, NIP or REGON (constant-time compares)."""
    value = "".join(ch for ch in identifier if ch.isalnum()).upper()
    pesel_index = crypto.blind_index(stdnum_pesel.compact(value)) if value else ""
    nip = stdnum_nip.compact(value) if value else ""
    regon = stdnum_regon.compact(value) if value else ""
    if user is None:
        return False
    checks = [
        bool(user.pesel_index) and hmac.compare_digest(user.pesel_index, pesel_index),
        bool(user.nip) and hmac.compare_digest(user.nip, nip),
        bool(user.regon) and hmac.compare_digest(user.regon, regon),
    ]
    return any(checks)


def request_password_reset(request: HttpRequest, email: str, identifier: str) -> bool:
    """Send a reset link if the login and identifier match an active account.

    Returns whether a link was sent, for tests and logs only: the caller answers the same way
    either way.
    """
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    matched = identifier_matches(user, identifier) and user.has_usable_password()
    # Render the message in every case so that both branches take about the same time.
    target = user if matched else User(email=email, pk=0)
    subject, body = account_mail.render(
        "password_reset",
        {
            "user": target,
            "link": tokens.PASSWORD_RESET.url("eservices:password_reset_confirm", target),
            "minutes": tokens.PASSWORD_RESET.max_age_seconds // 60,
        },
        getattr(target, "preferred_language", None),
    )
    if not matched or not _within_reset_limit(user):
        return False
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]).send()
    activity.record(user, Kind.PASSWORD_RESET_REQUESTED, request)
    return True


def _within_reset_limit(user: User) -> bool:
    """At most PASSWORD_RESET_MAX_PER_HOUR links per account and hour (OWASP: per account).

    Over the limit nothing is sent and the answer stays the same; the account is never locked.
    """
    limit = int(getattr(settings, "PASSWORD_RESET_MAX_PER_HOUR", 3))
    key = f"eservices:password-reset:{user.pk}"
    cache.add(key, 0, timeout=3600)
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        return True


def check_reset_token(token: str) -> User:
    user, _extra = tokens.PASSWORD_RESET.check(token)
    if not user.is_active:
        raise tokens.TokenError("invalid")
    return user


def reset_password(request: HttpRequest, token: str, password: str) -> User:
    """Set the new password of a valid reset link; every session of the account ends."""
    with transaction.atomic():
        user, _extra = tokens.PASSWORD_RESET.check(token, lock=True)
        if not user.is_active:
            raise tokens.TokenError("invalid")
        user.set_password(password)
        user.must_change_password = False
        user.session_epoch = F("session_epoch") + 1
        user.save(update_fields=["password", "must_change_password", "session_epoch"])
        user.refresh_from_db()
        activity.record(user, Kind.PASSWORD_RESET, request)
    account_mail.send_to_user("password_changed", user, {"reset": True})
    return user


def change_password(request: HttpRequest, user: User, password: str) -> None:
    """Change the password; this session stays, every other one ends."""
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        activity.record(user, Kind.PASSWORD_CHANGED, request)
    update_session_auth_hash(request, user)
    account_mail.send_to_user("password_changed", user, {"reset": False})


def end_other_sessions(request: HttpRequest, user: User) -> None:
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    update_session_auth_hash(request, user)
    activity.record(user, Kind.OTHER_SESSIONS_ENDED, request)


def update_data(request: HttpRequest, form) -> None:
    with transaction.atomic():
        changed = ", ".join(form.changed_data)
        form.save()
        activity.record(form.instance, Kind.DATA_CHANGED, request, detail=changed)


def request_email_change(request: HttpRequest, user: User, new_email: str) -> None:
    """Send a confirmation link to the new address and a notice to the current one.

    Nothing changes until the link is followed. An address taken by another account gets no
    link (and the form does not say so), so the form cannot probe for accounts.
    """
    activity.record(user, Kind.EMAIL_CHANGE_REQUESTED, request)
    if not User.objects.filter(email__iexact=new_email).exists():
        account_mail.send(
            "email_change_confirm",
            new_email,
            {
                "user": user,
                "link": tokens.EMAIL_CHANGE.url(
                    "eservices:email_change_confirm", user, new=new_email
                ),
                "hours": tokens.EMAIL_CHANGE.max_age_seconds // 3600,
            },
            user.preferred_language,
        )
    account_mail.send_to_user("email_change_requested", user, {"new_email": new_email})


class EmailTaken(Exception):
    pass


def confirm_email_change(request: HttpRequest, user: User, token: str) -> tuple[str, str]:
    """Apply the address of a valid link issued to ``user``; (old, new) addresses."""
    with transaction.atomic():
        owner, extra = tokens.EMAIL_CHANGE.check(token, lock=True)
        if owner.pk != user.pk:
            raise tokens.TokenError("invalid")
        new_email = extra.get("new", "")
        old_email = owner.email
        owner.email = new_email
        try:
            with transaction.atomic():
                owner.save(update_fields=["email"])
        except IntegrityError:
            raise EmailTaken from None
        activity.record(owner, Kind.EMAIL_CHANGED, request, detail=f"{old_email} → {new_email}")
    user.email = new_email
    account_mail.send(
        "email_changed",
        old_email,
        {"user": owner, "new_email": new_email},
        owner.preferred_language,
    )
    return old_email, new_email
