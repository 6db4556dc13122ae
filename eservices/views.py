"""Resident pages: log in and out, "Moje należności", a ledger's detail, the PDF statement.

Who may see what is decided by `eservices.access` and nothing else: a taxpayer or ledger the
user may not act for answers 404. Figures come from `eservices.dues`, so every page (and the
checkout later) shows the same amounts. Views stay thin: they pick the records through the
access policy, ask `dues` for the figures and hand both to a template.

The taxpayer being acted for is part of every URL below the dashboard; the session only
remembers the last one chosen, for the entry point ``eservices:dues``, and that value is
checked against the access policy again on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.decorators import method_decorator
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from eservices.pdf import pdf_response
from home.models import MunicipalitySettings

from . import access
from .account_panels import account_panels
from .dues import Dues, Status, dues
from .forms import LoginForm, StatementForm, YearsForm
from .models import AccountLink, Installment, Taxpayer
from .money import ZERO
from .statement import render_statement
from .templatetags.eservices_tags import format_money, short_date, status_label

ACTING_SESSION_KEY = "eservices:acting_taxpayer"


# --- Log in and out -------------------------------------------------------------------------
class LoginView(auth_views.LoginView):
    """Django's login (new session key on login, safe ``next``) with our own template.

    A thin base: the identity work adds lockouts, Profil Zaufany and password reset on top.
    """

    template_name = "eservices/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


@method_decorator(never_cache, name="dispatch")
class LogoutView(auth_views.LogoutView):
    """Logout by POST only (Django's default); the next page says that it happened."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        was_authenticated = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_authenticated:
            messages.success(request, _("You have been logged out."))
        return response


# --- Whom the user acts for -----------------------------------------------------------------
@dataclass(frozen=True)
class Acting:
    """The taxpayer a page is about, and how the user comes to act for them."""

    taxpayer: Taxpayer
    is_own: bool
    choices: list[Taxpayer]

    @property
    def as_proxy(self) -> bool:
        return not self.is_own

    @property
    def can_switch(self) -> bool:
        return len(self.choices) > 1


def taxpayer_choices(user) -> list[Taxpayer]:
    """Taxpayers the user may view the dues of (the access policy), own records first.

    ``is_own`` only labels the choice ("jako pełnomocnik"); it grants nothing.
    """
    own = AccountLink.objects.active().filter(user=user, taxpayer=OuterRef("pk"))
    return list(
        access.taxpayers_for(user)
        .annotate(is_own=Exists(own))
        .order_by("-is_own", "last_name", "first_name", "organisation_name", "pk")
    )


def acting_for(request: HttpRequest, taxpayer_pk: int) -> Acting:
    """The taxpayer of the URL (404 unless the user may act for it), remembered as the choice."""
    choices = taxpayer_choices(request.user)
    # The choices are `access.taxpayers_for` the user, so finding the URL's taxpayer among them
    # is `access.get_taxpayer` without asking the database a second time.
    try:
        pk = int(taxpayer_pk)
    except (TypeError, ValueError):
        raise Http404("No such taxpayer.") from None
    taxpayer = next((choice for choice in choices if choice.pk == pk), None)
    if taxpayer is None:
        raise Http404("No such taxpayer.")
    is_own = taxpayer.is_own
    if request.session.get(ACTING_SESSION_KEY) != taxpayer.pk:
        request.session[ACTING_SESSION_KEY] = taxpayer.pk
    return Acting(taxpayer=taxpayer, is_own=is_own, choices=choices)


def _chooser(request: HttpRequest, choices: list[Taxpayer], *, error: str = "", status=200):
    current = request.session.get(ACTING_SESSION_KEY)
    return render(
        request,
        "eservices/dues/chooser.html",
        {"choices": choices, "current": current, "error": error},
        status=status,
    )


def overdue_rows(taxpayer: Taxpayer, result: Dues, today: date) -> list[dict[str, SafeString]]:
    """The lines of the dashboard's overdue table, their cells already written out.

    The table has a line per overdue instalment, hundreds for some payers, and a URL tag and
    five filters per line made it most of the page's render time. So the cells are written
    here, with the very functions behind the template's filters (``money``, ``short_date``,
    ``status_label``) and Django's own number formatting, and escaped as the template would
    escape them: most values repeat (one URL per ledger, a few amounts, due dates and
    statuses), so each is formatted and escaped once. The template only prints them, from
    plain dicts because it looks keys up faster than attributes.
    """
    language = translation.get_language()
    labels = {status: conditional_escape(status_label(status)) for status in Status}
    cells: dict[tuple[str, object], SafeString] = {}

    def cell(kind: str, value: object) -> SafeString:
        if (kind, value) not in cells:
            if kind == "money":
                text = format_money(value, language=language)
            elif kind == "date":
                text = short_date(value)
            elif kind == "number":
                text = str(formats.localize(value))  # as the template prints an int
            else:
                text = str(value)
            cells[kind, value] = conditional_escape(text)
        return cells[kind, value]

    rows = []
    for ledger_dues in result.ledgers:
        ledger = ledger_dues.ledger
        url = conditional_escape(
            reverse("eservices:ledger", kwargs={"taxpayer_pk": taxpayer.pk, "ledger_pk": ledger.pk})
        )
        name = conditional_escape(ledger.receivable_type.name)
        for item in ledger_dues.overdue:
            installment = item.installment
            due = installment.due_date
            number = f"{cell('number', installment.number)}/{cell('number', installment.year)}"
            rows.append(
                {
                    "ledger_url": url,
                    "receivable": name,
                    "instalment": mark_safe(number),  # noqa: S308 - two escaped numbers
                    "due_iso": cell("text", due.isoformat()),
                    "due_text": cell("date", due),
                    "days": cell("number", (today - due).days),
                    "outstanding": cell("money", item.outstanding),
                    "interest": cell("money", item.interest),
                    "to_pay": cell("money", item.to_pay),
                    "status": cell("text", item.status.value),
                    "status_label": labels[item.status],
                }
            )
    return rows


# --- Moje należności --------------------------------------------------------------------------
@never_cache
@login_required
@require_GET
def dues_home(request: HttpRequest) -> HttpResponse:
    """The entry point: the one taxpayer, the remembered choice, or the chooser."""
    choices = taxpayer_choices(request.user)
    if not choices:
        request.session.pop(ACTING_SESSION_KEY, None)
        return render(request, "eservices/dues/no_taxpayer.html")
    if len(choices) == 1:
        return redirect("eservices:taxpayer_dues", taxpayer_pk=choices[0].pk)
    remembered = request.session.get(ACTING_SESSION_KEY)
    if any(choice.pk == remembered for choice in choices):
        return redirect("eservices:taxpayer_dues", taxpayer_pk=remembered)
    # Nothing chosen yet, or a choice the user may no longer make (a revoked mandate).
    request.session.pop(ACTING_SESSION_KEY, None)
    return _chooser(request, choices)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def choose_taxpayer(request: HttpRequest) -> HttpResponse:
    """Whose dues to show: the taxpayers the user may act for, own and as a proxy."""
    choices = taxpayer_choices(request.user)
    if request.method == "POST":
        value = request.POST.get("taxpayer", "").strip()
        if value:
            taxpayer = access.get_taxpayer(request.user, value)  # 404 for anyone else's id
            request.session[ACTING_SESSION_KEY] = taxpayer.pk
            return redirect("eservices:taxpayer_dues", taxpayer_pk=taxpayer.pk)
        return _chooser(request, choices, error=_("Choose whose dues you want to see."), status=400)
    if not choices:
        return render(request, "eservices/dues/no_taxpayer.html")
    return _chooser(request, choices)


@never_cache
@login_required
@require_GET
def taxpayer_dues(request: HttpRequest, taxpayer_pk: int) -> HttpResponse:
    """The dashboard: per ledger what is overdue (with interest to today), next due, paid."""
    acting = acting_for(request, taxpayer_pk)
    today = timezone.localdate()
    result = dues(access.ledgers_for(request.user, acting.taxpayer), today)
    overdue = overdue_rows(acting.taxpayer, result, today)
    return render(
        request,
        "eservices/dues/dashboard.html",
        {
            "acting": acting,
            "taxpayer": acting.taxpayer,
            "dues": result,
            "overdue": overdue,
            "not_yet_due": result.outstanding - result.arrears,
            "paid": sum((ledger.paid for ledger in result.ledgers), ZERO),
            "today": today,
            "statement_form": StatementForm(initial={"na_dzien": today}),
        },
    )


@never_cache
@login_required
@require_GET
def ledger_detail(request: HttpRequest, taxpayer_pk: int, ledger_pk: int) -> HttpResponse:
    """One ledger: co-obligated persons, taxed objects, instalments and the operations."""
    acting = acting_for(request, taxpayer_pk)
    ledger = access.get_ledger(request.user, acting.taxpayer, ledger_pk)
    today = timezone.localdate()
    years = list(
        Installment.objects.filter(ledger=ledger)
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )
    years_form = YearsForm(request.GET or None, years=years)
    selected = years_form.years if request.GET else None
    ledger_dues = dues([ledger], today, years=selected).ledgers[0]
    items = ledger_dues.installments
    entries = ledger.entries.select_related("installment").order_by("booked_on", "pk")
    taxed_objects = ledger.taxed_objects.all()
    if selected:
        entries = entries.filter(
            Q(installment__year__in=selected)
            | Q(installment__isnull=True, booked_on__year__in=selected)
        )
        taxed_objects = taxed_objects.filter(year__in=selected)
    parties = ledger.parties.select_related("taxpayer").order_by(
        "taxpayer__last_name", "taxpayer__first_name", "taxpayer__organisation_name"
    )
    return render(
        request,
        "eservices/dues/ledger.html",
        {
            "acting": acting,
            "taxpayer": acting.taxpayer,
            "ledger": ledger,
            "ledger_dues": ledger_dues,
            "totals": {
                "assessed": sum((i.installment.assessed_amount for i in items), ZERO),
                "charged": sum((i.charged for i in items), ZERO),
                "paid": sum((i.paid for i in items), ZERO),
                "outstanding": sum((i.outstanding for i in items), ZERO),
                "interest": sum((i.interest for i in items), ZERO),
            },
            "parties": list(parties),
            "taxed_objects": list(taxed_objects),
            "entries": list(entries),
            "years_form": years_form,
            "selected_years": selected,
            "today": today,
        },
    )


@never_cache
@login_required
@require_GET
def statement(request: HttpRequest, taxpayer_pk: int) -> HttpResponse:
    """The balance as of a day (``?na_dzien=YYYY-MM-DD``, today by default) as a PDF."""
    acting = acting_for(request, taxpayer_pk)
    form = StatementForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "eservices/dues/statement_form.html",
            {"acting": acting, "taxpayer": acting.taxpayer, "form": form},
            status=400,
        )
    as_of = form.as_of
    pdf = render_statement(
        taxpayer=acting.taxpayer,
        dues=dues(access.ledgers_for(request.user, acting.taxpayer), as_of),
        municipality=MunicipalitySettings.for_request(request),
        generated_at=timezone.now(),
        generated_for=request.user,
        as_proxy=acting.as_proxy,
    )
    return pdf_response(pdf, f"zestawienie-{as_of.isoformat()}.pdf")


# --- "Moje konto" ---------------------------------------------------------------------------
@never_cache
@login_required
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    """The resident's account page: one section per app (`eservices.account_panels`)."""
    return render(request, "eservices/account/home.html", {"panels": account_panels(request)})
