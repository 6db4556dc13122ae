"""A cache for the site chrome (menus, home and statement links) shown on every page.

Resolving a menu entry costs a Locale and a Page query per link, on every request — resident
pages included, where the chrome is most of the query count. The resolved links are cached
per site, language and menu under a *generation* number that any change to a page, the
navigation settings, a site or a locale bumps, so an editor's change shows at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.utils import translation

T = TypeVar("T")

_GENERATION_KEY = "home:chrome:generation"
_TIMEOUT = 24 * 3600


def _generation() -> int:
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        cache.add(_GENERATION_KEY, 1, None)
        generation = cache.get(_GENERATION_KEY, 1)
    return generation


def invalidate(**_kwargs) -> None:
    """Make every cached chrome entry stale (connected to the model signals below)."""
    try:
        cache.incr(_GENERATION_KEY)
    except ValueError:  # not set yet (or evicted): the next read starts a new generation
        cache.set(_GENERATION_KEY, 2, None)


def cached(site_id: int | None, name: str, compute: Callable[[], T]) -> T:
    """``compute()`` for this site and active language, cached until content changes."""
    key = f"home:chrome:{_generation()}:{site_id}:{translation.get_language()}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, _TIMEOUT)
    return value


def connect() -> None:
    """Listen to the models the chrome is made of, by sender: a listener for every model would
    run on each save in the project and cost every ``QuerySet.delete()`` its fast path."""
    from wagtail.models import Locale, Site, get_page_models

    from home.models import NavigationSettings

    # Page subclasses send the signals under their own class.
    for model in (Site, Locale, NavigationSettings, *get_page_models()):
        label = model._meta.label
        post_save.connect(invalidate, sender=model, dispatch_uid=f"home.chrome.save.{label}")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"home.chrome.delete.{label}")
