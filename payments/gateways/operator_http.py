"""What the PayU and Przelewy24 clients share: grosze at the boundary, HTTP with timeouts whose
failures become `GatewayError`, and constant-time comparison of hex digests."""

from __future__ import annotations

import hmac
import json
import logging
from decimal import Decimal
from typing import Any

import requests

from .base import GatewayError, InvalidNotification

logger = logging.getLogger("payments.gateways")

CENT = Decimal("0.01")


def to_grosze(amount: Decimal) -> int:
    """PLN with at most two places as an integer number of grosze; anything else is a bug."""
    if not isinstance(amount, Decimal):
        raise TypeError("amounts are Decimal, never float")
    if amount <= 0 or amount != amount.quantize(CENT):
        raise ValueError(f"not a positive amount with two places: {amount}")
    return int(amount * 100)


def from_grosze(value: Any) -> Decimal:
    """An operator's grosze (int or digit string) as Decimal PLN; raises InvalidNotification."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidNotification(f"amount is not an integer: {value!r}")
    text = str(value)
    if not text.isascii() or not text.isdigit():
        raise InvalidNotification(f"amount is not an integer: {value!r}")
    return (Decimal(text) / 100).quantize(CENT)


def same_hex(expected: str, given: str) -> bool:
    """Constant-time comparison of two hex digests (case-insensitive)."""
    return hmac.compare_digest(expected.lower().encode(), given.strip().lower().encode())


def call(
    session: requests.Session,
    method: str,
    url: str,
    *,
    operator: str,
    timeout: float,
    **kwargs: Any,
) -> requests.Response:
    """One HTTP call to an operator. Network failures become `GatewayError`; the response
    (whatever its status) is returned for the caller to interpret. Redirects are never followed:
    PayU's order create answers 302 and following it would fetch the payer's HTML page."""
    try:
        return session.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.RequestException as exc:
        logger.warning("%s: %s %s failed: %s", operator, method, url, exc)
        raise GatewayError(f"{operator} could not be reached: {exc.__class__.__name__}") from exc


def json_of(response: requests.Response, operator: str) -> dict:
    """The JSON object of a response; anything else is the operator misbehaving."""
    try:
        data = response.json()
    except (ValueError, json.JSONDecodeError) as exc:
        raise GatewayError(
            f"{operator} answered HTTP {response.status_code} without JSON "
            f"({response.headers.get('Content-Type', '?')})"
        ) from exc
    if not isinstance(data, dict):
        raise GatewayError(f"{operator} answered HTTP {response.status_code} with a non-object")
    return data


def parse_json_body(body: bytes) -> dict:
    """A notification body as a JSON object; raises InvalidNotification."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidNotification("the body is not JSON") from exc
    if not isinstance(data, dict):
        raise InvalidNotification("the body is not a JSON object")
    return data
