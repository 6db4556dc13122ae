"""Enrolment, verification and backup codes under /admin/2fa/ (Wagtail wraps them in
``require_admin_access``; ``RequireVerifiedStaffMiddleware`` lets enrol and verify through)."""

from __future__ import annotations

from base64 import b32encode

import segno
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import devices
from .forms import TokenForm

TEMPLATES = "eservices/staff_security/"
ENROL_SESSION_KEY = "staff_security_enrol_device"


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("wagtailadmin_home")


def _verified_login(request: HttpRequest, device) -> None:
    # A new session key whenever the session gains the second factor (ASVS 7.2.4).
    request.session.cycle_key()
    otp_login(request, device)


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code, rendered on the server."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#000", light="#fff")


@never_cache
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    user = request.user
    if devices.has_confirmed_device(user) and not user.is_verified():
        # Adding a device must never replace the factor the session has not shown.
        return redirect(reverse("staff_security:verify") + "?" + request.GET.urlencode())
    device = None
    device_pk = request.session.get(ENROL_SESSION_KEY)
    if device_pk:
        device = TOTPDevice.objects.filter(pk=device_pk, user=user, confirmed=False).first()
    if device is None:
        device = devices.new_totp_device(user)
        request.session[ENROL_SESSION_KEY] = device.pk

    form = TokenForm(user, request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        device.refresh_from_db()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # One authenticator app per user: an earlier one stops working.
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        del request.session[ENROL_SESSION_KEY]
        _verified_login(request, device)
        codes = devices.new_backup_codes(user)
        messages.success(request, _("The authenticator app has been added."))
        return render(
            request,
            TEMPLATES + "backup_codes.html",
            {"codes": codes, "fresh": True, "next": _next_url(request)},
        )
    return render(
        request,
        TEMPLATES + "enrol.html",
        {
            "form": form,
            "qr_svg": qr_svg(device.config_url),
            "secret": _b32(device.bin_key),
            "otpauth_uri": device.config_url,
            "next": _next_url(request),
        },
    )


def _b32(key: bytes) -> str:
    """The key as authenticator apps take it by hand: base32 in groups of four."""
    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    if not devices.has_confirmed_device(user):
        return redirect(reverse("staff_security:enrol") + "?" + request.GET.urlencode())
    form = TokenForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        _verified_login(request, user.otp_device)
        return redirect(_next_url(request))
    return render(request, TEMPLATES + "verify.html", {"form": form, "next": _next_url(request)})


@never_cache
@require_http_methods(["GET", "POST"])
def backup_codes(request: HttpRequest) -> HttpResponse:
    """The remaining backup codes; POST makes a new set (the old ones stop working)."""
    user = request.user
    if request.method == "POST":
        codes = devices.new_backup_codes(user)
        messages.success(
            request, _("New backup codes have been made; the previous ones no longer work.")
        )
        fresh = True
    else:
        codes = devices.backup_codes(user)
        fresh = False
    return render(
        request,
        TEMPLATES + "backup_codes.html",
        {"codes": codes, "fresh": fresh, "next": reverse("wagtailadmin_home")},
    )
