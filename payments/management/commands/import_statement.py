"""``manage.py import_statement FILE``: import and reconcile an MT940 bank statement."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from payments.reconciliation import StatementImportError, import_statement


class Command(BaseCommand):
    help = "Import an MT940 statement (all or nothing) and book the lines that match."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error}") from error
        try:
            result = import_statement(data, filename=file.name)
        except StatementImportError as error:
            raise CommandError(
                f"{file}: line {error.line_no}: {error.reason}; nothing was imported"
            ) from error
        if not result.created:
            self.stdout.write(
                f"{file}: already imported as statement {result.statement}; nothing changed"
            )
            return
        self.stdout.write(
            f"{file}: statement {result.statement}: {result.lines} lines "
            f"({result.skipped_lines} already known), {result.matched} matched, "
            f"{result.unmatched} unmatched, {result.ignored} ignored; "
            f"{result.payments_booked} portal payments booked, {result.booked_amount} PLN"
        )
