"""Who may answer a survey, which surveys are open to an account, and how big an audience is.

A resident belongs to a taxpayer group when a taxpayer they *are* (an active account link) or
*act for* (a mandate in force, the "view" right) is a member: the same rule as the dues pages,
so it is asked of ``eservices.access.taxpayers_for``. A survey outside an account's audience
does not exist for that account (404), as with another resident's records.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from eservices.access import taxpayers_for
from eservices.models import AccountLink, Mandate, TaxpayerGroup

from .enums import Audience
from .models import SurveyPage


def audience_filter(user) -> Q:
    """The surveys (as a filter on SurveyPage) whose audience includes ``user``."""
    public = Q(audience=Audience.EVERYONE)
    if not user.is_authenticated or not user.is_active:
        return public
    return (
        public
        | Q(audience=Audience.RESIDENTS)
        | Q(
            audience=Audience.TAXPAYER_GROUPS,
            taxpayer_groups__members__in=taxpayers_for(user),
        )
        | Q(audience=Audience.USER_GROUPS, user_groups__in=user.groups.all())
    )


def may_answer(user, page: SurveyPage) -> bool:
    """Whether ``page`` is meant for ``user`` (whatever its dates)."""
    if page.audience == Audience.EVERYONE:
        return True
    return SurveyPage.objects.filter(pk=page.pk).filter(audience_filter(user)).exists()


def open_surveys_for(user) -> QuerySet[SurveyPage]:
    """Live surveys open now whose audience includes ``user``."""
    now = timezone.now()
    matching = SurveyPage.objects.filter(audience_filter(user)).values("pk")
    return (
        SurveyPage.objects.live()
        .filter(pk__in=matching, opens_at__lte=now, closes_at__gt=now)
        .order_by("closes_at", "pk")
    )


def closed_summaries_for(user) -> QuerySet[SurveyPage]:
    """Closed surveys in the audience of ``user`` whose summary of results is published."""
    matching = SurveyPage.objects.filter(audience_filter(user)).values("pk")
    return (
        SurveyPage.objects.live()
        .filter(pk__in=matching, publish_summary=True, closes_at__lte=timezone.now())
        .order_by("-closes_at", "pk")
    )


def respondent_taxpayer_groups(user, page: SurveyPage) -> QuerySet[TaxpayerGroup]:
    """The survey's taxpayer groups ``user`` belongs to (kept with the answers, for filters)."""
    if not user.is_authenticated or not page.pk:
        return TaxpayerGroup.objects.none()
    return page.taxpayer_groups.filter(members__in=taxpayers_for(user)).distinct()


def respondent_user_groups(user, page: SurveyPage):
    if not user.is_authenticated or not page.pk:
        return page.user_groups.none()
    return page.user_groups.filter(pk__in=user.groups.values("pk"))


def audience_accounts(page: SurveyPage, groups: QuerySet | None = None) -> QuerySet | None:
    """The active accounts the survey is meant for; None when anyone may answer.

    "Logged-in residents" counts the residents' accounts (staff are left out). ``groups``
    narrows a group audience to some of its groups (the results filter).
    """
    User = get_user_model()
    users = User.objects.filter(is_active=True)
    if page.audience == Audience.EVERYONE:
        return None
    if page.audience == Audience.RESIDENTS:
        return users.filter(is_staff=False)
    if page.audience == Audience.USER_GROUPS:
        chosen = groups if groups is not None else page.user_groups.all()
        return users.filter(groups__in=chosen).distinct()
    chosen = groups if groups is not None else page.taxpayer_groups.all()
    members = TaxpayerGroup.members.through.objects.filter(taxpayergroup__in=chosen).values(
        "taxpayer_id"
    )
    linked = AccountLink.objects.active().filter(taxpayer__in=members).values("user_id")
    mandated = Mandate.objects.in_force().filter(can_view=True, taxpayer__in=members)
    return users.filter(Q(pk__in=linked) | Q(pk__in=mandated.values("proxy_id"))).distinct()


def audience_size(page: SurveyPage, groups: QuerySet | None = None) -> int | None:
    accounts = audience_accounts(page, groups)
    return None if accounts is None else accounts.count()
