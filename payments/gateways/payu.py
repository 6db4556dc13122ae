"""PayU REST API v2.1 (PROTOCOLS.md §1).

* OAuth ``client_credentials``: the token is cached in Django's cache for its ``expires_in``
  (less a minute) and fetched again once when an API call answers 401.
* Order create answers 302 with a JSON body; the redirect is never followed, ``redirectUri``
  (or the ``Location``) is where the payer goes.
* Notifications: ``OpenPayu-Signature`` (or ``X-OpenPayU-Signature``) is checked over the raw
  body bytes with the second key, MD5 / SHA-1 / SHA-256 as the header says, in constant time.
* We report what PayU says; deciding what a late status means for a payment is the checkout's job.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import replace
from decimal import Decimal
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from .base import (
    GatewayError,
    GatewayStatus,
    InvalidNotification,
    Notification,
    OrderCreated,
    OrderRequest,
    RefundResult,
)
from .operator_http import call, from_grosze, json_of, parse_json_body, same_hex, to_grosze

logger = logging.getLogger("payments.gateways.payu")

OPERATOR = "PayU"
OAUTH_PATH = "/pl/standard/user/oauth/authorize"
ORDERS_PATH = "/api/v2_1/orders"
# Renew a cached token this long before PayU says it expires.
TOKEN_MARGIN = 60

ORDER_STATUSES = {
    "NEW": GatewayStatus.PENDING,
    "PENDING": GatewayStatus.PENDING,
    # Auto-receive off: capturable. We keep auto-receive on, so this is still "not yet".
    "WAITING_FOR_CONFIRMATION": GatewayStatus.PENDING,
    "COMPLETED": GatewayStatus.COMPLETED,
    # The buyer was not charged (rejected, abandoned, timed out).
    "CANCELED": GatewayStatus.FAILED,
}
REFUND_STATUSES = {
    "PENDING": GatewayStatus.PENDING,
    "FINALIZED": GatewayStatus.REFUNDED,
    "CANCELED": GatewayStatus.FAILED,
}


def signature_hash(algorithm: str):
    """openpayu_php's choice: MD5; SHA, SHA1, SHA-1 → SHA-1; anything else SHA-256."""
    name = algorithm.strip().upper()
    if name == "MD5":
        return hashlib.md5
    if name in {"SHA", "SHA1", "SHA-1"}:
        return hashlib.sha1
    return hashlib.sha256


def parse_signature_header(header: str) -> dict[str, str]:
    """``sender=checkout;signature=…;algorithm=MD5;content=DOCUMENT`` as a dict."""
    parts: dict[str, str] = {}
    for item in header.split(";"):
        if "=" in item:
            key, _sep, value = item.partition("=")
            parts[key.strip().lower()] = value.strip()
    return parts


def sign(body: bytes, second_key: str, algorithm: str = "MD5") -> str:
    return signature_hash(algorithm)(body + second_key.encode()).hexdigest()


def verify_signature(body: bytes, header: str, second_key: str) -> bool:
    """True when ``header`` carries the signature of the raw ``body`` with ``second_key``."""
    parts = parse_signature_header(header)
    given = parts.get("signature", "")
    if not given or not second_key:
        return False
    expected = sign(body, second_key, parts.get("algorithm", "MD5"))
    return same_hex(expected, given)


