"""Inserting many rows fast: PostgreSQL's COPY, with `bulk_create` on other databases.

A bank statement books 100,000 lines in one import; `bulk_create` spends most of that time
turning each value into SQL parameters. COPY streams the rows instead. Rows get their ids
from the table's own sequence first (one query), so callers keep working with saved objects.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, connections
from django.db.models import Model
from django.db.models.expressions import RawSQL

BATCH = 2000
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


def allocate_ids(objs: Sequence[Model]) -> bool:
    """Give unsaved ``objs`` their primary keys from the table's sequence, before inserting
    them (one query); False where the database has no sequences to take them from."""
    if not objs or connection.vendor != "postgresql":
        return False
    meta = objs[0]._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
    return True


def insert_rows(objs: Sequence[Model], *, ids: bool = False) -> None:
    """Insert unsaved ``objs`` (all of one model). With ``ids``, each one gets its primary key;
    objects whose keys `allocate_ids` gave are inserted with them."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=BATCH)
        return
    if ids and objs[0].pk is None:
        allocate_ids(objs)
    meta = model._meta
    table = connection.ops.quote_name(meta.db_table)
    fields = [f for f in meta.concrete_fields if not f.primary_key or objs[0].pk is not None]
    with connection.cursor() as cursor:
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        # psycopg writes plain values (str, int, Decimal, date, aware datetime) itself; only
        # the others (JSON, …) go through Django's conversion, which costs µs per value.
        db = connections[connection.alias]
        plain = [f.get_internal_type() in PLAIN for f in fields]
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row(
                    [
                        value if is_plain else f.get_db_prep_save(value, db)
                        for f, is_plain in zip(fields, plain, strict=True)
                        for value in (f.pre_save(obj, add=True),)
                    ]
                )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias


def any_of(ids: Iterable[int]) -> Iterable[int] | RawSQL:
    """The right-hand side of ``field__in`` for thousands of ids.

    On PostgreSQL one array parameter (``IN (SELECT unnest(%s))``) instead of one parameter
    per id, which psycopg would otherwise parse and convert one by one.
    """
    ids = list(ids)
    if connection.vendor != "postgresql":
        return ids
    return RawSQL("SELECT unnest(%s::bigint[])", [ids])


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
