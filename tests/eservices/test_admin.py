"""The "Receivables" admin: who sees what, read-only ledgers, audited rates, defined queries."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import openpyxl
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from wagtail.models import ModelLogEntry
from wagtail.permissions import policy_registry

from eservices.models import (
    ImportBatch,
    InterestRate,
    LedgerEntry,
    LedgerParty,
    NoInterestThreshold,
    ReceivableType,
    ReminderCostRate,
    TaxedObject,
    Taxpayer,
    TaxpayerGroup,
)
from eservices.queries import get_query
from eservices.roles import ADMINISTRATORS, CLERKS, EDITORS, sync_roles

from . import factories as f

pytestmark = pytest.mark.django_db
User = get_user_model()
Kind = LedgerEntry.Kind
PESEL = "44051401359"
NIP = "8567346215"


@pytest.fixture(autouse=True)
def roles(db):
    """The grants of ROLES (the lead's migration calls sync_roles in production)."""
    sync_roles(apps)


def staff(role: str) -> User:
    user = User.objects.create_user(f"{role.lower()}@gmina.example", "x" * 12, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def verified_login(client: Client, user) -> Client:
    """Log a staff user in with a verified second factor (the admin demands one)."""
    client.force_login(user)
    try:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice
    except ImportError:  # pragma: no cover - without django-otp there is nothing to verify
        return client
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def login(client: Client, role: str) -> Client:
    return verified_login(client, staff(role))


@pytest.fixture
def data():
    tp = f.taxpayer(first_name="Anna", last_name="Nowak", pesel=PESEL, city="Zalesie")
    firm = f.taxpayer(
        kind="organisation",
        first_name="",
        last_name="",
        organisation_name="Firma Handlowa Sp. z o.o.",
        nip=NIP,
        regon="192598184",
        external_id="SIGID-777",
    )
    ledger = f.ledger(tp, number="K-2026-001")
    LedgerParty.objects.create(ledger=ledger, taxpayer=firm, role="współwłaściciel")
    TaxedObject.objects.create(
        ledger=ledger,
        kind="Grunty pozostałe",
        base=Decimal("812.0000"),
        unit="m²",
        rate=Decimal("0.6200"),
        year=2026,
    )
    late = f.installment(ledger, "1000.00", date(2025, 3, 17))
    LedgerEntry.objects.create(
        ledger=ledger,
        installment=late,
        kind=Kind.PAYMENT,
        booked_on=date(2025, 5, 2),
        principal=Decimal("-400.00"),
        document="WB 17/2025",
        external_id="E-WB-17",
    )
    f.installment(ledger, "500.00", date(2099, 5, 15), number=2)
    group = TaxpayerGroup.objects.create(name="Sołectwo Zalesie")
    group.members.add(tp)
    return {
        "taxpayer": tp,
        "firm": firm,
        "ledger": ledger,
        "entry": late.entries.get(kind=Kind.PAYMENT),
        "group": group,
        "type": ledger.receivable_type,
        "rate": InterestRate.objects.filter(regime="tax").latest("valid_from"),
        "threshold": NoInterestThreshold.objects.latest("valid_from"),
        "reminder_cost": ReminderCostRate.objects.latest("valid_from"),
    }


def _urls(d) -> dict[str, str]:
    return {
        "taxpayers": "/admin/receivables/taxpayers/",
        "taxpayer": f"/admin/receivables/taxpayers/inspect/{d['taxpayer'].pk}/",
        "groups": "/admin/receivables/groups/",
        "group_new": "/admin/receivables/groups/new/",
        "group_edit": f"/admin/receivables/groups/edit/{d['group'].pk}/",
        "group_delete": f"/admin/receivables/groups/delete/{d['group'].pk}/",
        "ledgers": "/admin/receivables/ledgers/",
        "ledger": f"/admin/receivables/ledgers/inspect/{d['ledger'].pk}/",
        "entries": "/admin/receivables/entries/",
        "entry": f"/admin/receivables/entries/inspect/{d['entry'].pk}/",
        "types": "/admin/receivables/types/",
        "type_edit": f"/admin/receivables/types/edit/{d['type'].pk}/",
        "rates": "/admin/receivables/interest-rates/",
        "rate_new": "/admin/receivables/interest-rates/new/",
        "rate_edit": f"/admin/receivables/interest-rates/edit/{d['rate'].pk}/",
        "rate_history": f"/admin/receivables/interest-rates/history/{d['rate'].pk}/",
        "threshold_edit": (f"/admin/receivables/no-interest-thresholds/edit/{d['threshold'].pk}/"),
        "reminder_cost_new": "/admin/receivables/reminder-costs/new/",
        "queries": "/admin/receivables/queries/",
        "query": "/admin/receivables/queries/total_arrears/",
        "imports": "/admin/receivables/imports/",
    }


CLERK_CAN = {
    "taxpayers",
    "taxpayer",
    "groups",
    "group_new",
    "group_edit",
    "ledgers",
    "ledger",
    "entries",
    "entry",
    "types",
    "rates",
    "queries",
    "query",
}
ADMIN_CAN = CLERK_CAN | {
    "group_delete",
    "type_edit",
    "rate_new",
    "rate_edit",
    "rate_history",
    "threshold_edit",
    "reminder_cost_new",
    "imports",
}
ACCESS = {EDITORS: set(), CLERKS: CLERK_CAN, ADMINISTRATORS: ADMIN_CAN}


@pytest.mark.parametrize("role", [EDITORS, CLERKS, ADMINISTRATORS])
def test_each_role_opens_exactly_its_part_of_the_receivables_admin(client: Client, data, role):
    login(client, role)
    for key, url in _urls(data).items():
        response = client.get(url)
        if key in ACCESS[role]:
            assert response.status_code == 200, (role, key, response.status_code)
        else:
            # Wagtail sends a logged-in user without the permission back to the dashboard.
            assert response.status_code in (302, 403), (role, key, response.status_code)
            if response.status_code == 302:
                assert response["Location"] == "/admin/", (role, key)


def test_menu_shows_receivables_to_clerks_only(client: Client, data):
    login(client, CLERKS)
    body = client.get("/admin/").content.decode()
    assert "/admin/receivables/queries/" in body
    assert "/admin/receivables/taxpayers/" in body
    assert "/admin/receivables/interest-rates/new/" not in body
    verified_login(client, staff(EDITORS))
    body = client.get("/admin/").content.decode()
    assert "/admin/receivables/" not in body


@pytest.mark.parametrize("viewset", ["ledger_entries", "ledgers", "taxpayers"])
def test_read_only_viewsets_have_no_way_to_change_a_row(client: Client, data, viewset):
    for name in ("add", "edit", "delete", "copy", "history", "usage"):
        with pytest.raises(NoReverseMatch):
            reverse(f"{viewset}:{name}", args=() if name == "add" else (1,))
    verified_login(client, User.objects.create_superuser("root@gmina.example", "x" * 12))
    prefix = {"ledger_entries": "entries", "ledgers": "ledgers", "taxpayers": "taxpayers"}
    pk = {"ledger_entries": data["entry"].pk, "ledgers": data["ledger"].pk}.get(
        viewset, data["taxpayer"].pk
    )
    for action in ("edit", "delete", "copy"):
        url = f"/admin/receivables/{prefix[viewset]}/{action}/{pk}/"
        assert client.get(url).status_code == 404
        assert client.post(url, {"principal": "0"}).status_code == 404
    assert client.get(f"/admin/receivables/{prefix[viewset]}/new/").status_code == 404
    listing = client.get(f"/admin/receivables/{prefix[viewset]}/")
    assert listing.status_code == 200
    assert b"/edit/" not in listing.content and b"/delete/" not in listing.content


def test_read_only_policy_refuses_changes_even_to_superusers(data):
    admin = User.objects.create_superuser("root@gmina.example", "x" * 12)
    clerk = staff(CLERKS)
    for model in (LedgerEntry, type(data["ledger"]), Taxpayer):
        policy = policy_registry.get_by_type(model)
        assert policy.user_has_permission(admin, "view")
        assert policy.user_has_permission(clerk, "view")
        for action in ("add", "change", "delete"):
            assert not policy.user_has_permission(admin, action)
            assert not policy.users_with_any_permission([action]).exists()


# --- Taxpayers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["Nowak", "anna nowak", PESEL, "440514 01359", NIP, "856-734-62-15", "192598184", "SIGID-777"],
)
def test_taxpayer_search(client: Client, data, query):
    login(client, CLERKS)
    response = client.get("/admin/receivables/taxpayers/", {"q": query})
    assert response.status_code == 200
    found = {tp.pk for tp in response.context["object_list"]}
    expected = data["firm"] if query in (NIP, "856-734-62-15", "192598184", "SIGID-777") else None
    assert found == {(expected or data["taxpayer"]).pk}, query


def test_pesel_is_found_only_whole_and_shown_masked(client: Client, data):
    login(client, CLERKS)
    response = client.get("/admin/receivables/taxpayers/", {"q": PESEL[:6]})
    assert list(response.context["object_list"]) == []
    for url in ("/admin/receivables/taxpayers/", _urls(data)["taxpayer"]):
        body = client.get(url).content.decode()
        assert "*******1359" in body
        assert PESEL not in body and "440514" not in body


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_taxpayer_export_leaves_the_pesel_out(client: Client, data, export):
    login(client, CLERKS)
    response = client.get("/admin/receivables/taxpayers/", {"export": export})
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if export == "csv":
        rows = list(csv.reader(io.StringIO(content.decode())))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        rows = [[str(v) if v is not None else "" for v in row] for row in sheet.values]
    flat = " ".join(" ".join(row) for row in rows)
    assert PESEL not in flat and "1359" not in flat
    assert "Anna Nowak" in flat and NIP in flat
    assert len(rows) == 3  # heading + two taxpayers


def test_taxpayer_inspect_lists_ledgers_and_groups(client: Client, data):
    login(client, CLERKS)
    body = client.get(_urls(data)["taxpayer"]).content.decode()
    assert "K-2026-001" in body and "Sołectwo Zalesie" in body
    assert reverse("ledgers:inspect", args=(data["ledger"].pk,)) in body


# --- Ledgers and entries -------------------------------------------------------------------


def test_ledger_inspect_shows_parties_objects_instalments_and_entries(client: Client, data):
    login(client, CLERKS)
    url = _urls(data)["ledger"]
    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    body = response.content.decode()
    for text in ("Firma Handlowa", "współwłaściciel", "Grunty pozostałe", "WB 17/2025", "2099/2"):
        assert text in body, text
    # More instalments and entries, same number of queries.
    for number in range(3, 13):
        inst = f.installment(data["ledger"], "10.00", date(2099, 1, number), number=number)
        f.entry(inst, Kind.PAYMENT, principal="-5.00")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_entries_listing_filters(client: Client, data):
    login(client, CLERKS)
    url = "/admin/receivables/entries/"
    response = client.get(url, {"kind": Kind.PAYMENT})
    assert [e.kind for e in response.context["object_list"]] == [Kind.PAYMENT]
    response = client.get(url, {"booked_on_from": "2030-01-01", "booked_on_to": "2030-12-31"})
    assert list(response.context["object_list"]) == []
    response = client.get(url, {"ledger__receivable_type": data["type"].pk})
    assert len(response.context["object_list"]) == 3  # two charges and a payment


# --- Groups --------------------------------------------------------------------------------


def test_clerk_edits_group_members_by_identifier(client: Client, data):
    login(client, CLERKS)
    group, firm = data["group"], data["firm"]
    other = f.taxpayer(first_name="Jan", last_name="Kowalski", external_id="SIGID-1")
    url = _urls(data)["group_edit"]
    response = client.post(
        url,
        {
            "name": group.name,
            "description": "",
            "add_members": f"{NIP}\nSIGID-1\n",
            "remove_members": PESEL,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert set(group.members.all()) == {firm, other}
    assert ModelLogEntry.objects.filter(action="wagtail.edit", object_id=str(group.pk)).exists()

    response = client.post(
        url, {"name": group.name, "add_members": "NOBODY-1\n\n99999999999", "remove_members": ""}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["add_members"]
    assert len(errors) == 2 and "NOBODY-1" in errors[0]


def test_clerk_creates_a_group(client: Client, data):
    login(client, CLERKS)
    response = client.post(
        "/admin/receivables/groups/new/",
        {"name": "Przedsiębiorcy", "description": "", "add_members": "SIGID-777"},
    )
    assert response.status_code == 302
    assert list(TaxpayerGroup.objects.get(name="Przedsiębiorcy").members.all()) == [data["firm"]]


# --- Receivable types and rate tables ------------------------------------------------------


def test_rate_change_is_logged_and_shown_in_the_history(client: Client, data):
    admin = staff(ADMINISTRATORS)
    verified_login(client, admin)
    rate = data["rate"]
    url = _urls(data)["rate_edit"]
    response = client.post(
        url,
        {
            "regime": rate.regime,
            "valid_from": rate.valid_from.isoformat(),
            "annual_rate": "10.25",
            "reduced_rate": "5.13",
            "increased_rate": "15.38",
            "legal_source": "M.P. 2026 poz. 999",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    rate.refresh_from_db()
    assert rate.annual_rate == Decimal("10.25")
    entry = ModelLogEntry.objects.get(action="wagtail.edit", object_id=str(rate.pk))
    assert entry.user == admin
    assert entry.content_type.model_class() is InterestRate
    history = client.get(_urls(data)["rate_history"])
    assert history.status_code == 200
    assert admin.get_username() in history.content.decode() or str(admin) in (
        history.content.decode()
    )
    assert entry in history.context["object_list"]


def test_new_rate_row_is_logged(client: Client, data):
    verified_login(client, staff(ADMINISTRATORS))
    response = client.post(
        _urls(data)["rate_new"],
        {
            "regime": "tax",
            "valid_from": "2026-09-03",
            "annual_rate": "10.00",
            "reduced_rate": "5.00",
            "increased_rate": "15.00",
            "legal_source": "M.P. 2026 poz. 1000",
        },
    )
    assert response.status_code == 302
    rate = InterestRate.objects.get(regime="tax", valid_from=date(2026, 9, 3))
    assert ModelLogEntry.objects.filter(action="wagtail.create", object_id=str(rate.pk)).exists()


def test_administrator_edits_a_receivable_type(client: Client, data):
    verified_login(client, staff(ADMINISTRATORS))
    rtype = data["type"]
    response = client.post(
        _urls(data)["type_edit"],
        {
            "code": rtype.code,
            "name": rtype.name,
            "category": rtype.category,
            "interest_regime": rtype.interest_regime,
            "due_date_shift": rtype.due_date_shift,
            "domain_program": "SIGID",
            "bank_account": "",
            "virtual_account_prefix": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert ReceivableType.objects.get(pk=rtype.pk).domain_program == "SIGID"
    assert ModelLogEntry.objects.filter(action="wagtail.edit", object_id=str(rtype.pk)).exists()


def test_clerk_cannot_post_a_rate_change(client: Client, data):
    login(client, CLERKS)
    response = client.post(_urls(data)["rate_edit"], {"annual_rate": "1.00"})
    assert response.status_code in (302, 403)
    assert InterestRate.objects.get(pk=data["rate"].pk).annual_rate == data["rate"].annual_rate


# --- Import history ------------------------------------------------------------------------


@pytest.fixture
def rejected_batch():
    return ImportBatch.objects.create(
        format=ImportBatch.Format.JSONL,
        filename="sigid-2026-04-15.jsonl",
        sha256="0" * 64,
        status=ImportBatch.Status.REJECTED,
        errors=[
            {
                "line": 7,
                "record_type": "entry",
                "external_id": "E-7",
                "message": "no instalment I-9",
            },
            {"line": None, "record_type": "", "external_id": "", "message": "batch refused"},
        ],
        error_count=5,
    )


def test_import_history_shows_each_batch_with_its_errors(client: Client, rejected_batch):
    login(client, ADMINISTRATORS)
    listing = client.get("/admin/receivables/imports/")
    assert listing.status_code == 200
    assert "sigid-2026-04-15.jsonl" in listing.content.decode()
    response = client.get(f"/admin/receivables/imports/inspect/{rejected_batch.pk}/")
    rows = _table(response.content.decode())
    assert ["7", "entry", "E-7", "no instalment I-9"] in rows
    assert rows[0][3] == "batch refused"  # the batch-wide error comes first
    assert response.context["errors_not_stored"] == 3  # found but not stored


def test_import_history_is_read_only_and_for_administrators(client: Client, rejected_batch):
    login(client, CLERKS)
    assert client.get("/admin/receivables/imports/").status_code in (302, 403)
    verified_login(client, User.objects.create_superuser("root@gmina.example", "x" * 12))
    for action in ("edit", "delete"):
        url = f"/admin/receivables/imports/{action}/{rejected_batch.pk}/"
        assert client.get(url).status_code == 404


# --- Defined queries -----------------------------------------------------------------------


class _TableParser(HTMLParser):
    """The text of each body row of the results table (``<table class="listing">``)."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._in_listing = self._in_body = self._in_cell = False

    def handle_starttag(self, tag, attrs):
        if tag == "table" and "listing" in (dict(attrs).get("class") or "").split():
            self._in_listing = True
        elif tag == "tbody" and self._in_listing:
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag == "td" and self._in_body:
            self._in_cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_listing = False
        elif tag == "tbody":
            self._in_body = False
        elif tag == "td":
            self._in_cell = False

    def handle_data(self, text):
        if self._in_cell:
            self.rows[-1][-1] += text


def _table(body: str) -> list[list[str]]:
    parser = _TableParser()
    parser.feed(body)
    return [[" ".join(cell.split()) for cell in row] for row in parser.rows]


def _number(text: str) -> str:
    return text.replace("\xa0", "").replace(" ", "").replace(",", ".")


@pytest.fixture
def debtors():
    """Three taxpayers in arrears, different amounts."""
    rtype = f.receivable_type()
    made = []
    for number, amount in enumerate(["300.00", "1200.50", "45.10"], start=1):
        tp = f.taxpayer(first_name="Podatnik", last_name=f"Nr{number}", email=f"p{number}@x.pl")
        f.installment(f.ledger(tp, rtype), amount, date(2026, 3, 16))
        made.append(tp)
    return made


QUERY_URL = "/admin/receivables/queries/dues_and_arrears_with_interest/"
PARAMS = {"as_of": "2026-04-15"}


def test_query_page_shows_count_totals_and_table(client: Client, debtors):
    login(client, CLERKS)
    response = client.get(QUERY_URL)
    assert response.status_code == 200
    assert response.context["result"] is None  # nothing runs before the form is sent
    response = client.get(QUERY_URL, PARAMS)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-query-count="3"' in body
    rows = _table(body)
    assert [row[0] for row in rows] == ["Podatnik Nr2", "Podatnik Nr1", "Podatnik Nr3"]
    assert response.context["totals"].arrears == Decimal("1545.60")


def test_query_form_errors_are_shown(client: Client, debtors):
    login(client, CLERKS)
    response = client.get(QUERY_URL, {"as_of": "not a date"})
    assert response.status_code == 200
    assert response.context["result"] is None
    assert "as_of" in response.context["form"].errors


def test_query_parameters_reach_the_sql(client: Client, debtors):
    login(client, CLERKS)
    response = client.get(QUERY_URL, {**PARAMS, "min_amount": "300"})
    assert [row[0] for row in _table(response.content.decode())] == [
        "Podatnik Nr2",
        "Podatnik Nr1",
    ]


@pytest.mark.parametrize("export", ["csv", "xlsx"])
def test_query_exports_match_the_table(client: Client, debtors, export):
    login(client, CLERKS)
    table = _table(client.get(QUERY_URL, PARAMS).content.decode())
    response = client.get(QUERY_URL, {**PARAMS, "export": export})
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    if export == "csv":
        assert response["Content-Type"].startswith("text/csv")
        heading, *rows = list(csv.reader(io.StringIO(content.decode())))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        heading, *rows = [["" if v is None else str(v) for v in row] for row in sheet.values]
    assert "dues_and_arrears_with_interest-2026-04-15" in response["Content-Disposition"]
    fields = list(get_query("dues_and_arrears_with_interest").export_fields)
    assert len(heading) == len(fields)
    assert len(rows) == len(table) == 3
    name_at, arrears_at, total_at = (fields.index(n) for n in ("name", "arrears", "total"))
    # The table: name, external id, then the query's columns in order.
    columns = ["name", "external_id", *fields[6:]]
    for exported, shown in zip(rows, table, strict=True):
        assert exported[name_at] == shown[0]
        for field, at in (("arrears", arrears_at), ("total", total_at)):
            assert Decimal(exported[at]) == Decimal(_number(shown[columns.index(field)]))
    assert all("@x.pl" in row[fields.index("email")] for row in rows)


def test_query_page_issues_no_query_per_row(client: Client, debtors):
    login(client, CLERKS)
    client.get(QUERY_URL, PARAMS)  # warm caches (session, permissions)
    with CaptureQueriesContext(connection) as few:
        client.get(QUERY_URL, PARAMS)
    rtype = f.receivable_type()
    for number in range(10):
        tp = f.taxpayer(first_name="Więcej", last_name=f"Nr{number}")
        f.installment(f.ledger(tp, rtype), "99.00", date(2026, 2, 16))
    with CaptureQueriesContext(connection) as many:
        response = client.get(QUERY_URL, PARAMS)
    assert len(_table(response.content.decode())) == 13
    assert len(many) == len(few)


def test_query_page_is_denied_to_editors_even_by_direct_url(client: Client, debtors):
    login(client, EDITORS)
    for url in ("/admin/receivables/queries/", QUERY_URL):
        response = client.get(url, {**PARAMS, "export": "csv"})
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response["Location"] == "/admin/"


def test_unknown_query_is_404(client: Client):
    login(client, CLERKS)
    assert client.get("/admin/receivables/queries/no-such-query/").status_code == 404


def test_query_list_links_every_query(client: Client):
    login(client, CLERKS)
    body = client.get("/admin/receivables/queries/").content.decode()
    for code in (
        "total_arrears",
        "total_dues",
        "nearest_dues",
        "dues_and_arrears",
        "dues_and_arrears_with_interest",
    ):
        assert f"/admin/receivables/queries/{code}/" in body
