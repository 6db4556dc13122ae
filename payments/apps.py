from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Checkout, payment gateways, fee table, transfer forms, statements and booking."""

    name = "payments"
    verbose_name = _("Payments")
