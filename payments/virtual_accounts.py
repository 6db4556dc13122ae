"""Virtual accounts (Identyfikacja Płatności Masowych): one NRB per taxpayer per receivable type.

A payment into a virtual account identifies the payer and the tax without reading the title
(PROTOCOLS.md §4; paying into an account dedicated to one tax names that tax, DOMAIN.md §7).
The bank credits every virtual account to the collection account of the contract and reports
the virtual number on the statement.

Layout of the 26-digit NRB (positions 1-based)::

    1–2    check digits, ISO 13616 MOD 97-10 over "PL" + the rest (computed by schwifty)
    3–10   the bank's sort code: that of the receivable type's own account
           (``ReceivableType.bank_account``), else that of the municipality's main account
           (``home.models.MunicipalitySettings.bank_account``); its 8th digit is the sort
           code's own check digit, so it is copied, never invented
    11–18  the client prefix the bank fixed for this receivable type in the contract annex
           (``ReceivableType.virtual_account_prefix``, digits; a shorter prefix leaves more
           digits to the payer identifier)
    19–26  the payer identifier: the taxpayer's primary key, zero-padded

Example: sort code 10204027, prefix 12345678, taxpayer 4711 → ``22 1020 4027 1234 5678 0000
4711`` (PROTOCOLS.md T11). The primary key is stable for the life of a taxpayer record and
makes the reverse lookup one indexed query; receivable types are a handful of rows and are
matched by their prefix.

A type without a prefix, or a municipality without an account, has no virtual accounts:
`virtual_account` raises `VirtualAccountUnavailable` and `payment_account` falls back to the
type's own account or the main one.
"""

from __future__ import annotations

from collections.abc import Iterable

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from eservices.bulk import any_of
from eservices.models import ReceivableType, Taxpayer

NRB_LENGTH = 26
ACCOUNT_PART = 16  # positions 11–26: prefix + payer identifier


class VirtualAccountUnavailable(LookupError):
    """No virtual account can be built: the type has no prefix or there is no bank account."""


def compact_nrb(value: str) -> str:
    """``"PL61 1090 1014 …"`` or ``"61 1090 …"`` → the 26 digits; anything else unchanged."""
    value = "".join(value.split()).upper()
    return value[2:] if value.startswith("PL") else value


def format_nrb(nrb: str) -> str:
    """The paper form: 2 digits, a space, then groups of 4 (PROTOCOLS.md §4)."""
    nrb = compact_nrb(nrb)
    return " ".join([nrb[:2], *(nrb[i : i + 4] for i in range(2, len(nrb), 4))])


def is_valid_nrb(nrb: str) -> bool:
    """26 digits with matching IBAN check digits and a valid sort-code check digit."""
    nrb = compact_nrb(nrb)
    if len(nrb) != NRB_LENGTH or not nrb.isdigit():
        return False
    try:
        IBAN("PL" + nrb, validate_bban=True)
    except SchwiftyException:
        return False
    return True


def _check_digits_match(nrb: str) -> bool:
    """ISO 13616 mod 97 over ``PL`` + the NRB (P = 25, L = 21)."""
    return len(nrb) == NRB_LENGTH and nrb.isdigit() and int(nrb[2:] + "2521" + nrb[:2]) % 97 == 1


def municipality_settings():
    """The default site's municipality (name, address, main account), for code without a request."""
    from wagtail.models import Site

    from home.models import MunicipalitySettings

    site = Site.objects.filter(is_default_site=True).first()
    return MunicipalitySettings.for_site(site) if site else MunicipalitySettings()


def collection_account(receivable_type: ReceivableType, municipality=None) -> str:
    """The account payments of this type go to: the type's own, else the main one ("" if none)."""
    own = compact_nrb(receivable_type.bank_account or "")
    if own:
        return own
    municipality = municipality if municipality is not None else municipality_settings()
    return compact_nrb(municipality.bank_account or "")


def _prefix(receivable_type: ReceivableType) -> str:
    prefix = (receivable_type.virtual_account_prefix or "").strip()
    if not prefix:
        raise VirtualAccountUnavailable(f"{receivable_type.code}: no virtual-account prefix")
    if not prefix.isdigit() or len(prefix) >= ACCOUNT_PART:
        raise VirtualAccountUnavailable(f"{receivable_type.code}: the prefix must be digits")
    return prefix


def _build(sort_code: str, prefix: str, payer_id: int) -> str:
    width = ACCOUNT_PART - len(prefix)
    identifier = str(payer_id)
    if payer_id < 0 or len(identifier) > width:
        raise VirtualAccountUnavailable(f"payer identifier {payer_id} does not fit {width} digits")
    iban = IBAN.generate("PL", bank_code=sort_code, account_code=prefix + identifier.zfill(width))
    return str(iban.compact)[2:]


