"""SMSAPI (smsapi.pl, PROTOCOLS.md §9): ``POST {MESSAGING_SMSAPI_URL}/sms.do`` with a Bearer OAuth
token, form parameters, ``format=json``.

* Sent: ``to`` (digits, no "+"), ``message``, ``from`` (registered sender), ``encoding=utf-8``
  (of our request), ``max_parts``, ``idx`` = our reference with ``check_idx=1`` (SMSAPI refuses
  an idx it has already accepted, error 53, so a retry after a crash cannot send twice),
  ``notify_url`` (the delivery-report callback, with our secret token), ``test``.
* Reply: ``{"count", "list": [{"id", "points", "number", "status", "error", "idx", "parts"}]}``,
  or ``{"error": <code>, "message": …}`` (ERROR:101 bad login, ERROR:105 IP filter …).
* Callback: SMSAPI calls ``notify_url`` with ``MsgId``, ``status`` (numeric: 404 DELIVERED,
  405 UNDELIVERED, …), ``idx``, ``donedate`` (Unix time), ``to``…; a bulk callback packs several
  reports into comma-separated values. We answer ``OK``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse

from ..sms_text import MAX_PARTS
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

# Error codes (SMSAPI "Kody błędów"): login, IP filter, credit, overload → retry later;
# no valid number / blacklisted → the recipient's; 53 (idx already used) → already accepted.
ACCOUNT_ERRORS = {101, 102, 103, 105, 110, 201, 202, 203, 999}
NUMBER_ERRORS = {13, 57}
DUPLICATE_IDX = 53
# Delivery statuses ("Lista statusów doręczenia").
DELIVERED_CODES = {404}
NUMBER_CODES = {405}  # UNDELIVERED: wrong or inactive number
FAILED_CODES = {402, 406, 407, 408, 412}  # EXPIRED, FAILED, REJECTED, UNKNOWN, STOP
# 401 NOT_FOUND, 403 SENT, 409 QUEUE, 410 ACCEPTED, 411 RENEWAL: nothing final yet.


def report_status(code: int) -> DeliveryStatus:
    if code in DELIVERED_CODES:
        return DeliveryStatus.DELIVERED
    if code in NUMBER_CODES:
        return DeliveryStatus.UNDELIVERED
    if code in FAILED_CODES:
        return DeliveryStatus.FAILED
    return DeliveryStatus.QUEUED


def _failure(code: int, message: str) -> Exception:
    return operator_failure(f"SMSAPI ERROR:{code} {message}", code, NUMBER_ERRORS, ACCOUNT_ERRORS)


class SmsApiChannel:
    code = "smsapi"

    def __init__(self) -> None:
        self.api = OperatorApi(
            settings.MESSAGING_SMSAPI_URL, settings.MESSAGING_SMSAPI_TOKEN, "SMSAPI"
        )
        self.sender = settings.MESSAGING_SMS_SENDER
        self.test = settings.MESSAGING_SMS_TEST_MODE

    def notify_url(self) -> str:
        url = settings.MESSAGING_SMS_REPORT_URL
        if not url:
            return ""
        separator = "&" if "?" in url else "?"
        return url + separator + urlencode({"token": settings.MESSAGING_SMS_CALLBACK_TOKEN})

    def send(self, message: OutgoingSms) -> SendResult:
        phone = checked_number(message.to)
        info = checked_text(message.text)
        form = {
            "to": phone.lstrip("+"),
            "message": message.text,
            "format": "json",
            "encoding": "utf-8",
            "max_parts": str(MAX_PARTS),
        }
        if self.sender:
            form["from"] = self.sender
        if message.reference:
            form["idx"] = message.reference
            form["check_idx"] = "1"
        if notify := self.notify_url():
            form["notify_url"] = notify
        if self.test:
            form["test"] = "1"
        body = self.api.post("/sms.do", form=form)
        if "error" in body and body["error"] not in (None, 0, ""):
            code = int(body["error"])
            if code == DUPLICATE_IDX and message.reference:
                # Accepted by an earlier attempt (a crash or a lost reply after sending): not sent
                # again. Its reports still carry idx, so they find our row by the reference.
                return SendResult(provider_id="", status=DeliveryStatus.QUEUED, parts=info.parts)
            raise _failure(code, str(body.get("message", "")))
        entries = body.get("list") or []
        if len(entries) != 1:
            raise TechnicalFailure(f"SMSAPI answered {len(entries)} messages for one number")
        entry = entries[0]
        if entry.get("error"):
            raise _failure(int(entry["error"]), str(entry.get("status", "")))
        return SendResult(
            provider_id=str(entry["id"]),
            status=DeliveryStatus.QUEUED,
            parts=int(entry.get("parts") or info.parts),
        )

    def parse_delivery_reports(self, request: HttpRequest) -> list[DeliveryReport]:
        check_callback_token(request)
        params = callback_params(request)
        ids = str(params.get("MsgId") or "").split(",")
        statuses = str(params.get("status") or "").split(",")
        count = len(ids)
        if not ids[0] or len(statuses) != count:
            raise BadRequest("delivery report without matching MsgId and status")
        idxs = _column(params, "idx", count)
        done = _column(params, "donedate", count)
        reports = []
        for provider_id, status, idx, when in zip(ids, statuses, idxs, done, strict=True):
            try:
                code = int(status)
                at = datetime.fromtimestamp(int(when), UTC) if when else None
            except ValueError as exc:
                raise BadRequest("malformed status or donedate") from exc
            reports.append(DeliveryReport(provider_id, report_status(code), at, idx))
        return reports

    def delivery_report_response(self) -> HttpResponse:
        return ok_response()


def _column(params, name: str, count: int) -> list[str]:
    values = str(params.get(name) or "").split(",")
    if values == [""]:
        return [""] * count
    if len(values) != count:
        raise BadRequest(f"delivery report: {name} does not match MsgId")
    return values
