"""Builders of survey test data (plain functions, like tests/eservices/factories.py)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from wagtail.models import Locale, Page, Site

from eservices.models import AccountLink, Mandate, TaxpayerGroup
from surveys.enums import Audience, QuestionType
from surveys.models import SurveyPage, SurveyQuestion
from tests.eservices import factories as ef

QUESTIONS = [
    ("Pora prac", QuestionType.SINGLE_CHOICE, "Rano\nPo południu\nW soboty", True),
    ("Co czytasz", QuestionType.MULTIPLE_CHOICE, "Gazeta\nStrona\nTablica", False),
    ("Ocena", QuestionType.SCALE, "", True),
    ("Uwagi", QuestionType.LONG_TEXT, "", False),
    ("Imię psa", QuestionType.SHORT_TEXT, "", False),
    ("Od kiedy", QuestionType.DATE, "", False),
]


def site_root() -> Page:
    """The default site's root page; rebuilt when a transactional test flushed the database."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is not None:
        return site.root_page
    Locale.objects.get_or_create(language_code="pl")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root"))
    home = root.add_child(instance=Page(title="Strona główna", slug="strona-glowna"))
    Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
    return home


def survey(
    slug: str = "ankieta",
    *,
    audience: str = Audience.RESIDENTS,
    groups: list[TaxpayerGroup] | None = None,
    questions=QUESTIONS,
    parent: Page | None = None,
    **fields,
) -> SurveyPage:
    now = timezone.now()
    fields.setdefault("opens_at", now - timedelta(days=1))
    fields.setdefault("closes_at", now + timedelta(days=7))
    page = SurveyPage(slug=slug, title=fields.pop("title", f"Ankieta {slug}"), audience=audience,
                      **fields)  # fmt: skip
    page.form_fields = [
        SurveyQuestion(label=label, field_type=kind, choices=choices, required=required,
                       sort_order=n)
        for n, (label, kind, choices, required) in enumerate(questions)
    ]  # fmt: skip
    page.taxpayer_groups = groups or []
    (parent or site_root()).add_child(instance=page)
    page.save_revision().publish()
    return SurveyPage.objects.get(pk=page.pk)


def group_with_resident(name: str = "Lipowa"):
    """A taxpayer group, a taxpayer in it and a resident linked to that taxpayer."""
    taxpayer = ef.taxpayer()
    group = TaxpayerGroup.objects.create(name=name)
    group.members.add(taxpayer)
    user = ef.user()
    AccountLink.objects.create(user=user, taxpayer=taxpayer, method=AccountLink.Method.COUNTER)
    return group, taxpayer, user


def proxy_for(taxpayer, **fields):
    user = ef.user()
    fields.setdefault("document_reference", "PPS-1")
    Mandate.objects.create(taxpayer=taxpayer, proxy=user, **fields)
    return user


def valid_post(**overrides) -> dict:
    data = {"pora_prac": "Rano", "co_czytasz": ["Gazeta", "Strona"], "ocena": "4",
            "uwagi": "Proszę o informację SMS.", "imie_psa": "", "od_kiedy": ""}  # fmt: skip
    data.update(overrides)
    return data
