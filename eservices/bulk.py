"""Inserting many rows fast: PostgreSQL's COPY, with `bulk_create` on other databases.

A bank statement books 100,000 lines in one import; `bulk_create` spends most of that time
turning each value into SQL parameters, and model instances cost microseconds each. COPY
streams plain rows instead. Where rows must be known by id before they are written, the ids
come from the table's own sequence first (one query).
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection
from django.db.models import Field, JSONField, Model
from django.db.models.expressions import RawSQL

BATCH = 2000
_ARRAY_ESCAPE = re.compile(r'["\\]')
PLAIN = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def next_ids(model: type[Model], count: int) -> list[int] | None:
    """``count`` primary keys taken from the table's sequence, for rows inserted later (one
    query); None where the database has no sequences to take them from."""
    if connection.vendor != "postgresql":
        return None
    if not count:
        return []
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]


@contextmanager
def row_writer(model: type[Model], fields: Sequence[str]) -> Iterator[Callable[[Sequence], None]]:
    """A function that writes one row of ``model`` (values in the order of ``fields``, by
    attribute name): on PostgreSQL a COPY stream, which the server ingests while the caller
    computes the next rows; elsewhere the rows are created together at the end.

    The values go in as given: no field default or ``auto_now_add`` is applied, so every
    column without a database default must be among ``fields``. No other query may run on the
    connection until the block ends.
    """
    if connection.vendor != "postgresql":
        rows: list[Sequence] = []
        yield rows.append
        model.objects.bulk_create(
            [model(**dict(zip(fields, row, strict=True))) for row in rows], batch_size=BATCH
        )
        return
    meta = model._meta
    model_fields = [meta.get_field(name) for name in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in model_fields)
    # psycopg writes plain values (str, int, Decimal, date, aware datetime) itself; only the
    # others are converted: JSON straight to its text, the rest by Django (µs per value).
    prepared = [
        (i, _to_database(f))
        for i, f in enumerate(model_fields)
        if f.get_internal_type() not in PLAIN
    ]
    table = connection.ops.quote_name(meta.db_table)
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,  # psycopg errors → django.db.IntegrityError …
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        if not prepared:
            yield copy.write_row
            return

        def write(row: Sequence) -> None:
            row = list(row)
            for i, convert in prepared:
                row[i] = convert(row[i])
            copy.write_row(row)

        yield write


def _to_database(field: Field) -> Callable[[object], object]:
    if isinstance(field, JSONField):
        encoder = field.encoder

        def to_json(value: object) -> str | None:
            if value is None:
                return None
            try:  # the plain encoder is built once; one with ``cls`` is built for every value
                return json.dumps(value)
            except TypeError:  # dates, decimals, …
                return json.dumps(value, cls=encoder)

        return to_json
    return lambda value: field.get_db_prep_save(value, connection)


def any_of(values: Iterable, sql_type: str = "bigint") -> list | RawSQL:
    """The right-hand side of ``field__in`` for thousands of ids (or of ``sql_type`` values).

    On PostgreSQL one array literal (``IN (SELECT unnest(%s))``) instead of one parameter per
    value, which psycopg would otherwise parse and convert one by one; on SQLite one JSON
    parameter (``json_each``), free of its limit on bound parameters.
    """
    values = list(values)
    if sql_type not in ("bigint", "text"):
        raise ValueError(f"any_of takes bigint or text values, not {sql_type}")
    if connection.vendor == "sqlite":  # one JSON parameter: no limit on bound parameters
        return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])
    if connection.vendor != "postgresql":
        return values
    if sql_type == "bigint":
        literal = ",".join(map(str, map(int, values)))
    elif sql_type == "text":
        if _ARRAY_ESCAPE.search("".join(values)):
            literal = ",".join(map(_array_element, values))
        else:  # quoted as they are: nothing to escape
            literal = '"' + '","'.join(values) + '"' if values else ""
    # One array literal, built here: psycopg would quote and dump the list value by value.
    return RawSQL(f"SELECT unnest(%s::{sql_type}[])", ["{" + literal + "}"])  # noqa: S611


def _array_element(value: str) -> str:
    """A text value quoted for a PostgreSQL array literal."""
    return '"' + _ARRAY_ESCAPE.sub(r"\\\g<0>", value) + '"'


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a bulk job (reference counting goes on).

    A statement import creates a few million objects that live until it ends; every
    collection of the oldest generation walks all of them again (~20 % of the import's time
    at 30,000 lines). Cycles made meanwhile stay in memory until the collector is back on or
    the job calls ``gc.collect()`` where it drops many at once.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
