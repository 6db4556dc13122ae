"""Record types of the import format, version 1 (docs/integration-format.md), and their checks.

Each record is validated on its own here, before anything looks at the database: types, lengths,
identifiers (PESEL, NIP, REGON, NRB), amounts as two-place decimal strings and the sign rules
of ledger entries. Whether references exist is the importer's job (it needs the database and
the rest of the batch).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from stdnum import exceptions as stdnum_exceptions
from stdnum import iban as stdnum_iban
from stdnum.pl import nip as stdnum_nip
from stdnum.pl import pesel as stdnum_pesel
from stdnum.pl import regon as stdnum_regon

from eservices.models import (
    Installment,
    Ledger,
    LedgerEntry,
    LedgerParty,
    ReceivableType,
    TaxedObject,
    Taxpayer,
)

FORMAT_VERSION = 1
ZERO = Decimal("0.00")


class RecordType(StrEnum):
    """In dependency order: a record may refer only to types listed before its own."""

    TAXPAYER = "taxpayer"
    RECEIVABLE_TYPE = "receivable_type"
    LEDGER = "ledger"
    LEDGER_PARTY = "ledger_party"
    TAXED_OBJECT = "taxed_object"
    INSTALLMENT = "installment"
    ENTRY = "entry"


class FloatLiteral:
    """A JSON number with a fraction or an exponent, kept as written so it can be refused.

    ``json.loads`` would turn ``12.1`` into a binary float; money must never pass through one.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


# --- Field types ------------------------------------------------------------------------------

# fullmatch and ASCII: "12.50\n" or digits of other scripts are not amounts.
_MONEY_RE = re.compile(r"-?[0-9]{1,10}\.[0-9]{2}")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _max_length(model: type, field: str) -> int:
    # Lengths come from the models so that the format can never accept what PostgreSQL refuses.
    return model._meta.get_field(field).max_length


def _money(value: Any) -> Decimal:
    if isinstance(value, FloatLiteral | int | float):
        # PlainValidator: the Python value as decoded, so a JSON number is refused outright.
        raise ValueError(
            f'amounts are strings with two decimal places, e.g. "12.50"; got the number {value}'
        )
    if not isinstance(value, str) or not _MONEY_RE.fullmatch(value):
        raise ValueError(
            f'amounts are strings with two decimal places, e.g. "12.50"; got {value!r}'
        )
    return Decimal(value)


def _quantity(places: int, integer_digits: int) -> Callable[[Any], Decimal]:
    pattern = re.compile(rf"[0-9]{{1,{integer_digits}}}(\.[0-9]{{1,{places}}})?")

    def parse(value: Any) -> Decimal:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(
                f"write a non-negative decimal string with up to {places} decimal places, "
                f'e.g. "120.5"; got {value!r}'
            )
        return Decimal(value)

    return parse


def _iso_date(value: Any) -> date:
    if isinstance(value, str) and _DATE_RE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"dates are written YYYY-MM-DD; got {value!r}")


def _optional_iso_date(value: Any) -> date | None:
    return None if value in (None, "") else _iso_date(value)


def _text(max_length: int, *, required: bool = False) -> Any:
    # Validated in pydantic's core, without a Python call per field: imports are large.
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, max_length=max_length, min_length=int(required)),
    ]


def _reference(max_length: int) -> Any:
    return _text(max_length, required=True)


def _matching(pattern: str, explanation: str) -> AfterValidator:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if value and not compiled.fullmatch(value):
            raise ValueError(f"{explanation}; got {value!r}")
        return value

    return AfterValidator(check)


