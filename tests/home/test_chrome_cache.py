"""The site chrome is cached, and every content change shows on the next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page

from home.models import NavigationSettings

pytestmark = pytest.mark.django_db


def header_of(client: Client, path: str = "/") -> str:
    body = client.get(path).content.decode()
    return body[body.index("<header") : body.index("</header>")]


def first_menu_page(site) -> Page:
    nav = NavigationSettings.for_site(site)
    linked = next(block.value["page"] for block in nav.header_links if block.value.get("page"))
    return Page.objects.get(pk=linked.pk).specific


def test_a_renamed_page_shows_in_the_menu_at_once(demo_site, client: Client):
    page = first_menu_page(demo_site)
    assert page.title in header_of(client)  # now cached
    page.title = "Nowy tytuł strony"
    page.save_revision().publish()
    assert "Nowy tytuł strony" in header_of(client)


def test_an_edited_menu_shows_at_once(demo_site, client: Client):
    title = first_menu_page(demo_site).title
    assert title in header_of(client)  # cached
    nav = NavigationSettings.for_site(demo_site)
    nav.header_links = [
        {"type": "link", "value": {"page": None, "url": "https://bip.example/", "label": "BIP"}}
    ]
    nav.save()
    header = header_of(client)
    assert 'href="https://bip.example/"' in header
    assert title not in header


def test_an_unpublished_page_leaves_the_menu(demo_site, client: Client):
    page = first_menu_page(demo_site)
    url = page.get_url()
    assert f'href="{url}"' in header_of(client)
    page.unpublish()
    assert f'href="{url}"' not in header_of(client)


def test_the_chrome_costs_no_queries_once_cached(demo_site, client: Client):
    client.get("/pomoc/")
    with CaptureQueriesContext(connection) as warm:
        client.get("/pomoc/")
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        client.get("/pomoc/")
    assert len(warm) < len(cold)


def test_the_current_page_is_marked_in_a_cached_menu(demo_site, client: Client):
    url = first_menu_page(demo_site).get_url()
    header_of(client)  # cached while on the home page
    assert 'aria-current="page"' in header_of(client, url)
