"""The "Płatności" admin menu: payments (filter, CSV/XLSX), statements with their lines and an
import form, the unmatched queue with the clerk's assignment, the fee table, the gateway
settings and a report per day and per receivable type.

Payments, statements and lines are records of what happened: read-only here (the clerk's only
write is assigning an unmatched line, logged with ``log_action``).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView, TemplateView
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.log_actions import log

from eservices.models import Ledger, Taxpayer
from eservices.viewsets import ReadOnlyModelViewSet, ReceivablesModelViewSet

from . import reconciliation, refunds
from .gateways import GATEWAY_CLASSES, enabled_codes
from .methods import method_name
from .models import BankStatement, FeeBand, Payment, PaymentItem, StatementLine

PAYMENTS_MENU_HOOK = "register_payments_menu_item"


# --- Payments --------------------------------------------------------------------------------
class PaymentFilterSet(WagtailFilterSet):
    created_at = django_filters.DateFromToRangeFilter(
        label=_("Started"), widget=DateRangePickerWidget
    )
    gateway = django_filters.ChoiceFilter(
        label=_("Method"), choices=lambda: [(c, method_name(c)) for c in GATEWAY_CLASSES]
    )

    class Meta:
        model = Payment
        fields = ["status", "gateway", "created_at"]


class PaymentViewSet(ReadOnlyModelViewSet):
    model = Payment
    name = "payments_admin"
    url_prefix = "payments/payments"
    icon = "form"
    menu_label = _("Payments")
    menu_order = 10
    filterset_class = PaymentFilterSet
    list_display = [
        "reference",
        "created_at",
        "taxpayer",
        "gateway",
        "amount",
        "commission",
        "status",
        "completed_at",
        "booked_at",
    ]
    list_export = [
        "reference",
        "created_at",
        "taxpayer.external_id",
        "taxpayer",
        "gateway",
        "scope",
        "amount",
        "commission",
        "status",
        "gateway_order_id",
        "operator_reference",
        "completed_at",
        "booked_at",
    ]
    export_headings = {"taxpayer.external_id": _("Taxpayer id")}
    export_filename = "platnosci"
    search_fields = ["reference", "gateway_order_id", "operator_reference", "taxpayer__last_name"]
    search_backend_name = None
    ordering = ["-created_at"]
    list_per_page = 50
    inspect_template_name = "payments/admin/payment_inspect.html"
    inspect_view_fields = [
        "reference",
        "key",
        "taxpayer",
        "user",
        "gateway",
        "scope",
        "amount",
        "commission",
        "status",
        "gateway_order_id",
        "operator_reference",
        "created_at",
        "completed_at",
        "statement_line",
        "booked_at",
    ]


# --- Statements and lines --------------------------------------------------------------------
class StatementViewSet(ReadOnlyModelViewSet):
    model = BankStatement
    name = "bank_statements"
    url_prefix = "payments/statements"
    icon = "doc-full"
    menu_label = _("Bank statements")
    menu_order = 20
    list_display = ["number", "account", "imported_at", "filename", "closing_balance"]
    ordering = ["-imported_at"]
    inspect_template_name = "payments/admin/statement_inspect.html"
    inspect_view_fields = [
        "account",
        "number",
        "filename",
        "file_hash",
        "opening_balance",
        "closing_balance",
        "imported_at",
        "imported_by",
    ]


class StatementLineFilterSet(WagtailFilterSet):
    booked_on = django_filters.DateFromToRangeFilter(
        label=_("Booking date"), widget=DateRangePickerWidget
    )

    class Meta:
        model = StatementLine
        fields = ["status", "match", "booked_on"]


class StatementLineViewSet(ReadOnlyModelViewSet):
    """All lines; filtered to "unmatched" it is the clerks' queue."""

    model = StatementLine
    name = "statement_lines"
    url_prefix = "payments/lines"
    icon = "list-ul"
    menu_label = _("Statement lines")
    menu_order = 30
    filterset_class = StatementLineFilterSet
    list_display = [
        "booked_on",
        "amount",
        "title",
        "counterparty_name",
        "status",
        "match",
        "taxpayer",
        "note",
    ]
    list_export = [
        "statement.number",
        "line_no",
        "booked_on",
        "amount",
        "title",
        "counterparty_account",
        "counterparty_name",
        "virtual_account",
        "status",
        "match",
        "note",
    ]
    export_filename = "linie-wyciagu"
    search_fields = ["title", "counterparty_name", "counterparty_account", "bank_reference"]
    search_backend_name = None
    ordering = ["-booked_on", "line_no"]
    list_per_page = 50
    inspect_template_name = "payments/admin/line_inspect.html"
    inspect_view_fields = [
        "statement",
        "line_no",
        "booked_on",
        "value_date",
        "amount",
        "currency",
        "bank_reference",
        "title",
        "counterparty_account",
        "counterparty_name",
        "virtual_account",
        "status",
        "match",
        "taxpayer",
        "ledger",
        "note",
        "booked_at",
    ]


