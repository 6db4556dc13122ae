"""The resident pages: login, "Moje należności", the ledger detail and the statement's form.

Every page asks `eservices.access`; a foreign taxpayer or ledger answers 404, an anonymous
visitor goes to the login page. Figures are those of `eservices.dues`, formatted in Polish.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from eservices import access
from eservices.dues import dues, interest_rules
from eservices.interest import tax_interest
from eservices.models import LedgerEntry, LedgerParty, TaxedObject
from eservices.templatetags.eservices_tags import format_money
from eservices.views import ACTING_SESSION_KEY

from . import factories as f

pytestmark = pytest.mark.django_db
Kind = LedgerEntry.Kind
PASSWORD = "x" * 12  # what factories.user sets


@pytest.fixture(autouse=True)
def polish():
    """Polish, whatever language an earlier test's request left active in this thread."""
    with translation.override("pl"):
        yield


def today() -> date:
    return timezone.localdate()


def pl(amount: Decimal | str) -> str:
    return format_money(Decimal(amount), language="pl")


def login(client: Client, account) -> Client:
    client.force_login(account)
    return client


@pytest.fixture
def resident():
    """A resident linked to their own taxpayer record, which has one property tax ledger."""
    account = f.user(first_name="Jan", last_name="Kowalski")
    tp = f.taxpayer(first_name="Jan", last_name="Kowalski")
    f.link(account, tp)
    ledger = f.ledger(tp)
    return account, tp, ledger


def dashboard_url(tp) -> str:
    return reverse("eservices:taxpayer_dues", kwargs={"taxpayer_pk": tp.pk})


def ledger_url(tp, ledger) -> str:
    return reverse("eservices:ledger", kwargs={"taxpayer_pk": tp.pk, "ledger_pk": ledger.pk})


def statement_url(tp) -> str:
    return reverse("eservices:statement", kwargs={"taxpayer_pk": tp.pk})