class PayUGateway:
    code = "payu"
    name = "PayU"  # a brand: the same in every language (payments.methods)

    def __init__(self, config: dict | None = None) -> None:
        self.config = config or settings.PAYU
        self.base_url = self.config["BASE_URL"].rstrip("/")
        self.timeout = float(self.config.get("TIMEOUT", 15))
        self.session = requests.Session()

    @property
    def origin(self) -> str:
        """Where the payer's browser is sent (scheme://host[:port]): a page whose form POST
        redirects there must allow it in its CSP ``form-action``."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    # --- OAuth ----------------------------------------------------------------------------

    @property
    def _token_key(self) -> str:
        return f"payments:payu:token:{self.base_url}:{self.config['CLIENT_ID']}"

    def access_token(self, *, refresh: bool = False) -> str:
        """The cached OAuth token, or a new one when none is cached, it expired or ``refresh``."""
        if not refresh:
            token = cache.get(self._token_key)
            if token:
                return token
        response = call(
            self.session,
            "POST",
            self.base_url + OAUTH_PATH,
            operator=OPERATOR,
            timeout=self.timeout,
            data={
                "grant_type": "client_credentials",
                "client_id": self.config["CLIENT_ID"],
                "client_secret": self.config["CLIENT_SECRET"],
            },
            # requests sets it for a dict body; PayU answers 401 without it, so say it anyway.
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        if response.status_code != 200:
            raise GatewayError(f"PayU refused the OAuth credentials (HTTP {response.status_code})")
        data = json_of(response, OPERATOR)
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            raise GatewayError("PayU's OAuth answer has no access_token")
        try:
            expires_in = int(data.get("expires_in", 0))
        except (TypeError, ValueError):
            expires_in = 0
        if expires_in > TOKEN_MARGIN:
            cache.set(self._token_key, token, timeout=expires_in - TOKEN_MARGIN)
        else:
            cache.delete(self._token_key)
        return token

    def _api(self, method: str, path: str, **kwargs) -> requests.Response:
        """An API call with the bearer token; on 401 the token is renewed and the call repeated
        once (PayU revokes tokens before ``expires_in`` when credentials are rotated)."""
        for attempt in range(2):
            token = self.access_token(refresh=attempt > 0)
            response = call(
                self.session,
                method,
                self.base_url + path,
                operator=OPERATOR,
                timeout=self.timeout,
                headers={"Authorization": f"Bearer {token}"},
                **kwargs,
            )
            if response.status_code != 401:
                return response
            cache.delete(self._token_key)
        raise GatewayError("PayU refused a freshly issued OAuth token (HTTP 401)")

    # --- orders ---------------------------------------------------------------------------

    def create_order(self, order: OrderRequest) -> OrderCreated:
        total = str(to_grosze(order.amount))
        body = {
            "notifyUrl": order.notify_url,
            "continueUrl": order.continue_url,
            "customerIp": order.customer_ip,
            "merchantPosId": str(self.config["POS_ID"]),
            "description": order.description[:4000],
            "visibleDescription": order.description[:80],
            "currencyCode": order.currency,
            "totalAmount": total,
            "extOrderId": order.ext_order_id,
            "buyer": {
                "email": order.buyer_email,
                "firstName": order.buyer_first_name,
                "lastName": order.buyer_last_name,
                "language": order.language,
            },
            "products": [{"name": order.description[:255], "unitPrice": total, "quantity": "1"}],
        }
        response = self._api("POST", ORDERS_PATH, json=body)
        content_type = response.headers.get("Content-Type", "")
        if "json" not in content_type:
            # A 200 with HTML would mean a redirect was followed: never treat it as success.
            raise GatewayError(
                f"PayU answered the order with HTTP {response.status_code} {content_type or '?'}"
            )
        data = json_of(response, OPERATOR)
        status_code = (data.get("status") or {}).get("statusCode", "")
        if response.status_code not in (200, 201, 302) or status_code != "SUCCESS":
            logger.warning("PayU refused order %s: %s", order.ext_order_id, data.get("status"))
            raise GatewayError(f"PayU refused the order: {status_code or response.status_code}")
        order_id = data.get("orderId")
        redirect = data.get("redirectUri") or response.headers.get("Location", "")
        if not order_id or not redirect:
            raise GatewayError("PayU's order answer lacks orderId or redirectUri")
        return OrderCreated(gateway_order_id=str(order_id), redirect_url=redirect)

    def _order_notification(self, order: dict, raw: dict) -> Notification:
        if not isinstance(order, dict):
            raise InvalidNotification("no order object")
        status = ORDER_STATUSES.get(order.get("status", ""))
        if status is None:
            raise InvalidNotification(f"unknown PayU order status {order.get('status')!r}")
        order_id = order.get("orderId")
        if not isinstance(order_id, str) or not order_id:
            raise InvalidNotification("no orderId")
        return Notification(
            gateway_order_id=order_id,
            ext_order_id=str(order.get("extOrderId") or ""),
            status=status,
            amount=from_grosze(order.get("totalAmount")),
            operator_reference=order_id,
            raw=raw,
        )

    def parse_notification(self, request: HttpRequest) -> Notification:
        header = request.headers.get("OpenPayu-Signature") or request.headers.get(
            "X-OpenPayU-Signature", ""
        )
        body = request.body
        if not header:
            raise InvalidNotification("no OpenPayu-Signature header")
        if not verify_signature(body, header, self.config["SECOND_KEY"]):
            raise InvalidNotification("PayU signature does not match the body")
        data = parse_json_body(body)
        if "refund" in data:
            return self._refund_notification(data)
        order = data.get("order")
        if not isinstance(order, dict):
            raise InvalidNotification("no order object")
        if str(order.get("merchantPosId", "")) != str(self.config["POS_ID"]):
            raise InvalidNotification(f"foreign merchantPosId {order.get('merchantPosId')!r}")
        if order.get("currencyCode", "PLN") != "PLN":
            raise InvalidNotification(f"unexpected currency {order.get('currencyCode')!r}")
        return self._order_notification(order, data)

    def _refund_notification(self, data: dict) -> Notification:
        """A refund's state change. FINALIZED is REFUNDED with the refunded amount. A cancelled
        refund leaves the order as it was, so we report the order's state as PayU gives it
        (an authenticated status call): never something the checkout would misread."""
        refund = data.get("refund")
        order_id = data.get("orderId")
        if not isinstance(refund, dict) or not isinstance(order_id, str) or not order_id:
            raise InvalidNotification("malformed refund notification")
        status = REFUND_STATUSES.get(refund.get("status", ""))
        if status is None:
            raise InvalidNotification(f"unknown PayU refund status {refund.get('status')!r}")
        if status is not GatewayStatus.REFUNDED:
            current = self.fetch_status(order_id)
            return replace(current, raw={**data, "order": current.raw})
        return Notification(
            gateway_order_id=order_id,
            ext_order_id=str(data.get("extOrderId") or ""),
            status=GatewayStatus.REFUNDED,
            amount=from_grosze(refund.get("amount")),
            operator_reference=str(refund.get("refundId") or order_id),
            raw=data,
        )

    def confirm(self, notification: Notification) -> bool:
        # PayU has no confirmation call: an authentic COMPLETED notification is final.
        return True

    def notification_response(self, notification: Notification | None) -> HttpResponse:
        # 200 to every authentic notification, duplicates included; anything else is resent.
        return HttpResponse(status=200)

    def fetch_status(self, gateway_order_id: str) -> Notification:
        response = self._api("GET", f"{ORDERS_PATH}/{gateway_order_id}")
        data = json_of(response, OPERATOR)
        if response.status_code != 200:
            raise GatewayError(
                f"PayU has no order {gateway_order_id}: "
                f"{(data.get('status') or {}).get('statusCode', response.status_code)}"
            )
        orders = data.get("orders")
        if not isinstance(orders, list) or not orders:
            raise GatewayError(f"PayU's answer for order {gateway_order_id} lists no order")
        try:
            return self._order_notification(orders[0], data)
        except InvalidNotification as exc:
            raise GatewayError(f"PayU's order {gateway_order_id} is malformed: {exc}") from exc

    def refund(self, gateway_order_id: str, amount: Decimal, description: str) -> RefundResult:
        grosze = to_grosze(amount)
        # Deterministic: a repeated click re-sends the same extRefundId and PayU returns the
        # refund it already has instead of refunding twice.
        ext_refund_id = uuid.uuid5(
            uuid.NAMESPACE_URL, f"payu:{gateway_order_id}:{grosze}:{description}"
        ).hex
        body = {
            "refund": {
                "description": description[:4000],
                "amount": str(grosze),
                "extRefundId": ext_refund_id,
                "currencyCode": "PLN",
            }
        }
        response = self._api("POST", f"{ORDERS_PATH}/{gateway_order_id}/refunds", json=body)
        data = json_of(response, OPERATOR)
        status_code = (data.get("status") or {}).get("statusCode", "")
        refund = data.get("refund")
        if response.status_code != 200 or status_code != "SUCCESS" or not isinstance(refund, dict):
            raise GatewayError(f"PayU refused the refund: {status_code or response.status_code}")
        status = REFUND_STATUSES.get(refund.get("status", ""), GatewayStatus.PENDING)
        return RefundResult(refund_id=str(refund.get("refundId", "")), status=status)
