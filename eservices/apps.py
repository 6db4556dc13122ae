from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EservicesConfig(AppConfig):
    """Residents' e-services: accounts and identity, taxpayers, receivables, case catalogue."""

    name = "eservices"
    verbose_name = _("E-services")

    def ready(self) -> None:
        # The login signals feed the residents' activity log.
        from . import activity  # noqa: F401
