"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest
from django.core.management import call_command


@pytest.fixture
def demo_site(db):
    """The demo municipality as `manage.py load_demo` builds it (pages, settings, accounts)."""
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    from wagtail.models import Site

    return Site.objects.get(is_default_site=True)
