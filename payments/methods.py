"""Names of the payment methods as the payer and the staff see them, also for methods that are
no longer enabled (the history still shows them)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

METHOD_NAMES = {
    "payu": "PayU",
    "przelewy24": "Przelewy24",
    "demo": _("Demo gateway"),
    "transfer": _("Bank transfer"),
}


def method_name(code: str) -> str:
    return str(METHOD_NAMES.get(code, code))
