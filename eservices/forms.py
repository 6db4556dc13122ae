"""Forms of the resident pages.

Every form here ties its error messages to the field they belong to (``aria-describedby``,
``aria-invalid``), so that a screen reader announces the message when the field gets focus.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DescribedErrorsMixin:
    """Point each invalid field at its error message (rendered with id ``<field id>-error``).

    Labels carry no suffix: "Hasło", not "Hasło:".
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            bound = self[name]
            attrs = self.fields[name].widget.attrs
            described = [attrs["aria-describedby"]] if attrs.get("aria-describedby") else []
            described.append(f"{bound.auto_id}-error")
            attrs["aria-describedby"] = " ".join(described)
            attrs["aria-invalid"] = "true"


class LoginForm(DescribedErrorsMixin, AuthenticationForm):
    """Django's login form with the email as the login and the right autocomplete hints."""

    username = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class StatementForm(DescribedErrorsMixin, forms.Form):
    """The day a printable statement shows the balance on: today unless told otherwise."""

    na_dzien = forms.DateField(
        label=_("Balance as of"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Today or an earlier day. Interest is computed up to this day."),
        error_messages={"invalid": _("Enter the date as year-month-day, e.g. 2026-03-15.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The browser's date picker offers no day after today.
        self.fields["na_dzien"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean_na_dzien(self) -> date:
        day = self.cleaned_data.get("na_dzien") or timezone.localdate()
        if day > timezone.localdate():
            raise forms.ValidationError(
                _("The statement cannot be dated in the future: choose today or an earlier day."),
                code="future",
            )
        return day

    @property
    def as_of(self) -> date:
        return self.cleaned_data["na_dzien"]


class YearsForm(forms.Form):
    """The years filter of a ledger's page (``?rok=2025&rok=2026``); empty means all years."""

    rok = forms.TypedMultipleChoiceField(
        label=_("Years"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, years: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rok"].choices = [(year, str(year)) for year in years]

    @property
    def years(self) -> list[int] | None:
        if not self.is_valid():
            return None
        return self.cleaned_data["rok"] or None
