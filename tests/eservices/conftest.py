"""Fixtures of the eservices tests."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

# Mount /admin/2fa/ even if eservices/wagtail_hooks.py does not import it (yet).
from eservices.staff_security import hooks  # noqa: F401


def login_verified(client: Client, user) -> Client:
    """Log ``user`` in as if through the admin login with a TOTP code.

    The session holds the persistent id of a confirmed device, which is exactly what
    ``django_otp.login()`` stores after a verified login; ``OTPMiddleware`` then marks the
    request verified.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def verified_login():
    """``verified_login(client, user)``: a staff session that passed the second factor."""
    return login_verified