Money = Annotated[Decimal, PlainValidator(_money)]
IsoDate = Annotated[date, PlainValidator(_iso_date)]
OptionalIsoDate = Annotated[date | None, PlainValidator(_optional_iso_date)]
Year = Annotated[int, Field(ge=1990, le=2100)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    record_type: ClassVar[RecordType]

    @property
    def key(self) -> str:
        """What identifies the record across batches (its external id, or a natural key)."""
        return self.external_id  # type: ignore[attr-defined]


def _stdnum_message(name: str, exc: stdnum_exceptions.ValidationError) -> str:
    reasons = {
        stdnum_exceptions.InvalidChecksum: "the check digit does not match",
        stdnum_exceptions.InvalidLength: "wrong number of digits",
        stdnum_exceptions.InvalidFormat: "only digits are allowed",
        stdnum_exceptions.InvalidComponent: "it encodes an impossible date or part",
    }
    return f"not a valid {name}: {reasons.get(type(exc), exc.message)}"


class TaxpayerRecord(_Record):
    record_type: ClassVar[RecordType] = RecordType.TAXPAYER
    external_id: _reference(_max_length(Taxpayer, "external_id"))
    kind: Taxpayer.Kind
    first_name: _text(_max_length(Taxpayer, "first_name")) = ""
    last_name: _text(_max_length(Taxpayer, "last_name")) = ""
    organisation_name: _text(_max_length(Taxpayer, "organisation_name")) = ""
    pesel: _text(20) = ""
    nip: _text(20) = ""
    regon: _text(20) = ""
    street: _text(_max_length(Taxpayer, "street")) = ""
    postal_code: Annotated[_text(6), _matching(r"[0-9]{2}-[0-9]{3}", "write it NN-NNN")] = ""
    city: _text(_max_length(Taxpayer, "city")) = ""
    email: _text(_max_length(Taxpayer, "email")) = ""
    phone: _text(_max_length(Taxpayer, "phone")) = ""

    @field_validator("pesel")
    @classmethod
    def _pesel(cls, value: str) -> str:
        if not value:
            return value
        try:
            return stdnum_pesel.validate(value)
        except stdnum_exceptions.ValidationError as exc:
            raise ValueError(_stdnum_message("PESEL", exc)) from None

    @field_validator("nip")
    @classmethod
    def _nip(cls, value: str) -> str:
        if not value:
            return value
        try:
            # "PL 525-100-00-17" is how people write a NIP; the 10 digits are stored.
            return stdnum_nip.validate(value)
        except stdnum_exceptions.ValidationError as exc:
            raise ValueError(_stdnum_message("NIP", exc)) from None

    @field_validator("regon")
    @classmethod
    def _regon(cls, value: str) -> str:
        if not value:
            return value
        try:
            return stdnum_regon.validate(value)
        except stdnum_exceptions.ValidationError as exc:
            raise ValueError(_stdnum_message("REGON", exc)) from None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value:
            try:
                validate_email(value)
            except DjangoValidationError:
                raise ValueError(f"not a valid email address: {value!r}") from None
        return value

    @model_validator(mode="after")
    def _names(self) -> "TaxpayerRecord":
        # The same rules as Taxpayer.clean() and the taxpayer_has_a_name constraint.
        if self.kind == Taxpayer.Kind.PERSON:
            if not self.last_name:
                raise ValueError("a person needs a last_name")
            if self.organisation_name:
                raise ValueError("a person has no organisation_name; use kind organisation")
        else:
            if not self.organisation_name:
                raise ValueError("an organisation needs an organisation_name")
            if not self.nip:
                raise ValueError("an organisation needs a NIP")
            if self.pesel:
                raise ValueError("an organisation has no PESEL")
        return self


class ReceivableTypeRecord(_Record):
    record_type: ClassVar[RecordType] = RecordType.RECEIVABLE_TYPE
    code: Annotated[
        _reference(_max_length(ReceivableType, "code")),
        _matching(r"[-a-zA-Z0-9_]+", "letters, digits, - and _ only"),
    ]
    name: _text(_max_length(ReceivableType, "name"), required=True)
    category: ReceivableType.Category
    interest_regime: ReceivableType.InterestRegime
    due_date_shift: ReceivableType.DueDateShift = ReceivableType.DueDateShift.TAX_ART12
    domain_program: _text(_max_length(ReceivableType, "domain_program")) = ""
    bank_account: _text(40) = ""
    virtual_account_prefix: Annotated[
        _text(_max_length(ReceivableType, "virtual_account_prefix")),
        _matching(r"[0-9]+", "digits only"),
    ] = ""
    is_active: bool = True

    @property
    def key(self) -> str:
        return self.code

    @field_validator("bank_account")
    @classmethod
    def _nrb(cls, value: str) -> str:
        if not value:
            return value
        nrb = re.sub(r"[\s-]", "", value)
        if nrb.upper().startswith("PL"):
            nrb = nrb[2:]
        if not (len(nrb) == 26 and nrb.isdigit() and stdnum_iban.is_valid("PL" + nrb)):
            raise ValueError("not a valid NRB (26 digits with matching check digits)")
        return nrb


class LedgerRecord(_Record):
    record_type: ClassVar[RecordType] = RecordType.LEDGER
    external_id: _reference(_max_length(Ledger, "external_id"))
    taxpayer: _reference(_max_length(Taxpayer, "external_id"))
    receivable_type: _reference(_max_length(ReceivableType, "code"))
    number: _text(_max_length(Ledger, "number"), required=True)
    opened_on: OptionalIsoDate = None


class LedgerPartyRecord(_Record):
    """A co-obligated person: identified by (ledger, taxpayer); only the role can change."""

    record_type: ClassVar[RecordType] = RecordType.LEDGER_PARTY
    ledger: _reference(_max_length(Ledger, "external_id"))
    taxpayer: _reference(_max_length(Taxpayer, "external_id"))
    role: _text(_max_length(LedgerParty, "role")) = ""

    @property
    def key(self) -> str:
        return f"{self.ledger}/{self.taxpayer}"


class TaxedObjectRecord(_Record):
    """What is taxed. TaxedObject has no external id: it is identified by (ledger, year, kind,
    description), and base, unit and rate may change under that key."""

    record_type: ClassVar[RecordType] = RecordType.TAXED_OBJECT
    ledger: _reference(_max_length(Ledger, "external_id"))
    year: Year
    kind: _text(_max_length(TaxedObject, "kind"), required=True)
    description: _text(_max_length(TaxedObject, "description")) = ""
    base: Annotated[Decimal, PlainValidator(_quantity(4, 10))]
    unit: _text(_max_length(TaxedObject, "unit"), required=True)
    rate: Annotated[Decimal, PlainValidator(_quantity(4, 8))]

    @property
    def key(self) -> str:
        return f"{self.ledger}/{self.year}/{self.kind}/{self.description}"


class InstallmentRecord(_Record):
    record_type: ClassVar[RecordType] = RecordType.INSTALLMENT
    external_id: _reference(_max_length(Installment, "external_id"))
    ledger: _reference(_max_length(Ledger, "external_id"))
    year: Year
    number: Annotated[int, Field(ge=1, le=999)]
    nominal_due_date: IsoDate
    assessed_amount: Money

    @field_validator("assessed_amount")
    @classmethod
    def _not_negative(cls, value: Decimal) -> Decimal:
        if value < 0:
            raise ValueError("the assessed amount cannot be negative")
        return value


_CHARGE = LedgerEntry.Kind.CHARGE.value
_WRITE_DOWN = LedgerEntry.Kind.WRITE_DOWN.value
_PAYMENT = LedgerEntry.Kind.PAYMENT.value
_REFUND = LedgerEntry.Kind.REFUND.value
_REMINDER_COST = LedgerEntry.Kind.REMINDER_COST.value


def sign_rule_violation(
    kind: str, principal: Decimal, interest: Decimal, reminder_costs: Decimal
) -> str | None:
    """Why these deltas cannot be booked as ``kind``, or ``None``.

    Mirrors the CheckConstraints on LedgerEntry (a test keeps them in step), so that a batch is
    refused line by line with a reason rather than by an IntegrityError half-way through.
    """
    p, i, r = principal, interest, reminder_costs
    if p == i == r == ZERO:
        return f"an entry must move some money; all three amounts are 0.00 ({kind})"
    if kind == _CHARGE and not (p > 0 and i == 0 and r == 0):
        rule = "a przypis (charge) adds principal: principal > 0, interest and reminder_costs 0"
    elif kind == _WRITE_DOWN and not (p < 0 and i == 0 and r == 0):
        rule = (
            "an odpis (write-down) reduces principal: principal < 0, interest and reminder_costs 0"
        )
    elif kind == _PAYMENT and not (p <= 0 and i >= 0 and r <= 0):
        rule = (
            "a wplata (payment) reduces what is owed: principal <= 0, interest paid >= 0, "
            "reminder_costs <= 0"
        )
    elif kind == _REFUND and not (p > 0 and r == 0):
        rule = "a zwrot (refund) adds principal back: principal > 0, reminder_costs 0"
    elif kind == _REMINDER_COST and not (p == 0 and i == 0 and r > 0):
        rule = "koszty_upomnienia add reminder costs: reminder_costs > 0, principal and interest 0"
    else:
        return None
    return f"{rule}; got principal {p}, interest {i}, reminder_costs {r}"


class EntryRecord(_Record):
    record_type: ClassVar[RecordType] = RecordType.ENTRY
    external_id: _reference(_max_length(LedgerEntry, "external_id"))
    installment: _text(_max_length(Installment, "external_id")) = ""
    ledger: _text(_max_length(Ledger, "external_id")) = ""
    kind: LedgerEntry.Kind
    booked_on: IsoDate
    principal: Money = ZERO
    interest: Money = ZERO
    reminder_costs: Money = ZERO
    document: _text(_max_length(LedgerEntry, "document")) = ""

    @model_validator(mode="after")
    def _target_and_signs(self) -> "EntryRecord":
        if not (self.installment or self.ledger):
            raise ValueError("give the installment, or the ledger for credit not assigned to one")
        if not self.installment and self.kind in (
            LedgerEntry.Kind.CHARGE,
            LedgerEntry.Kind.WRITE_DOWN,
        ):
            raise ValueError(f"a {self.kind} needs an installment")
        problem = sign_rule_violation(self.kind, self.principal, self.interest, self.reminder_costs)
        if problem:
            raise ValueError(problem)
        return self


RECORD_MODELS: dict[RecordType, type[_Record]] = {
    RecordType.TAXPAYER: TaxpayerRecord,
    RecordType.RECEIVABLE_TYPE: ReceivableTypeRecord,
    RecordType.LEDGER: LedgerRecord,
    RecordType.LEDGER_PARTY: LedgerPartyRecord,
    RecordType.TAXED_OBJECT: TaxedObjectRecord,
    RecordType.INSTALLMENT: InstallmentRecord,
    RecordType.ENTRY: EntryRecord,
}

Record = (
    TaxpayerRecord
    | ReceivableTypeRecord
    | LedgerRecord
    | LedgerPartyRecord
    | TaxedObjectRecord
    | InstallmentRecord
    | EntryRecord
)


def field_names(record_type: RecordType) -> list[str]:
    """The columns of a record type, in documentation order (CSV headers use these)."""
    return list(RECORD_MODELS[record_type].model_fields)


def required_field_names(record_type: RecordType) -> set[str]:
    fields = RECORD_MODELS[record_type].model_fields
    return {name for name, info in fields.items() if info.is_required()}


@dataclass(frozen=True)
class LineError:
    """One reason a batch is refused, as stored on ImportBatch.errors and returned by the API."""

    line: int | None  # 1-based line of the file; None for the batch as a whole
    message: str
    record_type: str = ""
    external_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "record_type": self.record_type,
            "external_id": self.external_id,
            "message": self.message,
        }


