"""The access policy: own records through a link, others' only through a mandate in force."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from eservices import access
from eservices.models import LedgerParty, Mandate

from . import factories as f

pytestmark = pytest.mark.django_db
Scope = Mandate.Scope


def test_a_linked_account_sees_its_taxpayer_with_every_right():
    account, tp = f.user(), f.taxpayer()
    f.link(account, tp)
    for scope in Scope.values:
        assert list(access.taxpayers_for(account, scope)) == [tp]


def test_an_unlinked_account_sees_nothing_and_gets_404():
    account, tp = f.user(), f.taxpayer()
    assert not access.taxpayers_for(account).exists()
    with pytest.raises(Http404):
        access.get_taxpayer(account, tp.pk)


def test_revoked_link_gives_nothing():
    account, tp = f.user(), f.taxpayer()
    f.link(account, tp, revoked_at=timezone.now())
    assert not access.can_act_for(account, tp)


def test_a_proxy_has_only_the_rights_of_the_mandate():
    proxy, tp = f.user(), f.taxpayer()
    f.mandate(proxy, tp, can_view=True, can_pay=False)
    assert access.can_act_for(proxy, tp, Scope.VIEW)
    assert not access.can_act_for(proxy, tp, Scope.PAY)
    with pytest.raises(Http404):
        access.get_taxpayer(proxy, tp.pk, Scope.PAY)


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "revoked", "expected"),
    [
        (-10, None, False, True),
        (-10, 0, False, True),  # the last day still counts
        (-10, -1, False, False),  # expired
        (1, None, False, False),  # not yet in force
        (-10, None, True, False),  # revoked
    ],
)
def test_mandate_validity(valid_from, valid_to, revoked, expected):
    today = timezone.localdate()
    proxy, tp = f.user(), f.taxpayer()
    f.mandate(
        proxy,
        tp,
        valid_from=today + timedelta(days=valid_from),
        valid_to=None if valid_to is None else today + timedelta(days=valid_to),
        revoked_at=timezone.now() if revoked else None,
    )
    assert access.can_act_for(proxy, tp) is expected


def test_inactive_or_anonymous_users_see_nothing():
    from django.contrib.auth.models import AnonymousUser

    account, tp = f.user(is_active=False), f.taxpayer()
    f.link(account, tp)
    assert not access.taxpayers_for(account).exists()
    assert not access.taxpayers_for(AnonymousUser()).exists()


def test_unknown_scope_is_a_programming_error():
    with pytest.raises(ValueError):
        access.taxpayers_for(f.user(), "delete_everything")


def test_ledgers_include_those_the_taxpayer_is_co_obligated_on():
    account, husband, wife, stranger = f.user(), f.taxpayer(), f.taxpayer(), f.taxpayer()
    f.link(account, wife)
    joint = f.ledger(husband)
    LedgerParty.objects.create(ledger=joint, taxpayer=wife, role="współwłaścicielka")
    own = f.ledger(wife)
    foreign = f.ledger(stranger)
    assert set(access.ledgers_for(account, wife)) == {joint, own}
    with pytest.raises(Http404):
        access.get_ledger(account, wife, foreign.pk)
    # Acting for a taxpayer one may not act for gives no ledgers at all.
    assert not access.ledgers_for(account, stranger).exists()


@pytest.mark.parametrize("bad_pk", ["abc", None, "1 OR 1=1"])
def test_malformed_ids_are_404_not_500(bad_pk):
    with pytest.raises(Http404):
        access.get_taxpayer(f.user(), bad_pk)


def test_mandate_requires_a_right_and_a_sane_period():
    from django.core.exceptions import ValidationError

    m = Mandate(
        taxpayer=f.taxpayer(),
        proxy=f.user(),
        can_view=False,
        document_reference="x",
        valid_from=date(2026, 5, 1),
        valid_to=date(2026, 4, 1),
    )
    with pytest.raises(ValidationError):
        m.clean()
