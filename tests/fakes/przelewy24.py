"""A fake Przelewy24 (REST API v1, PROTOCOLS.md §2) on loopback.

Every ``/api/v1`` call needs HTTP Basic posId : API key. Signs are SHA-384 over compact JSON
in P24's key order with the CRC key, computed here independently of the production client, and
a wrong sign is refused as P24 refuses it.

* ``POST /api/v1/transaction/register`` → ``{"data":{"token":…},"responseCode":0}``;
* ``GET /trnRequest/{token}``: the payer's page. *Pay* makes the transaction paid but
  unverified (status 1), posts the signed notification to ``urlStatus`` and redirects to
  ``urlReturn``; *Reject* only redirects (P24 notifies correct payments only);
* ``PUT /api/v1/transaction/verify`` (``fail_verify`` refuses it) → status 2;
* ``GET /api/v1/transaction/by/sessionId/{id}``;
* ``POST /api/v1/transaction/refund`` (idempotent by ``refundsUuid``);
  :meth:`FakePrzelewy24.finalize_refunds` completes them and posts the refund notifications.

Like P24, notifications of unverified transactions are re-sent by every retry round, even when
the receiver answered 200.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string
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

MERCHANT_ID = 999999
API_KEY = "f0c1b2a3d4e5f60718293a4b5c6d7e8f"
CRC = "a1b2c3d4e5f60718"

REGISTER = ("sessionId", "merchantId", "amount", "currency", "crc")
VERIFY = ("sessionId", "orderId", "amount", "currency", "crc")
NOTIFICATION = (
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
REFUND_NOTIFICATION = (
    "orderId",
    "sessionId",
    "refundsUuid",
    "merchantId",
    "amount",
    "currency",
    "status",
    "crc",
)


def p24_sign(values: dict, order: tuple[str, ...], crc: str) -> str:
    text = json.dumps(
        {k: crc if k == "crc" else values[k] for k in order},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha384(text.encode()).hexdigest()


def pln(grosze: int) -> Decimal:
    return (Decimal(grosze) / 100).quantize(Decimal("0.01"))


def error(code: int, message: str) -> Reply:
    return Reply.json(code, {"error": message, "code": code})


class FakePrzelewy24(LoopbackOperator):
    payout_prefix = "P24"
    payout_title = "PRZELEWY24 wypłata {reference}"

    def __init__(
        self, merchant_id: int = MERCHANT_ID, api_key: str = API_KEY, crc: str = CRC
    ) -> None:
        self.merchant_id = merchant_id
        self.pos_id = merchant_id
        self.api_key = api_key
        self.crc = crc
        super().__init__()

    def reset(self) -> None:
        super().reset()
        with self._lock:
            self.transactions: dict[str, dict] = {}  # sessionId -> transaction
            self.tokens: dict[str, str] = {}  # token -> sessionId
            self.refunds: dict[str, dict] = {}  # refundsUuid -> request and state
            self.fail_verify = False
            self.verify_calls = 0
            self._next_order_id = 300000000
            self.method_id = 25

    @property
    def settings(self) -> dict:
        """The PRZELEWY24 settings that point the production client at this fake."""
        return {
            "BASE_URL": self.base_url,
            "MERCHANT_ID": str(self.merchant_id),
            "POS_ID": str(self.pos_id),
            "API_KEY": self.api_key,
            "CRC": self.crc,
            "REFUND_STATUS_URL": "",
            "TIMEOUT": 10,
        }

    # --- dispatch -------------------------------------------------------------------------

    def handle(self, method, path, query, headers, body) -> Reply:
        with self._lock:
            self.requests.append((method, path))
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["trnRequest"] and len(parts) == 2:
            return self._payer(method, parts[1], body)
        if parts[:2] != ["api", "v1"]:
            return error(404, "Not found")
        if not self._authorized(headers):
            return error(401, "Incorrect authentication")
        route = "/".join(parts[2:])
        if method == "GET" and route == "testAccess":
            return Reply.json(200, {"data": True, "error": ""})
        if method == "GET" and route.startswith("transaction/by/sessionId/"):
            return self._by_session(route.removeprefix("transaction/by/sessionId/"))
        try:
            data = json.loads(body)
        except ValueError:
            return error(400, "Invalid input data")
        if not isinstance(data, dict):
            return error(400, "Invalid input data")
        if method == "POST" and route == "transaction/register":
            return self._register(data)
        if method == "PUT" and route == "transaction/verify":
            return self._verify(data)
        if method == "POST" and route == "transaction/refund":
            return self._refund(data)
        return error(404, "Not found")

    def _authorized(self, headers) -> bool:
        value = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        scheme, _sep, encoded = value.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _sep, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return False
        return user == str(self.pos_id) and secrets.compare_digest(password, self.api_key)

    # --- register and pay -----------------------------------------------------------------

    def _register(self, data) -> Reply:
        required = {
            "merchantId": int,
            "posId": int,
            "sessionId": str,
            "amount": int,
            "currency": str,
            "description": str,
            "email": str,
            "country": str,
            "language": str,
            "urlReturn": str,
            "sign": str,
        }
        for name, kind in required.items():
            if not isinstance(data.get(name), kind) or isinstance(data.get(name), bool):
                return error(400, f"Invalid input data: {name}")
        if data["merchantId"] != self.merchant_id or data["posId"] != self.pos_id:
            return error(400, "Invalid merchantId or posId")
        if data["amount"] <= 0 or len(data["sessionId"]) > 100 or len(data["email"]) > 50:
            return error(400, "Invalid input data")
        if not secrets.compare_digest(data["sign"], p24_sign(data, REGISTER, self.crc)):
            return error(400, "Incorrect sign")
        with self._lock:
            if data["sessionId"] in self.transactions:
                return error(400, "sessionId already used")
            alphabet = string.ascii_uppercase + string.digits
            token = "-".join("".join(secrets.choice(alphabet) for _ in range(10)) for _ in range(4))
            self.tokens[token] = data["sessionId"]
            self.transactions[data["sessionId"]] = {
                "register": data,
                "status": 0,
                "orderId": None,
                "refunded": 0,
                "statement": "",
            }
        return Reply.json(200, {"data": {"token": token}, "responseCode": 0})

    def _payer(self, method, token, body) -> Reply:
        with self._lock:
            session_id = self.tokens.get(token)
            transaction = self.transactions.get(session_id)
        if transaction is None:
            return Reply(404, b"Unknown transaction", {"Content-Type": "text/plain"})
        register = transaction["register"]
        if method == "GET":
            return payer_page(
                "Przelewy24 (fake)",
                register["description"],
                pln(register["amount"]),
                f"/trnRequest/{token}",
            )
        if transaction["status"] != 0:
            return Reply(409, b"Already paid", {"Content-Type": "text/plain"})
        if form(body).get("action") == "pay":
            self.pay(session_id)
        return Reply.redirect(register["urlReturn"])

    def pay(self, session_id: str) -> Delivery | None:
        """The payer paid: status 1 (advance, unverified) and the notification to urlStatus."""
        with self._lock:
            transaction = self.transactions[session_id]
            self._next_order_id += 1
            transaction["orderId"] = self._next_order_id
            transaction["status"] = 1
            transaction["statement"] = f"p24-{secrets.token_hex(2).upper()}-{self._next_order_id}"
            if not transaction["register"].get("urlStatus"):
                return None
            delivery = self.notification(session_id)
            transaction["delivery"] = delivery
        self.notify([delivery])
        return delivery

    def notification(self, session_id: str, **overrides) -> Delivery:
        """The signed notification about a paid transaction (a test may tamper with it)."""
        transaction = self.transactions[session_id]
        register = transaction["register"]
        values = {
            "merchantId": self.merchant_id,
            "posId": self.pos_id,
            "sessionId": session_id,
            "amount": register["amount"],
            "originAmount": register["amount"],
            "currency": register["currency"],
            "orderId": transaction["orderId"],
            "methodId": self.method_id,
            "statement": transaction["statement"],
        }
        values["sign"] = p24_sign(values, NOTIFICATION, self.crc)
        values.update(overrides)
        return self.delivery(register.get("urlStatus", ""), values)

    @staticmethod
    def delivery(url: str, values: dict) -> Delivery:
        return Delivery(
            url,
            json.dumps(values, ensure_ascii=False).encode(),
            {"Content-Type": "application/json"},
        )

    def due_for_retry(self) -> list[Delivery]:
        # P24 resends until the merchant verifies, whatever the receiver answered.
        with self._lock:
            unverified = [
                t["delivery"]
                for t in self.transactions.values()
                if t["status"] == 1 and t.get("delivery")
            ]
        due = super().due_for_retry()
        return due + [d for d in unverified if not any(d is known for known in due)]

    # --- verify and status ----------------------------------------------------------------

    def _verify(self, data) -> Reply:
        with self._lock:
            self.verify_calls += 1
            transaction = self.transactions.get(data.get("sessionId"))
            if transaction is None or transaction["orderId"] is None:
                return error(400, "Transaction not found")
            register = transaction["register"]
            expected = {
                "merchantId": self.merchant_id,
                "posId": self.pos_id,
                "sessionId": data["sessionId"],
                "amount": register["amount"],
                "currency": register["currency"],
                "orderId": transaction["orderId"],
            }
            for name, value in expected.items():
                if data.get(name) != value or isinstance(data.get(name), bool):
                    return error(400, f"Invalid input data: {name}")
            if not secrets.compare_digest(
                str(data.get("sign", "")), p24_sign(expected, VERIFY, self.crc)
            ):
                return error(400, "Incorrect sign")
            if self.fail_verify:
                return error(400, "Transaction verification failed")
            if transaction["status"] == 1:
                transaction["status"] = 2
        return Reply.json(200, {"data": {"status": "success"}, "responseCode": 0})

    def _by_session(self, session_id) -> Reply:
        with self._lock:
            transaction = self.transactions.get(session_id)
            if transaction is None:
                return error(404, "Transaction not found")
            register = transaction["register"]
            return Reply.json(
                200,
                {
                    "data": {
                        "statement": transaction["statement"],
                        "orderId": transaction["orderId"] or 0,
                        "sessionId": session_id,
                        "status": transaction["status"],
                        "amount": register["amount"],
                        "currency": register["currency"],
                        "date": "",
                        "dateOfTransaction": "",
                        "clientEmail": register["email"],
                        "accountMD5": "",
                        "paymentMethod": self.method_id,
                        "description": register["description"],
                        "clientName": register.get("client", ""),
                        "batchId": 0,
                        "fee": 0,
                    },
                    "responseCode": 0,
                },
            )

    # --- refunds --------------------------------------------------------------------------

    def _refund(self, data) -> Reply:
        rows = data.get("refunds")
        uuid_ = data.get("refundsUuid")
        if not isinstance(rows, list) or not rows or not isinstance(uuid_, str):
            return error(400, "Invalid input data")
        if len(uuid_) > 35 or len(str(data.get("requestId", ""))) > 45:
            return error(400, "Invalid input data")
        with self._lock:
            if uuid_ in self.refunds:
                return Reply.json(201, {"data": self.refunds[uuid_]["answer"], "responseCode": 0})
            answer, accepted = [], []
            for row in rows:
                transaction = self.transactions.get(row.get("sessionId"))
                ok = (
                    transaction is not None
                    and transaction["orderId"] == row.get("orderId")
                    and transaction["status"] == 2
                    and isinstance(row.get("amount"), int)
                    and 0
                    < row["amount"]
                    <= transaction["register"]["amount"] - transaction["refunded"]
                )
                answer.append(
                    {
                        "orderId": row.get("orderId"),
                        "sessionId": row.get("sessionId"),
                        "amount": row.get("amount"),
                        "description": row.get("description", ""),
                        "status": ok,
                        "message": "success" if ok else "Refund not possible",
                    }
                )
                if ok:
                    transaction["refunded"] += row["amount"]
                    accepted.append(row)
            self.refunds[uuid_] = {
                "answer": answer,
                "rows": accepted,
                "urlStatus": data.get("urlStatus", ""),
                "done": False,
            }
        return Reply.json(201, {"data": answer, "responseCode": 0})

    def finalize_refunds(self, status: int = 0, url: str | None = None) -> list[Delivery]:
        """Complete (0) or reject (1) every open refund and post the refund notifications to
        the refund's ``urlStatus`` (or ``url``)."""
        batch = []
        with self._lock:
            for uuid_, refund in self.refunds.items():
                if refund["done"]:
                    continue
                refund["done"] = True
                for row in refund["rows"]:
                    transaction = self.transactions[row["sessionId"]]
                    if status == 0 and transaction["refunded"] >= transaction["register"]["amount"]:
                        transaction["status"] = 3
                    if status != 0:
                        transaction["refunded"] -= row["amount"]
                    values = {
                        "orderId": row["orderId"],
                        "sessionId": row["sessionId"],
                        "refundsUuid": uuid_,
                        "merchantId": self.merchant_id,
                        "amount": row["amount"],
                        "currency": "PLN",
                        "status": status,
                    }
                    values["sign"] = p24_sign(values, REFUND_NOTIFICATION, self.crc)
                    values["timestamp"] = int(datetime.now(UTC).timestamp())
                    target = url or refund["urlStatus"]
                    if target:
                        batch.append(self.delivery(target, values))
        self.notify(batch)
        return batch

    # --- settlement -----------------------------------------------------------------------

    def settled_payments(self):
        # P24 pays out verified money only; an unverified advance stays with the customer.
        return [
            (str(t["orderId"]), session_id, pln(t["register"]["amount"]))
            for session_id, t in self.transactions.items()
            if t["status"] == 2
        ]


def main() -> None:  # pragma: no cover - a development aid
    """``python -m tests.fakes.przelewy24 [port]`` serves the fake on 127.0.0.1:8767."""
    import sys

    run_for_development(
        FakePrzelewy24(), int(sys.argv[1]) if len(sys.argv) > 1 else 8767, "PRZELEWY24"
    )


if __name__ == "__main__":
    main()
