"""Who may open a survey: audiences, 404 outside them, login for visitors, account panel."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.utils import timezone

from eservices.models import TaxpayerGroup
from surveys.audience import audience_size, may_answer, open_surveys_for
from surveys.enums import Audience
from tests.eservices import factories as ef
from tests.surveys import factories as f

pytestmark = pytest.mark.django_db


def test_group_survey_is_for_members_owners_and_proxies_only(client):
    group, taxpayer, member = f.group_with_resident()
    proxy = f.proxy_for(taxpayer)
    outsider = ef.user()
    page = f.survey(audience=Audience.TAXPAYER_GROUPS, groups=[group])

    assert may_answer(member, page) and may_answer(proxy, page)
    assert not may_answer(outsider, page)

    client.force_login(member)
    assert client.get(page.url).status_code == 200
    client.force_login(outsider)
    assert client.get(page.url).status_code == 404
    assert client.post(page.url, f.valid_post()).status_code == 404
    assert client.get(page.url + "dziekujemy/").status_code == 404
    assert page.responses.count() == 0


def test_expired_or_revoked_rights_leave_the_audience():
    group, taxpayer, _member = f.group_with_resident()
    expired = f.proxy_for(taxpayer, valid_from=date(2020, 1, 1), valid_to=date(2020, 12, 31))
    revoked = f.proxy_for(taxpayer, revoked_at=timezone.now())
    pay_only = f.proxy_for(taxpayer, can_view=False, can_pay=True)
    page = f.survey(audience=Audience.TAXPAYER_GROUPS, groups=[group])
    assert not may_answer(expired, page)
    assert not may_answer(revoked, page)
    assert not may_answer(pay_only, page)
    assert audience_size(page) == 1


def test_visitors_are_sent_to_log_in_and_residents_survey_is_open_to_any_account(client):
    page = f.survey(audience=Audience.RESIDENTS)
    response = client.get(page.url)
    assert response.status_code == 302
    assert response["Location"].startswith("/konto/logowanie/?next=")
    client.force_login(ef.user())
    assert client.get(page.url).status_code == 200


def test_user_group_audience():
    staff_group = Group.objects.create(name="Sołtysi")
    insider, outsider = ef.user(), ef.user()
    insider.groups.add(staff_group)
    page = f.survey(audience=Audience.USER_GROUPS, user_groups=[staff_group])
    assert may_answer(insider, page)
    assert not may_answer(outsider, page)
    assert audience_size(page) == 1


def test_open_surveys_for_lists_only_open_live_surveys_in_the_audience():
    group, _taxpayer, member = f.group_with_resident()
    other = TaxpayerGroup.objects.create(name="Inna")
    now = timezone.now()
    mine = f.survey("mine", audience=Audience.TAXPAYER_GROUPS, groups=[group])
    f.survey("other", audience=Audience.TAXPAYER_GROUPS, groups=[other])
    f.survey("closed", audience=Audience.TAXPAYER_GROUPS, groups=[group],
             opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1))  # fmt: skip
    f.survey("future", audience=Audience.TAXPAYER_GROUPS, groups=[group],
             opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=9))  # fmt: skip
    draft = f.survey("draft", audience=Audience.TAXPAYER_GROUPS, groups=[group])
    draft.unpublish()
    public = f.survey("public", audience=Audience.EVERYONE)
    assert list(open_surveys_for(member)) == [mine, public] or set(open_surveys_for(member)) == {
        mine,
        public,
    }
    assert list(open_surveys_for(ef.user())) == [public]


def test_account_page_lists_the_surveys_for_you(client):
    group, _taxpayer, member = f.group_with_resident()
    page = f.survey(audience=Audience.TAXPAYER_GROUPS, groups=[group], title="Remont Lipowej")
    client.force_login(member)
    html = client.get("/konto/").content.decode()
    assert "Ankiety dla Ciebie" in html
    assert "Remont Lipowej" in html and page.url in html
    client.post(page.url, f.valid_post())
    assert "wypełniona, dziękujemy" in client.get("/konto/").content.decode()

    client.force_login(ef.user())
    html = client.get("/konto/").content.decode()
    assert "Remont Lipowej" not in html


def test_editors_preview_a_group_survey_they_are_not_in(client, verified_login):
    from django.contrib.auth.models import Group as AuthGroup

    from eservices.roles import EDITORS

    group, _taxpayer, _member = f.group_with_resident()
    page = f.survey(audience=Audience.TAXPAYER_GROUPS, groups=[group], title="Podgląd")
    editor = ef.user(is_staff=True)
    editor.groups.add(AuthGroup.objects.get(name=EDITORS))
    verified_login(client, editor)
    assert client.get(page.url).status_code == 404
    request = RequestFactory().get("/admin/")
    request.user = editor
    preview = page.make_preview_request(request, page.default_preview_mode)
    assert preview.status_code == 200
    assert 'name="pora_prac"' in preview.rendered_content
