"""Surveys in a real browser: an editor builds a survey for one taxpayer group in the Wagtail
admin (staff log in with a TOTP code), a resident of the group answers it once, a resident
outside the group gets 404; a clerk reads the closed demo survey's results (counts,
percentages, SVG charts) and downloads a CSV that matches them; axe-core finds no WCAG 2.1
A/AA violation on the survey, its summary and the results pages."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from surveys.demo import CLOSED_SURVEY, GROUP_NAME, SEEDED_ANSWERS
from surveys.models import SurveyIndexPage, SurveyPage, SurveyResponse
from tests.e2e.conftest import django_sync, ui_text

pytestmark = pytest.mark.e2e

EDITOR = ("redaktor@przykladowo.example", "Demo-Redaktor-2026")
CLERK = ("urzednik@przykladowo.example", "Demo-Urzednik-2026")
JAN = ("jan.kowalski@przykladowo.example", "Demo-Mieszkaniec-2026")
OUTSIDER = ("obcy@przykladowo.example", "Obcy-Mieszkaniec-2026")
TITLE = "Godziny otwarcia PSZOK"
QUESTION = "Która godzina otwarcia w sobotę jest najlepsza?"
ANSWERED = "Ta ankieta została już przez Ciebie wypełniona. Dziękujemy!"


def totp_code(email: str) -> str:
    with django_sync():
        device = TOTPDevice.objects.get(user__email=email, confirmed=True)
        token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
        return f"{token:06d}"


def staff_log_in(page: Page, email: str, password: str) -> None:
    code = totp_code(email)
    page.goto("/admin/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    page.locator("#id_otp_token").fill(code)
    page.locator("form").get_by_role("button").last.click()
    expect(page).to_have_url(re.compile(r"/admin/$"))


def resident_log_in(page: Page, email: str, password: str) -> None:
    page.goto("/konto/logowanie/")
    page.get_by_label(ui_text("Email address")).fill(email)
    page.get_by_label(ui_text("Password")).fill(password)
    page.locator("main").get_by_role("button", name=ui_text("Log in")).click()
    expect(page).not_to_have_url(re.compile(r"/konto/logowanie/"))


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def test_editor_builds_a_group_survey_a_member_answers_once_an_outsider_gets_404(page: Page, axe):
    with django_sync():
        index = SurveyIndexPage.objects.get(slug="ankiety")
        get_user_model().objects.create_user(OUTSIDER[0], OUTSIDER[1])
    now = timezone.now()

    # The editor adds the survey under "Ankiety" and publishes it.
    staff_log_in(page, *EDITOR)
    page.goto(f"/admin/pages/add/surveys/surveypage/{index.pk}/")
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_form_fields-0-label").fill(QUESTION)
    page.locator("#id_form_fields-0-field_type").select_option("radio")
    page.locator("#id_form_fields-0-choices").fill("8:00–14:00\n10:00–16:00")
    # The date pickers' pop-ups may stay open over the fields below, so those are clicked
    # through the DOM (a click event, as a keyboard or mouse user's would be) and then checked.
    page.locator("#id_opens_at").fill(local(now - timedelta(hours=1)))
    page.locator("#id_closes_at").fill(local(now + timedelta(days=14)))
    page.locator("#id_title").click()
    audience = page.locator("input[name=audience][value=taxpayer_groups]")
    group = page.get_by_label(GROUP_NAME)
    for control in (audience, group):
        control.dispatch_event("click")
        expect(control).to_be_checked()
    page.locator("#id_slug").evaluate("(el) => { el.value = 'godziny-pszok'; }")
    page.locator('button[name="action-publish"]').evaluate("(button) => button.click()")
    expect(page.locator(".messages")).to_contain_text(TITLE)
    with django_sync():
        survey = SurveyPage.objects.get(title=TITLE)
        assert survey.live and survey.is_open()
        assert survey.closes_at - now > timedelta(days=13)
        assert list(survey.taxpayer_groups.values_list("name", flat=True)) == [GROUP_NAME]
        url = survey.url
    page.context.clear_cookies()

    # Jan (his taxpayer record is in the group) finds it on his account page and answers.
    resident_log_in(page, *JAN)
    page.goto("/konto/")
    panel = page.locator("section", has=page.get_by_role("heading", name="Ankiety dla Ciebie"))
    panel.get_by_role("link", name=TITLE).click()
    expect(page.locator("h1")).to_have_text(TITLE)
    axe(page)
    page.get_by_role("button", name="Wyślij odpowiedzi").click()  # nothing chosen yet
    expect(page.locator(".error-summary")).to_be_visible()
    axe(page)
    page.get_by_role("radio", name="10:00–16:00").check()
    page.get_by_role("button", name="Wyślij odpowiedzi").click()
    expect(page).to_have_url(re.compile(re.escape(url) + "dziekujemy/$"))
    expect(page.locator("h1")).to_have_text("Dziękujemy za odpowiedzi")
    axe(page)

    # A second attempt is refused politely, and nothing more is stored.
    page.goto(url)
    expect(page.locator("main")).to_contain_text(ANSWERED)
    expect(page.get_by_role("button", name="Wyślij odpowiedzi")).to_have_count(0)
    axe(page)
    with django_sync():
        answers = list(SurveyResponse.objects.filter(page=survey).values_list("answers", flat=True))
    assert len(answers) == 1 and list(answers[0].values()) == ["10:00–16:00"]
    page.context.clear_cookies()

    # A resident outside the group: the survey does not exist for them.
    resident_log_in(page, *OUTSIDER)
    response = page.goto(url)
    assert response is not None and response.status == 404
    page.goto("/konto/")
    expect(page.get_by_role("link", name=TITLE)).to_have_count(0)


def test_clerk_reads_closed_survey_results_and_the_export_matches(page: Page, axe):
    with django_sync():
        survey = SurveyPage.objects.get(slug=CLOSED_SURVEY["slug"])
        assert survey.is_closed() and survey.responses.count() == len(SEEDED_ANSWERS)
        summary_url = survey.url + "wyniki/"

    staff_log_in(page, *CLERK)
    page.get_by_role("link", name="Ankiety").first.click()
    expect(page.locator("h1")).to_contain_text("Ankiety")
    axe(page)
    page.get_by_role("link", name=CLOSED_SURVEY["title"]).click()
    expect(page.locator("[data-total]")).to_have_text(str(len(SEEDED_ANSWERS)))

    def row(question: str, label: str):
        section = page.locator(
            "section[data-question]",
            has=page.get_by_role("heading", name=re.compile(re.escape(question))),
        )
        return section.locator(
            "tbody tr", has=page.locator("th", has_text=re.compile(f"^{re.escape(label)}$"))
        )

    expect(row("Czy polecisz portal znajomym?", "Tak").locator("td")).to_have_text(["6", "60,0 %"])
    expect(row("Czy polecisz portal znajomym?", "Nie wiem").locator("td")).to_have_text(
        ["2", "20,0 %"]
    )
    expect(row("Z jakich e-usług korzystasz?", "Płatności online").locator("td")).to_have_text(
        ["6", "60,0 %"]
    )
    expect(row("Z jakich e-usług korzystasz?", "Brak odpowiedzi").locator("td")).to_have_text(
        ["2", "20,0 %"]
    )
    expect(row("Jak oceniasz obsługę w urzędzie?", "4").locator("td")).to_have_text(["4", "40,0 %"])
    charts = page.locator("svg.survey-chart[role=img]")
    expect(charts).to_have_count(3)
    expect(charts.first.locator("title")).to_have_text("Jak oceniasz obsługę w urzędzie?")
    expect(charts.nth(2).locator("text")).to_contain_text(
        ["Tak", "6 (60,0 %)", "Nie", "2 (20,0 %)"]
    )
    axe(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Pobierz CSV").click()
    rows = list(csv.DictReader(io.StringIO(download_info.value.path().read_text(encoding="utf-8"))))
    assert len(rows) == len(SEEDED_ANSWERS)
    recommend = [r["Czy polecisz portal znajomym?"] for r in rows]
    assert (recommend.count("Tak"), recommend.count("Nie"), recommend.count("Nie wiem")) == (
        6,
        2,
        2,
    )
    scale = [r["Jak oceniasz obsługę w urzędzie?"] for r in rows]
    assert [scale.count(str(n)) for n in range(1, 6)] == [1, 1, 1, 4, 3]
    page.context.clear_cookies()

    # Residents see the published summary: aggregates only.
    resident_log_in(page, *JAN)
    page.goto(summary_url)
    expect(page.locator("svg.survey-chart")).to_have_count(3)
    expect(page.locator("main")).not_to_contain_text("Brak BLIK-a.")
    axe(page)
    page.goto("/ankiety/")
    expect(page.get_by_role("link", name=CLOSED_SURVEY["title"])).to_have_attribute(
        "href", summary_url
    )
    axe(page)
