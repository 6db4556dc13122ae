"""A loopback fake of the SerwerSMS HTTPS API v2 (PROTOCOLS.md §9).

* ``POST /messages/send_sms.json`` — Bearer token, JSON body; answers ``{"success", "queued",
  "unsent", "items": [{"id", "phone", "status", "queued", "parts", "error_code",
  "error_message"}]}``, or ``{"error": {"code", "type", "message"}}`` (1001 bad token, 2000 no
  phone/text, 2001 bad number, 3002 limit of FULL SMS exhausted …).
* ``POST /messages/reports.json`` — ``{"id": [...]}`` → ``{"items": [{"id", "phone",
  "status", "queued", "sent", "delivered", "parts", "reason", "unique_id", "text"}]}``.

Knobs: ``invalid_numbers`` (unsent with error 2001), ``error_next(code)``, ``http_error_next
(status)``. ``deliver(id, status, reason, callback_url)`` records a delivery result and, given a
URL, posts it there as the push callback would (form fields as in a report item).
"""

from __future__ import annotations

import json
import secrets
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import requests
import smsutil

from .loopback_http import LoopbackServer, reply

TOKEN = "serwersms-test-token-0f3a"
ERRORS = {
    1001: ("InvalidUser", "Incorrect login or password"),
    2000: ("ValidationRequiredError", "Missing required parameters"),
    2001: ("ValidationPhoneError", "Invalid phone number"),
    3002: ("SendError", "Exhausted the limit of available SMS FULL"),
    3102: ("SendError", "Message exceeded the maximum length"),
}
POLISH_TIME = ZoneInfo("Europe/Warsaw")


def _now() -> str:
    return datetime.now(POLISH_TIME).strftime("%Y-%m-%d %H:%M:%S")


class FakeSerwerSms(LoopbackServer):
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.messages: dict[str, dict] = {}  # id -> what was sent and its state
        self.requests: list[tuple[str, dict]] = []
        self.invalid_numbers: set[str] = set()
        self._errors: list[int] = []
        self._http_errors: list[int] = []
        self._lock = threading.Lock()

    # --- knobs ------------------------------------------------------------------------------

    def error_next(self, code: int) -> None:
        self._errors.append(code)

    def http_error_next(self, status: int) -> None:
        self._http_errors.append(status)

    @property
    def sent(self) -> list[dict]:
        return list(self.messages.values())

    def deliver(
        self, message_id: str, status: str = "delivered", reason: str = "", callback_url=""
    ) -> requests.Response | None:
        message = self.messages[message_id]
        message.update(
            status=status, reason=reason, delivered=_now() if status == "delivered" else ""
        )
        if not callback_url:
            return None
        return requests.post(callback_url, data=self._item(message), timeout=10)

    # --- the API ----------------------------------------------------------------------------

    def app(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        path = environ.get("PATH_INFO", "")
        if environ["REQUEST_METHOD"] != "POST":
            return reply(start_response, "405 Method Not Allowed", b"")
        with self._lock:
            if self._http_errors:
                status = self._http_errors.pop(0)
                return reply(start_response, f"{status} Error", b"<html>busy</html>", "text/html")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        self.requests.append((path, body))
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.token}":
            return self._json(start_response, self._error(1001))
        with self._lock:
            if self._errors:
                return self._json(start_response, self._error(self._errors.pop(0)))
        if path == "/messages/send_sms.json":
            return self._json(start_response, self._send(body))
        if path == "/messages/reports.json":
            ids = body.get("id") or []
            ids = [ids] if isinstance(ids, str) else ids
            items = [self._item(self.messages[i]) for i in ids[:500] if i in self.messages]
            return self._json(start_response, {"items": items})
        return reply(start_response, "404 Not Found", b"")

    def _send(self, body: dict) -> dict:
        phones = body.get("phone")
        text = body.get("text")
        if not phones or not text:
            return self._error(2000)
        phones = [phones] if isinstance(phones, str) else phones
        uniques = body.get("unique_id")
        uniques = [uniques] if isinstance(uniques, str) else (uniques or [])
        if uniques and len(uniques) != len(phones):
            return self._error(2000)  # a count mismatch sends nothing
        split = smsutil.split(text)
        if len(split.parts) > 6:
            return self._error(3102)
        items = []
        for index, phone in enumerate(phones):
            message_id = secrets.token_hex(5)
            item = {"id": message_id, "phone": phone, "queued": _now(), "parts": len(split.parts)}
            if phone in self.invalid_numbers:
                item.update(status="unsent", error_code=2001, error_message="Invalid phone number")
            else:
                item["status"] = "queued"
            items.append(item)
            self.messages[message_id] = {
                **item,
                "text": text,
                "sender": body.get("sender", ""),
                "utf": bool(body.get("utf")),
                "test": bool(body.get("test")),
                "unique_id": uniques[index] if uniques else "",
                "status": "in_progress" if item["status"] == "queued" else "unsent",
                "reason": "wrong_number" if item["status"] == "unsent" else "",
            }
        queued = sum(1 for item in items if item["status"] == "queued")
        return {"success": True, "queued": queued, "unsent": len(items) - queued, "items": items}

    @staticmethod
    def _item(message: dict) -> dict:
        fields = ("id", "phone", "status", "queued", "parts", "reason", "unique_id", "text")
        item = {name: message.get(name, "") for name in fields}
        item["delivered"] = message.get("delivered", "")
        return item

    @staticmethod
    def _error(code: int) -> dict:
        kind, message = ERRORS.get(code, ("SendError", "Error"))
        return {"error": {"code": code, "type": kind, "message": message}}

    @staticmethod
    def _json(start_response, document: dict):
        return reply(start_response, "200 OK", json.dumps(document).encode())
