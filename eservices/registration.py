"""Self-registration and e-mail activation (seed 004: "Zakładanie kont").

An account registers inactive; the link in the activation e-mail (signed, single-use, expiring)
makes it active. Registering with an address that already has an account changes nothing and
tells the holder of that address instead, so the form does not reveal who has an account.
"""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from . import account_mail, activity, tokens
from .models import AccountEvent, User

# Bump when the text of eservices/registration/data_notice.html changes.
DATA_NOTICE_VERSION = "2026-11-01"
DATA_NOTICE_TEMPLATE = "eservices/registration/data_notice.html"


def data_notice_reference() -> str:
    """The version of the notice and a hash of its Polish text, as recorded on acceptance."""
    with translation.override("pl"):
        text = render_to_string(DATA_NOTICE_TEMPLATE)
    digest = hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:16]
    return f"{DATA_NOTICE_VERSION} sha256:{digest}"


def register(request: HttpRequest, data: dict, kind: str) -> User | None:
    """Create the inactive account and send the activation link; None if the address is taken."""
    email = data["email"].strip().lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        account_mail.send_to_user("already_registered", existing)
        return None
    user = User(
        email=email,
        kind=kind,
        first_name=data.get("first_name", ""),
        last_name=data.get("last_name", ""),
        organisation_name=data.get("organisation_name", ""),
        phone=data.get("phone", ""),
        nip=data.get("nip", ""),
        regon=data.get("regon", ""),
        is_active=False,
        data_notice_version=data_notice_reference(),
        data_notice_accepted_at=timezone.now(),
        preferred_language=translation.get_language() or "pl",
    )
    user.pesel = data.get("pesel", "")
    user.set_password(data["password1"])
    try:
        with transaction.atomic():
            user.save()
            activity.record(user, AccountEvent.Kind.REGISTERED, request, method=kind)
    except IntegrityError:
        # Two submissions of the same address at once: the other one won.
        return None
    send_activation(user)
    return user


def send_activation(user: User) -> None:
    account_mail.send_to_user(
        "activation",
        user,
        {
            "link": tokens.ACTIVATION.url("eservices:activate", user),
            "hours": tokens.ACTIVATION.max_age_seconds // 3600,
        },
    )


def activate(request: HttpRequest, token: str) -> User:
    """Make the account of a valid activation link active; `tokens.TokenError` otherwise."""
    with transaction.atomic():
        user, _extra = tokens.ACTIVATION.check(token, lock=True)
        if user.is_active:
            raise tokens.TokenError("used")
        user.is_active = True
        user.save(update_fields=["is_active"])
        activity.record(user, AccountEvent.Kind.ACTIVATED, request)
    return user
