"""Who a verified SAML assertion signs in: an existing staff account, never a new one."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model

from eservices.staff_security.middleware import may_enter_admin

logger = logging.getLogger(__name__)


class NoStaffAccount(Exception):
    """The IdP vouched for someone who has no active staff account here."""


def asserted_email(name_id: str | None, attributes: dict[str, list[str]]) -> str:
    """The e-mail address the assertion names: the configured attribute, else the NameID."""
    attribute = settings.STAFF_SSO.get("EMAIL_ATTRIBUTE", "")
    if attribute:
        values = attributes.get(attribute) or []
        return (values[0] if values else "").strip()
    return (name_id or "").strip()


def staff_user_for(email: str):
    """The active staff user with this e-mail (case-insensitive) or `NoStaffAccount`.

    Single sign-on maps to accounts an administrator created; it never creates or promotes
    one, and a resident's account with the same address is not a staff account.
    """
    if not email:
        raise NoStaffAccount("the assertion names no e-mail address")
    User = get_user_model()
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None or not may_enter_admin(user):
        logger.warning("Staff single sign-on refused for %s: no staff account", email)
        raise NoStaffAccount(email)
    return user
