"""A clerk moves a case to another status: one history row, logged, the resident told."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from eservices.signals import case_status_changed

from .models import Case, CaseStatusChange, Status

STATUS_CHANGE_ACTION = "cases.status_change"


def change_status(*, case: Case, status: str, message: str = "", by) -> CaseStatusChange:
    """Record ``status`` (with an optional message to the resident) for ``case``.

    The case row is locked, so two clerks clicking at once give two ordered history rows, not
    a lost update. Repeating the current status with no message changes nothing. The resident
    is told through ``case_status_changed`` once the change is committed.
    """
    if status not in Status.values:
        raise ValidationError(_("Unknown status."))
    message = message.strip()
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status == status and not message:
            raise ValidationError(
                _("The case already has this status; add a message or pick another.")
            )
        now = timezone.now()
        change = CaseStatusChange.objects.create(
            case=case, status=status, message=message, created_at=now, created_by=by
        )
        case.status, case.status_changed_at = status, now
        case.save(update_fields=["status", "status_changed_at"])
        log(
            instance=case,
            action=STATUS_CHANGE_ACTION,
            user=by,
            data={"status": status, "message": message, "change_id": change.pk},
        )
        transaction.on_commit(lambda: _notify(case, change))
    return change


def _notify(case: Case, change: CaseStatusChange) -> None:
    # The label in the resident's language: Polish, the portal's default.
    with translation.override("pl"):
        label, url = str(Status(change.status).label), case.get_absolute_url()
    case_status_changed.send(
        sender=Case,
        case=case,
        user=case.user,
        status_label=label,
        message=change.message,
        url=url,
    )
