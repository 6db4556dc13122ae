"""Accounts created at the counter (seed 000: "gminny login"): the initial password and its letter.

A clerk who has verified the payer creates the account in the admin and records how; the
system then issues an initial password, printed on a letter (PDF) or shown once on screen.
Only the hash is stored: issuing again replaces the password. The resident must set their own
password at the first login (`eservices.sessions`).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import get_random_string
from wagtail.log_actions import log

from eservices.pdf import html_to_pdf

from . import activity
from .models import AccountEvent, User

# No 0/O, 1/l/I: the password is typed from paper.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - an alphabet


def generate_password() -> str:
    raw = get_random_string(15, PASSWORD_ALPHABET)  # about 74 bits
    return "-".join(raw[i : i + 5] for i in range(0, 15, 5))


def issue_initial_password(request: HttpRequest, account: User, delivery: str) -> str:
    """Give the account a new initial password (ending its sessions); returns the plain text."""
    password = generate_password()
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        account.set_password(password)
        account.must_change_password = True
        account.session_epoch = F("session_epoch") + 1
        account.save(update_fields=["password", "must_change_password", "session_epoch"])
        log(account, "eservices.initial_password", user=request.user, data={"delivery": delivery})
        activity.record(
            account,
            AccountEvent.Kind.INITIAL_PASSWORD,
            request,
            method=delivery,
            actor=request.user,
        )
    return password


def letter_pdf(account: User, password: str, municipality, language: str = "pl") -> bytes:
    with translation.override(language):
        html = render_to_string(
            "eservices/counter/letter.html",
            {
                "account": account,
                "password": password,
                "municipality": municipality,
                "issued_at": timezone.localtime(),
                "LANGUAGE_CODE": language,
            },
        )
    return html_to_pdf(html)