class FeeBandViewSet(ReceivablesModelViewSet):
    model = FeeBand
    name = "fee_bands"
    url_prefix = "payments/fees"
    icon = "decimal"
    menu_label = _("Fee table")
    menu_order = 40
    list_display = ["gateway", "amount_from", "amount_to", "percent", "fixed", "minimum"]
    list_filter = ["gateway"]
    ordering = ["gateway", "amount_from"]
    form_fields = ["gateway", "amount_from", "amount_to", "percent", "fixed", "minimum"]
    list_export = form_fields
    export_filename = "tabela-prowizji"


class PaymentsViewSetGroup(ViewSetGroup):
    menu_label = _("Payments")
    menu_icon = "form"
    menu_order = 260
    submenu_hook = PAYMENTS_MENU_HOOK
    items = (PaymentViewSet, StatementViewSet, StatementLineViewSet, FeeBandViewSet)


# --- Custom admin views ----------------------------------------------------------------------
class PermissionRequiredMixin:
    permission = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class StatementUploadForm(forms.Form):
    file = forms.FileField(label=_("MT940 file"))


class StatementImportView(PermissionRequiredMixin, WagtailAdminTemplateMixin, FormView):
    permission = "payments.add_bankstatement"
    template_name = "payments/admin/import.html"
    form_class = StatementUploadForm
    page_title = _("Import a bank statement")
    header_icon = "upload"

    def form_valid(self, form):
        upload = form.cleaned_data["file"]
        try:
            result = reconciliation.import_statement(
                upload.read(), filename=upload.name, user=self.request.user
            )
        except reconciliation.StatementImportError as error:
            form.add_error(
                "file",
                _("Line %(line)s: %(reason)s. Nothing was imported.")
                % {"line": error.line_no, "reason": error.reason},
            )
            return self.form_invalid(form)
        if result.created:
            log(result.statement, "payments.statement_imported", user=self.request.user)
            messages.success(
                self.request,
                _(
                    "Statement imported: %(lines)s lines, %(matched)s matched and booked, "
                    "%(unmatched)s waiting in the queue."
                )
                % {"lines": result.lines, "matched": result.matched, "unmatched": result.unmatched},
            )
        else:
            messages.warning(
                self.request, _("This statement was already imported: nothing changed.")
            )
        return redirect("bank_statements:inspect", result.statement.pk)


class AssignLineForm(forms.Form):
    """The clerk's pick among the suggested taxpayers: ``<taxpayer id>:<ledger id or empty>``."""

    choice = forms.RegexField(
        regex=r"^\d+:\d*$",
        label=_("Book for"),
        error_messages={"required": _("Choose a taxpayer (and a ledger) from the list.")},
    )

    def clean(self):
        data = super().clean()
        taxpayer_id, _sep, ledger_id = data.get("choice", ":").partition(":")
        data["taxpayer"] = Taxpayer.objects.filter(pk=taxpayer_id or 0).first()
        data["ledger"] = Ledger.objects.filter(pk=ledger_id).first() if ledger_id else None
        if data["taxpayer"] is None or (ledger_id and data["ledger"] is None):
            raise forms.ValidationError(_("That taxpayer or ledger no longer exists."))
        return data


class AssignLineView(PermissionRequiredMixin, WagtailAdminTemplateMixin, FormView):
    """A clerk books an unmatched line for a taxpayer (and ledger); logged with log_action.

    The page suggests taxpayers (a ledger number in the title, earlier payments from the same
    account) and searches by name, PESEL, NIP, REGON or external id — no ids to type.
    """

    permission = "payments.change_statementline"
    template_name = "payments/admin/assign.html"
    form_class = AssignLineForm
    page_title = _("Assign a statement line")
    header_icon = "user"

    def dispatch(self, request, *args, **kwargs):
        self.line = get_object_or_404(StatementLine, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        query = self.request.GET.get("q", self.line.counterparty_name).strip()
        return {
            **super().get_context_data(**kwargs),
            "line": self.line,
            "query": query,
            "candidates": reconciliation.candidates(self.line, query),
        }

    def form_valid(self, form):
        taxpayer, ledger = form.cleaned_data["taxpayer"], form.cleaned_data["ledger"]
        try:
            reconciliation.assign_line(self.line, taxpayer, ledger)
        except ValueError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        log(
            self.line,
            "payments.line_assigned",
            user=self.request.user,
            data={"taxpayer": taxpayer.pk},
        )
        messages.success(self.request, _("The line was booked."))
        return redirect("statement_lines:inspect", self.line.pk)


class RefundForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the refund"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the payment's history and sent to the accounting system."),
    )


