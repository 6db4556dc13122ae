"""`manage.py load_demo`: idempotent, prints the logins, refuses where it must."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from wagtail.models import Page

pytestmark = pytest.mark.django_db


def _load() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_load_demo_prints_one_working_login_per_role_and_a_resident():
    output = _load()
    User = get_user_model()
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and "@" in parts[1]:
            role, email, password = parts
            user = authenticate(username=email, password=password)
            assert user is not None, email
            assert user.is_staff == (role != "Mieszkaniec")
    assert User.objects.filter(groups__name="Redaktorzy").exists()
    assert User.objects.filter(groups__name="Urzędnicy").exists()
    assert User.objects.filter(groups__name="Administratorzy").exists()
    assert User.objects.filter(is_staff=False).count() == 2  # a resident and a proxy


def test_load_demo_twice_changes_nothing():
    _load()
    pages = Page.objects.count()
    users = get_user_model().objects.count()
    _load()
    assert Page.objects.count() == pages
    assert get_user_model().objects.count() == users


def test_load_demo_refuses_when_settings_forbid_it(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError):
        _load()
    assert not get_user_model().objects.exists()
