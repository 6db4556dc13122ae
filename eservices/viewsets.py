"""Wagtail admin for receivables: taxpayers, groups, ledgers, entries, types and rate tables.

Registered in ``wagtail_hooks.py`` as one menu, "Receivables" (Należności). What comes from the
office's domain system — taxpayers, ledgers and their entries — is read-only here: those
viewsets have no add, edit, copy or delete URLs, and their permission policy grants nothing but
"view", even to superusers. The ledger is append-only (``LedgerEntry.save`` refuses edits); the
admin offers no way round that. Receivable types and the rate tables are edited by
administrators; Wagtail's create and edit views log every change (``wagtail.create``,
``wagtail.edit``), so the history of a rate shows who changed it and when.
"""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.contrib.admin.utils import quote
from django.contrib.auth import get_permission_codename, get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from stdnum.pl import pesel as stdnum_pesel
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.forms.models import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry

from . import crypto
from .ledger import annotate_installments, ledger_totals
from .models import (
    ImportBatch,
    InterestRate,
    Ledger,
    LedgerEntry,
    NoInterestThreshold,
    ReceivableType,
    ReminderCostRate,
    Taxpayer,
    TaxpayerGroup,
)

#: Submenu hook of the "Receivables" menu: other admin views (the defined queries) add their
#: menu items through it.
RECEIVABLES_MENU_HOOK = "register_receivables_menu_item"


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Only "view" exists for these models; add, change and delete are refused to everyone."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return "view" in actions and self.user_has_permission(user, "view")

    def users_with_any_permission(self, actions):
        if "view" not in actions:
            return get_user_model().objects.none()
        return super().users_with_any_permission(["view"])


class ReceivablesModelViewSet(ModelViewSet):
    """Defaults for this menu: an inspect view, no copy view, and no reference index.

    Wagtail's reference index tracks where snippets and pages are used; these models are not
    referenced from content, and indexing them would add a task to every imported row.
    """

    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False


class ReadOnlyModelViewSet(ReceivablesModelViewSet):
    """A listing and an inspect view, nothing else: no URL exists that could change a row."""

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            **{
                "add_url_name": None,
                "edit_url_name": None,
                "delete_url_name": None,
                "history_url_name": None,
                "usage_url_name": None,
                **kwargs,
            }
        )

    def get_urlpatterns(self):
        conv = self.pk_path_converter
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path(f"inspect/<{conv}:pk>/", self.inspect_view, name="inspect"),
        ]

    def get_permissions_to_register(self):
        # Offer only "view" in the group editor: the other permissions would mean nothing.
        return (
            super()
            .get_permissions_to_register()
            .filter(codename=get_permission_codename("view", self.model_opts))
        )

    @property
    def url_finder_class(self):
        inspect_url_name = self.get_url_name("inspect")

        class InspectURLFinder(ModelAdminURLFinder):
            """Links to a read-only object (e.g. from the history) go to its inspect view."""

            def get_edit_url(self, instance):
                policy = policy_registry.get(instance)
                if self.user and not policy.user_has_permission(self.user, "view"):
                    return None
                return reverse(inspect_url_name, args=(quote(instance.pk),))

        return InspectURLFinder


# --- Taxpayers -----------------------------------------------------------------------------

_NON_DIGITS = re.compile(r"\D")


def search_taxpayers(queryset, text: str):
    """Taxpayers matching ``text``: every word must match a name, NIP, REGON or external id.

    An 11-digit query is a PESEL: it is looked up exactly through the blind index (the PESEL is
    encrypted, so it can never be searched by a fragment).
    """
    compact = re.sub(r"[\s-]", "", text)
    if len(compact) == 11 and compact.isdigit():
        return queryset.with_pesel(compact)
    condition = Q()
    for word in text.split():
        matches = (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(organisation_name__icontains=word)
            | Q(external_id__iexact=word)
        )
        digits = _NON_DIGITS.sub("", word)
        if len(digits) >= 3:
            matches |= Q(nip__startswith=digits) | Q(regon__startswith=digits)
        condition &= matches
    return queryset.filter(condition)


