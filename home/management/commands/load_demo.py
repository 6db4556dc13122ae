"""``manage.py load_demo``: build the demo municipality. Safe to run again.

Every installed app of ours may have a ``demo.py`` with ``load(report)``; they run in the order
of INSTALLED_APPS inside one transaction, so a failure leaves nothing half-loaded. This keeps
``home`` free of imports from the apps that build on it.
"""

from __future__ import annotations

import logging
from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction


class Report:
    def __init__(self) -> None:
        self.sections: list[tuple[str, list[str]]] = []

    def section(self, title: str, lines: list[str]) -> None:
        self.sections.append((title, lines))


class Command(BaseCommand):
    help = "Load the demo municipality: pages, settings and one account per role."

    def handle(self, *args, **options) -> None:
        if not getattr(settings, "DEMO_DATA_ALLOWED", True):
            raise CommandError("Demo data is not allowed under these settings (production?).")
        report = Report()
        # Wagtail logs every publish and redirect at INFO: hundreds of lines nobody reads here.
        logging.disable(logging.INFO)
        with transaction.atomic():
            for app_config in apps.get_app_configs():
                module_name = f"{app_config.name}.demo"
                if not app_config.path.startswith(str(settings.BASE_DIR)):
                    continue
                if find_spec(module_name) is None:
                    continue
                import_module(module_name).load(report)
        for title, lines in report.sections:
            self.stdout.write(self.style.MIGRATE_HEADING(title))
            for line in lines:
                self.stdout.write(f"  {line}")
        self.stdout.write(self.style.SUCCESS("Dane demonstracyjne gotowe."))
