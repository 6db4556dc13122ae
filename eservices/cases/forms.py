"""The resident's online form: the editor's fields plus attachments, and the clerk's status form."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .filing import validate_attachments
from .models import CasePage, Status


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        single = super().clean
        files = (
            [single(d, initial) for d in data]
            if isinstance(data, list | tuple)
            else [single(data, initial)]
        )
        validate_attachments(files)
        return files


def attachments_help() -> str:
    return _("Up to %(count)d files (%(types)s), each at most %(size)s.") % {
        "count": settings.CASES_ATTACHMENT_MAX_FILES,
        "types": ", ".join(settings.CASES_ATTACHMENT_EXTENSIONS),
        "size": filesizeformat(settings.CASES_ATTACHMENT_MAX_BYTES),
    }


def application_form_class(page: CasePage) -> type[forms.Form]:
    """The editor-defined fields of ``page`` and, if allowed, an attachments field."""
    base = page.get_form_class()
    if not page.attachments_allowed:
        return base
    extensions = ",".join(f".{ext}" for ext in settings.CASES_ATTACHMENT_EXTENSIONS)
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=attachments_help(),
        widget=MultipleFileInput(attrs={"accept": extensions}),
    )
    return type("ApplicationForm", (base,), {"attachments": attachments})


class StatusChangeForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    message = forms.CharField(
        label=_("Message to the resident"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_('Shown under "My cases" and sent if the resident asked for notifications.'),
    )
