"""Forms of the resident pages.

Every form here ties its error messages to the field they belong to (``aria-describedby``,
``aria-invalid``), so that a screen reader announces the message when the field gets focus.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.pl import nip as stdnum_nip
from stdnum.pl import pesel as stdnum_pesel
from stdnum.pl import regon as stdnum_regon

from .models import User


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


# --- Accounts: registration, passwords, own data ------------------------------------------------
def _identifier_cleaner(module, message, code: str) -> Callable[[str], str]:
    """A cleaner for a Polish identifier: compacted by python-stdnum, and refused with
    ``message`` when its check digit does not match (an empty value passes)."""

    def clean(value: str) -> str:
        value = module.compact(value or "")
        if value and not module.is_valid(value):
            raise forms.ValidationError(message, code=code)
        return value

    return clean


clean_pesel = _identifier_cleaner(
    stdnum_pesel,
    _("This is not a valid PESEL (11 digits with a matching check digit)."),
    "invalid_pesel",
)
clean_nip = _identifier_cleaner(
    stdnum_nip, _("This is not a valid NIP (10 digits with a matching check digit)."), "invalid_nip"
)
clean_regon = _identifier_cleaner(
    stdnum_regon,
    _("This is not a valid REGON (9 or 14 digits with a matching check digit)."),
    "invalid_regon",
)


def _email_field(label=None, autocomplete: str = "email") -> forms.EmailField:
    return forms.EmailField(
        label=label or _("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": autocomplete}),
    )


def _new_password_field(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def _current_password_field() -> forms.CharField:
    return forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("We ask for it to make sure it is you."),
    )


class NewPasswordMixin:
    """Two password fields checked against each other and the password rules (ASVS 6.2)."""

    password_user = None  # the (possibly unsaved) user the password is for

    def clean_password2(self) -> str:
        first = self.cleaned_data.get("password1")
        second = self.cleaned_data.get("password2")
        if first and second and first != second:
            raise forms.ValidationError(_("The two passwords differ."), code="password_mismatch")
        return second

    def _post_clean(self) -> None:
        super()._post_clean()
        password = self.cleaned_data.get("password2")
        if password and "password2" not in self.errors:
            try:
                password_validation.validate_password(password, self.password_user)
            except forms.ValidationError as error:
                self.add_error("password1", error)


class RegistrationForm(NewPasswordMixin, DescribedErrorsMixin, forms.Form):
    """Self-registration; the person and organisation variants add their identifiers."""

    kind = User.AccountKind.PERSON

    email = _email_field()
    password1 = _new_password_field(_("Password"))
    password2 = _new_password_field(_("Repeat the password"))
    phone = forms.CharField(
        label=_("Phone number (optional)"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    accept_notice = forms.BooleanField(
        label=_("I have read the information on the processing of my personal data"),
        error_messages={"required": _("Confirm that you have read the information.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields[
            "password1"
        ].help_text = password_validation.password_validators_help_text_html()
        # Keep the account fields last: identifiers first, as on the paper form.
        order = [
            n
            for n in self.fields
            if n not in {"email", "password1", "password2", "phone", "accept_notice"}
        ]
        self.order_fields([*order, "email", "phone", "password1", "password2", "accept_notice"])

    def _post_clean(self) -> None:
        data = self.cleaned_data
        self.password_user = User(
            email=data.get("email", ""),
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
        )
        super()._post_clean()


class PersonRegistrationForm(RegistrationForm):
    kind = User.AccountKind.PERSON

    first_name = forms.CharField(
        label=_("First name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    pesel = forms.CharField(
        label=_("PESEL"),
        max_length=13,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("11 digits. We ask for it when you reset your password."),
    )

    def clean_pesel(self) -> str:
        return clean_pesel(self.cleaned_data.get("pesel", ""))


class OrganisationRegistrationForm(RegistrationForm):
    kind = User.AccountKind.ORGANISATION

    organisation_name = forms.CharField(
        label=_("Name of the company or institution"),
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    nip = forms.CharField(
        label=_("NIP"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("10 digits, dashes allowed. We ask for it when you reset your password."),
    )
    regon = forms.CharField(
        label=_("REGON (optional)"),
        max_length=17,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    first_name = forms.CharField(
        label=_("First name of the person using the account"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name of the person using the account"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )

    def clean_nip(self) -> str:
        return clean_nip(self.cleaned_data.get("nip", ""))

    def clean_regon(self) -> str:
        return clean_regon(self.cleaned_data.get("regon", ""))


class PasswordResetRequestForm(DescribedErrorsMixin, forms.Form):
    """The login and an identifier given at registration (seed 004)."""

    email = _email_field(autocomplete="username")
    identifier = forms.CharField(
        label=_("PESEL, NIP or REGON"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("The one you gave when the account was created."),
    )

    def clean_identifier(self) -> str:
        return "".join(ch for ch in self.cleaned_data["identifier"] if ch.isalnum()).upper()


class SetNewPasswordForm(NewPasswordMixin, DescribedErrorsMixin, forms.Form):
    password1 = _new_password_field(_("New password"))
    password2 = _new_password_field(_("Repeat the new password"))

    def __init__(self, user, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.password_user = user
        self.fields[
            "password1"
        ].help_text = password_validation.password_validators_help_text_html()


class CurrentPasswordMixin:
    """Editing one's own data asks for the current password first (seed 004, ASVS 7.5.1)."""

    def clean_current_password(self) -> str:
        value = self.cleaned_data["current_password"]
        if not self.account.check_password(value):
            raise forms.ValidationError(
                _("This is not your current password."), code="password_incorrect"
            )
        return value


