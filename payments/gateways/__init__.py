"""Payment gateways behind one small interface (`base.Gateway`), one module per operator.

``PAYMENT_GATEWAYS`` (settings, from the environment) lists the codes the checkout offers, in
order. Modules are imported on first use, so an office that does not use an operator never
imports its client.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from .base import Gateway

GATEWAY_CLASSES: dict[str, str] = {
    "payu": "payments.gateways.payu.PayUGateway",
    "przelewy24": "payments.gateways.przelewy24.Przelewy24Gateway",
    "demo": "payments.gateways.demo.DemoGateway",
    "transfer": "payments.gateways.transfer.TransferGateway",
}


class UnknownGateway(LookupError):
    pass


def enabled_codes() -> list[str]:
    return [code for code in settings.PAYMENT_GATEWAYS if code in GATEWAY_CLASSES]


def get_gateway(code: str) -> Gateway:
    """The configured gateway ``code``; unknown or disabled codes raise `UnknownGateway`."""
    if code not in enabled_codes():
        raise UnknownGateway(code)
    return import_string(GATEWAY_CLASSES[code])()
