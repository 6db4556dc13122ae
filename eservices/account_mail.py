"""E-mails about an account: activation, reset, confirmations and notices to the holder.

Each message is two templates, ``eservices/email/<name>_subject.txt`` and ``<name>.txt``,
rendered in the holder's language. Links in them come from `eservices.tokens` (built from
``settings.PORTAL_BASE_URL``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation


def render(name: str, context: dict, language: str | None = None) -> tuple[str, str]:
    with translation.override(language or settings.LANGUAGE_CODE):
        context = {"portal_url": settings.PORTAL_BASE_URL.rstrip("/"), **context}
        subject = render_to_string(f"eservices/email/{name}_subject.txt", context)
        body = render_to_string(f"eservices/email/{name}.txt", context)
    return " ".join(subject.split()), body


def send(name: str, to: str, context: dict, language: str | None = None) -> None:
    subject, body = render(name, context, language)
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to]).send()


def send_to_user(name: str, user, context: dict | None = None, to: str | None = None) -> None:
    send(name, to or user.email, {"user": user, **(context or {})}, user.preferred_language)
