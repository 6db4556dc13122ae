"""Demo surveys: one open to the ul. Lipowa taxpayer group, one closed with answers and a summary.

Runs after ``home`` and ``eservices`` (INSTALLED_APPS order), which build the home page and the
taxpayer group. Safe to run again: pages are found by slug (their dates follow today), the
closed survey's answers are seeded only once.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from eservices.models import TaxpayerGroup
from home.demo import _upsert_child
from home.models import HomePage

from .enums import Audience, QuestionType
from .models import SurveyIndexPage, SurveyPage, SurveyQuestion, SurveyResponse

GROUP_NAME = "Właściciele nieruchomości – ul. Lipowa"

OPEN_SURVEY = {
    "slug": "remont-kanalizacji-lipowa",
    "title": "Remont kanalizacji na ul. Lipowej – Twoja opinia",
    "questions": [
        ("Która pora prac jest dla Ciebie najmniej uciążliwa?", QuestionType.SINGLE_CHOICE,
         "Rano (7:00–11:00)\nPo południu (12:00–16:00)\nW soboty", True, ""),
        ("Jak oceniasz informowanie o remoncie?", QuestionType.SCALE, "", True,
         "1 – bardzo źle, 5 – bardzo dobrze"),
        ("Od kiedy możesz udostępnić dostęp do posesji?", QuestionType.DATE, "", False, ""),
        ("Uwagi", QuestionType.LONG_TEXT, "", False, "Np. wjazd do garażu, osoby starsze."),
    ],
}  # fmt: skip

CLOSED_SURVEY = {
    "slug": "ocena-e-uslug",
    "title": "Ocena e-usług gminy",
    "questions": [
        ("Jak oceniasz obsługę w urzędzie?", QuestionType.SCALE, "", True,
         "1 – bardzo źle, 5 – bardzo dobrze"),
        ("Z jakich e-usług korzystasz?", QuestionType.MULTIPLE_CHOICE,
         "Płatności online\nPowiadomienia SMS\nWnioski elektroniczne", False, ""),
        ("Czy polecisz portal znajomym?", QuestionType.SINGLE_CHOICE, "Tak\nNie\nNie wiem", True,
         ""),
        ("Co powinniśmy poprawić?", QuestionType.LONG_TEXT, "", False, ""),
    ],
}  # fmt: skip

# The closed survey's answers, in the order of its questions (the tests count these).
SEEDED_ANSWERS = [
    (5, ["Płatności online", "Powiadomienia SMS"], "Tak", "Więcej godzin otwarcia w czwartki."),
    (4, ["Płatności online"], "Tak", ""),
    (4, [], "Nie wiem", ""),
    (3, ["Wnioski elektroniczne"], "Nie", "Formularze są za długie."),
    (5, ["Płatności online", "Powiadomienia SMS", "Wnioski elektroniczne"], "Tak", ""),
    (2, ["Płatności online"], "Nie", "Strona wolno działa na telefonie."),
    (4, ["Powiadomienia SMS"], "Tak", ""),
    (5, [], "Tak", ""),
    (1, ["Płatności online"], "Nie wiem", "Brak BLIK-a."),
    (4, ["Płatności online", "Wnioski elektroniczne"], "Tak", ""),
]


def _questions(spec) -> list[SurveyQuestion]:
    return [
        SurveyQuestion(label=label, field_type=kind, choices=choices, required=required,
                       help_text=help_text, sort_order=index)
        for index, (label, kind, choices, required, help_text) in enumerate(spec["questions"])
    ]  # fmt: skip


def _survey(index: SurveyIndexPage, spec: dict, **fields) -> SurveyPage:
    page = SurveyPage.objects.child_of(index).filter(slug=spec["slug"]).first()
    groups = fields.pop("taxpayer_groups", [])
    if page is None:
        page = SurveyPage(slug=spec["slug"], title=spec["title"], **fields)
        page.form_fields = _questions(spec)
        page.taxpayer_groups = groups
        index.add_child(instance=page)
    else:
        for name, value in fields.items():
            setattr(page, name, value)
        page.taxpayer_groups = groups
    page.save_revision().publish()
    return page


def load(report) -> None:
    home = HomePage.objects.filter(depth=2, locale__language_code="pl").first()
    if home is None:
        return
    now = timezone.now()
    index = _upsert_child(
        home,
        SurveyIndexPage,
        "ankiety",
        title="Ankiety",
        intro="<p>Ankiety, w których gmina pyta mieszkańców o zdanie.</p>",
    )
    group = TaxpayerGroup.objects.get(name=GROUP_NAME)
    open_survey = _survey(
        index,
        OPEN_SURVEY,
        intro="<p>Latem wymieniamy kanalizację na ul. Lipowej. Pomóż nam zaplanować prace.</p>",
        thank_you_text="<p>Dziękujemy! Harmonogram prac ogłosimy w aktualnościach.</p>",
        opens_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=30),
        audience=Audience.TAXPAYER_GROUPS,
        taxpayer_groups=[group],
        anonymous=False,
        publish_summary=False,
    )
    closed_survey = _survey(
        index,
        CLOSED_SURVEY,
        intro="<p>Krótka ankieta o portalu e-usług.</p>",
        thank_you_text="<p>Dziękujemy za opinię.</p>",
        opens_at=now - timedelta(days=40),
        closes_at=now - timedelta(days=7),
        audience=Audience.RESIDENTS,
        anonymous=True,
        publish_summary=True,
    )
    if not closed_survey.responses.exists():
        keys = [q.clean_name for q in closed_survey.form_fields.all()]
        start = timezone.localdate() - timedelta(days=30)
        SurveyResponse.objects.bulk_create(
            SurveyResponse(
                page=closed_survey,
                submitted_on=start + timedelta(days=n * 2),
                answers={
                    key: value
                    for key, value in zip(keys, answer, strict=True)
                    if value not in ("", [])
                },
            )
            for n, answer in enumerate(SEEDED_ANSWERS)
        )
    report.section(
        "Ankiety demonstracyjne",
        [
            f"otwarta dla grupy „{GROUP_NAME}”: {open_survey.url} (np. Jan Kowalski)",
            f"zamknięta, z {len(SEEDED_ANSWERS)} odpowiedziami i podsumowaniem: "
            f"{closed_survey.url}wyniki/",
            "wyniki w panelu: /admin/surveys/ (Urzędnicy, Administratorzy)",
        ],
    )
