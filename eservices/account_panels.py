"""The sections of the resident's account page ("Moje konto"), contributed by every app.

eservices may not import payments, messaging or surveys (ARCHITECTURE.md), yet the account page
shows their parts: payment history, consents, "Ankiety dla Ciebie", "Moje sprawy". Each app
registers a Wagtail hook that returns an `AccountPanel` for the request (or None when it has
nothing to show), and the page renders them in ``order``:

    from wagtail import hooks
    from eservices.account_panels import ACCOUNT_PANEL_HOOK, AccountPanel

    @hooks.register(ACCOUNT_PANEL_HOOK)
    def consents_panel(request):
        return AccountPanel(title=_("Notifications"), template="messaging/account_panel.html",
                            context={...}, order=40)

The panel's template is included with its ``context`` plus ``request`` and ``user``; it renders
inside a ``<section>`` that already carries the ``<h2>`` title, so it starts at ``<h3>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.http import HttpRequest
from wagtail import hooks

ACCOUNT_PANEL_HOOK = "register_account_panel"


@dataclass(frozen=True)
class AccountPanel:
    title: str
    template: str
    context: Mapping[str, object] = field(default_factory=dict)
    # Lower first. eservices uses 10 (own data) and 20 (dues); apps pick their own slots.
    order: int = 100
    # The id of the section, for links such as /konto/#zgody.
    anchor: str = ""


def account_panels(request: HttpRequest) -> list[AccountPanel]:
    """Every panel the registered hooks offer this request, in display order."""
    panels = (panel_for(request) for panel_for in hooks.get_hooks(ACCOUNT_PANEL_HOOK))
    return sorted((p for p in panels if p is not None), key=lambda p: (p.order, p.title))
