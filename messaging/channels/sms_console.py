"""The embedded default: SMS are printed (and logged) instead of sent, and count as delivered.

Like Django's console email backend, for development and demos only; production with an
operator configured never picks it (MESSAGING_SMS_PROVIDER).
"""

from __future__ import annotations

import logging
import sys
import uuid

from django.http import HttpRequest, HttpResponse

from .base import DeliveryReport, DeliveryStatus, OutgoingSms, SendResult
from .operators import checked_number, checked_text, ok_response

logger = logging.getLogger(__name__)


class ConsoleSmsChannel:
    code = "console"

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stdout

    def send(self, message: OutgoingSms) -> SendResult:
        phone = checked_number(message.to)
        info = checked_text(message.text)
        provider_id = f"console-{uuid.uuid4().hex[:12]}"
        self.stream.write(
            f"SMS to {phone} ({info.encoding}, {info.length} characters, {info.parts} "
            f"part{'s' if info.parts > 1 else ''}, id {provider_id}, ref {message.reference}):\n"
            f"{message.text}\n{'-' * 79}\n"
        )
        self.stream.flush()
        logger.info("Console SMS %s to %s (%s parts)", provider_id, phone, info.parts)
        return SendResult(
            provider_id=provider_id, status=DeliveryStatus.DELIVERED, parts=info.parts
        )

    def parse_delivery_reports(self, request: HttpRequest) -> list[DeliveryReport]:
        return []  # nothing is ever pending

    def delivery_report_response(self) -> HttpResponse:
        return ok_response()
