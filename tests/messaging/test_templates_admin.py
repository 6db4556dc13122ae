"""The template editor in the admin: placeholder validation, server-side preview of a real
row (saved or not yet saved), SMS characters/parts and warnings."""

from __future__ import annotations

import pytest
from django.urls import reverse

from messaging.models import MessageTemplate

from .conftest import resident_with_arrears

pytestmark = pytest.mark.django_db

ADD = "/admin/messaging/templates/new/"


def form_data(**fields):
    data = {
        "name": "Przypomnienie",
        "channel": "email",
        "category": "overdue",
        "source": "total_arrears",
        "subject": "Zaległość",
        "text": "Dzień dobry ((imie)), zaległość ((kwota_zaleglosci)).",
        "html": "",
    }
    data.update(fields)
    return data


def test_clerk_creates_a_template_and_unknown_placeholders_are_refused(clerk_client):
    response = clerk_client.post(ADD, form_data(text="Odsetki: ((odsetki)) ((cokolwiek))"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "((odsetki))" in html and "((cokolwiek))" in html
    assert not MessageTemplate.objects.exists()

    response = clerk_client.post(ADD, form_data())
    assert response.status_code == 302
    assert MessageTemplate.objects.get().text.startswith("Dzień dobry ((imie))")


def test_template_code_is_refused_in_the_editor(clerk_client):
    response = clerk_client.post(ADD, form_data(html="<p>{{ request.user.password }}</p>"))
    assert response.status_code == 200
    assert not MessageTemplate.objects.exists()


def test_preview_renders_a_real_row_of_the_query(clerk_client, arrears_email_template):
    resident_with_arrears(amount="321.45")
    url = reverse("messaging_templates:preview", args=(arrears_email_template.pk,))
    page = clerk_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "zaległość: 321,45 zł" in html
    assert "Zaległość Anna" in html


def test_preview_of_the_unsaved_form_without_saving(clerk_client):
    resident_with_arrears(amount="99.99")
    response = clerk_client.post(
        reverse("messaging_templates:preview_unsaved"),
        form_data(text="Do zapłaty ((kwota_zaleglosci)), ((nieznane))"),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Do zapłaty 99,99 zł" in html
    assert "((nieznane))" in html  # the error is shown next to the preview
    assert not MessageTemplate.objects.exists()


def test_sms_preview_counts_parts_and_warns(clerk_client):
    resident_with_arrears()
    response = clerk_client.post(
        reverse("messaging_templates:preview_unsaved"),
        form_data(
            channel="sms",
            subject="",
            text="Zaległość ((kwota_zaleglosci)). Zapłać: https://gmina.example",
            transliterate="on",
        ),
    )
    html = response.content.decode()
    assert "data-sms-info" in html
    assert "GSM-7" in html  # transliterated: no Polish letters left
    assert "Zaleglosc 120,00 zl" in html
    assert html.count('class="help-block help-warning"') == 1
    assert "amount" in html.lower() or "kwot" in html.lower()


def test_residents_cannot_open_the_preview(client, arrears_email_template):
    from tests.eservices import factories as f

    client.force_login(f.user())
    response = client.get(reverse("messaging_templates:preview", args=(arrears_email_template.pk,)))
    assert response.status_code in (302, 403)
    assert "321" not in response.content.decode()
