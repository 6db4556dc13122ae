"""HTTP API for the domain systems (django-ninja): push import batches, pull portal events.

Thin: authentication, rate limiting and HTTP shapes live here; ``importer.import_batch`` and
``outbox.events_for`` do the work. Each domain system has its own bearer token
(``DomainSystem.issue_token``). No cookies are involved, so CSRF does not apply: ninja marks its
views csrf_exempt and bearer authentication never looks at the session.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Annotated, Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle
from pydantic import Field

from eservices.models import DomainSystem, ImportBatch, OutboundEvent

from .importer import import_batch
from .outbox import events_for

DEFAULT_RATE_LIMIT = "60/min"
DEFAULT_MAX_BATCH_BYTES = 64 * 1024 * 1024
_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}
_CONTENT_TYPES = {
    "application/x-ndjson": "jsonl",
    "application/jsonl": "jsonl",
    "application/json-lines": "jsonl",
    "application/json": "jsonl",
    "text/plain": "jsonl",
    "text/csv": "csv",
}


class DomainSystemToken(HttpBearer):
    """``Authorization: Bearer <token>`` of an active domain system; anything else is a 401."""

    def authenticate(self, request: HttpRequest, token: str) -> DomainSystem | None:
        return DomainSystem.objects.authenticate(token)


def parse_rate(rate: str) -> tuple[int, int]:
    """``"60/min"`` → (60, 60): requests allowed, window in seconds."""
    count, _slash, unit = rate.partition("/")
    try:
        return int(count), _PERIODS[unit.strip()]
    except (KeyError, ValueError):
        raise ValueError(
            f"rate limits look like 60/min (units: s, min, h, day); got {rate!r}"
        ) from None


class PerSystemRateThrottle(BaseThrottle):
    """A fixed window per domain system, counted in the shared cache.

    ``cache.incr`` is atomic in Redis, so the limit holds across all web processes. The rate is
    read from ``INTEGRATION_API_RATE_LIMIT`` on every request, so it can be changed (and set low
    in tests) without a restart. The window key includes the token prefix: issuing a new token
    starts a new count.
    """

    def __init__(self) -> None:
        self._local = threading.local()  # one throttle object serves every request thread

    def allow_request(self, request: HttpRequest) -> bool:
        system = getattr(request, "auth", None)
        if not isinstance(system, DomainSystem):
            return True  # unauthenticated requests were refused before throttling
        limit, period = parse_rate(
            getattr(settings, "INTEGRATION_API_RATE_LIMIT", DEFAULT_RATE_LIMIT)
        )
        now = time.time()
        window = int(now // period)
        key = f"eservices:integration-api:{system.pk}:{system.token_prefix}:{period}:{window}"
        cache.add(key, 0, timeout=period + 1)
        try:
            used = cache.incr(key)
        except ValueError:  # the key expired between add() and incr()
            cache.set(key, 1, timeout=period + 1)
            used = 1
        self._local.wait = period - (now % period)
        return used <= limit

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


router = Router(auth=DomainSystemToken(), throttle=PerSystemRateThrottle(), tags=["integration"])


class BatchErrorOut(Schema):
    line: int | None = Field(description="1-based line of the file; null for the whole batch")
    record_type: str
    external_id: str
    message: str


class CountsOut(Schema):
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class BatchOut(Schema):
    id: int
    status: ImportBatch.Status
    format: ImportBatch.Format
    filename: str
    sha256: str
    size: int
    created_at: datetime
    applied_at: datetime | None
    counts: dict[str, CountsOut] = Field(description="Per record type")
    totals: CountsOut
    error_count: int
    errors: list[BatchErrorOut] = Field(description="The first 1000 errors, by line")

    @staticmethod
    def resolve_totals(batch: ImportBatch) -> dict[str, int]:
        return {what: batch.total(what) for what in ("created", "updated", "unchanged")}


class EventOut(Schema):
    id: int
    kind: str
    payload: dict[str, Any]
    created_at: datetime


class EventPageOut(Schema):
    events: list[EventOut]
    next_cursor: int = Field(description="Pass as `after` to get the next page")
    has_more: bool


_BATCH_BODY = {
    "requestBody": {
        "required": True,
        "description": "The batch in import format v1 (docs/integration-format.md).",
        "content": {
            "application/x-ndjson": {"schema": {"type": "string"}},
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post(
    "/batches",
    response={201: BatchOut, 422: BatchOut},
    summary="Push an import batch",
    description=(
        "Applies the whole batch (201) or nothing (422, with every line error). Send JSON Lines "
        "or CSV as the request body, or as a multipart file field named `file`."
    ),
    openapi_extra=_BATCH_BODY,
)
def create_batch(
    request: HttpRequest,
    format: Annotated[
        ImportBatch.Format | None,
        Query(description="Overrides the format the content type or file name suggests"),
    ] = None,
) -> Status[ImportBatch]:
    content, filename, detected = _read_batch(request)
    batch = import_batch(request.auth, content, format or detected, filename=filename)
    return Status(201 if batch.status == ImportBatch.Status.APPLIED else 422, batch)


@router.get("/batches/{batch_id}", response=BatchOut, summary="A batch this system pushed")
def get_batch(request: HttpRequest, batch_id: int) -> ImportBatch:
    batch = ImportBatch.objects.filter(pk=batch_id, source_system=request.auth).first()
    if batch is None:
        # Another system's batch is as invisible as one that does not exist.
        raise HttpError(404, "Not Found")
    return batch


@router.get("/events", response=EventPageOut, summary="Portal events after a cursor")
def list_events(
    request: HttpRequest,
    after: Annotated[int, Query(ge=0, description="The last event id already processed")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    events: list[OutboundEvent] = events_for(request.auth, after=after, limit=limit + 1)
    page = events[:limit]
    return {
        "events": page,
        "next_cursor": page[-1].pk if page else after,
        "has_more": len(events) > limit,
    }


def _read_batch(request: HttpRequest) -> tuple[bytes, str, str]:
    """The uploaded bytes, their file name and the format their content type suggests."""
    limit = getattr(settings, "INTEGRATION_MAX_BATCH_BYTES", DEFAULT_MAX_BATCH_BYTES)
    too_big = HttpError(413, f"A batch may have at most {limit} bytes.")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit + 64 * 1024:  # refuse before reading (multipart adds some overhead)
        raise too_big
    content_type = request.content_type or ""
    if content_type == "multipart/form-data":
        upload = request.FILES.get("file")
        if upload is None:
            raise HttpError(400, "Send the batch as a multipart file field named 'file'.")
        if upload.size > limit:
            raise too_big
        name = upload.name or ""
        return upload.read(), name, "csv" if name.lower().endswith(".csv") else "jsonl"
    if content_type not in _CONTENT_TYPES:
        raise HttpError(415, "Send application/x-ndjson, text/csv or multipart/form-data.")
    # request.read() rather than request.body: the body limit of ordinary form posts
    # (DATA_UPLOAD_MAX_MEMORY_SIZE) is far below a batch; this endpoint has its own.
    content = request.read(limit + 1)
    if len(content) > limit:
        raise too_big
    return content, "", _CONTENT_TYPES[content_type]