class ChangePasswordForm(CurrentPasswordMixin, SetNewPasswordForm):
    current_password = _current_password_field()

    field_order = ["current_password", "password1", "password2"]

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.account = user

    def clean_password2(self) -> str:
        second = super().clean_password2()
        if second and self.cleaned_data.get("current_password") == second:
            raise forms.ValidationError(
                _("The new password must differ from the current one."), code="same_password"
            )
        return second


class AccountDataForm(CurrentPasswordMixin, DescribedErrorsMixin, forms.ModelForm):
    current_password = _current_password_field()

    class Meta:
        model = User
        fields = ["first_name", "last_name", "organisation_name", "phone", "preferred_language"]
        labels = {
            "first_name": _("First name"),
            "last_name": _("Last name"),
            "organisation_name": _("Name of the company or institution"),
            "phone": _("Phone number"),
            "preferred_language": _("Language of messages"),
        }
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "organisation_name": forms.TextInput(attrs={"autocomplete": "organization"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The password is checked against the saved row, not the instance the form edits.
        self.account = User.objects.get(pk=self.instance.pk)
        if self.instance.kind != User.AccountKind.ORGANISATION:
            del self.fields["organisation_name"]
        else:
            self.fields["organisation_name"].required = True
        self.fields["last_name"].required = self.instance.kind == User.AccountKind.PERSON


class EmailChangeForm(CurrentPasswordMixin, DescribedErrorsMixin, forms.Form):
    new_email = _email_field(_("New email address"))
    current_password = _current_password_field()

    def __init__(self, account, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.account = account

    def clean_new_email(self) -> str:
        value = self.cleaned_data["new_email"].strip().lower()
        if value == self.account.email.lower():
            raise forms.ValidationError(_("This is already your email address."), code="same_email")
        return value


class LinkRequestForm(DescribedErrorsMixin, forms.Form):
    """A request to link the account to the payer's records (person or company variant)."""

    kind = forms.ChoiceField(
        label=_("The records are those of"),
        choices=[
            ("person", _("myself, a natural person")),
            ("organisation", _("a company or institution I represent")),
        ],
        widget=forms.RadioSelect,
    )
    name = forms.CharField(
        label=_("Payer's name"),
        max_length=255,
        help_text=_("Your full name, or the name of the company or institution."),
    )
    identifier = forms.CharField(
        label=_("PESEL (person) or NIP (company or institution)"), max_length=16
    )
    reference = forms.CharField(
        label=_("Ledger number or payer id (optional)"),
        max_length=64,
        required=False,
        help_text=_("As printed on a tax decision or payment notice, if you have one."),
    )

    def clean(self) -> dict:
        data = super().clean()
        kind, value = data.get("kind"), data.get("identifier", "")
        if kind and value:
            try:
                data["identifier"] = clean_pesel(value) if kind == "person" else clean_nip(value)
            except forms.ValidationError as error:
                self.add_error("identifier", error)
        return data
