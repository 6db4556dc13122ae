"""MT940 bank statements from Polish banks, read into our own types.

`parse_statement` decodes the file, lets the ``mt-940`` library split and parse the SWIFT tags,
then reads the Polish ``:86:`` details itself and checks the statement as a whole. Anything
wrong rejects the whole file with `StatementError` (the physical line number in the file and a
reason): a statement that does not add up must book nothing.

Encodings (PROTOCOLS.md §6): whichever of UTF-8 (when the bytes are valid UTF-8),
Windows-1250, ISO-8859-2 and CP852 (IBM852) yields the most Polish letters, in that order on a
tie, so ASCII is read as UTF-8 (a short Windows-1250 text can be valid UTF-8 too: "ÓŁ" is).
A byte-order mark is dropped; CRLF, CR and LF line ends are all accepted.
A bank known to use one encoding can be pinned with ``encoding=``.

``:86:`` details, by style:

- subfields ``NNN~00…~20…`` (ING, PKO BP, cooperative banks), also with ``<`` (CP852 files),
  ``+`` (Nordea) or ``?`` (German style) as the separator. Physical line breaks inside the tag
  are not part of the text (banks wrap at 65 characters, also inside a word).
  ``~00`` operation; ``~20``–``~26`` title (a subfield that holds only an account number, as
  ``~29`` does at ING, is not title); ``~32``–``~33`` counterparty name, else ``~27``–``~29``
  without account numbers; ``~38`` counterparty IBAN, else ``PL`` + check digits + ``~30``
  (sort code) + ``~31`` (account), else an account number in ``~29``.
- mBank Collect, ``;``-separated: ``TYT.:`` title, ``OD:`` name, ``Z RACH.:`` account.
- anything else: the whole text is the title.

The virtual account (the number the payer paid into) is not in a fixed place across banks.
Our rule: any valid NRB in the ``:61:`` or ``:86:`` of the line that carries the sort code of
the statement's own account and is neither that account nor the counterparty's.
"""

from __future__ import annotations

import bisect
import logging
import marshal
import os
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

import mt940
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)
POLISH_LETTERS = frozenset("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")
_ASCII = bytes(range(128))
FALLBACK_ENCODINGS = ("cp1250", "iso-8859-2", "cp852")
OPTIONS = mt940.Options(
    reversal_sign=True,
    case_insensitive_marks=True,
    unbounded_details=True,
    strip_bom=True,
    merge_keeps_values=True,
)

