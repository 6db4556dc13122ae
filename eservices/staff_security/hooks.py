"""Wagtail hooks of staff_security.

Wagtail only discovers ``wagtail_hooks`` modules at an app's top level, so
``eservices/wagtail_hooks.py`` imports this module: ``from .staff_security import hooks``.
"""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from . import urls


@hooks.register("register_admin_urls")
def register_staff_security_urls():
    return [path("2fa/", include((urls.urlpatterns, "staff_security"), namespace="staff_security"))]


@hooks.register("register_account_menu_item")
def register_backup_codes_menu_item(request):
    return {
        "url": reverse("staff_security:backup_codes"),
        "label": _("Two-step login"),
        "help_text": _("Backup codes and a new authenticator app."),
    }
