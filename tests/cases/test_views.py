"""The resident's side: the online form, "Moje sprawy", attachments and receipts, 404 for others."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from eservices.cases.filing import file_case
from eservices.cases.models import Case, Status

from .conftest import PDF_BYTES

pytestmark = pytest.mark.django_db


def form_url(page) -> str:
    return page.url + "wniosek/"


def test_the_online_form_asks_anonymous_visitors_to_log_in(client: Client, online_matter):
    response = client.get(form_url(online_matter))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("eservices:login"))


def test_resident_files_the_form_with_an_attachment(client: Client, online_matter, resident):
    client.force_login(resident)
    html = client.get(form_url(online_matter)).content.decode()
    assert 'enctype="multipart/form-data"' in html and "Cel wydania" in html
    assert "Załączniki" in html and 'accept=".pdf,' in html
    response = client.post(
        form_url(online_matter),
        {
            "cel_wydania": "kredyt hipoteczny",
            "sposob_odbioru": "Pocztą",
            "attachments": [SimpleUploadedFile("wniosek.pdf", PDF_BYTES)],
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk]) + "?zlozono=1"
    assert case.user == resident
    assert case.answers == [
        {"label": "Cel wydania", "value": "kredyt hipoteczny"},
        {"label": "Sposób odbioru", "value": "Pocztą"},
    ]
    html = client.get(response["Location"]).content.decode()
    assert f"Jej znak to {case.registry_number}" in html
    assert "Przyjęta" in html and "wniosek.pdf" in html


def test_a_form_with_errors_keeps_nothing_and_says_why(client: Client, online_matter, resident):
    client.force_login(resident)
    response = client.post(
        form_url(online_matter),
        {"cel_wydania": "", "attachments": [SimpleUploadedFile("a.exe", b"MZ")]},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Wystąpił problem" in html or "error-summary" in html
    assert "a.exe: przyjmujemy tylko pliki typu" in html
    assert not Case.objects.exists()


@pytest.fixture
def filed(online_matter, resident) -> Case:
    return file_case(
        page=online_matter,
        user=resident,
        answers=[{"label": "Cel wydania", "value": "przetarg"}],
        files=[SimpleUploadedFile("skan.pdf", PDF_BYTES)],
    )


def test_my_cases_lists_the_residents_cases_with_their_stage(client: Client, filed, resident):
    client.force_login(resident)
    html = client.get(reverse("cases:list")).content.decode()
    assert filed.registry_number in html and "Przyjęta" in html
    # The account page has a "Moje sprawy" section.
    html = client.get(reverse("eservices:account")).content.decode()
    assert "Moje sprawy" in html and filed.registry_number in html


def test_owner_downloads_the_attachment_and_the_receipt(client: Client, filed, resident):
    client.force_login(resident)
    attachment = filed.attachments.get()
    response = client.get(reverse("cases:attachment", args=[filed.pk, attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert 'attachment; filename="skan.pdf"' in response["Content-Disposition"]
    response = client.get(reverse("cases:receipt", args=[filed.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")


def test_another_resident_gets_404_for_the_case_its_attachment_and_its_receipt(
    client: Client, filed, other_resident
):
    client.force_login(other_resident)
    attachment = filed.attachments.get()
    for url in (
        reverse("cases:detail", args=[filed.pk]),
        reverse("cases:attachment", args=[filed.pk, attachment.pk]),
        reverse("cases:receipt", args=[filed.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert filed.registry_number not in client.get(reverse("cases:list")).content.decode()


def test_an_attachment_of_another_case_is_404_even_for_a_case_one_owns(
    client: Client, filed, online_matter, other_resident
):
    own = file_case(page=online_matter, user=other_resident, answers=[])
    client.force_login(other_resident)
    foreign = filed.attachments.get()
    url = reverse("cases:attachment", args=[own.pk, foreign.pk])
    assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client: Client, filed):
    response = client.get(reverse("cases:detail", args=[filed.pk]))
    assert response.status_code == 302
    assert re.match(r"^/konto/logowanie/", response["Location"])


def test_status_messages_show_in_the_history(client: Client, filed, resident, clerk):
    from eservices.cases.handling import change_status

    change_status(
        case=filed, status=Status.AWAITING_RESIDENT, message="Prosimy o skan umowy.", by=clerk
    )
    client.force_login(resident)
    html = client.get(reverse("cases:detail", args=[filed.pk])).content.decode()
    assert "Oczekuje na mieszkańca" in html and "Prosimy o skan umowy." in html
