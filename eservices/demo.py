"""Demo accounts: one member of staff per role and one resident, with known passwords.

The passwords are printed by ``manage.py load_demo`` and are for a laptop only: production
settings refuse to load demo data.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .roles import ADMINISTRATORS, CLERKS, EDITORS

DEMO_USERS = [
    # email, password, first name, last name, staff role (None: resident)
    (
        "admin@przykladowo.example",
        "Demo-Administrator-2026",
        "Adam",
        "Administrator",
        ADMINISTRATORS,
    ),
    ("redaktor@przykladowo.example", "Demo-Redaktor-2026", "Regina", "Redaktorska", EDITORS),
    ("urzednik@przykladowo.example", "Demo-Urzednik-2026", "Urszula", "Urzędnicza", CLERKS),
    ("jan.kowalski@przykladowo.example", "Demo-Mieszkaniec-2026", "Jan", "Kowalski", None),
]


def load(report) -> None:
    User = get_user_model()
    lines = []
    for email, password, first_name, last_name, role in DEMO_USERS:
        user = User.objects.filter(email__iexact=email).first() or User(email=email)
        user.first_name, user.last_name = first_name, last_name
        user.is_staff = role is not None
        user.is_active = True
        user.set_password(password)
        user.save()
        if role:
            user.groups.set([Group.objects.get(name=role)])
        lines.append(f"{role or 'Mieszkaniec':<16} {email:<36} {password}")
    report.section("Konta demonstracyjne (rola, login, hasło)", lines)
