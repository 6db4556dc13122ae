"""Staff users with a role and a verified second factor, for the residents' admin tests."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from eservices.roles import sync_roles

from .conftest import login_verified


def staff_client(role: str, email: str | None = None) -> tuple[Client, object]:
    sync_roles(apps)
    user = get_user_model().objects.create_user(
        email or f"{role.lower()}@gmina.example", "x" * 12, is_staff=True
    )
    user.groups.add(Group.objects.get(name=role))
    return login_verified(Client(), user), user
