from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """The site's pages: home, help pages, news, accessibility statement, settings, navigation."""

    name = "home"
    verbose_name = _("Site")

    def ready(self) -> None:
        from . import chrome_cache

        chrome_cache.connect()
