"""Clerks handle cases: append-only history, logged changes, the resident told once on commit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from wagtail.models import ModelLogEntry

from eservices.cases.filing import file_case
from eservices.cases.handling import STATUS_CHANGE_ACTION, change_status
from eservices.cases.models import Case, CaseStatusChange, Status
from eservices.signals import case_status_changed

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(online_matter, resident) -> Case:
    return file_case(page=online_matter, user=resident, answers=[{"label": "a", "value": "b"}])


def test_history_rows_can_be_neither_changed_nor_deleted(case):
    first = case.history.get()
    first.message = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        first.save()
    with pytest.raises(ValueError, match="append-only"):
        first.delete()
    assert CaseStatusChange.objects.get(pk=first.pk).message == ""


def test_status_change_is_recorded_logged_and_signalled_once_on_commit(
    case, clerk, django_capture_on_commit_callbacks
):
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    case_status_changed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            change_status(
                case=case, status=Status.AWAITING_RESIDENT, message=" Prosimy o skan. ", by=clerk
            )
        assert received == []  # nothing before the commit
        for callback in callbacks:
            callback()
    finally:
        case_status_changed.disconnect(receiver)
    assert len(received) == 1
    sent = received[0]
    assert sent["case"].pk == case.pk and sent["user"] == case.user
    assert sent["status_label"] == "Oczekuje na mieszkańca"
    assert sent["message"] == "Prosimy o skan."
    assert sent["url"] == f"/moje-sprawy/{case.pk}/"
    case.refresh_from_db()
    assert case.status == Status.AWAITING_RESIDENT
    assert [h.status for h in case.history.all()] == [Status.RECEIVED, Status.AWAITING_RESIDENT]
    entry = ModelLogEntry.objects.get(action=STATUS_CHANGE_ACTION)
    assert entry.user == clerk and entry.object_id == str(case.pk)
    assert entry.data["status"] == Status.AWAITING_RESIDENT


def test_a_rolled_back_change_sends_nothing(case, clerk, django_capture_on_commit_callbacks):
    from django.db import transaction

    received = []
    case_status_changed.connect(receiver := lambda sender, **kw: received.append(kw))
    try:
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            change_status(case=case, status=Status.DECIDED, by=clerk)
            raise RuntimeError
    finally:
        case_status_changed.disconnect(receiver)
    assert received == []
    assert Case.objects.get(pk=case.pk).status == Status.RECEIVED


def test_repeating_the_status_without_a_message_is_refused(case, clerk):
    with pytest.raises(ValidationError):
        change_status(case=case, status=Status.RECEIVED, by=clerk)
    with pytest.raises(ValidationError):
        change_status(case=case, status="lost", by=clerk)
    assert case.history.count() == 1


def test_clerk_filters_the_queue_and_changes_a_status_in_the_admin(
    client: Client, case, clerk, staff_login, online_matter, other_resident
):
    other = file_case(page=online_matter, user=other_resident, answers=[])
    change_status(case=other, status=Status.DECIDED, by=clerk)
    staff_login(client, clerk)
    index = reverse("cases_admin:index")
    html = client.get(index, {"status": Status.RECEIVED}).content.decode()
    assert case.registry_number in html and other.registry_number not in html
    html = client.get(index, {"age": "7"}).content.decode()
    assert case.registry_number not in html  # filed today
    html = client.get(index, {"department": case.department_id}).content.decode()
    assert case.registry_number in html and other.registry_number in html

    inspect = reverse("cases_admin:inspect", args=[case.pk])
    assert client.get(inspect).status_code == 200
    response = client.post(
        reverse("cases_admin:status", args=[case.pk]),
        {"status": Status.AWAITING_RESIDENT, "message": "Prosimy o skan umowy."},
    )
    assert response.status_code == 302 and response["Location"] == inspect
    case.refresh_from_db()
    assert case.status == Status.AWAITING_RESIDENT
    assert case.history.last().created_by == clerk


def test_editors_cannot_handle_cases(client: Client, case, editor, staff_login):
    staff_login(client, editor)
    assert client.get(reverse("cases_admin:index")).status_code in (302, 403)
    response = client.post(reverse("cases_admin:status", args=[case.pk]), {"status": Status.CLOSED})
    assert response.status_code in (302, 403)
    assert Case.objects.get(pk=case.pk).status == Status.RECEIVED


def test_clerk_downloads_an_attachment_in_the_admin_editor_cannot(
    client: Client, online_matter, resident, clerk, editor, staff_login
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import PDF_BYTES

    case = file_case(
        page=online_matter, user=resident, answers=[],
        files=[SimpleUploadedFile("umowa.pdf", PDF_BYTES)],
    )  # fmt: skip
    url = reverse("cases_admin:attachment", args=[case.pk, case.attachments.get().pk])
    staff_login(client, clerk)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF_BYTES
    client.logout()
    staff_login(client, editor)
    assert client.get(url).status_code in (302, 403)


def test_editor_opens_a_matter_in_the_page_editor(
    client: Client, online_matter, editor, staff_login
):
    staff_login(client, editor)
    response = client.get(reverse("wagtailadmin_pages:edit", args=[online_matter.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "form_fields-TOTAL_FORMS" in html and "jrwa_class" in html
