"""A loopback fake of SMSAPI's ``/sms.do`` (PROTOCOLS.md §9) and its delivery-report callback.

* ``POST /sms.do`` — ``Authorization: Bearer <token>``, form parameters ``to, message, from,
  encoding, format=json, idx, check_idx, max_parts, notify_url, test``; answers ``{"count",
  "list": [{"id", "points", "number", "date_sent", "submitted_number", "status": "QUEUE",
  "error", "idx", "parts"}]}`` or ``{"error": <code>, "message": …}``: 101 bad token, 11 no
  message, 12 more parts than max_parts, 13 no valid number, 14 sender not registered, 53 idx
  already used (with check_idx), 105 IP filter (``error_next``).
* ``deliver(id, code)`` / ``deliver_bulk([(id, code), …])`` call the message's ``notify_url``
  with GET ``MsgId, status, idx, donedate, to, from, username, points`` (bulk: comma-separated).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from urllib.parse import parse_qs

import requests
import smsutil

from .loopback_http import LoopbackServer, reply

TOKEN = "smsapi-test-token-7c1d"
MESSAGES = {
    11: "Message too long or there is no message",
    12: "Message has more parts than defined in &max_parts parameter",
    13: "Lack of valid phone numbers",
    14: "Wrong sender name",
    53: "Not unique idx parameter, message with the same idx has been already sent",
    101: "Invalid authorization info",
    105: "Wrong IP address (for IP filter turned on)",
}


class FakeSmsApi(LoopbackServer):
    def __init__(self, token: str = TOKEN, senders: tuple[str, ...] = ("GMINA",)) -> None:
        self.token = token
        self.senders = set(senders)
        self.messages: dict[str, dict] = {}
        self.invalid_numbers: set[str] = set()
        self.requests: list[dict] = []
        self._idx_used: set[str] = set()
        self._errors: list[int] = []
        self._http_errors: list[int] = []
        self._lock = threading.Lock()

    def error_next(self, code: int) -> None:
        self._errors.append(code)

    def http_error_next(self, status: int) -> None:
        self._http_errors.append(status)

    @property
    def sent(self) -> list[dict]:
        return list(self.messages.values())

    # --- callbacks --------------------------------------------------------------------------

    def deliver(self, message_id: str, code: int = 404) -> requests.Response:
        return self.deliver_bulk([(message_id, code)])

    def deliver_bulk(self, results: list[tuple[str, int]]) -> requests.Response:
        messages = [self.messages[message_id] for message_id, _ in results]
        urls = {message["notify_url"] for message in messages}
        if len(urls) != 1 or not next(iter(urls)):
            raise ValueError("the messages need one and the same notify_url")
        now = str(int(time.time()))
        params = {
            "MsgId": ",".join(message["id"] for message in messages),
            "status": ",".join(str(code) for _, code in results),
            "idx": ",".join(message["idx"] for message in messages),
            "donedate": ",".join(now for _ in messages),
            "to": ",".join(message["number"] for message in messages),
            "from": ",".join(message["from"] or "Test" for message in messages),
            "username": "gmina-api",
            "points": ",".join("0.16" for _ in messages),
        }
        return requests.get(urls.pop(), params=params, timeout=10)

    # --- the API ----------------------------------------------------------------------------

    def app(self, environ, start_response):
        if environ.get("PATH_INFO") != "/sms.do" or environ["REQUEST_METHOD"] != "POST":
            return reply(start_response, "404 Not Found", b"")
        with self._lock:
            if self._http_errors:
                status = self._http_errors.pop(0)
                return reply(start_response, f"{status} Error", b"busy", "text/plain")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length).decode() if length else ""
        form = {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}
        self.requests.append(form)
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.token}":
            return self._json(start_response, self._error(101), "401 Unauthorized")
        with self._lock:
            if self._errors:
                return self._json(start_response, self._error(self._errors.pop(0)))
            return self._json(start_response, self._send(form))

    def _send(self, form: dict) -> dict:
        text, number = form.get("message", ""), form.get("to", "")
        if not text:
            return self._error(11)
        if not number.isdigit() or number in self.invalid_numbers:
            return self._error(13)
        if form.get("from") and form["from"] not in self.senders:
            return self._error(14)
        parts = len(smsutil.split(text).parts)
        if parts > int(form.get("max_parts") or 6):
            return self._error(12)
        idx = form.get("idx", "")
        if idx and form.get("check_idx") == "1":
            if idx in self._idx_used:
                return self._error(53)
            self._idx_used.add(idx)
        message_id = secrets.token_hex(12).upper()
        self.messages[message_id] = {
            "id": message_id,
            "number": number,
            "message": text,
            "from": form.get("from", ""),
            "idx": idx,
            "notify_url": form.get("notify_url", ""),
            "test": form.get("test") == "1",
            "parts": parts,
        }
        entry = {
            "id": message_id,
            "points": 0.16 * parts,
            "number": number,
            "date_sent": int(time.time()),
            "submitted_number": number,
            "status": "QUEUE",
            "error": None,
            "idx": idx or None,
            "parts": parts,
        }
        return {"count": 1, "list": [entry]}

    @staticmethod
    def _error(code: int) -> dict:
        return {"error": code, "message": MESSAGES.get(code, "Error")}

    @staticmethod
    def _json(start_response, document: dict, status: str = "200 OK"):
        return reply(start_response, status, json.dumps(document).encode())
