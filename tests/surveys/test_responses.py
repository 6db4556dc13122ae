"""Answering: validation, one response per account (also under a race), anonymity, dates,
anonymous visitors of public surveys."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.test import override_settings
from django.utils import timezone

from surveys.enums import Audience
from surveys.models import SurveyParticipation, SurveyResponse
from surveys.responses import AlreadyAnswered, SurveyNotOpen, submit_response
from tests.eservices import factories as ef
from tests.surveys import factories as f

ANSWERED = "Ta ankieta została już przez Ciebie wypełniona. Dziękujemy!"


@pytest.mark.django_db
def test_answers_are_stored_by_question_and_second_attempt_is_refused_politely(client):
    group, _taxpayer, user = f.group_with_resident()
    page = f.survey(audience=Audience.TAXPAYER_GROUPS, groups=[group])
    client.force_login(user)

    response = client.post(page.url, f.valid_post(od_kiedy="2026-07-01"))
    assert response.status_code == 302
    assert response["Location"] == page.url + "dziekujemy/"
    assert "Dziękujemy za odpowiedzi" in client.get(response["Location"]).content.decode()

    stored = SurveyResponse.objects.get(page=page)
    assert stored.user == user
    assert stored.answers == {
        "pora_prac": "Rano",
        "co_czytasz": ["Gazeta", "Strona"],
        "ocena": 4,
        "uwagi": "Proszę o informację SMS.",
        "od_kiedy": "2026-07-01",
    }
    assert list(stored.taxpayer_groups.all()) == [group]

    again = client.get(page.url)
    assert again.status_code == 200
    assert ANSWERED in again.content.decode()
    assert "<form" not in again.content.decode().split("<main", 1)[1]
    resent = client.post(page.url, f.valid_post(pora_prac="W soboty"))
    assert resent.status_code == 200 and ANSWERED in resent.content.decode()
    assert SurveyResponse.objects.filter(page=page).count() == 1


@pytest.mark.django_db
def test_invalid_answers_show_errors_and_store_nothing(client):
    page = f.survey()
    client.force_login(ef.user())
    response = client.post(page.url, f.valid_post(pora_prac="", ocena="7", od_kiedy="jutro"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Wystąpił problem" in html or "error-summary" in html
    assert html.count('class="error-message"') == 3
    assert not SurveyResponse.objects.exists() and not SurveyParticipation.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_a_second_response_of_an_account():
    user = ef.user()
    page = f.survey()
    submit_response(page, user, {"pora_prac": "Rano"})
    with pytest.raises(AlreadyAnswered):
        submit_response(page, user, {"pora_prac": "W soboty"})
    assert page.responses.count() == 1


@pytest.mark.django_db
def test_anonymous_mode_stores_no_link_between_answers_and_account(client):
    user = ef.user()
    page = f.survey(anonymous=True)
    client.force_login(user)
    client.post(page.url, f.valid_post())

    stored = SurveyResponse.objects.get(page=page)
    assert stored.user is None
    # No column of the response refers to an account or holds a time of day.
    for field in SurveyResponse._meta.concrete_fields:
        assert field.get_internal_type() not in ("DateTimeField", "TimeField"), field.name
        value = getattr(stored, field.attname)
        assert value != user.pk or field.name == "page", field.name
    assert stored.submitted_on == timezone.localdate()
    assert stored.pk.version == 4  # random, not a sequence in the order people answered
    # The marker says only "answered", with no time to join it to the answers by.
    marker = SurveyParticipation.objects.get(page=page, user=user)
    assert {f.name for f in SurveyParticipation._meta.concrete_fields} == {"id", "page", "user"}
    assert marker.user == user
    assert ANSWERED in client.get(page.url).content.decode()


@pytest.mark.django_db
def test_anonymity_cannot_be_switched_once_answers_exist():
    from django.core.exceptions import ValidationError

    page = f.survey(anonymous=False)
    submit_response(page, ef.user(), {"pora_prac": "Rano"})
    page.anonymous = True
    with pytest.raises(ValidationError) as excinfo:
        page.full_clean()
    assert "anonymous" in excinfo.value.message_dict


@pytest.mark.django_db
def test_survey_answers_only_between_opening_and_closing(client):
    now = timezone.now()
    future = f.survey(
        "future", opens_at=now + timedelta(hours=1), closes_at=now + timedelta(days=2)
    )
    closed = f.survey(
        "closed", opens_at=now - timedelta(days=2), closes_at=now - timedelta(seconds=1)
    )
    client.force_login(ef.user())

    html = client.get(future.url).content.decode()
    assert "Ankieta zostanie otwarta" in html and 'name="pora_prac"' not in html
    html = client.post(closed.url, f.valid_post()).content.decode()
    assert "Ankieta została zamknięta" in html
    assert not SurveyResponse.objects.exists()
    with pytest.raises(SurveyNotOpen):
        submit_response(closed, ef.user(), {"pora_prac": "Rano"})
    # The summary exists only after closing and only when published.
    assert client.get(closed.url + "wyniki/").status_code == 404
    closed.publish_summary = True
    closed.save_revision().publish()
    assert client.get(closed.url + "wyniki/").status_code == 200
    future.publish_summary = True
    future.save_revision().publish()
    assert client.get(future.url + "wyniki/").status_code == 404


@pytest.mark.django_db
def test_closing_must_follow_opening():
    from django.core.exceptions import ValidationError

    page = f.survey()
    page.closes_at = page.opens_at
    with pytest.raises(ValidationError) as excinfo:
        page.full_clean()
    assert "closes_at" in excinfo.value.message_dict


@pytest.mark.django_db
def test_public_survey_without_account_once_per_browser(client):
    page = f.survey(audience=Audience.EVERYONE, anonymous=True)
    response = client.post(page.url, f.valid_post())
    assert response.status_code == 302
    assert SurveyResponse.objects.get(page=page).user is None
    assert ANSWERED in client.get(page.url).content.decode()
    client.post(page.url, f.valid_post())
    assert page.responses.count() == 1

    # A forged cookie is not a signed one: the browser may answer (and is counted per IP).
    client.cookies[f"ankieta_{page.pk}"] = str(page.pk)
    assert client.get(page.url).content.decode().count('name="pora_prac"') >= 1


@pytest.mark.django_db
@override_settings(SURVEYS_ANONYMOUS_ANSWERS_PER_IP=2)
def test_public_survey_answers_are_rate_limited_per_ip(client):
    page = f.survey(audience=Audience.EVERYONE)
    for _n in range(2):
        client.cookies.clear()
        assert client.post(page.url, f.valid_post()).status_code == 302
    client.cookies.clear()
    refused = client.post(page.url, f.valid_post())
    assert refused.status_code == 429
    assert "Z Twojej sieci wysłano zbyt wiele odpowiedzi" in refused.content.decode()
    assert page.responses.count() == 2
    # Another address is not affected.
    client.cookies.clear()
    assert client.post(page.url, f.valid_post(), REMOTE_ADDR="10.0.0.9").status_code == 302


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_of_one_account_give_one_response():
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent transactions (PostgreSQL)")
    user = ef.user()
    page = f.survey()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def answer(choice: str) -> None:
        try:
            barrier.wait(timeout=10)
            submit_response(page, user, {"pora_prac": choice})
            outcomes.append("stored")
        except AlreadyAnswered:
            outcomes.append("refused")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=answer, args=(c,)) for c in ("Rano", "W soboty")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["refused", "stored"]
    assert SurveyResponse.objects.filter(page=page).count() == 1
    assert SurveyParticipation.objects.filter(page=page, user=user).count() == 1