#: Where a virtual account is looked for, in this order.
SEARCHED = ("customer_reference", "bank_reference", "extra_details", "transaction_details")
_SUBFIELDS = re.compile(r"^(\d{3})\s*([~<+?^])(?=\d{2})")
_NRB_IN_TEXT = re.compile(r"(?<!\d)(?:PL)?(\d{26})(?!\d)")
_MARKERS = re.compile(r"[~<+?^]\d{2}")
_ACCOUNT_ONLY = re.compile(r"(?:PL)?\d{26}\Z", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_MBANK_FIELD = re.compile(r"(ID IPH|Z RACH\.|OD|TYT\.|TNR):\s*([^;]*)")
_SPLITTERS = {sep: re.compile(rf"{re.escape(sep)}(\d{{2}})") for sep in "~<+?^"}


class StatementLine(NamedTuple):
    """One entry of the statement. ``line_no`` is its position on the statement (1, 2, …)."""

    line_no: int
    booked_on: date
    value_date: date
    amount: Decimal  # + credit, − debit
    currency: str
    bank_reference: str
    title: str
    counterparty_account: str  # 26-digit NRB for a Polish account, else the IBAN as given
    counterparty_name: str
    virtual_account: str  # 26-digit NRB, or ""


@dataclass(frozen=True)
class Statement:
    account: str  # 26-digit NRB when the :25: holds a Polish account, else as given
    number: str  # :28C: statement number, "/sequence" when there is one
    opening_balance: Decimal
    closing_balance: Decimal
    lines: list[StatementLine]


class StatementError(ValueError):
    """The file is not a statement we can book: where (line in the file) and why."""

    def __init__(self, line_no: int, reason: str) -> None:
        self.line_no = line_no
        self.reason = reason
        super().__init__(_("Line %(line)s: %(reason)s") % {"line": line_no, "reason": reason})


# --- Text ------------------------------------------------------------------------------------
def decode(data: bytes, encoding: str | None = None) -> str:
    """The statement as text, line ends normalised to ``\\n`` (see the module docstring)."""
    if encoding:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise StatementError(
                1, _("The file is not in the %(encoding)s encoding.") % {"encoding": encoding}
            ) from exc
    else:
        high = _beyond_ascii(data)
        candidates = list(FALLBACK_ENCODINGS)
        try:
            text = data.decode("utf-8")
            candidates.insert(0, "utf-8")
        except UnicodeDecodeError:
            text = ""
        if high:
            # max() keeps the first of equals: UTF-8, then Windows-1250, wins a tie.
            best = max(candidates, key=lambda enc: _polish_letters(high, enc))
            if best != "utf-8":
                text = data.decode(best, errors="replace")
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _polish_letters(data: bytes, encoding: str) -> int:
    """How many bytes of ``data`` are Polish letters in ``encoding`` (bytes.count runs in C)."""
    return sum(data.count(letter.encode(encoding)) for letter in POLISH_LETTERS)


def _beyond_ascii(data: bytes) -> bytes:
    """The bytes of ``data`` above 127: every Polish letter is one, in any of the encodings."""
    return data.translate(None, _ASCII)


def _clean(value: str) -> str:
    return _SPACES.sub(" ", value).strip()


def _nrb_ok(nrb: str) -> bool:
    """ISO 13616 MOD 97-10 over PL + NRB (P = 25, L = 21)."""
    return int(nrb[2:] + "2521" + nrb[:2]) % 97 == 1


def _nrb_from(sort_code: str, account: str) -> str:
    bban = sort_code + account
    return f"{98 - int(bban + '252100') % 97:02d}{bban}"


def compact_account(value: str) -> str:
    """``/PL61 1090 …`` → the 26-digit NRB; a foreign IBAN or anything else stays as given."""
    value = _SPACES.sub("", value or "").lstrip("/")
    if _ACCOUNT_ONLY.match(value):
        return value[-26:]
    return value


# --- :86: -------------------------------------------------------------------------------------
class Details(NamedTuple):
    title: str
    counterparty_account: str
    counterparty_name: str


def parse_details(raw: str) -> Details:
    """Title, counterparty account and name from the text of a ``:86:`` (module docstring)."""
    text = raw.replace("\n", "")
    match = _SUBFIELDS.match(text)
    if match:
        return _subfield_details(text[match.end(1) :].lstrip(), match.group(2))
    if "TYT.:" in text or "Z RACH.:" in text:
        fields = {k: _clean(v) for k, v in _MBANK_FIELD.findall(raw.replace("\n", " "))}
        return Details(
            title=fields.get("TYT.", ""),
            counterparty_account=compact_account(fields.get("Z RACH.", "")),
            counterparty_name=fields.get("OD", ""),
        )
    return Details(title=_clean(raw), counterparty_account="", counterparty_name="")


def _subfield_details(text: str, separator: str) -> Details:
    parts = _SPLITTERS[separator].split(text)
    fields: dict[int, str] = {}
    for key, value in zip(parts[1::2], parts[2::2], strict=False):
        number = int(key)
        fields[number] = fields[number] + value if number in fields else value

    def joined(keys, glue: str) -> str:
        values = [fields[k] for k in keys if k in fields]
        return _clean(glue.join(value for value in values if not _is_account(value)))

    account = ""
    iban = _SPACES.sub("", fields.get(38, ""))
    if iban:
        account = compact_account(iban)
    elif re.fullmatch(r"\d{8}", fields.get(30, "").strip()) and re.fullmatch(
        r"\d{16}", fields.get(31, "").strip()
    ):
        account = _nrb_from(fields[30].strip(), fields[31].strip())
    elif _is_account(fields.get(29)):
        account = compact_account(fields[29])
    # A title is wrapped wherever the bank's line ends, even inside a word: glued back as sent.
    # Name subfields are lines of their own (name, then address): joined with a space.
    name = joined((32, 33), " ") or joined((27, 28, 29), " ")
    return Details(
        title=joined(range(20, 27), ""), counterparty_account=account, counterparty_name=name
    )


def _is_account(value: str | None) -> bool:
    # Most subfields are words: a last character that is no digit settles it cheaply.
    if not value or not value.rstrip()[-1:].isdigit() or len(value) < 26:
        return False
    return bool(_ACCOUNT_ONLY.match(_SPACES.sub("", value)))


def find_virtual_account(text: str, own_account: str, counterparty: str) -> str:
    """The first valid NRB at the statement's own bank that is not the account itself."""
    if len(own_account) != 26 or not own_account.isdigit():
        return ""
    sort_code = own_account[2:10]
    text = text.replace("\n", "")
    if sort_code not in text:  # no number at our bank can be in it
        return ""
    # Subfield markers ("~63") would glue their digits to the number that follows.
    for nrb in _NRB_IN_TEXT.findall(_MARKERS.sub(" ", text)):
        if nrb[2:10] == sort_code and nrb not in (own_account, counterparty) and _nrb_ok(nrb):
            return nrb
    return ""


# --- The statement ----------------------------------------------------------------------------
class _Transactions(mt940.models.Transactions):
    """The library's collection, remembering the file line of every tag it parses."""

    def __init__(self, physical_lines: list[int]) -> None:
        # The German ``?`` processor would replace the raw :86: text that parse_details reads.
        super().__init__(processors={"post_transaction_details": []}, options=OPTIONS)
        self.physical_lines = physical_lines  # normalised line index → line in the file
        self.tag_lines: list[tuple[str, int]] = []
        self._starts: list[int] | None = None

    def _line_of(self, data: str, offset: int) -> int:
        if self._starts is None:
            self._starts = [0, *(m.end() for m in re.finditer("\n", data))]
        return self.physical_lines[bisect.bisect_right(self._starts, offset) - 1]

    def _process_match(self, match, i, valid_matches, data) -> None:
        # The library keeps no line numbers; its per-tag step is where we still know the offset.
        line = self._line_of(data, match.start())
        tag = match.group("full_tag")
        self.tag_lines.append((tag, line))
        try:
            super()._process_match(match, i, valid_matches, data)
        except InvalidOperation:
            raise StatementError(line, _("Bad amount in :%(tag)s:.") % {"tag": tag}) from None
        except RuntimeError as exc:
            value = exc.args[2] if len(exc.args) > 2 else ""
            raise StatementError(
                line,
                _("The :%(tag)s: field does not follow the MT940 format: “%(value)s”.")
                % {"tag": tag, "value": str(value)[:80]},
            ) from None
        except (ValueError, TypeError, KeyError):
            raise StatementError(
                line, _("Bad date or value in :%(tag)s:.") % {"tag": tag}
            ) from None


def _physical_lines(text: str) -> tuple[str, list[int]]:
    """The text as the library sees it (no blank or ``-`` lines) and where each line was."""
    kept, numbers = [], []
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip()
        if line and line.strip() != "-":
            kept.append(line)
            numbers.append(number)
    return "\n".join(kept), numbers


def _money(amount, line: int, what: str) -> Decimal:
    value = getattr(amount, "amount", None)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise StatementError(line, _("Bad amount in %(what)s.") % {"what": what})
    if value != value.quantize(Decimal("0.01")):
        raise StatementError(
            line, _("Amount with more than two decimal places in %(what)s.") % {"what": what}
        )
    return value.quantize(Decimal("0.01"))


def _date(value: date) -> date:
    return date(value.year, value.month, value.day)  # a plain date, not the library's subclass


def _first(data: dict, *keys: str):
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None


#: A statement with at least this many entries is read in parts by separate processes (when
#: the caller allows more than one): below it, starting a process costs more than it saves.
PARALLEL_FROM = 20_000
_ENTRY_TAG = re.compile(r"^:61:", re.MULTILINE)
#: What the statement keeps of the library's statement-level data (the rest is per entry).
_STATEMENT_KEYS = ("account_identification", "statement_number", "sequence_number")


class _Amount(NamedTuple):
    amount: Decimal
    currency: str | None


class _Part(NamedTuple):
    """What reading one part of the statement gave (in a plain form that crosses processes)."""

    tag_lines: list[tuple[str, int]]  # but the :86: ones, which no check needs
    data: dict  # statement-level: _STATEMENT_KEYS as text, balances as _Amount
    lines: list[StatementLine]
    parse_error: tuple[int, str] | None  # the library refused a tag
    entry_error: tuple[int, str] | None  # an entry's amount is wrong


def parse_statement(data: bytes, *, encoding: str | None = None, readers: int = 1) -> Statement:
    """One MT940 statement (``:20:`` … ``:62F:``) with its entries; `StatementError` if invalid.

    With ``readers`` above one, a long statement is cut between entries and its parts are
    read by that many processes at once (forked: the parts share the decoded text); the
    result, errors included, is the same as reading it whole.
    """
    text = decode(data, encoding)
    normalised, numbers = _physical_lines(text)
    if not normalised:
        raise StatementError(1, _("The file is empty."))
    last_line = numbers[-1]
    # The head (up to the first entry) names the account and currency every part needs.
    first_entry = _ENTRY_TAG.search(normalised)
    head_end = first_entry.start() if first_entry else len(normalised)
    head = _read_part(normalised[:head_end], numbers, None, None).data
    account = compact_account(head.get("account_identification") or "")
    opening = _first(
        head, "final_opening_balance", "intermediate_opening_balance", "opening_balance"
    )
    currency = opening.currency if opening else None
    parts = _read_parts(normalised, numbers, account, currency, _cuts(normalised, readers))

    for part in parts:
        if part.parse_error:
            raise StatementError(*part.parse_error)
    lines_of: dict[str, list[int]] = {}
    for part in parts:
        for tag, line in part.tag_lines:
            lines_of.setdefault(tag, []).append(line)

    def line_of(*tags: str) -> list[int]:
        return sorted(line for tag in tags for line in lines_of.get(tag, ()))

    references = line_of("20")
    if len(references) > 1:
        raise StatementError(
            references[1], _("The file holds more than one statement; import them one by one.")
        )
    required = [
        ("20", _("transaction reference"), ("20",)),
        ("25", _("account"), ("25",)),
        ("28C", _("statement number"), ("28", "28C")),
        ("60F", _("opening balance"), ("60", "60F", "60M")),
        ("62F", _("closing balance"), ("62", "62F", "62M")),
    ]
    for shown, name, tags in required:
        if not line_of(*tags):
            raise StatementError(
                last_line if shown == "62F" else 1,
                _("The :%(tag)s: tag (%(name)s) is missing.") % {"tag": shown, "name": name},
            )
    opening_line = line_of("60", "60F", "60M")[0]
    closing_line = line_of("62", "62F", "62M")[0]
    entry_lines = line_of("61")
    if entry_lines and entry_lines[0] < opening_line:
        raise StatementError(entry_lines[0], _("An entry comes before the opening balance."))
    if entry_lines and entry_lines[-1] > closing_line:
        raise StatementError(entry_lines[-1], _("An entry comes after the closing balance."))

    data_of: dict = {}
    for part in parts:
        data_of.update(part.data)
    opening = _first(
        data_of, "final_opening_balance", "intermediate_opening_balance", "opening_balance"
    )
    closing = _first(
        data_of, "final_closing_balance", "intermediate_closing_balance", "closing_balance"
    )
    opening_amount = _money(opening, opening_line, _("the opening balance"))
    closing_amount = _money(closing, closing_line, _("the closing balance"))
    if closing.currency != opening.currency:
        raise StatementError(
            closing_line,
            _("The closing balance is in %(found)s, the opening balance in %(expected)s.")
            % {"found": closing.currency, "expected": opening.currency},
        )
    for part in parts:
        if part.entry_error:
            raise StatementError(*part.entry_error)
    number = data_of.get("statement_number") or ""
    if data_of.get("sequence_number"):
        number = f"{number}/{data_of['sequence_number']}"

    lines = [line for part in parts for line in part.lines]
    total = sum((line.amount for line in lines), Decimal("0.00"))
    if opening_amount + total != closing_amount:
        raise StatementError(
            closing_line,
            _(
                "The closing balance %(closing)s is not the opening balance %(opening)s plus "
                "the entries %(total)s."
            )
            % {"closing": closing_amount, "opening": opening_amount, "total": total},
        )
    return Statement(
        account=account,
        number=number,
        opening_balance=opening_amount,
        closing_balance=closing_amount,
        lines=lines,
    )


def _cuts(text: str, readers: int) -> list[tuple[int, int]]:
    """Where to cut ``text`` into ``readers`` parts, and how many entries come before each
    cut: at the starts of entries (``:61:``, as the library finds them: at a line start),
    so that each part holds whole entries. No cut for a short statement."""
    if readers < 2 or not hasattr(os, "fork"):
        return []
    entries = text.count("\n:61:") + text.startswith(":61:")
    if entries < PARALLEL_FROM:
        return []
    cuts = []
    for k in range(1, readers):
        found = _ENTRY_TAG.search(text, len(text) * k // readers)
        if found and (not cuts or found.start() > cuts[-1][0]):
            start = found.start()
            cuts.append((start, text.count("\n:61:", 0, start) + text.startswith(":61:")))
    return cuts


def _read_parts(
    text: str,
    numbers: list[int],
    account: str,
    currency: str | None,
    cuts: list[tuple[int, int]],
) -> list[_Part]:
    """Each part of ``text`` read by `_read_part`: the first here, the others in forked
    processes meanwhile (each sends its result back through a pipe). A part whose process
    could not be started, or failed, is read here afterwards."""
    ends = [offset for offset, _ in cuts] + [len(text)]
    jobs = []
    for (start, before), end in zip(cuts, ends[1:], strict=True):
        args = (text[start:end], numbers[text.count("\n", 0, start) :], account, currency, before)
        try:
            jobs.append((args, _in_child(*args)))
        except OSError:
            logger.warning("No process for a part of the statement; reading it here.")
            jobs.append((args, None))
    try:
        first = _read_part(text[: ends[0]], numbers, account, currency)
    finally:
        read = [_from_child(*child) if child else None for _, child in jobs]
    return [first] + [
        part if part is not None else _read_part(*args)
        for (args, _), part in zip(jobs, read, strict=True)
    ]


def _in_child(*args) -> tuple[int, int]:
    """`_read_part` (``args``) in a forked process: its pid and the pipe its result comes by.

    The child only computes and writes: it leaves by ``os._exit``, so nothing of the parent
    (database connections, atexit handlers) is closed or run twice. The result crosses as
    plain values (`marshal`), which costs a fifth of pickling dates and decimals.
    """
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:  # pragma: no cover - runs in the child, whose coverage is not collected
        status = 1
        try:
            os.close(read_end)
            part = _read_part(*args)
            with os.fdopen(write_end, "wb") as out:
                marshal.dump(
                    (
                        part.tag_lines,
                        {
                            k: (str(v[0]), v[1]) if isinstance(v, _Amount) else v
                            for k, v in part.data.items()
                        },
                        [
                            (
                                line[0],
                                line[1].toordinal(),
                                line[2].toordinal(),
                                str(line[3]),
                                *line[4:],
                            )
                            for line in part.lines
                        ],
                        part.parse_error,
                        part.entry_error,
                    ),
                    out,
                )
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, read_end


def _from_child(pid: int, read_end: int) -> _Part | None:
    """The part a child read (None if it failed: the caller reads the part itself)."""
    with os.fdopen(read_end, "rb") as source:
        payload = source.read()
    _, status = os.waitpid(pid, 0)
    if status != 0 or not payload:
        logger.warning("A statement reader (pid %s) failed with status %s.", pid, status)
        return None
    tags, data, rows, parse_error, entry_error = marshal.loads(payload)  # noqa: S302 - our child
    days: dict[int, date] = {}

    def day(ordinal: int) -> date:
        if ordinal not in days:
            days[ordinal] = date.fromordinal(ordinal)
        return days[ordinal]

    return _Part(
        [tuple(tag) for tag in tags],
        {k: _Amount(Decimal(v[0]), v[1]) if isinstance(v, tuple) else v for k, v in data.items()},
        [
            StatementLine(row[0], day(row[1]), day(row[2]), Decimal(row[3]), *row[4:])
            for row in rows
        ],
        tuple(parse_error) if parse_error else None,
        tuple(entry_error) if entry_error else None,
    )


def _read_part(
    text: str, numbers: list[int], account: str | None, currency: str | None, before: int = 0
) -> _Part:
    """The library's reading of ``text`` (a part of the statement: whole entries, with the
    head or the tail when it holds them) and its entries as `StatementLine`. ``account`` and
    ``currency`` come from the head; without them (reading the head) entries are skipped.
    ``before``: how many entries come before the part (its entries are numbered on from it)."""
    transactions = _Transactions(numbers)
    try:
        transactions.parse(text)
        error = None
    except StatementError as refused:
        error = (refused.line_no, refused.reason)
    # Each parsed transaction points back at the collection that lists it; taking the list
    # away breaks those cycles, so the parse is freed as it is read, without the collector.
    entries, transactions.transactions = transactions.transactions, []
    tags = [(tag, line) for tag, line in transactions.tag_lines if tag != "86"]
    if error:
        return _Part(tags, {}, [], error, None)
    data = {
        key: _Amount(value.amount.amount, value.amount.currency)
        if key.endswith("balance")
        else value
        for key, value in transactions.data.items()
        if key in _STATEMENT_KEYS or key.endswith("balance")
    }
    lines: list[StatementLine] = []
    if account is None:
        return _Part(tags, data, lines, None, None)
    entry_lines = [line for tag, line in tags if tag == "61"]
    an_entry = _("the entry")
    try:
        for position, (entry, line) in enumerate(zip(entries, entry_lines, strict=True), before):
            lines.append(
                _statement_line(entry.data, line, position + 1, account, currency, an_entry)
            )
    except StatementError as refused:
        return _Part(tags, data, lines, None, (refused.line_no, refused.reason))
    return _Part(tags, data, lines, None, None)


def _statement_line(
    values: dict, line: int, line_no: int, account: str, currency: str | None, an_entry: str
) -> StatementLine:
    amount = _money(values.get("amount"), line, an_entry)
    details = parse_details(values.get("transaction_details") or "")
    reference = values.get("bank_reference") or ""
    if not reference and (values.get("customer_reference") or "").upper() != "NONREF":
        reference = values.get("customer_reference") or ""
    # The :61: fields, then the :86:: a number cannot run across two of them, so the first
    # match in the short :61: fields spares searching the long :86: text.
    virtual_account = ""
    for key in SEARCHED:
        virtual_account = find_virtual_account(
            str(values.get(key) or ""), account, details.counterparty_account
        )
        if virtual_account:
            break
    return StatementLine(
        line_no=line_no,
        booked_on=_date(values.get("entry_date") or values["date"]),
        value_date=_date(values["date"]),
        amount=amount,
        currency=currency,
        bank_reference=reference.strip(),
        title=details.title,
        counterparty_account=details.counterparty_account,
        counterparty_name=details.counterparty_name,
        virtual_account=virtual_account,
    )
