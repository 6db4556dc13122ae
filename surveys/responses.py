"""Recording a response: one business step, one transaction, one answer per account."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from .audience import respondent_taxpayer_groups, respondent_user_groups
from .models import SurveyPage, SurveyParticipation, SurveyResponse


class AlreadyAnswered(Exception):
    """The account (or browser) has answered this survey before."""


class SurveyNotOpen(Exception):
    """The survey has not opened yet or has closed."""


def has_answered(user, page: SurveyPage) -> bool:
    if not user.is_authenticated:
        return False
    return SurveyParticipation.objects.filter(page=page, user=user).exists()


def submit_response(page: SurveyPage, user, answers: dict[str, object]) -> SurveyResponse:
    """Store ``answers`` of ``user`` (anonymous visitors included) to ``page``.

    For an account, the participation marker is inserted first, inside the same transaction:
    of two concurrent submissions the database lets one insert it and refuses the other
    (``AlreadyAnswered``), so there is never a second response. In an anonymous survey the
    response keeps neither the account nor a time of day (see ``surveys.models``).
    """
    if not page.is_open():
        raise SurveyNotOpen
    account = user if user.is_authenticated else None
    with transaction.atomic():
        if account is not None:
            try:
                with transaction.atomic():
                    SurveyParticipation.objects.create(page=page, user=account)
            except IntegrityError:
                raise AlreadyAnswered from None
        response = SurveyResponse.objects.create(
            page=page,
            user=None if page.anonymous else account,
            answers=answers,
            submitted_on=timezone.localdate(),
        )
        if account is not None:
            response.taxpayer_groups.set(respondent_taxpayer_groups(account, page))
            response.user_groups.set(respondent_user_groups(account, page))
    return response
