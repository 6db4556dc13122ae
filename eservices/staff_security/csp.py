"""Security headers Django 5.2 does not set itself.

- ``Content-Security-Policy``: ``settings.CSP_PUBLIC`` for the portal (no inline scripts or
  styles), ``settings.CSP_ADMIN`` under ``CSP_ADMIN_PREFIX`` (Wagtail's admin needs inline
  styles and scripts). ``CSP_REPORT_ONLY`` sends the report-only header instead.
- ``Permissions-Policy``: ``settings.PERMISSIONS_POLICY``.
- ``Cache-Control: no-store`` (ASVS 14.3.2) on every admin path and on paths under
  ``NO_STORE_PATH_PREFIXES``, with or without a language prefix (/en/konto/…).

A view may set its own ``Content-Security-Policy``; it is left alone.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


def build_policy(directives: dict[str, list[str]]) -> str:
    return "; ".join(
        " ".join([name, *values]) if values else name for name, values in directives.items()
    )


def public_policy_with_form_action(*urls: str) -> str:
    """The portal's policy, also letting forms go to the origins of ``urls``.

    For a page whose form leads off-site: a POST to login.gov.pl, or a checkout whose POST is
    answered with a redirect to the payment operator (browsers apply form-action to that
    redirect too). The view sets it as its own Content-Security-Policy.
    """
    policy = {name: list(values) for name, values in settings.CSP_PUBLIC.items()}
    allowed = policy.setdefault("form-action", ["'self'"])
    for url in urls:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if parts.scheme and parts.netloc and origin not in allowed:
            allowed.append(origin)
    return build_policy(policy)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.public_policy = build_policy(settings.CSP_PUBLIC)
        self.admin_policy = build_policy(settings.CSP_ADMIN)
        self.admin_prefix = settings.CSP_ADMIN_PREFIX
        self.header = (
            "Content-Security-Policy-Report-Only"
            if settings.CSP_REPORT_ONLY
            else "Content-Security-Policy"
        )
        self.no_store = tuple(settings.NO_STORE_PATH_PREFIXES)
        self.languages = {code for code, _ in settings.LANGUAGES}

    def _unprefixed(self, path: str) -> str:
        first, _, rest = path.lstrip("/").partition("/")
        return "/" + rest if first in self.languages else path

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        path = request.path_info
        is_admin = path.startswith(self.admin_prefix)
        if self.header not in response:
            response[self.header] = self.admin_policy if is_admin else self.public_policy
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = settings.PERMISSIONS_POLICY
        if is_admin or self._unprefixed(path).startswith(self.no_store):
            add_never_cache_headers(response)
        return response
