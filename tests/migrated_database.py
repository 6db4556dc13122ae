"""Transactional tests start from the database as the migrations left it.

The migrations create data, not only tables: Wagtail's root page, the default site, locale and
collection, our staff roles, the interest-rate tables, beat schedules. A transactional test
(``transaction=True``, ``live_server``, the browser tests) ends with a flush that deletes all
of it, and pytest-django runs those tests after the ordinary ones, one after another — so the
next one would start from empty tables.

Django's answer, serialized rollback, fails as soon as an ordinary transactional test ran
before (its flush recreates content types and permissions under new ids, and the deserialized
originals then collide with them). So the database is serialized right after pytest-django has
created it, and every transactional test starts by `restore()`: when a flush has happened, the
tables are emptied completely and that state is loaded back.
"""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command


class MigratedDatabase:
    contents: str | None = None

    @pytest.hookimpl(wrapper=True)
    def pytest_fixture_setup(self, fixturedef, request):
        result = yield
        if fixturedef.argname == "django_db_setup" and MigratedDatabase.contents is None:
            from django.db import connection

            with request.getfixturevalue("django_db_blocker").unblock():
                contents = json.loads(connection.creation.serialize_db_to_string())
            # Content types first: creating some objects (Wagtail's tasks) looks them up.
            contents.sort(key=lambda obj: obj["model"] != "contenttypes.contenttype")
            MigratedDatabase.contents = json.dumps(contents)
            blocker = request.getfixturevalue("django_db_blocker")

            def leave_migrated() -> None:
                # The last transactional test ended with a flush: put the migrations' data
                # back before the database is closed, or the next run with --reuse-db would
                # start without interest rates, site and roles. (Added after the fixture's
                # own teardown, so it runs before it.)
                with blocker.unblock():
                    MigratedDatabase.restore()

            fixturedef.addfinalizer(leave_migrated)
        return result

    @classmethod
    def restore(cls) -> None:
        from django.contrib.contenttypes.models import ContentType
        from django.db import connection
        from wagtail.models import Page

        if Page.objects.filter(depth=1).exists():
            return  # no flush since the migrations (or the last restore)
        assert cls.contents is not None, "the test database was not serialized after creation"
        # Sequences keep counting (as after Django's own flush between tests): the restored
        # rows keep their ids and new rows must not be given the same ones.
        call_command(
            "flush",
            interactive=False,
            inhibit_post_migrate=True,
            reset_sequences=False,
            verbosity=0,
        )
        ContentType.objects.clear_cache()  # ids from before the flush
        connection.creation.deserialize_db_from_string(cls.contents)
        ContentType.objects.clear_cache()


def is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (
        marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")
    ):
        return True
    fixtures = getattr(item, "fixturenames", ())
    return "transactional_db" in fixtures or "live_server" in fixtures
