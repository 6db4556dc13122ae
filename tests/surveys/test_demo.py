"""The demo surveys: one open to the demo group, one closed with answers; loading is idempotent."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from surveys.audience import closed_summaries_for, open_surveys_for
from surveys.demo import CLOSED_SURVEY, OPEN_SURVEY, SEEDED_ANSWERS
from surveys.models import SurveyPage, SurveyResponse


@pytest.mark.django_db
def test_demo_surveys_load_twice_and_reach_jan(demo_site, client):
    with open(os.devnull, "w") as devnull:
        call_command("load_demo", stdout=devnull)
    assert SurveyPage.objects.count() == 2
    assert SurveyResponse.objects.count() == len(SEEDED_ANSWERS)
    open_survey = SurveyPage.objects.get(slug=OPEN_SURVEY["slug"])
    closed = SurveyPage.objects.get(slug=CLOSED_SURVEY["slug"])
    assert open_survey.is_open() and closed.is_closed() and closed.summary_visible()
    assert closed.anonymous and not closed.responses.exclude(user=None).exists()

    jan = get_user_model().objects.get(email="jan.kowalski@przykladowo.example")
    assert list(open_surveys_for(jan)) == [open_survey]
    assert list(closed_summaries_for(jan)) == [closed]
    client.force_login(jan)
    index = client.get("/ankiety/").content.decode()
    assert open_survey.title in index and f"{closed.url}wyniki/" in index
