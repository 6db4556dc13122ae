"""The interface of delivery channels. `messaging.sending` (outbox, consents at send time, rate
limit) calls these; channels hold no business rules, they speak SMTP or an operator's HTTP API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from django.http import HttpRequest, HttpResponse


class DeliveryStatus(StrEnum):
    QUEUED = "queued"  # accepted by the operator / SMTP server
    DELIVERED = "delivered"  # the operator's delivery report says so
    # The number cannot be reached (wrong, unsupported, blacklisted): suppress it.
    UNDELIVERED = "undelivered"
    # Not delivered for a passing reason (expired while the phone was off, network error).
    FAILED = "failed"


class TemporaryFailure(Exception):
    """Try again later (timeout, 4xx SMTP reply, operator 5xx or rate limit)."""


class PermanentFailure(Exception):
    """Do not retry (invalid number or address, rejected content, 5xx SMTP reply)."""


class TechnicalFailure(Exception):
    """Our side cannot send this message as it is (too long for the operator's limit, Polish
    letters without a registered sender, unusable signing key): neither retried nor the
    recipient's fault, so the address is not suppressed."""


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str = ""
    # RFC 8058 one-click unsubscribe: an https URL accepting POST "List-Unsubscribe=One-Click".
    unsubscribe_url: str = ""
    # Our outbox row id, for the Message-ID and bounce matching.
    reference: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutgoingSms:
    to: str  # E.164, +48XXXXXXXXX
    text: str
    reference: str = ""  # our outbox row id, echoed in delivery reports where the operator can


@dataclass(frozen=True)
class SendResult:
    provider_id: str  # Message-ID for email, the operator's message id for SMS
    status: DeliveryStatus = DeliveryStatus.QUEUED
    parts: int = 1


@dataclass(frozen=True)
class DeliveryReport:
    provider_id: str
    status: DeliveryStatus
    at: datetime | None = None
    reference: str = ""


class EmailChannel(Protocol):
    """Used as a context manager so one SMTP connection serves a whole batch."""

    def __enter__(self) -> EmailChannel: ...

    def __exit__(self, *exc_info) -> None: ...

    def send(self, message: OutgoingEmail) -> SendResult:
        """Sign (S/MIME, optionally DKIM) and send; raise Temporary/PermanentFailure."""


class SmsChannel(Protocol):
    code: str

    def send(self, message: OutgoingSms) -> SendResult:
        """Send one SMS; raise Temporary/PermanentFailure."""

    def parse_delivery_reports(self, request: HttpRequest) -> list[DeliveryReport]:
        """Parse the operator's delivery-report callback (checking what it can be checked by)."""

    def delivery_report_response(self) -> HttpResponse:
        """What the operator expects back (SerwerSMS and SMSAPI: 200 "OK")."""
