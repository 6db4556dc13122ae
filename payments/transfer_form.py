"""The printable transfer form: "polecenie przelewu / wpłata gotówkowa" filled in, as PDF.

For a ledger, or for instalments the resident chose on it, the form carries the recipient (the
municipality), the account the payment should go to (the taxpayer's virtual account for the
receivable type, else the type's own account, else the main one), the amount, a title naming
the ledger and instalments, the payer, and the ZBP payment QR code banking apps scan
(`payments.qr`). The same slip is printed twice, for the bank and for the payer, as on the
paper forms sold at post offices. Rendered from ``payments/transfer_form/form.html`` by
WeasyPrint, like `eservices.statement`.

Amounts come from `eservices.dues` as of the day of printing (interest to that day), so the
form and the dues pages agree. Reminder costs are always added: a payment settles them first
(OP art. 62 §1a), and leaving them out would leave the chosen instalment short.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils import translation

from eservices.dues import InstallmentDues, LedgerDues
from eservices.models import Taxpayer
from eservices.money import ZERO
from eservices.pdf import html_to_pdf

from . import qr
from .virtual_accounts import compact_nrb, payment_account

TEMPLATE = "payments/transfer_form/form.html"


@dataclass(frozen=True)
class Item:
    label: str
    amount: Decimal


@dataclass(frozen=True)
class TransferForm:
    recipient_name: str
    recipient_address: str
    account: str  # paper form "22 1020 …", or "" when the municipality has none configured
    amount: Decimal  # ZERO: the payer fills it in
    title: str
    payer_name: str
    payer_address: str
    items: list[Item]
    as_of: date
    qr_payload: str  # "" when no code can be printed (no account, or above the QR cap)

    @property
    def amount_in_words(self) -> str:
        return amount_in_words(self.amount) if self.amount else ""


def installment_label(item: InstallmentDues) -> str:
    return f"{item.installment.number}/{item.installment.year}"


def transfer_title(ledger, items: list[InstallmentDues]) -> str:
    """``"PN/0001 rata 1/2026 2/2026"``: the ledger number, then the instalments it pays.

    Polish whatever the page language: the title is read by the bank and the office's clerks.
    """
    if not items:
        return ledger.number
    return f"{ledger.number} rata {' '.join(installment_label(i) for i in items)}"


def default_choice(ledger_dues: LedgerDues) -> list[InstallmentDues]:
    """What a form without a choice pays: the arrears, or else the next instalment."""
    next_due = ledger_dues.next_due
    return ledger_dues.overdue or ([next_due] if next_due else [])


def build_form(
    *,
    taxpayer: Taxpayer,
    ledger_dues: LedgerDues,
    chosen: list[InstallmentDues],
    municipality,
    as_of: date,
) -> TransferForm:
    """The form for ``chosen`` instalments of one ledger (plus its reminder costs)."""
    ledger = ledger_dues.ledger
    items = [
        Item(
            label=translation.gettext("Instalment %(label)s with interest")
            % {"label": installment_label(i)},
            amount=i.to_pay,
        )
        for i in chosen
    ]
    if ledger_dues.reminder_costs > 0:
        items.append(Item(translation.gettext("Reminder costs"), ledger_dues.reminder_costs))
    amount = sum((i.amount for i in items), ZERO)
    account = payment_account(taxpayer, ledger.receivable_type, municipality)
    title = transfer_title(ledger, chosen)
    recipient = municipality.name
    payload = ""
    if account:
        try:
            payload = qr.payload(
                nip=municipality.nip or "",
                account=compact_nrb(account),
                amount=amount,
                name=recipient,
                title=title,
            )
        except qr.AmountTooLarge:
            payload = ""
    return TransferForm(
        recipient_name=recipient,
        recipient_address=_address(
            municipality.street, municipality.postal_code, municipality.city
        ),
        account=account,
        amount=amount,
        title=title,
        payer_name=taxpayer.name,
        payer_address=_address(taxpayer.street, taxpayer.postal_code, taxpayer.city),
        items=items,
        as_of=as_of,
        qr_payload=payload,
    )


def _address(street: str, postal_code: str, city: str) -> str:
    place = " ".join(p for p in (postal_code, city) if p)
    return ", ".join(p for p in (street, place) if p)


def transfer_form_html(form: TransferForm, *, ledger, taxpayer, municipality) -> str:
    qr_png = ""
    if form.qr_payload:
        qr_png = "data:image/png;base64," + base64.b64encode(qr.png(form.qr_payload)).decode()
    return render_to_string(
        TEMPLATE,
        {
            "form": form,
            "ledger": ledger,
            "taxpayer": taxpayer,
            "municipality": municipality,
            "qr_png": qr_png,
            "account_digits": compact_nrb(form.account),
            "copies": [
                translation.gettext("copy for the bank"),
                translation.gettext("copy for the payer"),
            ],
            "LANGUAGE_CODE": translation.get_language(),
        },
    )


def render_transfer_form(form: TransferForm, *, ledger, taxpayer, municipality) -> bytes:
    """The form as PDF bytes (tagged PDF/UA, like the statement)."""
    html = transfer_form_html(form, ledger=ledger, taxpayer=taxpayer, municipality=municipality)
    return html_to_pdf(html)


# --- Kwota słownie ----------------------------------------------------------------------------
_UNITS = ["", "jeden", "dwa", "trzy", "cztery", "pięć", "sześć", "siedem", "osiem", "dziewięć"]
_TEENS = ["dziesięć", "jedenaście", "dwanaście", "trzynaście", "czternaście", "piętnaście",
          "szesnaście", "siedemnaście", "osiemnaście", "dziewiętnaście"]  # fmt: skip
_TENS = ["", "", "dwadzieścia", "trzydzieści", "czterdzieści", "pięćdziesiąt", "sześćdziesiąt",
         "siedemdziesiąt", "osiemdziesiąt", "dziewięćdziesiąt"]  # fmt: skip
_HUNDREDS = ["", "sto", "dwieście", "trzysta", "czterysta", "pięćset", "sześćset", "siedemset",
             "osiemset", "dziewięćset"]  # fmt: skip
_GROUPS = [("", "", ""), ("tysiąc", "tysiące", "tysięcy"), ("milion", "miliony", "milionów")]


def _plural(n: int, forms: tuple[str, str, str]) -> str:
    if n == 1:
        return forms[0]
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return forms[1]
    return forms[2]


def _below_thousand(n: int) -> list[str]:
    words = [_HUNDREDS[n // 100]]
    tens, units = divmod(n % 100, 10)
    if tens == 1:
        words.append(_TEENS[units])
    else:
        words += [_TENS[tens], _UNITS[units]]
    return [w for w in words if w]


def amount_in_words(amount: Decimal) -> str:
    """``1234.56`` → ``"jeden tysiąc dwieście trzydzieści cztery złote 56/100"``."""
    zloty = int(amount)
    grosze = int((amount - zloty) * 100)
    if zloty == 0:
        words = ["zero"]
    else:
        words = []
        for power in range(len(_GROUPS) - 1, -1, -1):
            group = zloty // 1000**power % 1000
            if group:
                words += _below_thousand(group)
                if power:
                    words.append(_plural(group, _GROUPS[power]))
    return f"{' '.join(words)} {_plural(zloty, ('złoty', 'złote', 'złotych'))} {grosze:02d}/100"
