"""Demo data of the accounts work: a link request waiting for a clerk, loaded idempotently."""

from __future__ import annotations

import pytest

from eservices import demo
from eservices.models import LinkRequest

pytestmark = pytest.mark.django_db


class Report:
    def __init__(self) -> None:
        self.sections: dict[str, list[str]] = {}

    def section(self, title: str, lines) -> None:
        self.sections[title] = list(lines)


def test_demo_has_one_pending_link_request_however_often_it_is_loaded():
    first = Report()
    demo.load(first)
    demo.load(Report())
    pending = LinkRequest.objects.get(status=LinkRequest.Status.PENDING)
    assert pending.user.email == "maria.nowak@przykladowo.example"
    assert pending.identifier == demo.LINK_REQUEST_PESEL
    assert any(pending.code in line for line in first.sections["Konta mieszkańców"])
