"""The Wagtail admin login with a second factor (``WAGTAILADMIN_USER_LOGIN_FORM``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.models import Device
from wagtail.admin.forms.auth import LoginForm

from .devices import device_for_token, has_confirmed_device, normalise_token


def _token_field() -> forms.CharField:
    return forms.CharField(
        label=_("Verification code"),
        help_text=_("6 digits from the authenticator app, or one of the backup codes."),
        required=False,
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "text",
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )


class TokenDeviceMixin(OTPAuthenticationFormMixin):
    """Chooses the device from the code's shape unless the form names one."""

    otp_error_messages = {
        **OTPAuthenticationFormMixin.otp_error_messages,
        "token_required": _("Enter the code from the authenticator app or a backup code."),
        "invalid_token": _("The code is wrong or has already been used."),
        "device_required": _("The code is wrong or has already been used."),
    }

    def _update_form(self, user):
        # django-otp re-renders the password after a wrong code; we don't echo passwords back.
        pass

    def clean_otp_token(self) -> str:
        return normalise_token(self.cleaned_data.get("otp_token", ""))

    def _chosen_device(self, user):
        device_id = self.cleaned_data.get("otp_device")
        if device_id:
            device = Device.from_persistent_id(device_id, for_verify=True)
            return device if device is not None and device.user_id == user.pk else None
        device = device_for_token(user, self.cleaned_data.get("otp_token", ""))
        if device is not None:
            # Lock the row so that throttling and last_t hold under concurrent requests.
            device = type(device).objects.select_for_update().get(pk=device.pk)
        return device


class StaffLoginForm(TokenDeviceMixin, LoginForm):
    """Wagtail's LoginForm plus django-otp's fields; ``LoginForm.extra_fields`` renders them.

    A user with a confirmed device must give a valid code to log in. A staff user without one
    (just created) logs in with the password only and is sent straight to enrolment by
    ``RequireVerifiedStaffMiddleware``; no admin page opens before that.
    """

    # No otp_device / otp_challenge fields: the device follows from the code (TokenDeviceMixin)
    # and neither TOTP nor backup codes have challenges.

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["otp_token"] = _token_field()

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is not None and has_confirmed_device(user):
            self.clean_otp(user)
        return cleaned


class TokenForm(TokenDeviceMixin, forms.Form):
    """A code on its own: verification of a logged-in session, confirmation of enrolment."""

    def __init__(self, user, *args, device=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = device
        self.fields["otp_token"] = _token_field()
        self.fields["otp_token"].required = True

    def _chosen_device(self, user):
        if self.device is not None:
            return type(self.device).objects.select_for_update().get(pk=self.device.pk)
        return super()._chosen_device(user)

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.clean_otp(self.user)
        return cleaned
