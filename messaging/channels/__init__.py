"""Delivery channels behind one small interface (`base`): signed email over SMTP, SMS operators.

``MESSAGING_SMS_PROVIDER`` (settings) picks the SMS operator: "console" (the embedded default,
prints), "serwersms" or "smsapi". Email always goes over SMTP with Django's settings
(``EMAIL_HOST`` …), signed with S/MIME when a certificate is configured.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .base import EmailChannel, SmsChannel

SMS_PROVIDERS: dict[str, str] = {
    "console": "messaging.channels.sms_console.ConsoleSmsChannel",
    "serwersms": "messaging.channels.serwersms.SerwerSmsChannel",
    "smsapi": "messaging.channels.smsapi.SmsApiChannel",
}


def get_sms_channel() -> SmsChannel:
    return import_string(SMS_PROVIDERS[settings.MESSAGING_SMS_PROVIDER])()


def get_email_channel() -> EmailChannel:
    return import_string("messaging.channels.email.SmtpEmailChannel")()
