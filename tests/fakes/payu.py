"""A fake PayU (REST API v2.1, PROTOCOLS.md §1) on loopback.

* ``POST /pl/standard/user/oauth/authorize``: client_credentials with the form content type
  (401 without it, as PayU), bearer tokens with ``expires_in``; :meth:`FakePayU.revoke_tokens`
  makes every issued token answer 401.
* ``POST /api/v2_1/orders``: validates the order, answers **302** with a JSON body and a
  ``Location`` to the payer's page (a client following it gets HTML).
* ``GET /pay/{orderId}``: the payer's page with *Pay* and *Reject*. Paying sends signed
  notifications (PENDING then COMPLETED; rejecting: PENDING then CANCELED) to ``notifyUrl``,
  then redirects to ``continueUrl`` (``error=501`` on rejection).
* ``GET /api/v2_1/orders/{id}``, ``POST /api/v2_1/orders/{id}/refunds`` (idempotent by
  ``extRefundId``; :meth:`FakePayU.finalize_refunds` finalizes them and notifies).

Notifications are signed with the second key, ``signature_algorithm`` (MD5 by default).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
import time
from datetime import UTC, datetime
from decimal import Decimal

from tests.fakes.payment_operator import (
    Delivery,
    LoopbackOperator,
    Reply,
    form,
    payer_page,
    run_for_development,
)

# The public sandbox POS of PROTOCOLS.md §1; the fake accepts only these credentials.
POS_ID = "300746"
CLIENT_SECRET = "2ee86a66e5d97e3fadc400c9f19b065d"
SECOND_KEY = "b6ca15b0d1020e8094d9b5f8d163db54"

HASHES = {
    "MD5": hashlib.md5,
    "SHA-1": hashlib.sha1,
    "SHA1": hashlib.sha1,
    "SHA-256": hashlib.sha256,
}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def signature_header(body: bytes, key: str, algorithm: str = "MD5", sender: str = "checkout"):
    digest = HASHES[algorithm](body + key.encode()).hexdigest()
    return f"sender={sender};signature={digest};algorithm={algorithm};content=DOCUMENT"


def grosze(amount_text: str) -> Decimal:
    return (Decimal(amount_text) / 100).quantize(Decimal("0.01"))


class FakePayU(LoopbackOperator):
    payout_prefix = "PAYU"
    payout_title = "PayU S.A. wypłata środków nr {reference}"

    def __init__(
        self, pos_id: str = POS_ID, client_secret: str = CLIENT_SECRET, second_key: str = SECOND_KEY
    ) -> None:
        self.pos_id = pos_id
        self.client_secret = client_secret
        self.second_key = second_key
        super().__init__()

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.tokens: dict[str, float] = {}  # token -> expiry (monotonic)
            self.token_requests = 0
            self.expires_in = 43199
            self.orders: dict[str, dict] = {}
            self.refunds: dict[str, list[dict]] = {}
            self.signature_algorithm = "MD5"

    @property
    def settings(self) -> dict:
        """The PAYU settings that point the production client at this fake."""
        return {
            "BASE_URL": self.base_url,
            "POS_ID": self.pos_id,
            "CLIENT_ID": self.pos_id,
            "CLIENT_SECRET": self.client_secret,
            "SECOND_KEY": self.second_key,
            "TIMEOUT": 10,
        }

    def revoke_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    # --- dispatch -------------------------------------------------------------------------

    def handle(self, method, path, query, headers, body) -> Reply:
        with self._lock:
            self.requests.append((method, path))
        parts = [p for p in path.split("/") if p]
        if method == "POST" and path == "/pl/standard/user/oauth/authorize":
            return self._authorize(headers, body)
        if parts[:1] == ["pay"] and len(parts) == 2:
            return self._payer(method, parts[1], body)
        if parts[:2] == ["api", "v2_1"] and parts[2:3] == ["orders"]:
            if not self._authorized(headers):
                return Reply.json(401, {"error": "invalid_token"})
            if method == "POST" and len(parts) == 3:
                return self._create(body)
            if method == "GET" and len(parts) == 4:
                return self._retrieve(parts[3])
            if method == "POST" and len(parts) == 5 and parts[4] == "refunds":
                return self._refund(parts[3], body)
        return Reply.json(404, {"status": {"statusCode": "DATA_NOT_FOUND"}})

    # --- OAuth ----------------------------------------------------------------------------

    def _authorize(self, headers, body) -> Reply:
        content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            return Reply.json(401, {"error": "invalid_request"})
        fields = form(body)
        if fields.get("grant_type") != "client_credentials":
            return Reply.json(400, {"error": "unsupported_grant_type"})
        if fields.get("client_id") != self.pos_id or fields.get("client_secret") != (
            self.client_secret
        ):
            return Reply.json(401, {"error": "invalid_client"})
        token = secrets.token_hex(16)
        with self._lock:
            self.token_requests += 1
            self.tokens[token] = time.monotonic() + self.expires_in
        return Reply.json(
            200,
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.expires_in,
                "grant_type": "client_credentials",
            },
        )

    def _authorized(self, headers) -> bool:
        value = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        scheme, _sep, token = value.partition(" ")
        with self._lock:
            expiry = self.tokens.get(token)
        return scheme.lower() == "bearer" and expiry is not None and expiry > time.monotonic()

    # --- orders ---------------------------------------------------------------------------

    @staticmethod
    def _error(status: int, code: str, desc: str) -> Reply:
        return Reply.json(status, {"status": {"statusCode": code, "statusDesc": desc}})

    def _create(self, body) -> Reply:
        try:
            data = json.loads(body)
        except ValueError:
            return self._error(400, "ERROR_SYNTAX", "Invalid JSON")
        required = ("customerIp", "merchantPosId", "description", "currencyCode", "totalAmount")
        missing = [name for name in required if not data.get(name)]
        products = data.get("products")
        if missing or not isinstance(products, list) or not products:
            return self._error(400, "ERROR_VALUE_MISSING", f"Missing {missing or 'products'}")
        for product in products:
            if not all(str(product.get(k, "")) for k in ("name", "unitPrice", "quantity")):
                return self._error(400, "ERROR_VALUE_MISSING", "Incomplete product")
        if not isinstance(data["totalAmount"], str) or not data["totalAmount"].isdigit():
            return self._error(400, "ERROR_VALUE_INVALID", "totalAmount must be a string of digits")
        if str(data["merchantPosId"]) != self.pos_id:
            return self._error(400, "ERROR_VALUE_INVALID", "Invalid merchantPosId")
        with self._lock:
            ext = data.get("extOrderId")
            if ext and any(o.get("extOrderId") == ext for o in self.orders.values()):
                return self._error(400, "ERROR_ORDER_NOT_UNIQUE", "Order already exists")
            alphabet = string.ascii_uppercase + string.digits
            order_id = "".join(secrets.choice(alphabet) for _ in range(20)) + "GUEST000P01"
            order = {
                "orderId": order_id,
                "extOrderId": ext or "",
                "orderCreateDate": now_iso(),
                "notifyUrl": data.get("notifyUrl", ""),
                "continueUrl": data.get("continueUrl", ""),
                "customerIp": data["customerIp"],
                "merchantPosId": self.pos_id,
                "description": data["description"],
                "currencyCode": data["currencyCode"],
                "totalAmount": data["totalAmount"],
                "buyer": data.get("buyer", {}),
                "products": products,
                "status": "NEW",
            }
            self.orders[order_id] = order
        redirect = f"{self.base_url}/pay/{order_id}"
        return Reply.json(
            302,
            {
                "status": {"statusCode": "SUCCESS"},
                "redirectUri": redirect,
                "orderId": order_id,
                "extOrderId": order["extOrderId"],
            },
            Location=redirect,
        )

    def _public(self, order: dict) -> dict:
        return {k: v for k, v in order.items() if k != "continueUrl"}

    def _retrieve(self, order_id) -> Reply:
        with self._lock:
            order = self.orders.get(order_id)
            if order is None:
                return self._error(404, "DATA_NOT_FOUND", "Could not find data for given criteria")
            return Reply.json(
                200,
                {
                    "orders": [self._public(order)],
                    "status": {
                        "statusCode": "SUCCESS",
                        "statusDesc": "Request processing successful",
                    },
                },
            )

    # --- the payer ------------------------------------------------------------------------

    def _payer(self, method, order_id, body) -> Reply:
        with self._lock:
            order = self.orders.get(order_id)
        if order is None:
            return Reply(404, b"Unknown order", {"Content-Type": "text/plain"})
        if method == "GET":
            return payer_page(
                "PayU (fake)",
                order["description"],
                grosze(order["totalAmount"]),
                f"/pay/{order_id}",
            )
        if order["status"] != "NEW":
            return Reply(409, b"Already paid or cancelled", {"Content-Type": "text/plain"})
        action = form(body).get("action")
        final = "COMPLETED" if action == "pay" else "CANCELED"
        self.set_status(order_id, "PENDING", final)
        target = order["continueUrl"]
        if final == "CANCELED" and target:
            target += ("&" if "?" in target else "?") + "error=501"
        return Reply.redirect(target or f"{self.base_url}/pay/{order_id}")

    def set_status(self, order_id: str, *statuses: str) -> list[Delivery]:
        """Move an order through ``statuses`` and notify each step (what paying does)."""
        batch = []
        with self._lock:
            order = self.orders[order_id]
            for status in statuses:
                order["status"] = status
                batch.append(self.notification(order_id, status))
        self.notify(batch)
        return batch

    def notification(self, order_id: str, status: str | None = None, **overrides) -> Delivery:
        """A signed notification about an order (a test may tamper with it before sending)."""
        order = dict(self._public(self.orders[order_id]), status=status or "")
        order.update(overrides)
        data = {"order": order}
        if order["status"] == "COMPLETED":
            data["localReceiptDateTime"] = now_iso()
            data["properties"] = [{"name": "PAYMENT_ID", "value": str(secrets.randbelow(10**10))}]
        return self.signed(order["notifyUrl"], data)

    def signed(self, url: str, data: dict) -> Delivery:
        body = json.dumps(data, ensure_ascii=False).encode()
        header = signature_header(body, self.second_key, self.signature_algorithm)
        return Delivery(
            url,
            body,
            {
                "Content-Type": "application/json;charset=UTF-8",
                "OpenPayu-Signature": header,
                "X-OpenPayU-Signature": header,
            },
        )

    # --- refunds --------------------------------------------------------------------------

    def _refund(self, order_id, body) -> Reply:
        try:
            refund = json.loads(body)["refund"]
            description = refund["description"]
        except (ValueError, KeyError, TypeError):
            return self._error(400, "ERROR_VALUE_MISSING", "refund.description is required")
        with self._lock:
            order = self.orders.get(order_id)
            if order is None:
                return self._error(404, "DATA_NOT_FOUND", "Order not found")
            existing = self.refunds.setdefault(order_id, [])
            ext = refund.get("extRefundId")
            for known in existing:
                if ext and known["extRefundId"] == ext:
                    return self._refund_reply(order_id, known)
            if order["status"] != "COMPLETED":
                return self._error(400, "ERROR_VALUE_INVALID", "Order is not completed")
            refunded = sum(int(r["amount"]) for r in existing if r["status"] != "CANCELED")
            available = int(order["totalAmount"]) - refunded
            amount = int(refund.get("amount") or available)
            if amount <= 0 or amount > available:
                return self._error(400, "ERROR_VALUE_INVALID", "Refund amount exceeds balance")
            record = {
                "refundId": str(5000000000 + secrets.randbelow(10**9)),
                "extRefundId": ext or "",
                "amount": str(amount),
                "currencyCode": "PLN",
                "description": description,
                "creationDateTime": now_iso(),
                "status": "PENDING",
                "statusDateTime": now_iso(),
            }
            existing.append(record)
        return self._refund_reply(order_id, record)

    def _refund_reply(self, order_id, record) -> Reply:
        return Reply.json(
            200,
            {
                "orderId": order_id,
                "refund": record,
                "status": {"statusCode": "SUCCESS", "statusDesc": "Refund queued for processing"},
            },
        )

    def finalize_refunds(self, status: str = "FINALIZED") -> list[Delivery]:
        """Finish every pending refund (FINALIZED or CANCELED) and notify each."""
        batch = []
        with self._lock:
            for order_id, records in self.refunds.items():
                order = self.orders[order_id]
                for record in records:
                    if record["status"] != "PENDING":
                        continue
                    record["status"] = status
                    record["statusDateTime"] = now_iso()
                    data = {
                        "orderId": order_id,
                        "extOrderId": order["extOrderId"],
                        "refund": {
                            "refundId": record["refundId"],
                            "amount": record["amount"],
                            "currencyCode": "PLN",
                            "status": status,
                            "statusDateTime": record["statusDateTime"],
                            "reason": "refund",
                            "reasonDescription": record["description"],
                            "refundDate": record["statusDateTime"],
                        },
                    }
                    batch.append(self.signed(order["notifyUrl"], data))
        self.notify(batch)
        return batch

    # --- settlement -----------------------------------------------------------------------

    def settled_payments(self):
        return [
            (o["orderId"], o["extOrderId"], grosze(o["totalAmount"]))
            for o in self.orders.values()
            if o["status"] == "COMPLETED"
        ]


def main() -> None:  # pragma: no cover - a development aid
    """``python -m tests.fakes.payu [port]`` serves the fake on 127.0.0.1:8766."""
    import sys

    run_for_development(FakePayU(), int(sys.argv[1]) if len(sys.argv) > 1 else 8766, "PAYU")


if __name__ == "__main__":
    main()