class RefundPaymentView(PermissionRequiredMixin, WagtailAdminTemplateMixin, FormView):
    """An administrator asks the operator to return a completed online payment (refunds.py)."""

    permission = "payments.change_payment"
    template_name = "payments/admin/refund.html"
    form_class = RefundForm
    page_title = _("Refund a payment")
    header_icon = "undo"

    def dispatch(self, request, *args, **kwargs):
        self.payment = get_object_or_404(Payment, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "payment": self.payment,
            "can_refund": refunds.can_refund(self.payment),
        }

    def form_valid(self, form):
        try:
            payment = refunds.refund_payment(
                self.payment.pk, user=self.request.user, reason=form.cleaned_data["reason"]
            )
        except refunds.RefundRefused as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        log(payment, "payments.refund_requested", user=self.request.user)
        if payment.status == Payment.Status.REFUNDED:
            messages.success(self.request, _("The payment was refunded."))
        else:
            messages.success(
                self.request,
                _("The operator took the refund; the payment shows as refunded when it confirms."),
            )
        return redirect("payments_admin:inspect", payment.pk)


class GatewaySettingsView(PermissionRequiredMixin, WagtailAdminTemplateMixin, TemplateView):
    permission = "payments.view_feeband"
    template_name = "payments/admin/gateways.html"
    page_title = _("Payment gateways")
    header_icon = "cogs"

    def get_context_data(self, **kwargs):
        enabled = enabled_codes()
        rows = []
        for code in GATEWAY_CLASSES:
            rows.append(
                {
                    "code": code,
                    "name": method_name(code),
                    "enabled": code in enabled,
                    "bands": FeeBand.objects.filter(gateway=code).count(),
                }
            )
        return {**super().get_context_data(**kwargs), "rows": rows}


class PaymentsReportView(PermissionRequiredMixin, WagtailAdminTemplateMixin, TemplateView):
    """Completed payments per day and per receivable type (from the payment items)."""

    permission = "payments.view_payment"
    template_name = "payments/admin/report.html"
    page_title = _("Payments report")
    header_icon = "table"

    def get_context_data(self, **kwargs):
        done = Payment.objects.filter(status=Payment.Status.COMPLETED)
        per_day = (
            done.annotate(day=TruncDate("completed_at"))
            .values("day", "gateway")
            .annotate(count=Count("pk"), amount=Sum("amount"), commission=Sum("commission"))
            .order_by("-day", "gateway")[:200]
        )
        per_type = (
            PaymentItem.objects.filter(payment__status=Payment.Status.COMPLETED)
            .values("ledger__receivable_type__name")
            .annotate(
                payments=Count("payment", distinct=True),
                principal=Sum("principal"),
                interest=Sum("interest"),
                reminder_costs=Sum("reminder_costs"),
            )
            .order_by("ledger__receivable_type__name")
        )
        return {
            **super().get_context_data(**kwargs),
            "per_day": [{**row, "method": method_name(row["gateway"])} for row in per_day],
            "per_type": list(per_type),
            "awaiting": done.filter(booked_at__isnull=True).aggregate(
                count=Count("pk"), amount=Sum("amount")
            ),
        }


def admin_urls():
    return [
        path("payments/import/", StatementImportView.as_view(), name="payments_import"),
        path("payments/lines/<int:pk>/assign/", AssignLineView.as_view(), name="payments_assign"),
        path("payments/<int:pk>/refund/", RefundPaymentView.as_view(), name="payments_refund"),
        path("payments/gateways/", GatewaySettingsView.as_view(), name="payments_gateways"),
        path("payments/report/", PaymentsReportView.as_view(), name="payments_report"),
    ]


def assign_url(line: StatementLine) -> str:
    return reverse("payments_assign", args=[line.pk])
