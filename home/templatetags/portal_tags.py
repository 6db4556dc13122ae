"""Template tags for the site chrome: menus, the language switcher, the statement link."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils import translation
from wagtail.models import Locale, Page, Site

from home import chrome_cache
from home.models import AccessibilityStatementPage, NavigationSettings

register = template.Library()


@dataclass(frozen=True)
class MenuLink:
    label: str
    url: str
    is_current: bool = False
    page_id: int | None = None


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str
    url: str
    is_current: bool


def _current_locale() -> Locale | None:
    try:
        return Locale.get_active()
    except Locale.DoesNotExist:
        return None


def _in_active_locale(page: Page) -> Page:
    """The translation of ``page`` in the language being shown, falling back to ``page``."""
    return page.localized.specific


@register.simple_tag(takes_context=True)
def menu_links(context, which: str) -> list[MenuLink]:
    """Links of the header or footer menu from NavigationSettings, in the active language."""
    request = context.get("request")
    if request is None:
        return []
    links = chrome_cache.cached(
        _site_id(request), f"menu:{which}", lambda: _resolve_menu(request, which)
    )
    current = context.get("page")
    if current is None:
        return links
    return [
        MenuLink(link.label, link.url, link.page_id == current.pk, link.page_id) for link in links
    ]


def _site_id(request) -> int | None:
    site = Site.find_for_request(request)  # cached on the request by Wagtail
    return site.pk if site else None


def _resolve_menu(request, which: str) -> list[MenuLink]:
    nav = NavigationSettings.for_request(request)
    stream = nav.header_links if which == "header" else nav.footer_links
    links = []
    for block in stream:
        value = block.value
        if value.get("page"):
            page = _in_active_locale(value["page"])
            if not page.live:
                continue
            label = value.get("label") or page.title
            links.append(MenuLink(label=label, url=page.get_url(request), page_id=page.pk))
        else:
            links.append(MenuLink(label=value["label"], url=value["url"]))
    return links


@register.simple_tag(takes_context=True)
def language_links(context) -> list[LanguageLink]:
    """One link per language: to this page's translation, else to that language's home page."""
    request = context.get("request")
    if request is None:
        return []
    page = context.get("page")
    active = translation.get_language()
    site = Site.find_for_request(request)
    links = []
    for code, name in settings.LANGUAGES:
        url = None
        if isinstance(page, Page):
            translated = page.get_translations(inclusive=True).filter(locale__language_code=code)
            target = translated.live().first()
            if target is None and site is not None:
                target = (
                    site.root_page.get_translations(inclusive=True)
                    .filter(locale__language_code=code)
                    .live()
                    .first()
                )
            url = target.get_url(request) if target else None
        if url is None:
            url = translate_url(request.get_full_path(), code)
        links.append(LanguageLink(code=code, name=name, url=url, is_current=code == active))
    return links


@register.simple_tag(takes_context=True)
def accessibility_statement_url(context) -> str | None:
    """URL of the accessibility statement in the active language (linked from every page)."""
    request = context.get("request")
    site_id = _site_id(request) if request else None
    # "" stands for "no statement" so that the absence is cached too.
    return chrome_cache.cached(site_id, "statement", lambda: _statement_url(request)) or None


def _statement_url(request) -> str:
    statement = AccessibilityStatementPage.objects.live().public()
    locale = _current_locale()
    localized = statement.filter(locale=locale).first() if locale else None
    page = localized or statement.first()
    return (page.get_url(request) if page else None) or ""


@register.simple_tag(takes_context=True)
def home_url(context) -> str:
    request = context.get("request")
    site = Site.find_for_request(request) if request else None
    if site is None:
        return "/"
    return chrome_cache.cached(
        site.pk, "home", lambda: _in_active_locale(site.root_page).get_url(request) or "/"
    )
