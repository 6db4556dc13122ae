"""Przelewy24 REST API v1 (PROTOCOLS.md §2).

* HTTP Basic with posId : API key ("klucz do raportów"); the CRC key only goes into signs.
* Signs are SHA-384 hex over compact JSON with the keys in P24's exact order, ``crc`` last,
  non-ASCII unescaped (P24's PHP ``JSON_UNESCAPED_UNICODE|JSON_UNESCAPED_SLASHES``).
* Our ``gateway_order_id`` for P24 is the ``sessionId`` (our payment key): it is what the
  notification, the status call and the refund carry. The token only builds the payer's URL.
* A notification counts only after ``confirm`` (``PUT /transaction/verify``) succeeds; unverified
  money stays with P24 as the customer's advance.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import replace
from decimal import Decimal
from urllib.parse import urlsplit

import requests
from django.conf import settings
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

logger = logging.getLogger("payments.gateways.przelewy24")

OPERATOR = "Przelewy24"
API = "/api/v1"

REGISTER_SIGN = ("sessionId", "merchantId", "amount", "currency", "crc")
VERIFY_SIGN = ("sessionId", "orderId", "amount", "currency", "crc")
NOTIFICATION_SIGN = (
    "merchantId",
    "posId",
    "sessionId",
    "amount",
    "originAmount",
    "currency",
    "orderId",
    "methodId",
    "statement",
    "crc",
)
REFUND_NOTIFICATION_SIGN = (
    "orderId",
    "sessionId",
    "refundsUuid",
    "merchantId",
    "amount",
    "currency",
    "status",
    "crc",
)
INT_FIELDS = {"merchantId", "posId", "amount", "originAmount", "orderId", "methodId", "status"}

# GET /transaction/by/sessionId: 0 no payment, 1 paid but not verified (an advance that does
# not count), 2 paid and verified, 3 returned.
TRANSACTION_STATUSES = {
    0: GatewayStatus.PENDING,
    1: GatewayStatus.PENDING,
    2: GatewayStatus.COMPLETED,
    3: GatewayStatus.REFUNDED,
}


def sign(fields: dict, order: tuple[str, ...], crc: str) -> str:
    """SHA-384 hex of ``{k: fields[k] … , "crc": crc}`` in ``order``, compact and unescaped."""
    payload = {key: (crc if key == "crc" else fields[key]) for key in order}
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha384(text.encode("utf-8")).hexdigest()


class Przelewy24Gateway:
    code = "przelewy24"
    name = "Przelewy24"  # a brand: the same in every language (payments.methods)

    def __init__(self, config: dict | None = None) -> None:
        self.config = config or settings.PRZELEWY24
        self.base_url = self.config["BASE_URL"].rstrip("/")
        self.timeout = float(self.config.get("TIMEOUT", 15))
        self.merchant_id = int(self.config["MERCHANT_ID"] or 0)
        self.pos_id = int(self.config["POS_ID"] or self.merchant_id)
        self.crc = self.config["CRC"]
        self.session = requests.Session()
        self.session.auth = (str(self.pos_id), self.config["API_KEY"])

    @property
    def origin(self) -> str:
        """Where the payer's browser is sent (scheme://host[:port]): a page whose form POST
        redirects there must allow it in its CSP ``form-action``."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}"

    def _api(self, method: str, path: str, **kwargs) -> requests.Response:
        return call(
            self.session,
            method,
            self.base_url + API + path,
            operator=OPERATOR,
            timeout=self.timeout,
            **kwargs,
        )

    @staticmethod
    def _error(response: requests.Response) -> str:
        try:
            data = response.json()
        except ValueError:
            return f"HTTP {response.status_code}"
        if isinstance(data, dict) and data.get("error"):
            return f"HTTP {response.status_code}: {data['error']}"
        return f"HTTP {response.status_code}"

    def test_access(self) -> bool:
        """``GET /testAccess``: are the posId and API key accepted (admin's settings status)."""
        response = self._api("GET", "/testAccess")
        return response.status_code == 200 and json_of(response, OPERATOR).get("data") is True

    # --- register -------------------------------------------------------------------------

    def create_order(self, order: OrderRequest) -> OrderCreated:
        body = {
            "merchantId": self.merchant_id,
            "posId": self.pos_id,
            "sessionId": order.ext_order_id,
            "amount": to_grosze(order.amount),
            "currency": order.currency,
            "description": order.description[:1024],
            "email": order.buyer_email[:50],
            "client": f"{order.buyer_first_name} {order.buyer_last_name}".strip()[:40],
            "country": "PL",
            "language": order.language,
            "urlReturn": order.continue_url,
            "urlStatus": order.notify_url,
            "encoding": "UTF-8",
        }
        body["sign"] = sign(body, REGISTER_SIGN, self.crc)
        response = self._api("POST", "/transaction/register", json=body)
        if response.status_code != 200:
            logger.warning("P24 refused register %s: %s", order.ext_order_id, response.text[:300])
            raise GatewayError(f"Przelewy24 refused the transaction: {self._error(response)}")
        data = json_of(response, OPERATOR).get("data")
        token = data.get("token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token.replace("-", "").isalnum():
            raise GatewayError("Przelewy24's register answer has no token")
        return OrderCreated(
            gateway_order_id=order.ext_order_id,
            redirect_url=f"{self.base_url}/trnRequest/{token}",
        )

    # --- notifications --------------------------------------------------------------------

    def _fields(self, data: dict, names: tuple[str, ...]) -> dict:
        fields = {}
        for name in names:
            if name == "crc":
                continue
            if name not in data:
                raise InvalidNotification(f"field {name} missing")
            value = data[name]
            if name in INT_FIELDS:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise InvalidNotification(f"field {name} is not an integer")
            elif not isinstance(value, str):
                raise InvalidNotification(f"field {name} is not a string")
            fields[name] = value
        return fields

    def parse_notification(self, request: HttpRequest) -> Notification:
        data = parse_json_body(request.body)
        given = data.get("sign")
        if not isinstance(given, str) or not given:
            raise InvalidNotification("no sign")
        is_refund = "refundsUuid" in data
        order = REFUND_NOTIFICATION_SIGN if is_refund else NOTIFICATION_SIGN
        fields = self._fields(data, order)
        if not same_hex(sign(fields, order, self.crc), given):
            raise InvalidNotification("Przelewy24 sign does not match")
        if fields["merchantId"] != self.merchant_id or (
            not is_refund and fields["posId"] != self.pos_id
        ):
            raise InvalidNotification(f"foreign merchantId/posId {fields['merchantId']}")
        if fields["currency"] != "PLN":
            raise InvalidNotification(f"unexpected currency {fields['currency']!r}")
        if is_refund and fields["status"] != 0:
            # A rejected refund leaves the transaction as it was: report P24's own state.
            current = self.fetch_status(fields["sessionId"])
            return replace(current, raw={**data, "transaction": current.raw})
        # A refund made (status 0) is REFUNDED. A payment notification comes only for correct
        # payments; it still counts only after confirm().
        status = GatewayStatus.REFUNDED if is_refund else GatewayStatus.COMPLETED
        return Notification(
            gateway_order_id=fields["sessionId"],
            ext_order_id=fields["sessionId"],
            status=status,
            amount=from_grosze(fields["amount"]),
            operator_reference=str(fields["orderId"]),
            raw=data,
        )

    def confirm(self, notification: Notification) -> bool:
        """``PUT /transaction/verify``; True only on ``{"data":{"status":"success"}}``."""
        if notification.status is not GatewayStatus.COMPLETED or "refundsUuid" in notification.raw:
            return True
        fields = {
            "merchantId": self.merchant_id,
            "posId": self.pos_id,
            "sessionId": notification.ext_order_id,
            "amount": to_grosze(notification.amount),
            "currency": notification.raw.get("currency", "PLN"),
            "orderId": int(notification.operator_reference),
        }
        fields["sign"] = sign(fields, VERIFY_SIGN, self.crc)
        response = self._api("PUT", "/transaction/verify", json=fields)
        if response.status_code != 200:
            logger.warning(
                "P24 verify of %s refused: %s", notification.ext_order_id, self._error(response)
            )
            return False
        data = json_of(response, OPERATOR).get("data")
        return isinstance(data, dict) and data.get("status") == "success"

    def notification_response(self, notification: Notification | None) -> HttpResponse:
        return HttpResponse("OK", content_type="text/plain")

    # --- status and refunds ---------------------------------------------------------------

    def _transaction(self, session_id: str) -> dict:
        response = self._api("GET", f"/transaction/by/sessionId/{session_id}")
        if response.status_code != 200:
            raise GatewayError(
                f"Przelewy24 has no transaction {session_id}: {self._error(response)}"
            )
        data = json_of(response, OPERATOR).get("data")
        if not isinstance(data, dict):
            raise GatewayError(f"Przelewy24's answer for {session_id} has no data")
        return data

    def fetch_status(self, gateway_order_id: str) -> Notification:
        data = self._transaction(gateway_order_id)
        status = TRANSACTION_STATUSES.get(data.get("status"))
        if status is None:
            raise GatewayError(f"Przelewy24 status {data.get('status')!r} is unknown")
        try:
            amount = from_grosze(data.get("amount"))
        except InvalidNotification as exc:
            raise GatewayError(f"Przelewy24's amount for {gateway_order_id} is malformed") from exc
        return Notification(
            gateway_order_id=gateway_order_id,
            ext_order_id=str(data.get("sessionId") or gateway_order_id),
            status=status,
            amount=amount,
            operator_reference=str(data.get("orderId") or ""),
            raw=data,
        )

    def refund(self, gateway_order_id: str, amount: Decimal, description: str) -> RefundResult:
        transaction = self._transaction(gateway_order_id)
        order_id = transaction.get("orderId")
        if not isinstance(order_id, int) or not order_id:
            raise GatewayError(f"Przelewy24 transaction {gateway_order_id} was never paid")
        grosze = to_grosze(amount)
        # Deterministic ids: a repeated click repeats the same request instead of a second refund.
        refunds_uuid = uuid.uuid5(
            uuid.NAMESPACE_URL, f"p24:{gateway_order_id}:{grosze}:{description}"
        ).hex
        body = {
            "requestId": refunds_uuid,
            "refundsUuid": refunds_uuid,
            "refunds": [
                {
                    "orderId": order_id,
                    "sessionId": gateway_order_id,
                    "amount": grosze,
                    "description": description[:35],
                }
            ],
        }
        if self.config.get("REFUND_STATUS_URL"):
            body["urlStatus"] = self.config["REFUND_STATUS_URL"]
        response = self._api("POST", "/transaction/refund", json=body)
        if response.status_code not in (200, 201):
            raise GatewayError(f"Przelewy24 refused the refund: {self._error(response)}")
        rows = json_of(response, OPERATOR).get("data")
        if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
            raise GatewayError("Przelewy24's refund answer has no data")
        if rows[0].get("status") is not True:
            raise GatewayError(f"Przelewy24 refused the refund: {rows[0].get('message')}")
        # The money moves later; the refund notification (status 0) brings REFUNDED.
        return RefundResult(refund_id=refunds_uuid, status=GatewayStatus.PENDING)
