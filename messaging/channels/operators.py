"""What the SMS operator clients share: HTTPS with a Bearer token, replies → exceptions, numbers,
and the check of the secret their delivery-report callbacks carry."""

from __future__ import annotations

import hmac
import json
import os
import re
import threading

import requests
from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict

from ..sms_text import SmsInfo, sms_info
from .base import PermanentFailure, TechnicalFailure, TemporaryFailure

TIMEOUT = (5, 20)  # connect, read (seconds)
_E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")


_sessions: dict[tuple[str, str], requests.Session] = {}
_sessions_lock = threading.Lock()


def _session(base_url: str, token: str) -> requests.Session:
    """One keep-alive session per API and token in this process: a TLS handshake per SMS would
    cost more than the request.

    The proxy and CA-bundle environment (``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``)
    is read here, once, instead of by `requests` on every request, where scanning the
    environment cost about as much as a loopback request itself.
    """
    with _sessions_lock:
        session = _sessions.get((base_url, token))
        if session is None:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            session.headers["Accept"] = "application/json"
            session.proxies.update(requests.utils.get_environ_proxies(base_url))
            bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
            if bundle:
                session.verify = bundle
            session.trust_env = False
            _sessions[(base_url, token)] = session
        return session


class OperatorApi:
    """HTTPS to an operator's API over a shared keep-alive session."""

    def __init__(self, base_url: str, token: str, name: str) -> None:
        self.token = token
        self.base_url = base_url.rstrip("/")
        self.name = name
        self.session = _session(self.base_url, token)

    def post(self, path: str, *, json_body: dict | None = None, form: dict | None = None) -> dict:
        """The JSON reply; network trouble, 429 and 5xx are `TemporaryFailure`."""
        if not self.token:
            raise TechnicalFailure(f"{self.name}: no API token configured")
        try:
            response = self.session.post(
                self.base_url + path,
                json=json_body,
                data=form,
                timeout=TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as exc:  # timeouts, refused or reset connections
            raise TemporaryFailure(f"{self.name} unreachable: {exc.__class__.__name__}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise TemporaryFailure(f"{self.name} answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise TemporaryFailure(
                f"{self.name} answered HTTP {response.status_code} without JSON"
            ) from exc
        if not isinstance(body, dict):
            raise TechnicalFailure(f"{self.name} answered an unexpected {type(body).__name__}")
        if response.status_code >= 400 and "error" not in body:
            raise TemporaryFailure(f"{self.name} answered HTTP {response.status_code}")
        return body


def checked_number(number: str) -> str:
    """An E.164 number (+48…); a malformed one is the recipient's problem, not a retry's."""
    if not _E164.match(number):
        raise PermanentFailure(f"not an E.164 phone number: {number!r}")
    return number


def checked_text(text: str) -> SmsInfo:
    info = sms_info(text)
    if not text.strip():
        raise TechnicalFailure("empty SMS")
    if info.too_long:
        raise TechnicalFailure(f"SMS of {info.parts} parts is over the limit")
    return info


def check_callback_token(request: HttpRequest) -> None:
    """The operator calls ``…?token=<MESSAGING_SMS_CALLBACK_TOKEN>``; anything else is refused."""
    expected = settings.MESSAGING_SMS_CALLBACK_TOKEN
    given = request.GET.get("token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise PermissionDenied("bad delivery-report token")


def callback_params(request: HttpRequest) -> QueryDict | dict:
    """Parameters of a callback: the query string, a form body, or a JSON object."""
    if request.method == "POST":
        if request.content_type == "application/json":
            try:
                body = json.loads(request.body or b"{}")
            except ValueError as exc:
                raise BadRequest("delivery report is not JSON") from exc
            if not isinstance(body, dict | list):
                raise BadRequest("delivery report is not a JSON object")
            return body if isinstance(body, dict) else {"items": body}
        merged = request.GET.copy()
        merged.update(request.POST)
        return merged
    return request.GET


def ok_response() -> HttpResponse:
    return HttpResponse("OK", content_type="text/plain")


def operator_failure(
    detail: str, code: int, number_errors: set[int], account_errors: set[int]
) -> Exception:
    """An operator's error code as our failure kind: a bad number is permanent (the contact is
    suppressed), an account problem (credit, sender name) temporary, anything else technical."""
    detail = detail[:300]
    if code in number_errors:
        return PermanentFailure(detail)
    if code in account_errors:
        return TemporaryFailure(detail)
    return TechnicalFailure(detail)
