"""SerwerSMS HTTPS API v2 (PROTOCOLS.md §9): our own thin client.

* ``POST {MESSAGING_SERWERSMS_URL}/messages/send_sms.json`` with ``Authorization: Bearer`` and a
  JSON body (``phone``, ``text``, ``sender``, ``utf``, ``unique_id``, ``details``, ``test``);
  the reply lists ``items`` (``id``, ``phone``, ``status`` queued|unsent, ``parts``,
  ``error_code``, ``error_message``) or is ``{"error": {"code", "type", "message"}}``.
* Delivery reports: ``POST …/messages/reports.json`` by ``id`` (up to 500) — documented, so
  `fetch_delivery_reports` polls it. The push callback (set in the customer panel) has no
  published payload; `parse_delivery_reports` reads the report's own fields (``id``,
  ``status``, ``unique_id``, ``delivered``, ``reason``) from the query, a form or JSON.

Polish letters need a FULL SMS (a registered sender name) with ``utf``; ECO+ (no sender) is
GSM-7 only, so such a text is refused here instead of arriving garbled.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse

from ..sms_text import UCS2
from .base import (
    DeliveryReport,
    DeliveryStatus,
    OutgoingSms,
    SendResult,
    TechnicalFailure,
)
from .operators import (
    OperatorApi,
    callback_params,
    check_callback_token,
    checked_number,
    checked_text,
    ok_response,
    operator_failure,
)

WARSAW = ZoneInfo("Europe/Warsaw")
UNIQUE_PREFIX = "gm"  # unique_id must be 3-50 alphanumerics; our references may be "7"
# Error codes (dev.serwersms.pl, "General communications"): the account or its setup → retry
# later; a bad number → the recipient's; anything else → this message cannot be sent as it is.
ACCOUNT_ERRORS = {1001, 1002, 1003, 1005, 1007, 3000, 3001, 3002, 3003, 3009, 3100}
NUMBER_ERRORS = {2001}
# Report reasons that mean the number itself is unusable.
NUMBER_REASONS = {"wrong_number", "unsupported_number", "number_is_blacklisted"}


def unique_id(reference: str) -> str:
    value = UNIQUE_PREFIX + re.sub(r"[^A-Za-z0-9]", "", reference)
    return value[:50]


def reference_of(unique: str) -> str:
    return unique[len(UNIQUE_PREFIX) :] if unique.startswith(UNIQUE_PREFIX) else ""


def report_status(status: str, reason: str = "") -> DeliveryStatus:
    if status == "delivered":
        return DeliveryStatus.DELIVERED
    if status in {"undelivered", "unsent"}:
        return DeliveryStatus.UNDELIVERED if reason in NUMBER_REASONS else DeliveryStatus.FAILED
    return DeliveryStatus.QUEUED  # sent, pending, in_progress, saved, queued


def _at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=WARSAW)
    except ValueError:
        return None


def _failure(code: int, message: str) -> Exception:
    return operator_failure(
        f"SerwerSMS error {code}: {message}", code, NUMBER_ERRORS, ACCOUNT_ERRORS
    )


class SerwerSmsChannel:
    code = "serwersms"

    def __init__(self) -> None:
        self.api = OperatorApi(
            settings.MESSAGING_SERWERSMS_URL, settings.MESSAGING_SERWERSMS_TOKEN, "SerwerSMS"
        )
        self.sender = settings.MESSAGING_SMS_SENDER
        self.test = settings.MESSAGING_SMS_TEST_MODE

    def send(self, message: OutgoingSms) -> SendResult:
        phone = checked_number(message.to)
        info = checked_text(message.text)
        payload: dict = {"phone": phone, "text": message.text, "details": True}
        if self.sender:
            payload["sender"] = self.sender
            if info.encoding == UCS2:
                payload["utf"] = True
        elif info.encoding == UCS2:
            raise TechnicalFailure(
                "Polish letters need a registered sender (MESSAGING_SMS_SENDER) or transliteration"
            )
        if message.reference:
            payload["unique_id"] = unique_id(message.reference)
        if self.test:
            payload["test"] = True
        body = self.api.post("/messages/send_sms.json", json_body=payload)
        if "error" in body:
            error = body["error"] if isinstance(body["error"], dict) else {}
            raise _failure(int(error.get("code") or 0), str(error.get("message", "")))
        items = body.get("items") or []
        if len(items) != 1:
            raise TechnicalFailure(f"SerwerSMS answered {len(items)} items for one number")
        item = items[0]
        if item.get("status") != "queued":
            raise _failure(int(item.get("error_code") or 0), str(item.get("error_message", "")))
        return SendResult(
            provider_id=str(item["id"]),
            status=DeliveryStatus.QUEUED,
            parts=int(item.get("parts") or info.parts),
        )

    def fetch_delivery_reports(self, provider_ids: list[str]) -> list[DeliveryReport]:
        """Poll ``messages/reports`` for up to 500 of our messages (the documented way)."""
        if not provider_ids:
            return []
        body = self.api.post("/messages/reports.json", json_body={"id": provider_ids[:500]})
        if "error" in body:
            error = body["error"] if isinstance(body["error"], dict) else {}
            raise _failure(int(error.get("code") or 0), str(error.get("message", "")))
        return [self._report(item) for item in body.get("items") or []]

    def parse_delivery_reports(self, request: HttpRequest) -> list[DeliveryReport]:
        check_callback_token(request)
        params = callback_params(request)
        items = params.get("items") if isinstance(params, dict) else None
        if items is None:
            items = [params]
        reports = []
        for item in items:
            if not isinstance(item, dict) and not hasattr(item, "get"):
                raise BadRequest("delivery report item is not an object")
            if not item.get("id") or not item.get("status"):
                raise BadRequest("delivery report without id or status")
            reports.append(self._report(item))
        return reports

    @staticmethod
    def _report(item) -> DeliveryReport:
        return DeliveryReport(
            provider_id=str(item.get("id")),
            status=report_status(str(item.get("status")), str(item.get("reason") or "")),
            at=_at(item.get("delivered") or item.get("sent")),
            reference=reference_of(str(item.get("unique_id") or "")),
        )

    def delivery_report_response(self) -> HttpResponse:
        return ok_response()
