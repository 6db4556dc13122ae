"""``manage.py create_admin EMAIL``: bootstrap the first administrator.

Creates an active superuser in the Administratorzy group with a random password and one
single-use static backup code (like django-otp's ``addstatictoken``), prints both once and
never stores them anywhere else. The administrator logs in to /admin/ with the password and the
backup code and is then asked to enrol an authenticator app. Refuses an existing e-mail.
"""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from eservices.roles import ADMINISTRATORS
from eservices.staff_security.devices import new_backup_codes


class Command(BaseCommand):
    help = "Create the first administrator (superuser, Administratorzy) with a backup code."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        User = get_user_model()
        email = email.strip()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"Not an e-mail address: {email!r}") from exc
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"A user with the e-mail {email} already exists.")
        password = secrets.token_urlsafe(18)
        with transaction.atomic():
            user = User.objects.create_superuser(email, password)
            group, _ = Group.objects.get_or_create(name=ADMINISTRATORS)
            user.groups.add(group)
            (code,) = new_backup_codes(user, count=1)
        self.stdout.write(
            f"Administrator: {user.email}\n"
            f"Password:      {password}\n"
            f"Backup code:   {code}\n"
            "Shown once. Log in at /admin/ with the password and the backup code, then enrol\n"
            "an authenticator app; change the password under Account settings."
        )