class RecordError(Exception):
    """One line is wrong; ``messages`` holds every problem found on it."""

    def __init__(self, messages: list[str], *, record_type: str = "", key: str = "") -> None:
        super().__init__("; ".join(messages))
        self.messages = messages
        self.record_type = record_type
        self.key = key


def parse_record(data: dict[str, Any]) -> Record:
    """A validated record from one decoded line, or ``RecordError`` listing what is wrong."""
    record_type = data.get("type")
    version = data.get("version")
    key = _best_effort_key(data)
    if record_type is None:
        raise RecordError(['the record has no "type"'], key=key)
    try:
        record_type = RecordType(record_type)
    except (TypeError, ValueError):
        known = ", ".join(RecordType)
        raise RecordError(
            [f"unknown record type {record_type!r}; known: {known}"], key=key
        ) from None
    if version is None:
        raise RecordError(['the record has no "version"'], record_type=record_type, key=key)
    if isinstance(version, bool) or str(version) != str(FORMAT_VERSION):
        raise RecordError(
            [f"unsupported format version {version!r}; this portal reads version {FORMAT_VERSION}"],
            record_type=record_type,
            key=key,
        )
    # JSON null means "not given", like an empty CSV cell.
    fields = {k: v for k, v in data.items() if v is not None and k not in ("type", "version")}
    try:
        return RECORD_MODELS[record_type].model_validate(fields)
    except ValidationError as exc:
        raise RecordError(
            [_format_error(error) for error in exc.errors()], record_type=record_type, key=key
        ) from None


def _best_effort_key(data: dict[str, Any]) -> str:
    # For the error list: the id a clerk will search for, even when the line is otherwise bad.
    for name in ("external_id", "code"):
        value = data.get(name)
        if isinstance(value, str):
            return value[:100]
    return ""


def _format_error(error: dict[str, Any]) -> str:
    message = error["msg"]
    if isinstance(error.get("input"), FloatLiteral):
        message = (
            f"{error['input'].text} is a JSON number with a fraction or exponent; "
            'not allowed (amounts are strings such as "12.50")'
        )
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        message = "required"
    elif error["type"] == "extra_forbidden":
        message = "unknown field"
    elif error["type"] == "enum":
        message = f"{message}; got {error.get('input')!r}"
    return f"{where}: {message}" if where else message
