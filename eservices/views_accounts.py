"""Resident account pages: registration and activation, password reset and change, own data,
e-mail change, sessions. Thin views over `registration` and `credentials`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import credentials, registration, tokens
from .forms import (
    AccountDataForm,
    ChangePasswordForm,
    EmailChangeForm,
    OrganisationRegistrationForm,
    PasswordResetRequestForm,
    PersonRegistrationForm,
    SetNewPasswordForm,
)

REGISTRATION_FORMS = {
    "osoba": PersonRegistrationForm,
    "firma": OrganisationRegistrationForm,
}


def token_error_message(error: tokens.TokenError) -> str:
    if error.reason == "expired":
        return _("This link has expired. Ask for a new one.")
    if error.reason == "used":
        return _("This link has already been used. Each link works only once.")
    return _("This link is not valid. Check that you copied the whole address from the e-mail.")


def _token_error(request: HttpRequest, error: tokens.TokenError, *, again_url: str = ""):
    return _no_referrer(
        render(
            request,
            "eservices/account/link_error.html",
            {"message": token_error_message(error), "again_url": again_url},
            status=400 if error.reason == "invalid" else 410,
        )
    )


def _no_referrer(response: HttpResponse) -> HttpResponse:
    # The token is in the address: it must not leak to anything the page links to.
    response["Referrer-Policy"] = "no-referrer"
    return response


# A link's token is moved into the session and the browser sent on to the same address with
# this in its place (as Django's own reset view does): the page with the form then carries no
# token that a Referer header or the history could leak, and its POST keeps a normal Origin.
HIDDEN_TOKEN = "-"  # noqa: S105 - a placeholder, not a secret


def _token_of(request: HttpRequest, purpose: str, token: str) -> tuple[str, HttpResponse | None]:
    """The token to use, or a redirect that hides it from the address bar first."""
    key = f"eservices:token:{purpose}"
    if token != HIDDEN_TOKEN:
        if request.method == "POST":
            return token, None
        request.session[key] = token
        hidden = request.path.replace(f"/{token}/", f"/{HIDDEN_TOKEN}/")
        return token, _no_referrer(redirect(hidden))
    return request.session.get(key, ""), None


def _forget_token(request: HttpRequest, purpose: str) -> None:
    request.session.pop(f"eservices:token:{purpose}", None)


# --- Registration -------------------------------------------------------------------------------
@require_GET
def register_choice(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("eservices:account")
    return render(request, "eservices/registration/choice.html")


@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest, kind: str) -> HttpResponse:
    form_class = REGISTRATION_FORMS.get(kind)
    if form_class is None:
        raise Http404
    if request.user.is_authenticated:
        return redirect("eservices:account")
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The same answer whether or not the address already had an account.
        registration.register(request, form.cleaned_data, form_class.kind)
        return redirect("eservices:register_done")
    return render(
        request,
        "eservices/registration/form.html",
        {"form": form, "kind": kind, "organisation": kind == "firma"},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def register_done(request: HttpRequest) -> HttpResponse:
    return render(request, "eservices/registration/done.html")


@require_GET
def data_notice(request: HttpRequest) -> HttpResponse:
    return render(request, "eservices/registration/data_notice_page.html")


@never_cache
@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (mail scanners open links), POST activates."""
    token, hide = _token_of(request, "activation", token)
    if hide is not None:
        return hide
    if request.method == "GET":
        try:
            user, _extra = tokens.ACTIVATION.check(token)
            if user.is_active:
                raise tokens.TokenError("used")
        except tokens.TokenError as error:
            return _token_error(request, error)
        return render(request, "eservices/registration/activate.html")
    try:
        registration.activate(request, token)
    except tokens.TokenError as error:
        return _token_error(request, error)
    _forget_token(request, "activation")
    messages.success(request, _("Your account is active. You can log in now."))
    return redirect("eservices:login")


# --- Password reset (not logged in) ---------------------------------------------------------------
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset(request: HttpRequest) -> HttpResponse:
    form = PasswordResetRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        credentials.request_password_reset(
            request, form.cleaned_data["email"], form.cleaned_data["identifier"]
        )
        return redirect("eservices:password_reset_sent")
    # No "no-referrer" here: Chromium then sends "Origin: null" with the form's POST, which
    # the CSRF check refuses. The site-wide "same-origin" policy keeps the page to itself.
    return render(
        request,
        "eservices/password/reset_request.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def password_reset_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "eservices/password/reset_sent.html")


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_confirm(request: HttpRequest, token: str) -> HttpResponse:
    again = "eservices:password_reset"
    token, hide = _token_of(request, "password-reset", token)
    if hide is not None:
        return hide
    try:
        user = credentials.check_reset_token(token)
    except tokens.TokenError as error:
        return _token_error(request, error, again_url=again)
    form = SetNewPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            credentials.reset_password(request, token, form.cleaned_data["password1"])
        except tokens.TokenError as error:  # used by a double click in the meantime
            return _token_error(request, error, again_url=again)
        _forget_token(request, "password-reset")
        messages.success(
            request,
            _(
                "Your password has been changed and every session of the account has ended. "
                "Log in with the new password."
            ),
        )
        return redirect("eservices:login")
    return render(
        request,
        "eservices/password/reset_confirm.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


# --- Logged in: password, data, e-mail, sessions ------------------------------------------------
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = ChangePasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        credentials.change_password(request, request.user, form.cleaned_data["password1"])
        messages.success(
            request, _("Your password has been changed. Your other sessions have ended.")
        )
        return redirect("eservices:account")
    return render(
        request,
        "eservices/password/change.html",
        {"form": form, "forced": request.user.must_change_password},
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_data(request: HttpRequest) -> HttpResponse:
    form = AccountDataForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        credentials.update_data(request, form)
        messages.success(request, _("Your data has been saved."))
        return redirect("eservices:account")
    return render(
        request,
        "eservices/account/data_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        new_email = form.cleaned_data["new_email"]
        credentials.request_email_change(request, request.user, new_email)
        messages.info(
            request,
            _("We have sent a link to %(email)s. Your address changes when you follow it.")
            % {"email": new_email},
        )
        return redirect("eservices:account")
    return render(
        request,
        "eservices/account/email_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    token, hide = _token_of(request, "email-change", token)
    if hide is not None:
        return hide
    if request.method == "GET":
        try:
            owner, extra = tokens.EMAIL_CHANGE.check(token)
            if owner.pk != request.user.pk:
                raise tokens.TokenError("invalid")
        except tokens.TokenError as error:
            return _token_error(request, error)
        return render(request, "eservices/account/email_confirm.html", {"new_email": extra["new"]})
    try:
        _old, new = credentials.confirm_email_change(request, request.user, token)
    except tokens.TokenError as error:
        return _token_error(request, error)
    except credentials.EmailTaken:
        messages.error(request, _("This address is already used by another account."))
        return redirect("eservices:account")
    _forget_token(request, "email-change")
    messages.success(request, _("Your email address is now %(email)s.") % {"email": new})
    return redirect("eservices:account")


@login_required
@require_POST
def end_other_sessions(request: HttpRequest) -> HttpResponse:
    credentials.end_other_sessions(request, request.user)
    messages.success(request, _("You have been logged out everywhere else."))
    return redirect("eservices:account")


@require_POST
def keep_alive(request: HttpRequest) -> HttpResponse:
    """ "Stay signed in": the request itself renewed the idle clock (`sessions` middleware)."""
    if not request.user.is_authenticated:
        return redirect("eservices:login")
    ends_at = getattr(request, "session_ends_at", None)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse({"ends_at": ends_at})
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    return redirect(next_url or "eservices:account")
