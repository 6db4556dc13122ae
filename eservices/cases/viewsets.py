"""The clerks' queue of cases in the Wagtail admin ("Sprawy").

Cases are filed by residents and never created, edited or deleted here: the viewset has an
index (filtered by department, status and age), an inspect view with the history, and one
action, "change status" (`handling.change_status`, which logs it with ``log_action``).
"""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.contrib import messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from .forms import StatusChangeForm
from .handling import change_status
from .models import Case, CaseAttachment, Department, Status

AGE_CHOICES = [
    ("7", gettext_lazy("Filed more than 7 days ago")),
    ("14", gettext_lazy("Filed more than 14 days ago")),
    ("30", gettext_lazy("Filed more than 30 days ago")),
]


class CasePermissionPolicy(ModelPermissionPolicy):
    """Clerks see cases ("view") and handle them ("change"); nobody adds or deletes one here."""

    def user_has_permission(self, user, action):
        return action in ("view", "change") and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


class CaseFilterSet(WagtailFilterSet):
    department = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Department"), queryset=Department.objects.all()
    )
    status = django_filters.ChoiceFilter(label=gettext_lazy("Status"), choices=Status.choices)
    age = django_filters.ChoiceFilter(
        label=gettext_lazy("Age"), choices=AGE_CHOICES, method="filter_age"
    )

    class Meta:
        model = Case
        fields = ["department", "status"]

    def filter_age(self, queryset, name, value):
        return queryset.filter(submitted_at__lt=timezone.now() - timedelta(days=int(value)))


class CaseIndexView(generic.IndexView):
    def get_base_queryset(self):
        return super().get_base_queryset().select_related("department", "user")

    @property
    def columns(self):
        return [
            TitleColumn(
                "registry_number",
                label=_("Registry number"),
                get_url=self.get_inspect_url,
                sort_key="registry_number",
            ),
            Column("title", label=_("Matter")),
            Column("department", label=_("Department")),
            Column("user", label=_("Resident"), accessor="user.display_name"),
            Column("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
            DateColumn("submitted_at", label=_("Filed"), sort_key="submitted_at"),
            DateColumn(
                "status_changed_at", label=_("Status changed"), sort_key="status_changed_at"
            ),
        ]


class CaseInspectView(generic.InspectView):
    template_name = "cases/admin/case_inspect.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = self.object
        context["history"] = case.history.select_related("created_by")
        context["attachments"] = case.attachments.all()
        context["status_form"] = StatusChangeForm(initial={"status": case.status})
        context["status_url"] = reverse("cases_admin:status", args=[case.pk])
        context["can_change"] = self.permission_policy.user_has_permission(
            self.request.user, "change"
        )
        return context


def status_view(request, pk: int):
    """POST: a new status (and message) for case ``pk``; back to the inspect view."""
    policy = CasePermissionPolicy(Case)
    if not policy.user_has_permission(request.user, "change"):
        raise PermissionDenied
    case = get_object_or_404(Case, pk=pk)
    inspect_url = reverse("cases_admin:inspect", args=[case.pk])
    if request.method != "POST":
        return redirect(inspect_url)
    form = StatusChangeForm(request.POST)
    if form.is_valid():
        try:
            change_status(
                case=case,
                status=form.cleaned_data["status"],
                message=form.cleaned_data["message"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _('Case %(number)s: status changed to "%(status)s".')
                % {
                    "number": case.registry_number,
                    "status": Status(form.cleaned_data["status"]).label,
                },
            )
            return redirect(inspect_url)
    return TemplateResponse(
        request,
        "cases/admin/status_form.html",
        {"case": case, "form": form, "status_url": reverse("cases_admin:status", args=[case.pk])},
        status=400,
    )


def attachment_view(request, pk: int, attachment_pk: int):
    """A clerk downloads a resident's attachment (never served from a public URL)."""
    if not CasePermissionPolicy(Case).user_has_permission(request.user, "view"):
        raise PermissionDenied
    item = get_object_or_404(CaseAttachment, case_id=pk, pk=attachment_pk)
    return FileResponse(
        item.file.open("rb"), as_attachment=True, filename=item.name, content_type=item.content_type
    )


class CaseViewSet(ModelViewSet):
    model = Case
    name = "cases_admin"
    url_prefix = "cases"
    icon = "folder-open-inverse"
    menu_label = gettext_lazy("Cases")
    menu_order = 250
    add_to_admin_menu = True
    add_to_reference_index = False
    copy_view_enabled = False
    inspect_view_enabled = True
    index_view_class = CaseIndexView
    inspect_view_class = CaseInspectView
    filterset_class = CaseFilterSet
    search_fields = ["registry_number", "title", "user__email", "user__last_name"]
    search_backend_name = None
    ordering = ["-submitted_at"]
    list_per_page = 50
    inspect_view_fields = [
        "registry_number",
        "title",
        "form_code",
        "department",
        "user",
        "submitted_at",
        "status",
        "status_changed_at",
        "content_sha256",
    ]

    @property
    def permission_policy(self):
        return CasePermissionPolicy(self.model)

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            **{
                "add_url_name": None,
                "edit_url_name": None,
                "delete_url_name": None,
                "usage_url_name": None,
                **kwargs,
            }
        )

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
            path("inspect/<int:pk>/status/", status_view, name="status"),
            path(
                "inspect/<int:pk>/attachments/<int:attachment_pk>/",
                attachment_view,
                name="attachment",
            ),
            path("history/<int:pk>/", self.history_view, name="history"),
        ]

    def get_permissions_to_register(self):
        wanted = {get_permission_codename(a, self.model_opts) for a in ("view", "change")}
        return super().get_permissions_to_register().filter(codename__in=wanted)
