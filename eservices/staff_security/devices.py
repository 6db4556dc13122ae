"""Picking and creating a staff user's OTP devices."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

TOTP_NAME = "Aplikacja uwierzytelniająca"
BACKUP_NAME = "Kody zapasowe"
_TOTP_SHAPE = re.compile(r"^\d{6,8}$")


def normalise_token(token: str) -> str:
    return re.sub(r"[\s-]", "", token or "").lower()


def device_for_token(user, token: str):
    """The one device a token is checked against: digits -> the app, anything else -> backup.

    django-otp 1.7 wants an explicit device (trying every device would throttle the unused
    ones); staff need not pick one: the shape of the code tells which device it is for.
    """
    token = normalise_token(token)
    model = TOTPDevice if _TOTP_SHAPE.match(token) else StaticDevice
    return model.objects.devices_for_user(user, confirmed=True).order_by("pk").first()


def has_confirmed_device(user) -> bool:
    return (
        TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()
        or StaticDevice.objects.filter(user=user, confirmed=True, token_set__isnull=False).exists()
    )


@transaction.atomic
def new_backup_codes(user, count: int | None = None) -> list[str]:
    """Replace the user's backup codes with ``count`` fresh single-use ones."""
    count = count or settings.STAFF_BACKUP_CODE_COUNT
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(count)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def backup_codes(user) -> list[str]:
    return list(
        StaticToken.objects.filter(device__user=user, device__confirmed=True)
        .order_by("pk")
        .values_list("token", flat=True)
    )


@transaction.atomic
def new_totp_device(user, *, confirmed: bool = False) -> TOTPDevice:
    """A fresh TOTP device; unconfirmed ones left over from an abandoned enrolment go."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=confirmed)
