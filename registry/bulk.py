"""New rows and their "created" audit rows, written in bulk.

On PostgreSQL the rows go in with COPY: the ORM's bulk insert prepares every value of
every row in Python and hands PostgreSQL one array per column, which cost the set-wise
importer more than all its checks. The primary keys come from the table's own sequence
first, so records can point at the patients and lines written before them; each row gets
its audit row with the same user, reason, API token and time as `bulk_create_with_history`
would give it. Elsewhere (SQLite) this is `bulk_create_with_history`.
"""

import time
from operator import attrgetter

from django.db import connections, router
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

# What an audit row holds besides the record's own columns (simple-history's, and the token).
HISTORY_COLUMNS = (
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user_id",
    "history_api_token_id",
)


def create_with_history(objects: list, model, *, user, reason: str, api_token=None) -> None:
    """Insert `objects` (new instances of `model`) and one "created" audit row each; the
    instances get their primary keys, as after `bulk_create`."""
    if not objects:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        bulk_create_with_history(
            objects,
            model,
            default_user=user,
            default_change_reason=reason,
            custom_historical_attrs={"history_api_token": api_token} if api_token else None,
        )
        return
    now = timezone.now()
    meta = model._meta
    fields = meta.concrete_fields
    stamped = [f.attname for f in fields if getattr(f, "auto_now", False)] + [
        f.attname for f in fields if getattr(f, "auto_now_add", False)
    ]
    relations = [f for f in fields if f.is_relation]
    ids = _next_ids(connection, meta.db_table, meta.pk.column, len(objects))
    for obj, pk in zip(objects, ids, strict=True):
        obj.pk = pk
        for name in stamped:
            setattr(obj, name, now)
        for relation in relations:  # a patient or line written just before: its new key
            if relation.is_cached(obj):
                related = relation.get_cached_value(obj)
                if related is not None:
                    if related.pk is None:
                        raise ValueError(f"{model.__name__}.{relation.name} is not saved yet.")
                    setattr(obj, relation.attname, related.pk)
                    # Setting the key forgets the object; bulk_create keeps it, so do we.
                    relation.set_cached_value(obj, related)
    _copy(connection, meta.db_table, fields, objects, {})
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
    history = model.history.model
    # As simple-history's: without a user given, the request's (its middleware keeps it).
    user = user or history.get_default_history_user(objects[0])
    given = {
        "history_date": now,
        "history_change_reason": reason,
        "history_type": "+",
        "history_user_id": getattr(user, "pk", None),
        "history_api_token_id": api_token.pk if api_token else None,
    }
    tracked = {f.attname for f in history.tracked_fields}
    history_fields = [f for f in history._meta.concrete_fields if f.attname != "history_id"]
    unknown = {f.attname for f in history_fields} - tracked - set(given)
    if unknown:  # a column this writer would leave empty: refuse rather than guess
        raise ValueError(f"Unknown audit columns of {model.__name__}: {sorted(unknown)}")
    _copy(connection, history._meta.db_table, history_fields, objects, given)


def insert(model, objects: list) -> None:
    """New rows nothing points at and no audit trail keeps (the derived tables)."""
    if not objects:
        return
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects)
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    _copy(connection, model._meta.db_table, fields, objects, {})


def _next_ids(connection, table: str, column: str, count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(connection, table, fields, objects, given) -> None:
    """One COPY of the objects' values (`given` for the columns they do not hold), counted
    among the connection's statements like any query.

    In the binary format, each value written by its column's type: psycopg then dumps
    each in C, where the text format looks up a dumper for every value (ten times the
    client's CPU). The server checks each value against its column (length, precision)
    as it does text."""
    # The objects' own values first, read in one C call per row; the given ones after.
    held = [f for f in fields if f.attname not in given]
    fields = [*held, *(f for f in fields if f.attname in given)]
    constants = tuple(given[f.attname] for f in fields[len(held) :])
    names = [f.attname for f in held]  # attrgetter of one name gives a value, not a tuple
    values = attrgetter(*names) if len(names) > 1 else lambda obj: (getattr(obj, names[0]),)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"COPY {quote(table)} ({columns}) FROM STDIN (FORMAT BINARY)"
    started = time.monotonic()
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,  # a clash is an IntegrityError, as with the ORM
        cursor.cursor.copy(sql) as copy,
    ):
        # Django's column type, less its modifier: varchar(20) is varchar to psycopg.
        copy.set_types([f.db_type(connection).partition("(")[0] for f in fields])
        for obj in objects:
            copy.write_row(values(obj) + constants)
    if connection.queries_logged:
        connection.queries_log.append(
            {"sql": f"{sql} ({len(objects)} rows)", "time": f"{time.monotonic() - started:.3f}"}
        )
