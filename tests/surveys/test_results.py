"""Results: counts and percentages of a seeded set, SVG charts, filters, export, permissions."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from openpyxl import load_workbook
from wagtail.models import PageLogEntry

from eservices.roles import CLERKS, EDITORS
from surveys.charts import bar_chart
from surveys.demo import CLOSED_SURVEY, SEEDED_ANSWERS
from surveys.enums import Audience
from surveys.models import SurveyResponse
from surveys.results import OptionCount, percent, summarise
from tests.eservices import factories as ef
from tests.surveys import factories as f

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"

# What SEEDED_ANSWERS (surveys/demo.py, 10 responses) must give.
EXPECTED = {
    "Jak oceniasz obsługę w urzędzie?": [("1", 1, "10.0"), ("2", 1, "10.0"), ("3", 1, "10.0"),
                                         ("4", 4, "40.0"), ("5", 3, "30.0")],
    "Z jakich e-usług korzystasz?": [("Płatności online", 6, "60.0"),
                                     ("Powiadomienia SMS", 3, "30.0"),
                                     ("Wnioski elektroniczne", 3, "30.0"),
                                     ("Brak odpowiedzi", 2, "20.0")],
    "Czy polecisz portal znajomym?": [("Tak", 6, "60.0"), ("Nie", 2, "20.0"),
                                      ("Nie wiem", 2, "20.0")],
}  # fmt: skip


def seeded_survey(**fields):
    now = timezone.now()
    fields.setdefault("opens_at", now - timedelta(days=40))
    fields.setdefault("closes_at", now - timedelta(days=7))
    fields.setdefault("anonymous", True)
    questions = [spec[:4] for spec in CLOSED_SURVEY["questions"]]
    page = f.survey("ocena", questions=questions, **fields)
    keys = [q.clean_name for q in page.form_fields.all()]
    for n, answer in enumerate(SEEDED_ANSWERS):
        SurveyResponse.objects.create(
            page=page,
            submitted_on=date(2026, 3, 1) + timedelta(days=n),
            answers={k: v for k, v in zip(keys, answer, strict=True) if v not in ("", [])},
        )
    return page


def clerk(verified_login, client):
    user = ef.user(is_staff=True)
    user.groups.add(Group.objects.get(name=CLERKS))
    return verified_login(client, user)


def test_counts_and_percentages_of_the_seeded_set():
    page = seeded_survey()
    results = {r.question.label: r for r in summarise(page, page.responses.all())}
    assert set(EXPECTED) < set(results)
    for key, rows in EXPECTED.items():
        got = [(o.label, o.count, str(o.percent)) for o in results[key].options]
        assert got == [(label, count, pct) for label, count, pct in rows], key
    assert results["Jak oceniasz obsługę w urzędzie?"].mean == Decimal("3.70")
    texts = results["Co powinniśmy poprawić?"]
    assert texts.answered == 4 and len(texts.texts) == 4
    assert "Brak BLIK-a." in texts.texts


def test_percentages_round_half_up_to_one_place():
    assert percent(1, 3) == Decimal("33.3")
    assert percent(2, 3) == Decimal("66.7")
    assert percent(1, 8) == Decimal("12.5")
    assert percent(0, 0) == Decimal("0.0")


def test_svg_chart_is_labelled_and_prints_every_value():
    rows = [OptionCount("Tak <b>", 2, Decimal("66.7")), OptionCount("Nie", 1, Decimal("33.3"))]
    svg = str(bar_chart("c1", "Czy & jak?", "3 z 3 odpowiedzi", rows))
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own output; well-formed, the label's markup escaped
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find(f"{SVG}title").text == "Czy & jak?"
    assert root.find(f"{SVG}desc").text == "3 z 3 odpowiedzi"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["Tak <b>", "2 (66,7 %)", "Nie", "1 (33,3 %)"]
    widths = [int(r.get("width")) for r in root.iter(f"{SVG}rect") if r.get("fill") != "none"]
    assert widths == [440, 220]  # proportional to the counts, longest bar full width


def test_admin_results_page_shows_counts_percentages_and_charts(client, verified_login):
    page = seeded_survey()
    clerk(verified_login, client)
    response = client.get(f"/admin/surveys/{page.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") >= 3
    assert 'role="img"' in html
    for rows in EXPECTED.values():
        for label, count, pct in rows:
            assert re.search(
                rf"<th scope=\"row\">{re.escape(label)}</th><td class=\"number\">{count}</td>"
                rf"<td class=\"number\">{pct.replace('.', ',')} %</td>",
                html,
            ), (label, count, pct)
    assert "Brak BLIK-a." in html
    assert 'data-shown="10"' in html

    searched = client.get(f"/admin/surveys/{page.pk}/", {"q": "blik"}).content.decode()
    assert "Brak BLIK-a." in searched and "Formularze są za długie." not in searched

    dated = client.get(
        f"/admin/surveys/{page.pk}/", {"date_from": "2026-03-03", "date_to": "2026-03-05"}
    )
    assert 'data-shown="3"' in dated.content.decode()


def test_response_rate_and_group_filter(client, verified_login):
    group, _taxpayer, member = f.group_with_resident("A")
    other, _t2, other_member = f.group_with_resident("B")
    extra = ef.user()
    from eservices.models import AccountLink

    taxpayer_b = ef.taxpayer()
    other.members.add(taxpayer_b)
    AccountLink.objects.create(user=extra, taxpayer=taxpayer_b, method=AccountLink.Method.COUNTER)
    page = f.survey(audience=Audience.TAXPAYER_GROUPS, groups=[group, other])
    from surveys.responses import submit_response

    submit_response(page, member, {"pora_prac": "Rano", "ocena": 5})
    submit_response(page, other_member, {"pora_prac": "W soboty", "ocena": 1})
    clerk(verified_login, client)

    html = client.get(f"/admin/surveys/{page.pk}/").content.decode()
    assert "66,7 % (2 z 3 kont w grupie odbiorców)" in html
    html = client.get(f"/admin/surveys/{page.pk}/", {"group": other.pk}).content.decode()
    assert 'data-shown="1"' in html
    assert "50,0 % (1 z 2 kont w grupie odbiorców)" in html


def test_exports_match_the_counts_and_are_logged(client, verified_login):
    page = seeded_survey()
    clerk(verified_login, client)
    url = f"/admin/surveys/{page.pk}/"

    response = client.get(url, {"export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == len(SEEDED_ANSWERS)
    assert "Respondent" not in rows[0]  # anonymous survey: no account column
    scale = [r["Jak oceniasz obsługę w urzędzie?"] for r in rows]
    assert [scale.count(str(n)) for n in range(1, 6)] == [1, 1, 1, 4, 3]
    multi = [r["Z jakich e-usług korzystasz?"] for r in rows]
    assert sum("Płatności online" in m.split("; ") for m in multi) == 6
    assert sum(m == "" for m in multi) == 2
    recommend = [r["Czy polecisz portal znajomym?"] for r in rows]
    assert (recommend.count("Tak"), recommend.count("Nie"), recommend.count("Nie wiem")) == (
        6,
        2,
        2,
    )

    response = client.get(url, {"export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    table = list(sheet.values)
    header, body = table[0], table[1:]
    assert len(body) == len(SEEDED_ANSWERS)
    column = header.index("Czy polecisz portal znajomym?")
    assert [r[column] for r in body].count("Tak") == 6

    logged = PageLogEntry.objects.filter(page=page, action="surveys.export_answers")
    assert [entry.data["format"] for entry in logged.order_by("timestamp")] == ["csv", "xlsx"]


def test_export_neutralises_formulas_in_residents_texts(client, verified_login):
    page = f.survey()
    SurveyResponse.objects.create(
        page=page, submitted_on=date(2026, 3, 1),
        answers={"pora_prac": "Rano", "uwagi": '=HYPERLINK("http://x.example","klik")'},
    )  # fmt: skip
    clerk(verified_login, client)
    body = b"".join(client.get(f"/admin/surveys/{page.pk}/", {"export": "csv"}).streaming_content)
    assert "'=HYPERLINK" in body.decode()


def test_results_need_the_results_permission(client, verified_login):
    page = seeded_survey()
    editor = ef.user(is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITORS))
    verified_login(client, editor)
    # Wagtail answers PermissionDenied with a redirect to the dashboard and a message.
    for url, params in [(f"/admin/surveys/{page.pk}/", {}), (f"/admin/surveys/{page.pk}/",
                        {"export": "csv"}), ("/admin/surveys/", {})]:  # fmt: skip
        refused = client.get(url, params)
        assert (refused.status_code, refused["Location"]) == (302, "/admin/")
    assert not PageLogEntry.objects.filter(action="surveys.export_answers").exists()
    menu = client.get("/admin/").content.decode()
    assert "/admin/surveys/" not in menu
    clerk(verified_login, client)
    listing = client.get("/admin/surveys/")
    assert listing.status_code == 200 and page.title in listing.content.decode()
    assert "/admin/surveys/" in client.get("/admin/").content.decode()


def test_public_summary_shows_aggregates_only_after_closing(client):
    page = seeded_survey(audience=Audience.RESIDENTS, publish_summary=True)
    client.force_login(ef.user())
    html = client.get(page.url + "wyniki/").content.decode()
    assert "<svg" in html and "60,0 %" in html
    assert "Brak BLIK-a." not in html  # no texts, only counts
    page.closes_at = timezone.now() + timedelta(days=1)
    page.save_revision().publish()
    assert client.get(page.url + "wyniki/").status_code == 404


def test_user_group_filter_and_rate(client, verified_login):
    from surveys.responses import submit_response

    council, other = Group.objects.create(name="Rada seniorów"), Group.objects.create(name="MRG")
    seniors = [ef.user() for _n in range(4)]
    for user in seniors:
        user.groups.add(council)
    youth = ef.user()
    youth.groups.add(other)
    page = f.survey(audience=Audience.USER_GROUPS, user_groups=[council, other])
    submit_response(page, seniors[0], {"pora_prac": "Rano", "ocena": 3})
    submit_response(page, youth, {"pora_prac": "Rano", "ocena": 3})
    clerk(verified_login, client)
    html = client.get(f"/admin/surveys/{page.pk}/", {"user_group": council.pk}).content.decode()
    assert 'data-shown="1"' in html
    assert "25,0 % (1 z 4 kont w grupie odbiorców)" in html
    assert 'name="group"' not in html  # no taxpayer groups in this audience


def test_page_listing_links_to_the_results_for_those_who_may_read_them(client, verified_login):
    page = seeded_survey()
    results_url = f"/admin/surveys/{page.pk}/"
    verified_login(client, ef.user(is_staff=True, is_superuser=True))
    assert results_url in client.get(f"/admin/pages/{page.get_parent().pk}/").content.decode()
    editor = ef.user(is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITORS))
    verified_login(client, editor)
    assert results_url not in client.get(f"/admin/pages/{page.get_parent().pk}/").content.decode()
