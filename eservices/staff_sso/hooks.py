"""Wagtail hooks of staff single sign-on (imported by eservices.wagtail_hooks)."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks


@hooks.register("register_log_actions")
def register_staff_sso_log_actions(actions):
    actions.register_action(
        "eservices.staff_sso_login",
        _("Sign in with single sign-on"),
        _("Signed in with single sign-on"),
    )
