"""``manage.py import_domain_data FILE --source CODE``: import a file from a domain system.

Exit status: 0 applied (or, with --dry-run, valid), 1 rejected, 2 bad invocation.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eservices.integration.importer import import_batch
from eservices.models import DomainSystem, ImportBatch

EXIT_REJECTED = 1
EXIT_USAGE = 2
_EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}


class Command(BaseCommand):
    help = (
        "Import a batch (import format v1, docs/integration-format.md) from a domain system. "
        "All or nothing: any error rejects the whole file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the JSON Lines or CSV file")
        parser.add_argument(
            "--source", required=True, help="code of the domain system that produced the file"
        )
        parser.add_argument(
            "--format",
            choices=[choice.value for choice in ImportBatch.Format],
            help="default: from the file extension (.jsonl, .ndjson, .csv)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and count, write nothing"
        )

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        system = DomainSystem.objects.filter(code=options["source"]).first()
        if system is None:
            raise CommandError(
                f"No domain system with the code {options['source']!r}.", returncode=EXIT_USAGE
            )
        if not system.is_active:
            raise CommandError(f"The domain system {system} is inactive.", returncode=EXIT_USAGE)
        format = options["format"] or _EXTENSIONS.get(path.suffix.lower())
        if format is None:
            raise CommandError(
                "Cannot tell the format from the extension; pass --format jsonl or csv.",
                returncode=EXIT_USAGE,
            )
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}", returncode=EXIT_USAGE) from exc

        batch = import_batch(
            system, content, format, filename=path.name, dry_run=options["dry_run"]
        )

        if batch.status == ImportBatch.Status.REJECTED:
            for error in batch.errors:
                where = f"line {error['line']}" if error["line"] else "batch"
                subject = " ".join(filter(None, [error["record_type"], error["external_id"]]))
                prefix = f"{where} ({subject})" if subject else where
                self.stderr.write(f"{prefix}: {error['message']}")
            if batch.error_count > len(batch.errors):
                self.stderr.write(f"… and {batch.error_count - len(batch.errors)} more")
            label = (
                "Dry run: the batch would be rejected"
                if options["dry_run"]
                else f"Batch #{batch.pk} rejected"
            )
            raise CommandError(
                f"{label}: {batch.error_count} error(s); nothing was imported.",
                returncode=EXIT_REJECTED,
            )

        heading = (
            "Dry run: the batch is valid; nothing was written."
            if options["dry_run"]
            else f"Batch #{batch.pk} applied."
        )
        self.stdout.write(self.style.SUCCESS(heading))
        for record_type, counts in batch.counts.items():
            self.stdout.write(
                f"  {record_type:<16} created {counts['created']:>7}"
                f"  updated {counts['updated']:>7}  unchanged {counts['unchanged']:>7}"
            )
