"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: in CI it is a real Redis, shared across tests."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def demo_site(db):
    """The demo municipality as `manage.py load_demo` builds it (pages, settings, accounts)."""
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    from wagtail.models import Site

    return Site.objects.get(is_default_site=True)