# --- Log in and out -------------------------------------------------------------------------
def test_login_page_is_polish_accessible_and_not_cached(client: Client):
    response = client.get(reverse("eservices:login"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    assert '<label for="id_username">' in html
    assert 'autocomplete="username"' in html and 'autocomplete="current-password"' in html
    assert reverse("eservices:login") == "/konto/logowanie/"


def test_login_with_email_in_any_case_goes_to_next(client: Client, resident):
    account, tp, _ = resident
    response = client.post(
        reverse("eservices:login") + "?next=/moje-naleznosci/",
        {"username": account.email.upper(), "password": PASSWORD, "next": "/moje-naleznosci/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/moje-naleznosci/"
    assert client.get("/moje-naleznosci/")["Location"] == dashboard_url(tp)


def test_the_login_form_carries_next_to_the_password_login(client: Client):
    html = client.get(reverse("eservices:login") + "?next=/moje-sprawy/").content.decode()
    password_form = html[html.index('action="/konto/logowanie/"') :]
    assert '<input type="hidden" name="next" value="/moje-sprawy/">' in password_form


def test_login_refuses_an_offsite_next(client: Client, resident):
    account, _, _ = resident
    response = client.post(
        reverse("eservices:login"),
        {"username": account.email, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("eservices:dues")


def test_wrong_password_shows_an_error_tied_to_the_form(client: Client, resident):
    account, _, _ = resident
    response = client.post(
        reverse("eservices:login"), {"username": account.email, "password": "wrong-password"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary" role="alert"' in html
    assert "_auth_user_id" not in client.session


def test_invalid_email_marks_the_field(client: Client):
    response = client.post(reverse("eservices:login"), {"username": "nie-email", "password": "x"})
    html = response.content.decode()
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_username-error"' in html
    assert 'id="id_username-error"' in html


def test_logout_is_by_post_and_says_so(client: Client, resident):
    account, _, _ = resident
    login(client, account)
    assert client.get(reverse("eservices:logout")).status_code == 405
    response = client.post(reverse("eservices:logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("eservices:login")
    assert "_auth_user_id" not in client.session
    with translation.override("pl"):
        assert translation.gettext("You have been logged out.") in response.content.decode()


def test_pages_offer_logout_to_a_logged_in_user(client: Client, resident):
    account, tp, _ = resident
    html = login(client, account).get(dashboard_url(tp)).content.decode()
    assert f'action="{reverse("eservices:logout")}"' in html


# --- The entry point and the chooser ---------------------------------------------------------
def test_anonymous_goes_to_login_with_next(client: Client):
    response = client.get("/moje-naleznosci/")
    assert response.status_code == 302
    assert response["Location"] == "/konto/logowanie/?next=/moje-naleznosci/"


def test_one_taxpayer_goes_straight_to_its_dues(client: Client, resident):
    account, tp, _ = resident
    response = login(client, account).get(reverse("eservices:dues"))
    assert response.status_code == 302
    assert response["Location"] == dashboard_url(tp)


def test_an_account_without_links_is_told_how_to_get_them(client: Client):
    response = login(client, f.user()).get(reverse("eservices:dues"))
    assert response.status_code == 200
    assert response.templates[0].name == "eservices/dues/no_taxpayer.html"


def test_several_taxpayers_get_a_chooser_marking_own_and_proxy(client: Client, resident):
    account, own, _ = resident
    company = f.taxpayer(
        kind="organisation", organisation_name="Piekarnia Sp. z o.o.", last_name=""
    )
    f.mandate(account, company, can_view=True)
    response = login(client, account).get(reverse("eservices:dues"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{own.pk}"' in html and f'value="{company.pk}"' in html
    with translation.override("pl"):
        assert translation.gettext("as proxy") in html
        assert translation.gettext("your own dues") in html
    assert html.index("Jan Kowalski") < html.index("Piekarnia")  # own records first


def test_the_choice_is_remembered_in_the_session(client: Client, resident):
    account, _, _ = resident
    company = f.taxpayer(last_name="Nowak")
    f.mandate(account, company)
    login(client, account)
    response = client.post(reverse("eservices:choose_taxpayer"), {"taxpayer": company.pk})
    assert response["Location"] == dashboard_url(company)
    assert client.session[ACTING_SESSION_KEY] == company.pk
    assert client.get(reverse("eservices:dues"))["Location"] == dashboard_url(company)


def test_a_stale_choice_of_a_revoked_mandate_does_not_leak(client: Client, resident):
    account, _, _ = resident
    other = f.taxpayer(last_name="Nowak")
    mandate = f.mandate(account, other)
    login(client, account)
    client.post(reverse("eservices:choose_taxpayer"), {"taxpayer": other.pk})
    f.mandate(account, f.taxpayer(last_name="Zieliński"))  # still more than one choice
    mandate.revoked_at = timezone.now()
    mandate.save()
    response = client.get(reverse("eservices:dues"))
    assert response.status_code == 200  # the chooser, not Nowak's dues
    assert "Nowak" not in response.content.decode()
    assert ACTING_SESSION_KEY not in client.session
    assert client.get(dashboard_url(other)).status_code == 404


def test_choosing_nothing_is_a_form_error(client: Client, resident):
    account, _, _ = resident
    f.mandate(account, f.taxpayer(last_name="Nowak"))
    response = login(client, account).post(reverse("eservices:choose_taxpayer"), {})
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_proxy_sees_the_acting_as_banner_and_the_owner_does_not(client: Client, resident):
    account, tp, _ = resident
    proxy = f.user()
    f.mandate(proxy, tp, can_view=True)
    with translation.override("pl"):
        banner = translation.gettext("Acting as a proxy")
    own_page = login(client, account).get(dashboard_url(tp)).content.decode()
    assert banner not in own_page
    proxy_page = login(Client(), proxy).get(dashboard_url(tp)).content.decode()
    assert banner in proxy_page and "Jan Kowalski" in proxy_page


# --- Access: every URL, every way of not being allowed -----------------------------------------
def all_urls(tp, ledger) -> list[str]:
    return [dashboard_url(tp), ledger_url(tp, ledger), statement_url(tp)]


def test_another_resident_gets_404_for_every_foreign_url(client: Client, resident):
    _, tp, ledger = resident
    stranger = f.user()
    f.link(stranger, f.taxpayer(last_name="Obcy"))
    login(client, stranger)
    for url in all_urls(tp, ledger):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("eservices:choose_taxpayer"), {"taxpayer": tp.pk}).status_code == 404
    assert client.session.get(ACTING_SESSION_KEY) != tp.pk


@pytest.mark.parametrize(
    "mandate",
    [
        pytest.param({"can_view": False, "can_pay": True}, id="no-view-right"),
        pytest.param({"revoked_at": "now"}, id="revoked"),
        pytest.param({"valid_from": -30, "valid_to": -1}, id="expired"),
        pytest.param({"valid_from": 1}, id="not-yet-in-force"),
    ],
)
def test_a_proxy_without_a_mandate_in_force_gets_404(client: Client, resident, mandate):
    _, tp, ledger = resident
    proxy = f.user()
    fields = dict(mandate)
    if fields.get("revoked_at") == "now":
        fields["revoked_at"] = timezone.now()
    for name in ("valid_from", "valid_to"):
        if name in fields:
            fields[name] = today() + timedelta(days=fields[name])
    f.mandate(proxy, tp, **fields)
    login(client, proxy)
    for url in all_urls(tp, ledger):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("eservices:choose_taxpayer"), {"taxpayer": tp.pk}).status_code == 404


def test_a_ledger_of_another_taxpayer_under_an_allowed_taxpayer_is_404(client: Client, resident):
    account, tp, _ = resident
    foreign_ledger = f.ledger(f.taxpayer(last_name="Obcy"))
    response = login(client, account).get(ledger_url(tp, foreign_ledger))
    assert response.status_code == 404


def test_a_co_obligated_ledger_is_shown_to_the_co_obligated(client: Client, resident):
    _, holder, ledger = resident
    spouse_account, spouse = f.user(), f.taxpayer(first_name="Anna", last_name="Kowalska")
    f.link(spouse_account, spouse)
    LedgerParty.objects.create(ledger=ledger, taxpayer=spouse, role="współwłaścicielka")
    login(client, spouse_account)
    assert client.get(ledger_url(spouse, ledger)).status_code == 200
    assert client.get(ledger_url(holder, ledger)).status_code == 404  # not Jan's other records


def test_anonymous_is_sent_to_login_from_every_url(client: Client, resident):
    _, tp, ledger = resident
    for url in [*all_urls(tp, ledger), reverse("eservices:choose_taxpayer")]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/konto/logowanie/?next="), url
    assert client.post(reverse("eservices:choose_taxpayer"), {"taxpayer": tp.pk}).status_code == 302


def test_every_account_page_says_no_store(client: Client, resident):
    account, tp, ledger = resident
    f.installment(ledger, "100.00", today() - timedelta(days=10))
    login(client, account)
    urls = [
        reverse("eservices:login"),
        reverse("eservices:dues"),
        reverse("eservices:choose_taxpayer"),
        *all_urls(tp, ledger),
        statement_url(tp) + "?na_dzien=nie-data",
    ]
    for url in urls:
        response = client.get(url)
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"], url


# --- Figures --------------------------------------------------------------------------------
@pytest.fixture
def arrears(resident):
    """An overdue instalment of 473.00 zł, 100 days late, with a reminder cost; one paid; one
    not yet due; a year's taxed object; a co-obligated spouse."""
    account, tp, ledger = resident
    overdue_on = today() - timedelta(days=100)
    late = f.installment(ledger, "473.00", overdue_on, number=1)
    f.entry(late, Kind.REMINDER_COST, reminder_costs="16.00", booked_on=today())
    paid = f.installment(ledger, "250.00", overdue_on - timedelta(days=30), number=2)
    f.entry(paid, Kind.PAYMENT, principal="-250.00", booked_on=paid.due_date)
    upcoming = f.installment(ledger, "120.50", today() + timedelta(days=20), number=3)
    spouse = f.taxpayer(first_name="Anna", last_name="Kowalska")
    LedgerParty.objects.create(ledger=ledger, taxpayer=spouse, role="współwłaścicielka")
    TaxedObject.objects.create(
        ledger=ledger,
        kind="budynek mieszkalny",
        description="ul. Lipowa 7",
        base=Decimal("142.5"),
        unit="m²",
        rate=Decimal("1.19"),
        year=today().year,
    )
    return account, tp, ledger, late, upcoming


def test_dashboard_shows_the_figures_of_dues(client: Client, arrears):
    account, tp, _, late, _ = arrears
    rules = interest_rules()
    # Hand-checked path: the tax-arrears interest of 473.00 zł overdue for 100 days.
    expected_interest = tax_interest(
        Decimal("473.00"),
        late.due_date,
        today(),
        rates=rules.tax_rates,
        thresholds=rules.thresholds,
    )
    assert expected_interest > 0
    expected = dues(access.ledgers_for(account, tp), today())
    assert expected.interest == expected_interest
    assert expected.arrears == Decimal("473.00")
    assert expected.to_pay_today == Decimal("473.00") + expected_interest + Decimal("16.00")

    response = login(client, account).get(dashboard_url(tp))
    assert response.status_code == 200
    html = response.content.decode()
    for amount in (
        expected.arrears,
        expected_interest,
        Decimal("16.00"),
        expected.to_pay_today,
        Decimal("473.00") + expected_interest,  # the instalment's "to pay today"
        Decimal("120.50"),  # next instalment / not yet due
        Decimal("250.00"),  # paid
    ):
        assert pl(amount) in html, amount
    assert pl("1240") == "1\u00a0240,00\u00a0zł"
    with translation.override("pl"):
        assert translation.pgettext("instalment status", "Overdue") in html


def test_dashboard_tables_are_accessible(client: Client, arrears):
    account, tp, *_ = arrears
    html = login(client, account).get(dashboard_url(tp)).content.decode()
    assert html.count("<caption") == 2
    assert '<th scope="col" class="amount">' in html
    assert '<td class="amount">' in html
    assert 'class="status status--overdue"' in html


def test_overdue_rows_link_to_their_ledger_and_escape_what_they_print(client: Client, resident):
    # The overdue table's cells are written out in the view (eservices.views.overdue_rows),
    # not by template filters: they must still be escaped and point at the right ledger.
    account, tp, _ = resident
    rtype = f.receivable_type("najem", name='Najem <lokalu> & "garaż"')
    ledger = f.ledger(tp, rtype)
    due = today() - timedelta(days=40)
    f.installment(ledger, "100.00", due, number=7)
    html = login(client, account).get(dashboard_url(tp)).content.decode()
    table = html[html.index('id="overdue-caption"') :]
    name = "Najem &lt;lokalu&gt; &amp; &quot;garaż&quot;"
    assert f'<a href="{ledger_url(tp, ledger)}">{name}</a>' in table
    assert "<lokalu>" not in html
    assert f"<td>7/{due.year}</td>" in table
    assert f'<time datetime="{due.isoformat()}">{due:%d.%m.%Y}</time>' in table
    assert '<td class="amount">40</td>' in table
    assert f'<td class="amount">{pl("100.00")}</td>' in table


def test_english_formats_amounts_the_english_way(client: Client, arrears):
    account, tp, *_ = arrears
    login(client, account)
    html = client.get("/en" + dashboard_url(tp)).content.decode()
    assert "PLN\u00a0473.00" in html
    assert "Overdue" in html


def test_ledger_detail_shows_persons_objects_instalments_and_operations(client: Client, arrears):
    account, tp, ledger, *_ = arrears
    response = login(client, account).get(ledger_url(tp, ledger))
    assert response.status_code == 200
    html = response.content.decode()
    assert ledger.number in html
    assert "Anna Kowalska" in html and "współwłaścicielka" in html
    assert "budynek mieszkalny" in html and "142,5&nbsp;m²" in html and "1,19\u00a0zł/m²" in html
    assert pl("473.00") in html and pl("120.50") in html
    assert "+473,00\u00a0zł" in html  # the charge, as a signed delta
    assert "\u2212250,00\u00a0zł" in html  # the payment
    assert "+16,00\u00a0zł" in html  # the reminder cost
    entries = response.context["entries"]
    assert len(entries) == ledger.entries.count() == 5
    assert html.count("<caption") == 3


def test_a_due_date_moved_off_a_weekend_is_marked(client: Client, resident):
    account, tp, ledger = resident
    inst = f.installment(ledger, "100.00", date(2025, 11, 15))  # a Saturday
    type(inst).objects.filter(pk=inst.pk).update(due_date=date(2025, 11, 17))
    html = login(client, account).get(ledger_url(tp, ledger)).content.decode()
    with translation.override("pl"):
        mark = translation.gettext("moved off a weekend or holiday")
    assert html.count(mark) == 1
    assert "15.11.2025" in html and "17.11.2025" in html


def test_ledger_years_filter(client: Client, resident):
    account, tp, ledger = resident
    f.installment(ledger, "111.00", date(2024, 3, 15))
    f.installment(ledger, "222.00", date(2025, 3, 17))
    f.installment(ledger, "333.00", date(2025, 5, 15), number=2)
    login(client, account)
    response = client.get(ledger_url(tp, ledger) + "?rok=2025")
    assert response.context["years_form"].fields["rok"].choices == [(2025, "2025"), (2024, "2024")]
    html = response.content.decode()
    assert pl("222.00") in html and pl("111.00") not in html
    both = client.get(ledger_url(tp, ledger)).content.decode()
    assert pl("222.00") in both and pl("111.00") in both
    # A year that is not one of the ledger's shows everything rather than failing.
    assert client.get(ledger_url(tp, ledger) + "?rok=1999").status_code == 200


# --- The statement's form ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    ["nie-data", "2026-13-45", "15.03.2026", pytest.param("future", id="future")],
)
def test_a_bad_statement_date_is_a_form_error_not_a_500(client: Client, resident, value):
    account, tp, _ = resident
    if value == "future":
        value = (today() + timedelta(days=1)).isoformat()
    response = login(client, account).get(statement_url(tp), {"na_dzien": value})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert 'role="alert"' in html and 'id="id_na_dzien-error"' in html
    assert 'aria-invalid="true"' in html


# --- A fixed number of queries ------------------------------------------------------------------
def build_installments(ledger, start: int, count: int) -> None:
    """``count`` instalments, monthly back from today: paid, partly paid and unpaid ones."""
    for n in range(start, start + count):
        due = today() - timedelta(days=30 * n - 400)
        inst = f.installment(ledger, "100.00", due, number=n)
        if n % 3 == 0:
            f.entry(inst, Kind.PAYMENT, principal="-100.00", booked_on=due)
        elif n % 3 == 1:
            f.entry(inst, Kind.PAYMENT, principal="-40.00", booked_on=due)


def count_queries(client: Client, url: str) -> int:
    client.get(url)  # warm-up: the site settings row, the remembered choice
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


# The site chrome (menus, footer, language links, home link) runs about 20 of them.
MAX_QUERIES = 40


def test_pages_run_a_fixed_number_of_queries_however_many_instalments(client: Client, resident):
    account, tp, ledger = resident
    second = f.ledger(tp, f.receivable_type("odpady", name="Opłata za odpady"))
    build_installments(ledger, 1, 3)
    build_installments(second, 1, 2)
    login(client, account)
    client.get(dashboard_url(tp))  # warms the site-chrome cache (home.chrome_cache)
    small = {url: count_queries(client, url) for url in (dashboard_url(tp), ledger_url(tp, ledger))}

    build_installments(ledger, 4, 30)
    build_installments(second, 3, 25)
    assert ledger.installments.count() + second.installments.count() == 60
    large = {url: count_queries(client, url) for url in (dashboard_url(tp), ledger_url(tp, ledger))}

    for url, count in large.items():
        print(url, count)
    assert small == large
    assert all(count <= MAX_QUERIES for count in large.values()), large


# --- The demo ---------------------------------------------------------------------------------
def test_demo_proxy_sees_jan_and_nothing_else(demo_site, client: Client):
    from django.contrib.auth import get_user_model

    maria = get_user_model().objects.get(email="maria.nowak@przykladowo.example")
    login(client, maria)
    response = client.get(reverse("eservices:dues"), follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Jan Kowalski" in html
    with translation.override("pl"):
        assert translation.gettext("Acting as a proxy") in html
    assert "Piekarnia" not in html
