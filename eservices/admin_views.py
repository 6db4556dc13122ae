"""Admin views of the defined queries: the list, and one query's form, table and exports.

Permission is checked in ``dispatch`` (hiding the menu item is not enough): running a query
shows taxpayers and their ledgers, so it needs both "view" permissions. The view is a thin
layer over ``eservices.queries``: two SQL statements per page (totals with the row count, and
the page of rows), however many taxpayers match; the exports stream the same statement.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic import BaseListingView, WagtailAdminTemplateMixin
from wagtail.admin.views.mixins import SpreadsheetExportMixin

from .queries import FIELD_LABELS, QueryResult, all_queries, get_query

#: What running a defined query requires.
QUERY_PERMISSIONS = ("eservices.view_taxpayer", "eservices.view_ledger")


def user_can_run_queries(user) -> bool:
    return bool(user.is_active and user.has_perms(QUERY_PERMISSIONS))


class QueryPermissionMixin:
    def dispatch(self, request, *args, **kwargs):
        if not user_can_run_queries(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class DefinedQueryListView(QueryPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    template_name = "eservices/admin/defined_queries.html"
    page_title = _("Defined queries")
    header_icon = "table"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["queries"] = [
            (query, reverse("defined_queries:query", args=(query.code,))) for query in all_queries()
        ]
        return context


class DefinedQueryView(SpreadsheetExportMixin, BaseListingView):
    """One query: its parameter form, the row count and totals, a table and CSV/XLSX."""

    template_name = "eservices/admin/defined_query.html"
    header_icon = "table"
    paginate_by = 50
    page_kwarg = "p"
    is_searchable = False

    def dispatch(self, request, *args, **kwargs):
        if not user_can_run_queries(request.user):
            raise PermissionDenied
        try:
            self.query = get_query(kwargs["code"])
        except KeyError:
            raise Http404 from None
        # The form is bound once it has been submitted (the as-of date is always sent).
        self.form = self.query.form(request.GET if "as_of" in request.GET else None)
        self.list_export = list(self.query.export_fields)
        self.export_headings = {field: FIELD_LABELS[field] for field in self.list_export}
        self.result = None
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return capfirst(self.query.label)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("defined_queries:index"), "label": _("Defined queries")},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_queryset(self):
        if self.result is None and self.form.is_bound and self.form.is_valid():
            self.result = self.query.run(self.form.parameters())
        return self.result if self.result is not None else []

    def get_filename(self):
        return f"{self.query.code}-{self.result.params.as_of.isoformat()}"

    @cached_property
    def show_export_buttons(self):
        return self.form.is_bound and self.form.is_valid()

    @cached_property
    def columns(self):
        columns = [
            TitleColumn(
                "name",
                label=FIELD_LABELS["name"],
                get_url=lambda row: reverse("taxpayers:inspect", args=(row.taxpayer_id,)),
            ),
            Column("external_id", label=FIELD_LABELS["external_id"]),
        ]
        columns += [
            Column(field, label=FIELD_LABELS[field], accessor=field) for field in self.query.columns
        ]
        return columns

    def get(self, request, *args, **kwargs):
        if self.is_export:
            result = self.get_queryset()
            if isinstance(result, QueryResult):
                return self.as_spreadsheet(result, request.GET["export"])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["query"] = self.query
        context["form"] = self.form
        context["result"] = self.result
        context["totals"] = self.result.totals() if self.result is not None else None
        context["total_columns"] = [
            (FIELD_LABELS[field], getattr(context["totals"], field))
            for field in ("arrears", "interest", "reminder_costs", "dues", "total")
            if context["totals"] is not None
            and field in self.query.columns
            and getattr(context["totals"], field) is not None
        ]
        return context
