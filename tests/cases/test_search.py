"""Site search: diacritics optional, promoted results, an accessible page. Runs on the database
the suite uses, so CI covers PostgreSQL full-text search and a laptop run SQLite FTS5."""

from __future__ import annotations

import pytest
from django.test import Client
from wagtail.contrib.search_promotions.models import Query, SearchPromotion

from eservices.cases.models import Category
from home.search import fold

from .conftest import matter

pytestmark = pytest.mark.django_db


def test_fold_removes_polish_diacritics():
    assert fold("Zażółć gęślą jaźń ŁÓDŹ") == "Zazolc gesla jazn LODZ"


@pytest.fixture
def matters(catalogue, department):
    dt1 = matter(
        catalogue, "dt-1", title="Deklaracja na podatek od środków transportowych",
        form_code="DT-1", summary="Właściciele ciężarówek deklarują podatek.",
        description="<p>Podatek od środków transportowych płacą właściciele pojazdów.</p>",
        department=department,
    )  # fmt: skip
    waste = matter(
        catalogue, "odpady", title="Deklaracja o opłacie za odpady", form_code="DO-1",
        summary="Opłata za śmieci.", category=Category.WASTE, department=department,
        description="<p>Gospodarowanie odpadami komunalnymi.</p>",
    )  # fmt: skip
    return dt1, waste


def result_titles(client: Client, query: str) -> str:
    response = client.get("/szukaj/", {"q": query})
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    "query", ["podatek od srodkow", "podatek od środków", "SRODKOW TRANSPORTOWYCH", "DT-1"]
)
def test_search_finds_a_matter_with_or_without_diacritics(client: Client, matters, query):
    html = result_titles(client, query)
    assert "Deklaracja na podatek od środków transportowych" in html
    assert "Deklaracja o opłacie za odpady" not in html
    assert "1 wynik" in html


def test_result_count_uses_polish_plural_forms(client: Client, matters):
    assert "2 wyniki" in result_titles(client, "deklaracja")
    assert "0 wyników" in result_titles(client, "nieistniejace slowo")


def test_promoted_results_come_first(client: Client, matters):
    _, waste = matters
    SearchPromotion.objects.create(query=Query.get("smieci"), page=waste, sort_order=0)
    html = result_titles(client, "smieci")
    assert "Polecane" in html or "Recommended" in html
    assert html.index("Deklaracja o opłacie za odpady") < html.index("results-heading")


def test_results_page_is_plain_html_with_a_labelled_field(client: Client, matters):
    html = result_titles(client, "odpady")
    assert '<label for="search-page-q">' in html and 'role="search"' in html
    assert "<script" not in html.split("<main", 1)[-1].split("</main>", 1)[0]
