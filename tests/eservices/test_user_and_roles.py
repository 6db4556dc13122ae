"""The user model and the three staff roles created by migration."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.test import Client

from eservices.roles import ADMINISTRATORS, CLERKS, EDITORS, ROLES, sync_roles

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_email_is_the_login_and_is_case_insensitive(client: Client):
    user = User.objects.create_user("Jan.Nowak@Example.PL", "a-long-passphrase-2026")
    assert user.email == "jan.nowak@example.pl"
    assert not hasattr(user, "username") or user.username is None
    assert authenticate(username="JAN.NOWAK@example.pl", password="a-long-passphrase-2026") == user


def test_two_accounts_cannot_differ_only_by_letter_case():
    User.objects.create_user("anna@example.pl", "x" * 12)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="ANNA@example.pl")


def test_superuser_is_staff():
    admin = User.objects.create_superuser("root@example.pl", "x" * 12)
    assert admin.is_staff and admin.is_superuser


def test_display_name_of_an_organisation_account():
    user = User(
        email="biuro@firma.pl",
        kind=User.AccountKind.ORGANISATION,
        organisation_name="Firma Sp. z o.o.",
        first_name="Ewa",
        last_name="Nowak",
    )
    assert user.display_name == "Firma Sp. z o.o."
    assert User(email="x@y.pl", first_name="Ewa", last_name="Nowak").display_name == "Ewa Nowak"


def test_migration_creates_exactly_our_three_roles():
    names = set(Group.objects.values_list("name", flat=True))
    assert {EDITORS, CLERKS, ADMINISTRATORS} <= names
    assert not names & {"Moderators", "Editors"}  # Wagtail's defaults are replaced


def test_sync_roles_is_idempotent_and_keeps_hand_made_grants():
    from django.apps import apps
    from django.contrib.auth.models import Permission

    clerks = Group.objects.get(name=CLERKS)
    extra = Permission.objects.get(codename="change_user")
    clerks.permissions.add(extra)
    before = {g.name: g.permissions.count() for g in Group.objects.all()}
    sync_roles(apps)
    after = {g.name: g.permissions.count() for g in Group.objects.all()}
    assert before == after
    assert clerks.permissions.filter(pk=extra.pk).exists()


def test_every_listed_permission_is_granted():
    for role in ROLES:
        group = Group.objects.get(name=role.name)
        granted = {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
        }
        assert set(role.permissions) <= granted, role.name
        page_perms = set(group.page_permissions.values_list("permission__codename", flat=True))
        assert set(role.page_permissions) == page_perms, role.name


def _staff(role: str) -> User:
    user = User.objects.create_user(f"{role.lower()}@gmina.example", "x" * 12, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.mark.parametrize(
    ("role", "url", "allowed"),
    [
        (EDITORS, "/admin/pages/", True),
        (EDITORS, "/admin/images/", True),
        (EDITORS, "/admin/documents/", True),
        (EDITORS, "/admin/users/", False),
        (EDITORS, "/admin/groups/", False),
        (CLERKS, "/admin/", True),
        (CLERKS, "/admin/users/", False),  # residents get their own views (issue 3)
        (CLERKS, "/admin/images/", False),
        (ADMINISTRATORS, "/admin/users/", True),
        (ADMINISTRATORS, "/admin/groups/", True),
        (ADMINISTRATORS, "/admin/settings/home/municipalitysettings/", True),
        (ADMINISTRATORS, "/admin/images/", False),
    ],
)
def test_roles_open_the_right_parts_of_the_admin(
    demo_site, client: Client, verified_login, role, url, allowed
):
    verified_login(client, _staff(role))
    if allowed:
        response = client.get(url, follow=True)
        assert response.status_code == 200, (role, url)
        assert all(url.startswith(hop) or hop.startswith(url) for hop, _ in response.redirect_chain)
    else:
        response = client.get(url)
        # Wagtail sends a logged-in user without the permission back to the dashboard.
        assert response.status_code in (302, 403), (role, url)
        if response.status_code == 302:
            assert response["Location"] == "/admin/", (role, url)


def test_resident_cannot_enter_the_admin(client: Client, db):
    resident = User.objects.create_user("jan@example.pl", "x" * 12)
    client.force_login(resident)
    response = client.get("/admin/")
    assert response.status_code in (302, 403)
    assert response.status_code == 403 or "/admin/login/" in response["Location"]


def test_admin_lists_the_three_roles(demo_site, client: Client, verified_login):
    verified_login(client, User.objects.get(email="admin@przykladowo.example"))
    body = client.get("/admin/groups/").content.decode()
    for name in (EDITORS, CLERKS, ADMINISTRATORS):
        assert name in body