class TaxpayerIndexView(generic.IndexView):
    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        return search_taxpayers(queryset, self.search_query)

    @cached_property
    def columns(self):
        title = self._get_title_column_class(TitleColumn)
        return [
            title(
                "name",
                label=_("Name"),
                get_url=self.get_inspect_url,
                sort_key="last_name",
            ),
            Column("kind", label=_("Kind"), accessor="get_kind_display", sort_key="kind"),
            Column("masked_pesel", label=_("PESEL")),
            Column("nip", label=_("NIP"), sort_key="nip"),
            Column("regon", label=_("REGON")),
            Column("city", label=_("City"), sort_key="city"),
            Column("external_id", label=_("Id in the domain system"), sort_key="external_id"),
        ]


class TaxpayerInspectView(generic.InspectView):
    template_name = "eservices/admin/taxpayer_inspect.html"

    def get_field_label(self, field_name, field):
        if field_name == "masked_pesel":
            return _("PESEL")
        return super().get_field_label(field_name, field)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        taxpayer = self.object
        context["ledgers"] = taxpayer.ledgers.select_related("receivable_type").order_by(
            "receivable_type__name", "number"
        )
        context["co_obligated"] = taxpayer.co_obligated_ledgers.select_related(
            "receivable_type", "taxpayer"
        )
        context["groups"] = taxpayer.groups.order_by("name")
        return context


class TaxpayerViewSet(ReadOnlyModelViewSet):
    model = Taxpayer
    name = "taxpayers"
    url_prefix = "receivables/taxpayers"
    icon = "user"
    menu_order = 10
    index_view_class = TaxpayerIndexView
    inspect_view_class = TaxpayerInspectView
    # The model is not in Wagtail's search index: searching goes through search_taxpayers.
    search_fields = ["last_name", "first_name", "organisation_name", "nip", "regon"]
    search_backend_name = None
    list_filter = ["kind", "groups"]
    ordering = ["last_name", "first_name", "organisation_name"]
    list_per_page = 50
    # The PESEL is never exported.
    list_export = [
        "external_id",
        "name",
        "kind",
        "nip",
        "regon",
        "street",
        "postal_code",
        "city",
        "email",
        "phone",
    ]
    export_headings = {"name": _("Name"), "kind": _("Kind")}
    export_filename = "podatnicy"
    inspect_view_fields = [
        "kind",
        "first_name",
        "last_name",
        "organisation_name",
        "masked_pesel",
        "nip",
        "regon",
        "street",
        "postal_code",
        "city",
        "email",
        "phone",
        "external_id",
        "source_system",
        "created_at",
        "updated_at",
    ]


# --- Taxpayer groups -----------------------------------------------------------------------


def find_taxpayers(lines: list[str]) -> tuple[dict[int, set[int]], dict[int, str]]:
    """Resolve identifiers (PESEL, NIP, REGON or the id in the domain system), one per line.

    Returns the taxpayer ids each line matched and the errors by line number. Four queries at
    most, however many lines.
    """
    wanted: dict[str, dict[str, list[int]]] = {
        "pesel_index": {},
        "nip": {},
        "regon": {},
        "external_id": {},
    }
    for number, line in enumerate(lines, start=1):
        value = line.strip()
        if not value:
            continue
        digits = re.sub(r"[\s-]", "", value.upper().removeprefix("PL"))
        if len(digits) == 11 and digits.isdigit() and stdnum_pesel.is_valid(digits):
            key, lookup = "pesel_index", crypto.blind_index(digits)
        elif len(digits) == 10 and digits.isdigit():
            key, lookup = "nip", digits
        elif len(digits) in (9, 14) and digits.isdigit():
            key, lookup = "regon", digits
        else:
            key, lookup = "external_id", value
        wanted[key].setdefault(lookup, []).append(number)
    found: dict[int, set[int]] = {}
    for field, values in wanted.items():
        if not values:
            continue
        rows = Taxpayer.objects.filter(**{f"{field}__in": list(values)}).values_list("pk", field)
        for pk, value in rows:
            for number in values[value]:
                found.setdefault(number, set()).add(pk)
    errors = {}
    for numbers in (n for values in wanted.values() for n in values.values()):
        for number in numbers:
            matches = found.get(number, set())
            if not matches:
                errors[number] = _("line %(number)d: no taxpayer %(value)s") % {
                    "number": number,
                    "value": lines[number - 1].strip(),
                }
            elif len(matches) > 1:
                errors[number] = _(
                    "line %(number)d: %(value)s matches %(count)d taxpayers; "
                    "use the id in the domain system"
                ) % {"number": number, "value": lines[number - 1].strip(), "count": len(matches)}
    return found, errors


