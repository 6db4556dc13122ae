from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """Consents, email and SMS templates, campaigns, reminders and delivery channels."""

    name = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from .transactional import connect

        connect()