def virtual_account(taxpayer: Taxpayer, receivable_type: ReceivableType, municipality=None) -> str:
    """The taxpayer's virtual account for this type, as the paper form ``"22 1020 4027 …"``.

    ``municipality`` (``MunicipalitySettings``) saves a query when the caller has it.
    Raises `VirtualAccountUnavailable` when the type has no prefix or no account is set.
    """
    prefix = _prefix(receivable_type)
    base = collection_account(receivable_type, municipality)
    if len(base) != NRB_LENGTH or not base.isdigit():
        raise VirtualAccountUnavailable("no collection account to take the sort code from")
    return format_nrb(_build(base[2:10], prefix, taxpayer.pk))


def payment_account(taxpayer: Taxpayer, receivable_type: ReceivableType, municipality=None) -> str:
    """Where this taxpayer pays this type: the virtual account, else the collection account.

    Formatted for paper; ``""`` when the municipality has configured no account at all.
    """
    try:
        return virtual_account(taxpayer, receivable_type, municipality)
    except VirtualAccountUnavailable:
        account = collection_account(receivable_type, municipality)
        return format_nrb(account) if account else ""


def _match_type(
    nrb: str, types: Iterable[tuple[ReceivableType, str, str]]
) -> ReceivableType | None:
    """The one type whose sort code and prefix this NRB carries (None if none or ambiguous).
    ``types``: each type with its prefix and the sort code of its collection account."""
    account, sort_code = nrb[10:], nrb[2:10]
    found = [
        rtype for rtype, prefix, own in types if account.startswith(prefix) and own == sort_code
    ]
    return found[0] if len(found) == 1 else None


def _payer_id(nrb: str, rtype: ReceivableType) -> int:
    return int(nrb[10 + len(rtype.virtual_account_prefix.strip()) :])


def resolve_virtual_accounts(
    nrbs: Iterable[str], municipality=None
) -> dict[str, tuple[Taxpayer, ReceivableType]]:
    """Bulk reverse lookup for a statement: {compact NRB: (taxpayer, type)} for those that resolve.

    Two queries whatever the number of accounts: the types with a prefix, and the taxpayers by
    primary key. Invalid numbers, unknown prefixes and unknown payers are simply absent.
    """
    found = _payer_ids(nrbs, municipality)
    taxpayers = Taxpayer.objects.in_bulk({pk for pk, _ in found.values()})
    return {nrb: (taxpayers[pk], rtype) for nrb, (pk, rtype) in found.items() if pk in taxpayers}


def resolve_virtual_account_ids(
    nrbs: Iterable[str], municipality=None
) -> dict[str, tuple[int, ReceivableType]]:
    """`resolve_virtual_accounts` with the taxpayer's primary key (no model instances)."""
    found = _payer_ids(nrbs, municipality)
    existing = set(
        Taxpayer.objects.filter(pk__in=any_of({pk for pk, _ in found.values()}))
        .order_by()
        .values_list("pk", flat=True)
    )
    return {nrb: (pk, rtype) for nrb, (pk, rtype) in found.items() if pk in existing}


def _payer_ids(nrbs: Iterable[str], municipality) -> dict[str, tuple[int, ReceivableType]]:
    """{NRB: (payer identifier, type)} for the numbers that are one of our virtual accounts."""
    wanted = {compact_nrb(n) for n in nrbs}
    # The IBAN check digits only: a match must also carry our own bank's sort code
    # (`_match_type`), so schwifty's sort-code check (~0.1 ms a number) adds nothing here.
    wanted = {n for n in wanted if _check_digits_match(n)}
    if not wanted:
        return {}
    municipality = municipality if municipality is not None else municipality_settings()
    types = [
        (rtype, prefix, collection_account(rtype, municipality)[2:10])
        for rtype in ReceivableType.objects.exclude(virtual_account_prefix="")
        for prefix in [rtype.virtual_account_prefix.strip()]
        if prefix.isdigit()
    ]
    matched: dict[str, tuple[int, ReceivableType]] = {}
    for nrb in wanted:
        rtype = _match_type(nrb, types)
        if rtype is not None:
            matched[nrb] = (_payer_id(nrb, rtype), rtype)
    return matched


def resolve_virtual_account(nrb: str, municipality=None) -> tuple[Taxpayer, ReceivableType] | None:
    """Whose virtual account this is, and for which type; None for any other number."""
    return resolve_virtual_accounts([nrb], municipality).get(compact_nrb(nrb))
