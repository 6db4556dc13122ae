"""Filing an electronic matter: registry number, answers, attachments, first status, one step.

`file_case` is the only way a `Case` comes to exist. It validates attachments before writing
anything and runs in one transaction, so a rejected file or a crash leaves no case, no number
used up and no file behind (files written before a rollback are removed on rollback).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Case, CaseAttachment, CasePage, CaseStatusChange, RegistrySequence, Status

# The first bytes of each accepted type: the extension alone proves nothing.
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "odt": (b"PK\x03\x04",),
    "docx": (b"PK\x03\x04",),
}
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "odt": "application/vnd.oasis.opendocument.text",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def next_registry_number(symbol: str, jrwa_class: str, year: int) -> str:
    """The next number of the year for a department and JRWA class, e.g. FN.3120.15.2026.

    Race-safe: the sequence row is locked (UPDATE … SET last_number = last_number + 1) until
    the surrounding transaction commits, so concurrent filings wait for each other; a row
    created concurrently for a new year is caught by the unique constraint.
    """
    with transaction.atomic():
        key = {"symbol": symbol, "jrwa_class": jrwa_class, "year": year}
        if not RegistrySequence.objects.filter(**key).exists():
            try:
                with transaction.atomic():
                    RegistrySequence.objects.create(**key)
            except IntegrityError:
                pass  # another filing created it first
        RegistrySequence.objects.filter(**key).update(last_number=F("last_number") + 1)
        number = RegistrySequence.objects.get(**key).last_number
    return settings.CASES_REGISTRY_NUMBER_PATTERN.format(
        symbol=symbol, jrwa=jrwa_class, number=number, year=year
    )


def validate_attachments(files: list[UploadedFile]) -> None:
    """Refuse too many, too large, empty or disguised files, naming the file and the reason."""
    errors = []
    if len(files) > settings.CASES_ATTACHMENT_MAX_FILES:
        errors.append(
            _("You can attach at most %(count)d files.")
            % {"count": settings.CASES_ATTACHMENT_MAX_FILES}
        )
    allowed = settings.CASES_ATTACHMENT_EXTENSIONS
    for upload in files:
        extension = upload.name.rsplit(".", 1)[-1].lower() if "." in upload.name else ""
        if extension not in allowed:
            errors.append(
                _("%(name)s: only these file types are accepted: %(types)s.")
                % {"name": upload.name, "types": ", ".join(allowed)}
            )
            continue
        if upload.size == 0:
            errors.append(_("%(name)s: the file is empty.") % {"name": upload.name})
            continue
        if upload.size > settings.CASES_ATTACHMENT_MAX_BYTES:
            errors.append(
                _("%(name)s: the file is larger than %(limit)s.")
                % {
                    "name": upload.name,
                    "limit": filesizeformat(settings.CASES_ATTACHMENT_MAX_BYTES),
                }
            )
            continue
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        if not head.startswith(SIGNATURES[extension]):
            errors.append(
                _("%(name)s: the content is not a %(type)s file.")
                % {"name": upload.name, "type": extension.upper()}
            )
    if errors:
        raise ValidationError(errors)


def _sha256(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def content_digest(
    *, registry_number: str, title: str, submitted_at: datetime, answers, attachments
) -> str:
    """SHA-256 over a canonical JSON of what was filed: printed on the receipt, re-checkable."""
    document = {
        "registry_number": registry_number,
        "matter": title,
        "submitted_at": submitted_at.isoformat(),
        "answers": answers,
        "attachments": [{"name": a.name, "size": a.size, "sha256": a.sha256} for a in attachments],
    }
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def answers_from_form(page: CasePage, cleaned_data: dict) -> list[dict[str, str]]:
    """The answers as ``[{"label", "value"}]`` in the order of the form's fields."""
    answers = []
    for field in page.form_fields.all():
        value = cleaned_data.get(field.clean_name)
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, bool):
            value = _("yes") if value else _("no")
        elif value is None:
            value = ""
        answers.append({"label": field.label, "value": str(value)})
    return answers


def file_case(
    *, page: CasePage, user, answers: list[dict[str, str]], files: list[UploadedFile] = ()
) -> Case:
    """File the matter ``page`` for ``user``: one case, its attachments and "received"."""
    if not page.online_form or page.department is None:
        raise ValidationError(_("This matter cannot be filed online."))
    files = list(files)
    if files and not page.attachments_allowed:
        raise ValidationError(_("This matter takes no attachments."))
    validate_attachments(files)
    now = timezone.now()
    stored: list = []
    try:
        with transaction.atomic():
            case = _create_case(page, user, answers, files, now, stored)
    except BaseException:
        # Nothing half-done: the rows are rolled back, so the files must go too.
        for field_file in stored:
            field_file.storage.delete(field_file.name)
        raise
    return case


def _create_case(page, user, answers, files, now, stored: list) -> Case:
    number = next_registry_number(
        page.department.symbol, page.jrwa_class, timezone.localdate(now).year
    )
    case = Case.objects.create(
        registry_number=number,
        user=user,
        page=page,
        title=page.title,
        form_code=page.form_code,
        department=page.department,
        answers=answers,
        submitted_at=now,
        content_sha256="",
        status=Status.RECEIVED,
        status_changed_at=now,
    )
    attachments = []
    for upload in files:
        extension = upload.name.rsplit(".", 1)[-1].lower()
        attachment = CaseAttachment(
            case=case,
            name=upload.name[-255:],
            content_type=CONTENT_TYPES[extension],
            size=upload.size,
            sha256=_sha256(upload),
        )
        # A random stored name: the resident's file name is kept only as data.
        attachment.file.save(
            f"{case.pk}-{secrets.token_urlsafe(16)}.{extension}", upload, save=False
        )
        stored.append(attachment.file)
        attachment.save()
        attachments.append(attachment)
    case.content_sha256 = content_digest(
        registry_number=number,
        title=case.title,
        submitted_at=now,
        answers=answers,
        attachments=attachments,
    )
    case.save(update_fields=["content_sha256"])
    CaseStatusChange.objects.create(
        case=case, status=Status.RECEIVED, created_at=now, created_by=user
    )
    return case
