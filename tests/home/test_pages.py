"""The site's pages as a resident sees them: rendering, languages, menus, errors, search."""

from __future__ import annotations

import pytest
from django.test import Client
from wagtail.models import Locale, Page

from home.models import AccessibilityStatementPage, HomePage, NewsPage, StandardPage

pytestmark = pytest.mark.django_db


def test_home_page_is_polish_at_root_and_english_under_en(demo_site, client: Client):
    polish = client.get("/")
    assert polish.status_code == 200
    assert '<html lang="pl">' in polish.content.decode()
    assert "Witamy w e-Usługach Gminy Przykładowo" in polish.content.decode()

    english = client.get("/en/")
    assert english.status_code == 200
    assert '<html lang="en">' in english.content.decode()
    assert "Welcome to the e-services of Gmina Przykładowo" in english.content.decode()


def test_home_page_lists_latest_news_in_its_own_language(demo_site, client: Client):
    body = client.get("/").content.decode()
    newest = NewsPage.objects.filter(locale__language_code="pl").order_by("-date")
    assert newest[0].title in body and newest[2].title in body
    assert newest[3].title not in body  # only the three latest

    english = client.get("/en/").content.decode()
    assert "The e-services portal is live" in english
    assert newest[0].title not in english


def test_help_page_renders_stream_blocks(demo_site, client: Client):
    response = client.get("/pomoc/pytania-i-odpowiedzi/")
    body = response.content.decode()
    assert response.status_code == 200
    # FAQ accordion is plain <details>: works without JavaScript.
    assert body.count("<details") >= 4
    assert "Do kiedy trzeba zapłacić podatek od nieruchomości?" in body
    assert 'aria-label="' in body and "breadcrumbs" in body


def test_header_and_footer_menus_come_from_navigation_settings(demo_site, client: Client):
    body = client.get("/pomoc/").content.decode()
    header = body.split('class="main-nav"')[1].split("</nav>")[0]
    assert 'href="/pomoc/" aria-current="page"' in header
    assert 'href="/aktualnosci/"' in header and 'href="/kontakt/"' in header

    # The same menu in English links to the translations.
    english = client.get("/en/help/").content.decode()
    header_en = english.split('class="main-nav"')[1].split("</nav>")[0]
    assert 'href="/en/news/"' in header_en and ">News<" in header_en


def test_unpublished_page_drops_out_of_the_menu(demo_site, client: Client):
    StandardPage.objects.get(slug="kontakt", locale__language_code="pl").unpublish()
    header = client.get("/").content.decode().split('class="main-nav"')[1].split("</nav>")[0]
    assert "/kontakt/" not in header


def test_language_switcher_links_to_the_translation_of_the_current_page(demo_site, client: Client):
    body = client.get("/pomoc/jak-zaplacic/").content.decode()
    switcher = body.split('class="language-switcher"')[1].split("</nav>")[0]
    assert 'href="/en/help/how-to-pay/"' in switcher
    assert 'aria-current="true"' in switcher


def test_language_switcher_falls_back_to_the_home_page_without_translation(
    demo_site, client: Client
):
    untranslated = NewsPage.objects.get(slug="dyzur-referatu-finansowego")
    body = client.get(untranslated.url).content.decode()
    switcher = body.split('class="language-switcher"')[1].split("</nav>")[0]
    assert 'href="/en/"' in switcher


def test_every_page_links_the_accessibility_statement(demo_site, client: Client):
    statement = AccessibilityStatementPage.objects.get(locale__language_code="pl")
    for url in ("/", "/pomoc/", "/aktualnosci/", "/kontakt/", "/szukaj/?q=podatek"):
        body = client.get(url).content.decode()
        assert f'href="{statement.url}"' in body, url
        assert '<meta name="deklaracja-dostępności"' in body, url


REQUIRED_STATEMENT_IDS = [
    "a11y-wstep", "a11y-podmiot", "a11y-url", "a11y-data-publikacja", "a11y-data-aktualizacja",
    "a11y-status", "a11y-ocena", "a11y-data-sporzadzenie", "a11y-data-przeglad", "a11y-kontakt",
    "a11y-osoba", "a11y-email", "a11y-telefon", "a11y-procedura", "a11y-architektura",
    "a11y-aplikacje",
]  # fmt: skip


def test_accessibility_statement_has_the_statutory_ids(demo_site, client: Client):
    body = client.get("/deklaracja-dostepnosci/").content.decode()
    for element_id in REQUIRED_STATEMENT_IDS:
        assert f'id="{element_id}"' in body, element_id
    assert '<time id="a11y-data-publikacja" datetime="2026-10-20">' in body
    assert '<time id="a11y-data-przeglad" datetime="2026-11-16">' in body


def test_accessibility_statement_validates_dates_and_status(demo_site):
    statement = AccessibilityStatementPage.objects.get(locale__language_code="pl")
    statement.reviewed_on = statement.prepared_on.replace(year=statement.prepared_on.year - 1)
    statement.non_accessible_content = ""
    with pytest.raises(Exception) as excinfo:
        statement.full_clean()
    assert "reviewed_on" in excinfo.value.message_dict
    assert "non_accessible_content" in excinfo.value.message_dict


def test_unknown_url_gets_the_friendly_404(demo_site, client: Client):
    response = client.get("/nie-ma-takiej-strony/")
    assert response.status_code == 404
    body = response.content.decode()
    assert '<main id="main"' in body and 'href="/szukaj/"' in body


def test_500_page_is_self_contained(client: Client, settings):
    from home.views import server_error

    response = server_error(None)
    body = response.content.decode()
    assert response.status_code == 500
    assert "<link" not in body and "{%" not in body  # no static files, no template logic
    assert 'lang="pl"' in body and 'lang="en"' in body


def test_search_finds_published_pages_in_the_active_language(demo_site, client: Client):
    body = client.get("/szukaj/", {"q": "zapłacić"}).content.decode()
    assert "Jak zapłacić podatek lub opłatę" in body
    english = client.get("/en/szukaj/", {"q": "pay"}).content.decode()
    assert "How to pay a tax or a fee" in english
    assert "Jak zapłacić" not in english


def test_search_without_query_shows_the_form_only(demo_site, client: Client):
    response = client.get("/szukaj/")
    assert response.status_code == 200
    assert 'id="results-heading"' not in response.content.decode()


def test_healthz_answers_when_the_database_answers(client: Client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_demo_replaces_wagtails_welcome_page_and_sets_the_site_root(demo_site):
    assert isinstance(demo_site.root_page.specific, HomePage)
    assert Page.objects.filter(depth=2).count() == 2  # Polish home and its English copy
    assert set(Locale.objects.values_list("language_code", flat=True)) == {"pl", "en"}
