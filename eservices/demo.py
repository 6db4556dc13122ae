"""Demo accounts and receivables for Gmina Przykładowo.

Staff accounts (one per role) and residents get known passwords, printed by
``manage.py load_demo``: for a laptop only, production settings refuse to load demo data.
The receivables look like an import from the office's tax system: a family with a property tax
ledger (the wife co-obligated), arrears from last year with interest and a reminder cost, the
waste fee, a dog fee, a perpetual usufruct fee (civil interest), and a bakery company the
resident acts for as its proxy. Dates are relative to the current year so the demo stays current.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from .duedates import ShiftRule, effective_due_date
from .models import (
    AccountLink,
    Installment,
    Ledger,
    LedgerEntry,
    LedgerParty,
    LinkRequest,
    Mandate,
    ReceivableType,
    TaxedObject,
    Taxpayer,
    TaxpayerGroup,
)
from .roles import ADMINISTRATORS, CLERKS, EDITORS

DEMO_USERS = [
    # email, password, first name, last name, staff role (None: resident)
    ("admin@przykladowo.example", "Demo-Administrator-2026", "Adam", "Administrator",
     ADMINISTRATORS),
    ("redaktor@przykladowo.example", "Demo-Redaktor-2026", "Regina", "Redaktorska", EDITORS),
    ("urzednik@przykladowo.example", "Demo-Urzednik-2026", "Urszula", "Urzędnicza", CLERKS),
    ("jan.kowalski@przykladowo.example", "Demo-Mieszkaniec-2026", "Jan", "Kowalski", None),
    ("maria.nowak@przykladowo.example", "Demo-Pelnomocnik-2026", "Maria", "Nowak", None),
]  # fmt: skip

Category = ReceivableType.Category
Regime = ReceivableType.InterestRegime
Shift = ReceivableType.DueDateShift
Kind = LedgerEntry.Kind

RECEIVABLE_TYPES = [
    # code, name, category, interest regime, due-date shift, bank account (empty: main)
    ("pn-osoby", "Podatek od nieruchomości – osoby fizyczne", Category.PROPERTY_TAX,
     Regime.TAX, Shift.TAX_ART12, ""),
    ("pn-prawne", "Podatek od nieruchomości – osoby prawne", Category.PROPERTY_TAX,
     Regime.TAX, Shift.TAX_ART12, ""),
    ("lzp", "Łączne zobowiązanie pieniężne", Category.COMBINED_LIABILITY, Regime.TAX,
     Shift.TAX_ART12, ""),
    ("srodki-transportu", "Podatek od środków transportowych", Category.TRANSPORT_TAX,
     Regime.TAX, Shift.TAX_ART12, ""),
    ("odpady", "Opłata za gospodarowanie odpadami komunalnymi", Category.WASTE_FEE,
     Regime.TAX, Shift.TAX_ART12, "11102010260000190200000001"),
    ("psy", "Opłata od posiadania psów", Category.DOG_FEE, Regime.TAX, Shift.TAX_ART12, ""),
    ("uzytkowanie-wieczyste", "Opłata roczna z tytułu użytkowania wieczystego",
     Category.PERPETUAL_USUFRUCT, Regime.CIVIL_STATUTORY, Shift.CIVIL_ART115, ""),
    ("alkohol", "Opłata za korzystanie z zezwoleń na sprzedaż alkoholu",
     Category.ALCOHOL_PERMIT, Regime.NONE, Shift.NONE, ""),
]  # fmt: skip

QUARTERS = [(3, 15), (5, 15), (9, 15), (11, 15)]
DOCUMENTS = {
    Kind.CHARGE: "decyzja wymiarowa",
    Kind.PAYMENT: "wyciąg bankowy",
    Kind.REMINDER_COST: "upomnienie",
}


def _users(report) -> dict[str, object]:
    User = get_user_model()
    users, lines, mfa_lines = {}, [], []
    for email, password, first_name, last_name, role in DEMO_USERS:
        user = User.objects.filter(email__iexact=email).first() or User(email=email)
        user.first_name, user.last_name = first_name, last_name
        user.is_staff = role is not None
        user.is_active = True
        user.set_password(password)
        user.save()
        if role:
            user.groups.set([Group.objects.get(name=role)])
        users[email.split("@")[0]] = user
        lines.append(f"{role or 'Mieszkaniec':<16} {email:<36} {password}")
        if role:
            mfa_lines.extend(_demo_second_factor(user))
    report.section("Konta demonstracyjne (rola, login, hasło)", lines)
    # The admin asks staff for a second factor: a TOTP app or a single-use backup code.
    report.section(
        "Drugi składnik do panelu /admin/ (klucz TOTP do aplikacji; kody zapasowe działają raz)",
        mfa_lines,
    )
    return users


def _demo_second_factor(user) -> list[str]:
    from base64 import b32encode

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .staff_security.devices import backup_codes, new_backup_codes, new_totp_device

    # Kept across runs, so an authenticator app set up once goes on working.
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = new_totp_device(user, confirmed=True)
    codes = backup_codes(user)
    if len(codes) < 3:
        codes = new_backup_codes(user, count=5)
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return [
        f"{user.email}",
        f"    klucz TOTP:     {secret}",
        f"    otpauth URI:    {device.config_url}",
        f"    kody zapasowe:  {' '.join(codes[:3])}",
    ]


class _Book:
    """Writes ledger records the way an import from the tax system would (idempotently)."""

    def __init__(self) -> None:
        self.types = {}
        for code, name, category, regime, shift, account in RECEIVABLE_TYPES:
            self.types[code] = ReceivableType.objects.update_or_create(
                code=code,
                defaults={
                    "name": name,
                    "category": category,
                    "interest_regime": regime,
                    "due_date_shift": shift,
                    "bank_account": account,
                    "domain_program": "SIGID",
                },
            )[0]

    def taxpayer(self, external_id: str, pesel: str = "", **fields) -> Taxpayer:
        tp, _ = Taxpayer.objects.update_or_create(
            external_id=external_id, defaults={**fields, "source_system": "SIGID"}
        )
        if pesel and tp.pesel != pesel:
            tp.pesel = pesel
            tp.save(update_fields=["pesel_encrypted", "pesel_index"])
        return tp

    def ledger(self, owner: Taxpayer, type_code: str, number: str) -> Ledger:
        return Ledger.objects.update_or_create(
            external_id=f"DEMO-{number}",
            defaults={
                "taxpayer": owner,
                "receivable_type": self.types[type_code],
                "number": number,
            },
        )[0]

    def installment(self, ledger: Ledger, year: int, number: int, due: date, amount: str):
        rtype = ledger.receivable_type
        inst, _ = Installment.objects.update_or_create(
            external_id=f"{ledger.external_id}-{year}-{number}",
            defaults={
                "ledger": ledger,
                "year": year,
                "number": number,
                "nominal_due_date": due,
                "due_date": effective_due_date(due, rule=ShiftRule(rtype.due_date_shift)),
                "assessed_amount": Decimal(amount),
            },
        )
        self.entry(inst, Kind.CHARGE, date(year, 1, 20), principal=amount, suffix="przypis")
        return inst

    def entry(self, inst: Installment, kind: str, on: date, suffix: str, **amounts) -> None:
        external_id = f"{inst.external_id}-{suffix}"
        if LedgerEntry.objects.filter(external_id=external_id).exists():
            return  # append-only: already booked
        LedgerEntry.objects.create(
            ledger=inst.ledger,
            installment=inst,
            kind=kind,
            booked_on=on,
            external_id=external_id,
            document=DOCUMENTS[kind],
            **{name: Decimal(value) for name, value in amounts.items()},
        )

    def pay(self, inst: Installment, on: date, amount: str, suffix: str = "wplata") -> None:
        self.entry(inst, Kind.PAYMENT, on, suffix=suffix, principal=f"-{amount}")


def _receivables(users: dict[str, object], report) -> None:
    today = timezone.localdate()
    year, last = today.year, today.year - 1
    book = _Book()

    jan = book.taxpayer(
        "SIGID-10001", pesel="44051401359", first_name="Jan", last_name="Kowalski",
        street="ul. Lipowa 7", postal_code="99-999", city="Przykładowo",
        email="jan.kowalski@przykladowo.example", phone="+48600100200",
    )  # fmt: skip
    anna = book.taxpayer(
        "SIGID-10002", pesel="02070803628", first_name="Anna", last_name="Kowalska",
        street="ul. Lipowa 7", postal_code="99-999", city="Przykładowo",
    )  # fmt: skip
    bakery = book.taxpayer(
        "SIGID-20001", kind=Taxpayer.Kind.ORGANISATION,
        organisation_name="Piekarnia Przykładowo Sp. z o.o.", nip="7740001454",
        regon="610188201", street="ul. Młyńska 2", postal_code="99-999", city="Przykładowo",
        email="biuro@piekarnia.example",
    )  # fmt: skip

    # Property tax of the Kowalskis: last year's 4th instalment unpaid, with a reminder.
    property_tax = book.ledger(jan, "pn-osoby", "PN/0123")
    LedgerParty.objects.get_or_create(ledger=property_tax, taxpayer=anna, role="współwłaścicielka")
    for kind, description, base, unit, rate in [
        ("budynek mieszkalny", "dom jednorodzinny, ul. Lipowa 7", "142.5", "m²", "1.19"),
        ("grunt pozostały", "działka 112/4", "912", "m²", "0.62"),
    ]:
        TaxedObject.objects.update_or_create(
            ledger=property_tax, kind=kind, year=year,
            defaults={"description": description, "base": Decimal(base), "unit": unit,
                      "rate": Decimal(rate)},
        )  # fmt: skip
    for number, (month, day) in enumerate(QUARTERS, start=1):
        inst = book.installment(property_tax, last, number, date(last, month, day), "187.00")
        if number < 4:
            book.pay(inst, date(last, month, day - 3), "187.00")
        else:
            book.entry(inst, Kind.REMINDER_COST, date(year, 2, 10), "upomnienie",
                       reminder_costs="16.00")  # fmt: skip
    for number, (month, day) in enumerate(QUARTERS, start=1):
        inst = book.installment(property_tax, year, number, date(year, month, day), "193.00")
        if number <= 2:
            book.pay(inst, date(year, month, day - 2), "193.00")
        elif number == 3:
            book.pay(inst, date(year, month, day - 1), "100.00")  # partial payment

    # Waste fee: monthly by the 15th into a separate account.
    waste = book.ledger(jan, "odpady", "OD/0456")
    for month in range(1, 13):
        inst = book.installment(waste, year, month, date(year, month, 15), "36.00")
        if month < today.month - 1:
            book.pay(inst, date(year, month, 10), "36.00")

    dog = book.ledger(jan, "psy", "PS/0077")
    book.pay(book.installment(dog, year, 1, date(year, 3, 31), "85.00"), date(year, 3, 20), "85.00")

    # Perpetual usufruct: civil interest since 31 March.
    usufruct = book.ledger(jan, "uzytkowanie-wieczyste", "UW/0012")
    book.installment(usufruct, year, 1, date(year, 3, 31), "420.00")

    # The bakery: monthly property tax (legal persons) and transport tax.
    bakery_tax = book.ledger(bakery, "pn-prawne", "PN/P/0042")
    for month in range(1, 13):
        due = date(year, 1, 31) if month == 1 else date(year, month, 15)
        inst = book.installment(bakery_tax, year, month, due, "1240.00")
        if month <= today.month - 2:
            book.pay(inst, due, "1240.00")
    transport = book.ledger(bakery, "srodki-transportu", "ST/0003")
    book.pay(
        book.installment(transport, year, 1, date(year, 2, 15), "1480.00"),
        date(year, 2, 12),
        "1480.00",
    )
    book.installment(transport, year, 2, date(year, 9, 15), "1480.00")

    group, _ = TaxpayerGroup.objects.get_or_create(
        name="Właściciele nieruchomości – ul. Lipowa",
        defaults={"description": "Mieszkańcy ulicy objętej remontem kanalizacji."},
    )
    group.members.add(jan, anna, bakery)

    clerk = users["urzednik"]
    resident, proxy = users["jan.kowalski"], users["maria.nowak"]
    if not AccountLink.objects.active().filter(user=resident, taxpayer=jan).exists():
        AccountLink.objects.create(
            user=resident, taxpayer=jan, method=AccountLink.Method.COUNTER, linked_by=clerk
        )
    # Jan is the bakery's proxy (view and pay), Maria is Jan's proxy (view only).
    Mandate.objects.get_or_create(
        taxpayer=bakery, proxy=resident,
        defaults={"can_view": True, "can_pay": True, "can_manage_notifications": True,
                  "document_reference": f"pełnomocnictwo ogólne z {year}-01-05",
                  "granted_by": clerk},
    )  # fmt: skip
    Mandate.objects.get_or_create(
        taxpayer=jan, proxy=proxy,
        defaults={"can_view": True, "document_reference": f"PPS-1 z {year}-02-01",
                  "granted_by": clerk},
    )  # fmt: skip
    report.section(
        "Należności demonstracyjne",
        [
            "Jan Kowalski: podatek od nieruchomości (zaległość z odsetkami i kosztami "
            "upomnienia), opłata za odpady, opłata od psów, użytkowanie wieczyste",
            "Jan Kowalski działa też jako pełnomocnik Piekarni Przykładowo Sp. z o.o.",
            "Maria Nowak jest pełnomocnikiem Jana Kowalskiego (tylko podgląd)",
        ],
    )


LINK_REQUEST_PESEL = "02070803628"


def _accounts(users: dict[str, object], report) -> None:
    """A link request waiting for a clerk (a counter-created account is made in the admin)."""
    maria = users["maria.nowak"]
    if not LinkRequest.objects.filter(user=maria, status=LinkRequest.Status.PENDING).exists():
        link_request = LinkRequest(
            user=maria, kind=LinkRequest.Kind.PERSON, name="Maria Nowak", reference=""
        )
        link_request.identifier = LINK_REQUEST_PESEL
        link_request.save()
    pending = LinkRequest.objects.filter(user=maria, status=LinkRequest.Status.PENDING).first()
    report.section(
        "Konta mieszkańców",
        [
            "Konto z okienka: panel → Mieszkańcy → Konta mieszkańców → Dodaj, potem "
            "„Pokaż jednorazowo nowe hasło wstępne”; przy logowaniu wymaga zmiany hasła",
            f"Wniosek o powiązanie konta {maria.email} czeka na urzędnika: kod {pending.code} "
            "(panel: Mieszkańcy → Wnioski o powiązanie)",
        ],
    )


def load(report) -> None:
    users = _users(report)
    _receivables(users, report)
    _accounts(users, report)
