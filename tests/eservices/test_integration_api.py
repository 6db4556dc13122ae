"""The domain systems' HTTP API: /api/v1/ (django-ninja), bearer token per system."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from eservices.integration.outbox import record_event
from eservices.models import DomainSystem, ImportBatch, LedgerEntry, OutboundEvent, Taxpayer

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
SAMPLE_JSONL = (DATA / "sample_batch.jsonl").read_bytes()
NDJSON = "application/x-ndjson"


@pytest.fixture(autouse=True)
def _settings(settings):
    # Events are served at once in tests; the real default waits for late commits.
    settings.INTEGRATION_EVENTS_SETTLE_SECONDS = 0
    settings.INTEGRATION_API_RATE_LIMIT = "1000/min"


@pytest.fixture
def sigid() -> DomainSystem:
    return DomainSystem.objects.create(name="SIGID", code="sigid")


@pytest.fixture
def token(sigid) -> str:
    return sigid.issue_token()


@pytest.fixture
def api(token) -> Client:
    # enforce_csrf_checks: a bearer-token API must work without a CSRF token.
    return Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {token}"})


def push(client: Client, content: bytes, content_type: str = NDJSON, **params):
    query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
    return client.post(f"/api/v1/batches{query}", data=content, content_type=content_type)


# --- Tokens ---------------------------------------------------------------------------------


def test_only_a_hash_of_the_token_is_stored(sigid):
    token = sigid.issue_token()
    sigid.refresh_from_db()
    assert sigid.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(list(DomainSystem.objects.values()), default=str)
    assert DomainSystem.objects.authenticate(token) == sigid
    # A new token replaces the old one.
    assert DomainSystem.objects.authenticate(sigid.issue_token()) == sigid
    assert DomainSystem.objects.authenticate(token) is None


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", "Bearer 0123456789ab.wrong-secret", "Basic c2lnaWQ6eA==", "Bearer "],
    ids=["missing", "garbage", "wrong secret", "basic auth", "empty"],
)
def test_requests_without_a_valid_token_get_401(token, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    client = Client(headers=headers)
    assert client.get("/api/v1/events").status_code == 401
    assert push(client, SAMPLE_JSONL).status_code == 401
    assert not ImportBatch.objects.exists()


def test_a_token_with_the_right_prefix_and_a_wrong_secret_gets_401(sigid, token):
    prefix = token.split(".")[0]
    client = Client(headers={"Authorization": f"Bearer {prefix}.not-the-secret"})
    assert client.get("/api/v1/events").status_code == 401


def test_an_inactive_system_gets_401(sigid, api):
    sigid.is_active = False
    sigid.save()
    assert api.get("/api/v1/events").status_code == 401


# --- Batches --------------------------------------------------------------------------------


def test_pushing_the_sample_batch_returns_201_and_the_summary(api, sigid):
    response = push(api, SAMPLE_JSONL)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "applied"
    assert body["format"] == "jsonl"
    assert body["totals"] == {"created": 49, "updated": 0, "unchanged": 0}
    assert body["counts"]["entry"] == {"created": 21, "updated": 0, "unchanged": 0}
    assert body["errors"] == [] and body["error_count"] == 0
    assert ImportBatch.objects.get(pk=body["id"]).source_system == sigid
    assert LedgerEntry.objects.count() == 21

    again = push(api, SAMPLE_JSONL).json()
    assert again["totals"] == {"created": 0, "updated": 0, "unchanged": 49}

    fetched = api.get(f"/api/v1/batches/{body['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["sha256"] == hashlib.sha256(SAMPLE_JSONL).hexdigest()


def test_a_csv_file_can_be_pushed_as_multipart(api):
    upload = SimpleUploadedFile("sample_batch.csv", (DATA / "sample_batch.csv").read_bytes())
    response = api.post("/api/v1/batches", {"file": upload})
    assert response.status_code == 201, response.content
    assert response.json()["format"] == "csv"
    assert response.json()["filename"] == "sample_batch.csv"
    assert Taxpayer.objects.count() == 4


def test_a_raw_csv_body_is_read_as_csv(api):
    content = b"type,version,external_id,kind,last_name\ntaxpayer,1,T-1,person,Lis\n"
    response = push(api, content, "text/csv")
    assert response.status_code == 201, response.content


def test_a_malformed_batch_gets_422_with_line_errors_and_imports_nothing(api):
    content = SAMPLE_JSONL.replace(b'"principal": "-100.00"', b'"principal": -100.0')
    content += b'{"type": "taxpayer", "version": 1, "external_id": "T-9", "kind": "alien"}\n'
    response = push(api, content)
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == "rejected"
    assert [(e["line"], e["record_type"], e["external_id"]) for e in body["errors"]] == [
        (33, "entry", "E-PN-1001-W1"),
        (50, "taxpayer", "T-9"),
    ]
    assert "principal: -100.0 is a JSON number" in body["errors"][0]["message"]
    assert body["totals"] == {"created": 0, "updated": 0, "unchanged": 0}
    assert not Taxpayer.objects.exists() and not LedgerEntry.objects.exists()
    # The rejected batch is kept, with its errors, for the import history.
    assert ImportBatch.objects.get(pk=body["id"]).error_count == 2


def test_another_systems_batch_is_404(api):
    puma = DomainSystem.objects.create(name="PUMA", code="puma")
    theirs = ImportBatch.objects.create(source_system=puma, format="jsonl", sha256="0" * 64)
    assert api.get(f"/api/v1/batches/{theirs.pk}").status_code == 404
    assert api.get("/api/v1/batches/999999").status_code == 404


def test_unsupported_content_type_is_415(api):
    assert push(api, b"<xml/>", "application/xml").status_code == 415


def test_a_batch_over_the_size_limit_is_413(api, settings):
    settings.INTEGRATION_MAX_BATCH_BYTES = 100
    assert push(api, SAMPLE_JSONL).status_code == 413
    assert not ImportBatch.objects.exists()


def test_the_format_parameter_overrides_the_content_type(api):
    content = b"type,version,external_id,kind,last_name\ntaxpayer,1,T-1,person,Lis\n"
    assert push(api, content, "text/plain", format="csv").status_code == 201


# --- Rate limit -------------------------------------------------------------------------------


def test_the_rate_limit_per_system_answers_429(api, sigid, settings):
    settings.INTEGRATION_API_RATE_LIMIT = "3/min"
    statuses = [api.get("/api/v1/events").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = api.get("/api/v1/events")
    assert throttled.status_code == 429
    assert 0 < int(throttled["Retry-After"]) <= 60
    # The limit is per system: another system still gets through.
    puma = DomainSystem.objects.create(name="PUMA", code="puma")
    other = Client(headers={"Authorization": f"Bearer {puma.issue_token()}"})
    assert other.get("/api/v1/events").status_code == 200


# --- Events ---------------------------------------------------------------------------------


def test_events_are_paged_by_cursor(api, sigid):
    puma = DomainSystem.objects.create(name="PUMA", code="puma")
    ids = []
    for n in range(5):
        event = record_event(
            "payment.booked", {"payment": n, "amount": Decimal("12.50"), "on": timezone.now()}
        )
        ids.append(event.pk)
    record_event("payment.booked", {"payment": "for puma only"}, target_system=puma)
    mine = record_event("payment.booked", {"payment": "for sigid only"}, target_system=sigid)

    first = api.get("/api/v1/events?limit=2").json()
    assert [e["id"] for e in first["events"]] == ids[:2]
    assert first["events"][0]["payload"]["amount"] == "12.50"  # money stays a decimal string
    assert first["next_cursor"] == ids[1] and first["has_more"] is True

    second = api.get(f"/api/v1/events?after={first['next_cursor']}&limit=2").json()
    assert [e["id"] for e in second["events"]] == ids[2:4]

    rest = api.get(f"/api/v1/events?after={second['next_cursor']}&limit=10").json()
    assert [e["id"] for e in rest["events"]] == [ids[4], mine.pk]
    assert rest["has_more"] is False

    empty = api.get(f"/api/v1/events?after={rest['next_cursor']}").json()
    assert empty == {"events": [], "next_cursor": mine.pk, "has_more": False}


def test_events_wait_until_late_commits_have_settled(api, settings):
    settings.INTEGRATION_EVENTS_SETTLE_SECONDS = 5
    old = record_event("payment.booked", {"n": 1})
    OutboundEvent.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(seconds=10)
    )
    record_event("payment.booked", {"n": 2})
    assert [e["id"] for e in api.get("/api/v1/events").json()["events"]] == [old.pk]


def test_bad_cursor_parameters_are_422(api):
    assert api.get("/api/v1/events?after=-1").status_code == 422
    assert api.get("/api/v1/events?limit=0").status_code == 422
    assert api.get("/api/v1/events?limit=1001").status_code == 422


def test_events_are_append_only():
    event = record_event("payment.booked", {"n": 1})
    event.kind = "payment.refunded"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()
    with pytest.raises(ValueError):
        record_event("Payment Booked", {})


# --- OpenAPI ----------------------------------------------------------------------------------


def test_the_openapi_schema_lists_the_endpoints():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["version"] == "1"
    paths = schema["paths"]
    assert set(paths) >= {"/api/v1/batches", "/api/v1/batches/{batch_id}", "/api/v1/events"}
    assert "post" in paths["/api/v1/batches"] and "get" in paths["/api/v1/events"]
    assert {"201", "422"} <= set(paths["/api/v1/batches"]["post"]["responses"])
    body = paths["/api/v1/batches"]["post"]["requestBody"]["content"]
    assert {"application/x-ndjson", "text/csv", "multipart/form-data"} <= set(body)
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def test_the_api_docs_page_is_served():
    assert Client().get("/api/v1/docs").status_code == 200
