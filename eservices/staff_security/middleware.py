"""No /admin/ page without a verified second factor (PRACTICES.md §7, ASVS 6.3.3, 6.3.4).

Runs after django-otp's ``OTPMiddleware``. A user who may enter the admin (superuser or
``wagtailadmin.access_admin``) and whose session is not OTP-verified is redirected on any
/admin/ path, except the login, logout, password reset and our own 2FA pages, to
verification (has a device) or enrolment (has none). That covers sessions started by other
logins (the resident login, single sign-on, ``force_login``): none of them verifies a device.
Users who may not enter the admin pass through; Wagtail refuses them itself.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse

from .devices import has_confirmed_device

ACCESS_ADMIN = "wagtailadmin.access_admin"


def may_enter_admin(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm(ACCESS_ADMIN))


def _exempt_prefixes() -> tuple[str, ...]:
    return (
        reverse("wagtailadmin_login"),
        reverse("wagtailadmin_logout"),
        reverse("wagtailadmin_password_reset"),
        reverse("wagtailadmin_javascript_catalog"),
        reverse("staff_security:enrol"),
        reverse("staff_security:verify"),
        "/admin/sso/",  # single sign-on signs in; verification follows on the next admin page
        settings.STATIC_URL,
    )


class RequireVerifiedStaffMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._admin_prefix = None
        self._exempt = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._admin_prefix is None:
            self._admin_prefix = reverse("wagtailadmin_home")
        path = request.path_info
        if path.startswith(self._admin_prefix) and not path.startswith(self._exempt_paths()):
            user = request.user
            if user.is_authenticated and not user.is_verified() and may_enter_admin(user):
                return self._redirect(request, user)
        return self.get_response(request)

    def _exempt_paths(self) -> tuple[str, ...]:
        if self._exempt is None:
            try:
                self._exempt = _exempt_prefixes()
            except NoReverseMatch as exc:
                raise ImproperlyConfigured(
                    "The staff 2FA pages are not mounted: eservices/wagtail_hooks.py must "
                    "import eservices.staff_security.hooks."
                ) from exc
        return self._exempt

    @staticmethod
    def _redirect(request: HttpRequest, user) -> HttpResponse:
        name = "staff_security:verify" if has_confirmed_device(user) else "staff_security:enrol"
        url = reverse(name)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return HttpResponseRedirect(url)
