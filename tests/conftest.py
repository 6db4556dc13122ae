"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.migrated_database import MigratedDatabase, is_transactional


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("migrated-database"):
        config.pluginmanager.register(MigratedDatabase(), "migrated-database")


@pytest.fixture(autouse=True)
def _migrated_data_for_transactional_tests(request: pytest.FixtureRequest):
    """A transactional test starts with what the migrations created (tests/migrated_database)."""
    if is_transactional(request.node):
        request.getfixturevalue("django_db_setup")
        with request.getfixturevalue("django_db_blocker").unblock():
            MigratedDatabase.restore()


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