class TaxpayerGroupForm(WagtailAdminModelForm):
    """Name, description, and members added or removed by identifier.

    Groups can hold thousands of taxpayers (campaign audiences), so members are not a
    multi-select of the whole base: a clerk pastes identifiers, one per line.
    """

    add_members = forms.CharField(
        label=_("Add members"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line: PESEL, NIP, REGON or the id in the domain system."),
    )
    remove_members = forms.CharField(
        label=_("Remove members"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line, as above."),
    )

    class Meta:
        model = TaxpayerGroup
        fields = ["name", "description"]

    def _resolve(self, field: str) -> set[int]:
        lines = (self.cleaned_data.get(field) or "").splitlines()
        found, errors = find_taxpayers(lines)
        if errors:
            raise ValidationError([errors[n] for n in sorted(errors)])
        return {pk for pks in found.values() for pk in pks}

    def clean_add_members(self):
        self.members_to_add = self._resolve("add_members")
        return self.cleaned_data["add_members"]

    def clean_remove_members(self):
        self.members_to_remove = self._resolve("remove_members")
        return self.cleaned_data["remove_members"]

    def save(self, commit=True):
        group = super().save(commit=commit)
        if commit:
            self._save_members(group)
        else:
            save_m2m = self.save_m2m

            def save_m2m_and_members():
                save_m2m()
                self._save_members(group)

            self.save_m2m = save_m2m_and_members
        return group

    def _save_members(self, group: TaxpayerGroup) -> None:
        if getattr(self, "members_to_add", None):
            group.members.add(*self.members_to_add)
        if getattr(self, "members_to_remove", None):
            group.members.remove(*self.members_to_remove)


class TaxpayerGroupIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().annotate(member_count=Count("members"))

    @cached_property
    def columns(self):
        title = self._get_title_column_class(TitleColumn)

        def edit_or_inspect(group):
            return self.get_edit_url(group) or self.get_inspect_url(group)

        return [
            title("name", label=_("Name"), get_url=edit_or_inspect, sort_key="name"),
            TitleColumn(
                "member_count",
                label=_("Members"),
                get_url=lambda group: (
                    reverse("taxpayers:index") + f"?groups={group.pk}"
                    if self.request.user.has_perm("eservices.view_taxpayer")
                    else None
                ),
                sort_key="member_count",
            ),
            Column("description", label=_("Description")),
        ]


class TaxpayerGroupViewSet(ReceivablesModelViewSet):
    model = TaxpayerGroup
    name = "taxpayer_groups"
    url_prefix = "receivables/groups"
    icon = "group"
    menu_order = 20
    index_view_class = TaxpayerGroupIndexView
    search_fields = ["name", "description"]
    search_backend_name = None
    ordering = ["name"]
    inspect_view_fields = ["name", "description"]

    def get_form_class(self, for_update=False):
        return TaxpayerGroupForm


# --- Ledgers and entries (read-only) -------------------------------------------------------


class LedgerIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("taxpayer", "receivable_type")


class LedgerInspectView(generic.InspectView):
    """The kartoteka: owner, co-obligated, taxed objects, instalments and every entry."""

    template_name = "eservices/admin/ledger_inspect.html"

    def get_object(self, queryset=None):
        return get_object_or_404(
            Ledger.objects.select_related("taxpayer", "receivable_type"), pk=self.pk
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ledger = self.object
        context["installments"] = annotate_installments(
            ledger.installments.order_by("due_date", "number", "pk")
        )
        context["parties"] = ledger.parties.select_related("taxpayer")
        context["taxed_objects"] = ledger.taxed_objects.all()
        context["entries"] = ledger.entries.select_related("installment").order_by(
            "booked_on", "pk"
        )
        context["totals"] = ledger_totals([ledger.pk])[ledger.pk]
        context["can_view_taxpayers"] = self.request.user.has_perm("eservices.view_taxpayer")
        return context


class LedgerViewSet(ReadOnlyModelViewSet):
    model = Ledger
    name = "ledgers"
    url_prefix = "receivables/ledgers"
    icon = "folder-open-inverse"
    menu_order = 30
    index_view_class = LedgerIndexView
    inspect_view_class = LedgerInspectView
    list_display = ["number", "taxpayer", "receivable_type", "external_id", "opened_on"]
    list_filter = ["receivable_type", "receivable_type__category"]
    search_fields = [
        "number",
        "external_id",
        "taxpayer__last_name",
        "taxpayer__organisation_name",
        "taxpayer__nip",
    ]
    search_backend_name = None
    ordering = ["receivable_type__name", "number"]
    list_per_page = 50
    inspect_view_fields = ["taxpayer", "receivable_type", "number", "external_id", "opened_on"]


def _installment_label(entry: LedgerEntry) -> str:
    inst = entry.installment
    return f"{inst.year}/{inst.number}" if inst else "—"


class LedgerEntryIndexView(generic.IndexView):
    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .select_related("ledger__receivable_type", "ledger__taxpayer", "installment")
        )


class LedgerEntryFilterSet(WagtailFilterSet):
    booked_on = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)

    class Meta:
        model = LedgerEntry
        fields = ["kind", "booked_on", "ledger__receivable_type"]


class LedgerEntryViewSet(ReadOnlyModelViewSet):
    model = LedgerEntry
    name = "ledger_entries"
    url_prefix = "receivables/entries"
    icon = "list-ul"
    menu_order = 40
    index_view_class = LedgerEntryIndexView
    list_display = [
        "booked_on",
        "kind",
        "ledger",
        Column("installment", label=_("Instalment"), accessor=_installment_label),
        Column("taxpayer", label=_("Taxpayer"), accessor="ledger.taxpayer"),
        "principal",
        "interest",
        "reminder_costs",
        "document",
    ]
    filterset_class = LedgerEntryFilterSet
    search_fields = ["document", "external_id", "ledger__number"]
    search_backend_name = None
    ordering = ["-booked_on", "-pk"]
    list_per_page = 50
    list_export = [
        "booked_on",
        "kind",
        "ledger.number",
        "ledger.receivable_type.code",
        "installment.external_id",
        "principal",
        "interest",
        "reminder_costs",
        "document",
        "external_id",
    ]
    export_headings = {
        "ledger.number": _("Ledger"),
        "ledger.receivable_type.code": _("Receivable type"),
        "installment.external_id": _("Instalment"),
    }
    export_filename = "operacje"
    inspect_view_fields = [
        "ledger",
        "installment",
        "kind",
        "booked_on",
        "principal",
        "interest",
        "reminder_costs",
        "document",
        "external_id",
        "created_at",
    ]


# --- Receivable types and rate tables (administrators edit) --------------------------------


class ReceivableTypeViewSet(ReceivablesModelViewSet):
    model = ReceivableType
    name = "receivable_types"
    url_prefix = "receivables/types"
    icon = "tag"
    menu_order = 60
    list_display = ["name", "code", "category", "interest_regime", "domain_program", "is_active"]
    list_filter = ["category", "interest_regime", "is_active"]
    search_fields = ["name", "code", "domain_program"]
    search_backend_name = None
    ordering = ["name"]
    form_fields = [
        "code",
        "name",
        "category",
        "interest_regime",
        "due_date_shift",
        "domain_program",
        "bank_account",
        "virtual_account_prefix",
        "is_active",
    ]


class InterestRateViewSet(ReceivablesModelViewSet):
    model = InterestRate
    name = "interest_rates"
    url_prefix = "receivables/interest-rates"
    icon = "decimal"
    menu_order = 70
    list_display = [
        "valid_from",
        "regime",
        "annual_rate",
        "reduced_rate",
        "increased_rate",
        "legal_source",
    ]
    list_filter = ["regime"]
    ordering = ["regime", "-valid_from"]
    list_per_page = 50
    form_fields = [
        "regime",
        "valid_from",
        "annual_rate",
        "reduced_rate",
        "increased_rate",
        "legal_source",
    ]
    list_export = form_fields
    export_filename = "stawki-odsetek"


class NoInterestThresholdViewSet(ReceivablesModelViewSet):
    model = NoInterestThreshold
    name = "no_interest_thresholds"
    url_prefix = "receivables/no-interest-thresholds"
    icon = "sliders"
    menu_order = 80
    list_display = ["valid_from", "amount", "legal_source"]
    ordering = ["-valid_from"]
    form_fields = ["valid_from", "amount", "legal_source"]


class ReminderCostRateViewSet(ReceivablesModelViewSet):
    model = ReminderCostRate
    name = "reminder_costs"
    url_prefix = "receivables/reminder-costs"
    icon = "mail"
    menu_order = 90
    list_display = ["valid_from", "amount", "legal_source"]
    ordering = ["-valid_from"]
    form_fields = ["valid_from", "amount", "legal_source"]


# --- Import history (read-only) -----------------------------------------------------------


class ImportBatchIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("source_system", "created_by")


class ImportBatchInspectView(generic.InspectView):
    """A batch with its counts per record type and every stored error, line by line."""

    template_name = "eservices/admin/import_batch_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = self.object
        context["counts"] = sorted((batch.counts or {}).items())
        context["line_errors"] = sorted(
            batch.errors or [],
            key=lambda error: (error.get("line") is not None, error.get("line") or 0),
        )
        context["errors_not_stored"] = max(batch.error_count - len(batch.errors or []), 0)
        return context


class ImportBatchViewSet(ReadOnlyModelViewSet):
    model = ImportBatch
    name = "import_batches"
    url_prefix = "receivables/imports"
    icon = "upload"
    menu_order = 95
    index_view_class = ImportBatchIndexView
    inspect_view_class = ImportBatchInspectView
    list_display = [
        "created_at",
        "source_system",
        "format",
        "filename",
        "status",
        "error_count",
        "applied_at",
        "created_by",
    ]
    list_filter = ["status", "source_system", "format"]
    search_fields = ["filename", "sha256"]
    search_backend_name = None
    ordering = ["-created_at", "-pk"]
    list_per_page = 50
    inspect_view_fields = [
        "source_system",
        "format",
        "filename",
        "sha256",
        "size",
        "status",
        "error_count",
        "created_at",
        "applied_at",
        "created_by",
    ]


#: Models written only by the domain systems' imports: "view" is the only permission they have.
READ_ONLY_MODELS = (Taxpayer, Ledger, LedgerEntry, ImportBatch)


class ReceivablesViewSetGroup(ViewSetGroup):
    """The "Receivables" (Należności) menu."""

    menu_label = _("Receivables")
    menu_icon = "folder-inverse"
    menu_order = 250
    submenu_hook = RECEIVABLES_MENU_HOOK
    items = (
        TaxpayerViewSet,
        TaxpayerGroupViewSet,
        LedgerViewSet,
        LedgerEntryViewSet,
        ReceivableTypeViewSet,
        InterestRateViewSet,
        NoInterestThresholdViewSet,
        ReminderCostRateViewSet,
        ImportBatchViewSet,
    )
