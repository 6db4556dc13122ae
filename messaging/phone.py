"""Phone verification by a one-time code before any SMS goes to a number (PRACTICES.md §5).

A 6-digit code, stored as an HMAC, valid for ``CODE_TTL``, with ``MAX_ATTEMPTS`` tries; resent
at most ``MAX_SENDS`` times, not sooner than ``RESEND_AFTER``; at most ``DAILY_CODES`` codes per
account a day (SMS pumping). Only Polish mobile numbers (+48) are accepted.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .channels import get_sms_channel
from .channels.base import OutgoingSms, PermanentFailure, TemporaryFailure
from .models import PhoneVerification, VerifiedPhone

CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_SENDS = 3
RESEND_AFTER = timedelta(seconds=60)
DAILY_CODES = 5


class VerificationError(Exception):
    """A refusal to show the resident (already translated)."""


def normalise_phone(raw: str) -> str:
    """``+48`` and 9 digits, or VerificationError."""
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if re.fullmatch(r"\d{9}", digits):
        digits = "+48" + digits
    if not re.fullmatch(r"\+48[4-8]\d{8}", digits):
        raise VerificationError(_("Enter a Polish mobile number, e.g. 600 100 200."))
    return digits


def _hash(verification_phone: str, code: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{verification_phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _send_code(phone: str, code: str, reference: str) -> None:
    text = _("Your verification code: %(code)s. It is valid for 10 minutes.") % {"code": code}
    try:
        get_sms_channel().send(OutgoingSms(to=phone, text=text, reference=reference))
    except (TemporaryFailure, PermanentFailure) as exc:
        raise VerificationError(_("The code could not be sent. Try again later.")) from exc


def start(user, raw_phone: str) -> PhoneVerification:
    """Send a code to a new number (or resend it to the number being verified)."""
    phone = normalise_phone(raw_phone)
    now = timezone.now()
    with transaction.atomic():
        # One lock per account: two clicks cannot both pass the limits.
        get_user_model().objects.select_for_update().get(pk=user.pk)
        today = PhoneVerification.objects.filter(user=user, created_at__gte=now - timedelta(days=1))
        current = today.filter(phone=phone, verified_at=None, expires_at__gt=now).first()
        code = f"{secrets.randbelow(10**6):06d}"
        if current is not None:
            if current.sends >= MAX_SENDS:
                raise VerificationError(_("The code was sent too many times. Try again tomorrow."))
            if now - current.last_sent_at < RESEND_AFTER:
                raise VerificationError(_("Wait a minute before asking for another code."))
            current.sends += 1
            current.last_sent_at = now
            current.code_hash = _hash(phone, code)
            current.attempts = 0
            current.expires_at = now + CODE_TTL
            current.save()
            verification = current
        else:
            if today.count() >= DAILY_CODES:
                raise VerificationError(_("Too many codes today. Try again tomorrow."))
            verification = PhoneVerification.objects.create(
                user=user,
                phone=phone,
                code_hash=_hash(phone, code),
                expires_at=now + CODE_TTL,
                last_sent_at=now,
            )
        _send_code(phone, code, reference=f"v{verification.pk}")
    return verification


def confirm(user, code: str) -> VerifiedPhone:
    """Check ``code`` against the account's pending verification; the verified number."""
    now = timezone.now()
    code = re.sub(r"\s", "", code or "")
    error = None
    with transaction.atomic():
        verification = (
            PhoneVerification.objects.select_for_update()
            .filter(user=user, verified_at=None)
            .order_by("-last_sent_at")
            .first()
        )
        if verification is None:
            raise VerificationError(_("Ask for a code first."))
        if verification.expires_at <= now:
            raise VerificationError(_("The code has expired. Ask for a new one."))
        if verification.attempts >= MAX_ATTEMPTS:
            raise VerificationError(_("Too many wrong codes. Ask for a new one."))
        verification.attempts += 1
        if hmac.compare_digest(verification.code_hash, _hash(verification.phone, code)):
            verification.verified_at = now
            phone, _created = VerifiedPhone.objects.update_or_create(
                user=user, defaults={"phone": verification.phone, "verified_at": now}
            )
        else:
            left = MAX_ATTEMPTS - verification.attempts
            error = (
                _("Wrong code. Attempts left: %(left)d.") % {"left": left}
                if left
                else _("Too many wrong codes. Ask for a new one.")
            )
        # The attempt counts whatever the outcome: saved before the refusal is raised.
        verification.save(update_fields=["attempts", "verified_at"])
    if error:
        raise VerificationError(error)
    return phone
