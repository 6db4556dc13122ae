"""Catalogue and matter pages: what editors must fill in, where pages may go, what residents see."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from wagtail.models import Page, Site

from eservices.cases.models import CaseCatalogPage, CasePage, Category
from home.models import HomePage, StandardPage

from .conftest import matter

pytestmark = pytest.mark.django_db


def test_editors_can_add_a_catalogue_under_the_home_page_and_matters_only_inside_it():
    assert CaseCatalogPage.can_create_at(HomePage())
    assert CasePage.can_exist_under(CaseCatalogPage())
    assert not CasePage.can_exist_under(HomePage())
    assert not CasePage.can_exist_under(StandardPage())
    assert CaseCatalogPage.allowed_subpage_models() == [CasePage]


def test_a_matter_must_say_who_handles_it_and_how_to_file_it(catalogue):
    page = CasePage(
        title="Sprawa", slug="sprawa", category=Category.TAXES, summary="s",
        description="<p></p>", who_may_file="<p>Każdy</p>", required_documents="<p>-</p>",
        fees="<p>Bez opłat</p>", deadline="7 dni", legal_basis="<p>Ustawa</p>",
        file_at_office=False, file_by_post=False, online_form=True,
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        page.full_clean()
    errors = error.value.message_dict
    assert set(errors) >= {"department", "jrwa_class", "description"}
    # With no channel at all the editor is told to give one.
    page.online_form = False
    with pytest.raises(ValidationError) as error:
        page.full_clean()
    assert "file_at_office" in error.value.message_dict


def test_a_complete_matter_validates(department, catalogue):
    page = matter(catalogue, "kompletna", department=department)
    page.full_clean()  # no error
    page.epuap_url = "not a url"
    with pytest.raises(ValidationError) as error:
        page.full_clean()
    assert "epuap_url" in error.value.message_dict


def test_matter_page_shows_everything_a_resident_needs(client: Client, online_matter):
    response = client.get(online_matter.url)
    html = response.content.decode()
    assert response.status_code == 200
    for text in (
        "ZN-1",
        "Kto może złożyć",
        "Wymagane dokumenty",
        "Opłaty",
        "21 zł",
        "Termin załatwienia",
        "Podstawa prawna",
        "Referat Finansowy",
        "pon. 8–16<br>wt.–pt. 7:30–15:30",
        "Złóż przez internet",
    ):
        assert text in html, text
    assert f'href="{online_matter.url}wniosek/"' in html


def test_catalogue_filters_by_category_and_text_without_javascript(
    client: Client, catalogue, department
):
    matter(catalogue, "dt-1", title="Deklaracja DT-1", form_code="DT-1", department=department)
    matter(
        catalogue, "odpady", title="Deklaracja o opłacie za odpady", form_code="DO-1",
        category=Category.WASTE, department=department,
        description="<p>Opłata za gospodarowanie odpadami.</p>",
    )  # fmt: skip
    html = client.get(catalogue.url).content.decode()
    assert "2 sprawy" in html and "Deklaracja DT-1" in html and "Odpady" in html
    html = client.get(catalogue.url, {"kategoria": Category.WASTE}).content.decode()
    assert "1 sprawa" in html and "Deklaracja DT-1" not in html
    html = client.get(catalogue.url, {"q": "srodkow transportowych"}).content.decode()
    assert "Deklaracja DT-1" in html and "opłacie za odpady" not in html
    # A bad category is ignored, not an error.
    assert client.get(catalogue.url, {"kategoria": "x"}).status_code == 200


def test_online_form_is_not_routed_for_matters_without_one(client: Client, catalogue, department):
    page = matter(catalogue, "bez-formularza", department=department)
    assert client.get(page.url + "wniosek/").status_code == 404


def test_site_root_is_the_catalogue_parent(catalogue):
    assert catalogue.get_parent().pk == Site.objects.get(is_default_site=True).root_page_id
    assert isinstance(Page.objects.get(pk=catalogue.pk).specific, CaseCatalogPage)
