"""How the audit log is stored: its two tables in the state database, and a row read back.

``audit_events`` holds one row per event (the columns of a chain row, see
:mod:`.chain`); ``audit_head`` holds the head record, one row named ``chain``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    inspect,
    select,
)
from sqlalchemy.exc import SQLAlchemyError

from ..errors import DatabaseError
from .events import MAX_REFERENCE, MAX_USER, Action, StoredEvent, time_text

_metadata = MetaData()
#: One row per event, in chain order by ``id``.
events_table = Table(
    "audit_events", _metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),
    Column("user_name", String(MAX_USER), nullable=False),
    # The operating-system account that wrote the event; NULL in rows written before
    # the column existed (added by create_tables when a log is opened).
    Column("os_user", String(MAX_USER)),
    # The request reference (the DPO's case number); NULL when the event has none
    # and in rows written before the column existed.
    Column("reference", String(MAX_REFERENCE)),
    Column("action", String(40), nullable=False),
    Column("criteria_hash", String(64)),
    Column("tables_json", Text, nullable=False),
    Column("detail_json", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
#: The head record: one row, named :data:`.chain.HEAD_NAME`.
head_table = Table(
    "audit_head", _metadata,
    Column("name", String(16), primary_key=True),
    Column("last_id", Integer, nullable=False),
    Column("last_hash", String(64), nullable=False),
    Column("mac", String(64), nullable=False),
)


#: MariaDB's table options: binary collation, so that user names and actions compare
#: exactly, as on the other engines. Given to the tables when they are created there
#: (naming them in the definitions above would load the MySQL dialect in every process).
MYSQL_OPTIONS = {"mysql_engine": "InnoDB", "mysql_charset": "utf8mb4",
                 "mysql_collate": "utf8mb4_bin"}


def create_tables(engine: Engine) -> None:
    """Create ``audit_events`` and ``audit_head`` in ``engine``'s database where missing.

    A log written by an older version gets the columns it lacks (``os_user``,
    ``reference``), empty in its old rows.

    Examples
    --------
    >>> from sqlalchemy import create_engine, inspect
    >>> engine = create_engine("sqlite://")
    >>> create_tables(engine); create_tables(engine)
    >>> sorted(inspect(engine).get_table_names())
    ['audit_events', 'audit_head']
    """
    if engine.dialect.name in ("mysql", "mariadb"):
        for table in _metadata.tables.values():
            table.dialect_kwargs.update(MYSQL_OPTIONS)
    try:
        _metadata.create_all(engine, checkfirst=True)
    except SQLAlchemyError:
        # Another process may have created them a moment ago (PostgreSQL reports a
        # duplicate type then); only a table that is still missing is an error.
        names = set(inspect(engine).get_table_names())
        if not {"audit_events", "audit_head"} <= names:
            raise
    _add_missing_columns(engine)


def _add_missing_columns(engine: Engine) -> None:
    """Add the columns of :data:`events_table` that an older log lacks (nullable ones only)."""
    have = {c["name"] for c in inspect(engine).get_columns("audit_events")}
    for column in events_table.columns:
        if column.name in have:
            continue
        ddl = (f"ALTER TABLE audit_events ADD COLUMN {column.name} "
               f"{column.type.compile(dialect=engine.dialect)}")
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql(ddl)
        except SQLAlchemyError:
            # Another process opening the log at the same moment may have added it.
            if column.name not in {c["name"] for c in inspect(engine).get_columns(
                    "audit_events")}:
                raise


def holds_events(engine: Engine) -> bool:
    """Whether ``engine``'s database holds an audit log that has recorded events.

    True when ``audit_events`` has a row, or the head record names an event
    (its rows deleted since); needs no key, reads only.

    Examples
    --------
    >>> from sqlalchemy import create_engine
    >>> engine = create_engine("sqlite://")
    >>> holds_events(engine)
    False
    >>> create_tables(engine); holds_events(engine)
    False
    """
    names = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        if "audit_events" in names and conn.execute(
                select(events_table.c.id).limit(1)).first() is not None:
            return True
        return "audit_head" in names and conn.execute(
            select(head_table.c.name).where(head_table.c.last_id > 0).limit(1)).first() is not None


def since_text(since: datetime | date) -> str:
    """``since`` as stored time text, to compare with the ``at`` column.

    A date means its midnight UTC; a naive time is taken as UTC.

    Examples
    --------
    >>> since_text(date(2025, 3, 1))
    '2025-03-01T00:00:00.000000+00:00'
    >>> since_text(datetime(2025, 3, 1, 9, 30))
    '2025-03-01T09:30:00.000000+00:00'
    """
    if not isinstance(since, datetime):
        since = datetime.combine(since, time.min, tzinfo=UTC)
    elif since.tzinfo is None:
        since = since.replace(tzinfo=UTC)  # naive times are taken as UTC, like the log's
    return time_text(since)


def events_query(*, since: datetime | date | None = None, action: Action | str | None = None,
                 user: str | None = None, limit: int | None = None,
                 reference: str | None = None) -> Select[Any]:
    """The query of :meth:`AuditLog.events`: matching events, newest first.

    Examples
    --------
    >>> "ORDER BY audit_events.id DESC" in str(events_query(user="dpo"))
    True
    >>> events_query(limit=0)
    Traceback (most recent call last):
    ...
    ValueError: limit must be at least 1.
    """
    t = events_table
    stmt = select(t).order_by(t.c.id.desc())
    if since is not None:
        stmt = stmt.where(t.c.at >= since_text(since))
    if action is not None:
        stmt = stmt.where(t.c.action == str(Action(action)))
    if user is not None:
        stmt = stmt.where(t.c.user_name == user)
    if reference is not None:
        stmt = stmt.where(t.c.reference == reference)
    if limit is not None:
        if limit < 1:
            raise ValueError("limit must be at least 1.")
        stmt = stmt.limit(limit)
    return stmt


def stored_event(r: Mapping[str, Any]) -> StoredEvent:
    """The event of the stored row ``r``, or a DatabaseError when it cannot be read.

    Examples
    --------
    >>> e = stored_event({"id": 1, "at": "2025-03-01T09:30:00.000000+00:00",
    ...                   "user_name": "dpo", "action": "login", "criteria_hash": None,
    ...                   "tables_json": "{}", "detail_json": "{}", "prev_hash": "0" * 64,
    ...                   "hash": "ab" * 32})
    >>> e.action, e.at.isoformat()
    (<Action.LOGIN: 'login'>, '2025-03-01T09:30:00+00:00')
    """
    try:
        at = datetime.fromisoformat(r["at"]).astimezone(UTC)
        tables = json.loads(r["tables_json"])
        detail = json.loads(r["detail_json"])
    except (TypeError, ValueError):
        raise DatabaseError(f"Audit event {r['id']} is unreadable (edited outside the "
                            "workbench?). Run `dpo-workbench audit verify`.") from None
    try:
        action: Action | str = Action(r["action"])
    except ValueError:
        action = r["action"]
    return StoredEvent(id=r["id"], at=at, user=r["user_name"], action=action,
                       criteria_hash=r["criteria_hash"], tables=tables, detail=detail,
                       prev_hash=r["prev_hash"], hash=r["hash"], os_user=r.get("os_user"),
                       reference=r.get("reference"))
