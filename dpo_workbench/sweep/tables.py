"""Sweeping one database: every table, every text column, whatever the datamap declares.

Every table is reflected from the live database (on PostgreSQL, every schema but
the system ones; views are not read: their rows live in tables). A column is
swept when it holds text (``VARCHAR``, ``TEXT``, ``CHAR``, ``CLOB``..., and JSON
cast to text), except the workbench's own ``dpo_*`` key columns. Binary columns,
arrays and other types are not.

Per table, one statement reads the key and the text columns of the rows the SQL
prefilter passes (:mod:`.sql`); Python then applies the exact rules
(:mod:`.rules`) to each value. A row's key is its primary key, else a unique
key of NOT NULL columns, else SQLite's ``rowid``; a table with none of them has
its mentions listed without a key (they cannot be redacted).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    and_,
    inspect,
    literal_column,
    select,
    text,
    types,
)
from sqlalchemy.exc import SAWarning, SQLAlchemyError

from ..values import json_value
from .model import Mention
from .rules import Rules
from .sql import row_prefilter

#: Schemas of PostgreSQL that hold no installation data.
SYSTEM_SCHEMAS = ("information_schema", "pg_catalog", "pg_toast")
#: Rows fetched at a time from a statement's result.
BATCH = 2000
#: Rowids per unit of a large SQLite table.
CHUNK_ROWS = 500_000
ROWID = "rowid"


def is_swept(column: Column[Any]) -> bool:
    """Whether the sweep reads a column: text or JSON, not the workbench's own key columns."""
    if column.name.lower().startswith("dpo_"):
        return False
    return isinstance(column.type, String | types.JSON)


@dataclass(frozen=True)
class SweptTable:
    """One table to sweep: its name as reported, its key columns and its text columns."""

    database: str
    name: str  # "table", or "schema.table" outside the default schema
    table: Table
    key: tuple[str, ...]  # column names; ("rowid",) on SQLite without another key
    columns: tuple[str, ...]

    def key_columns(self) -> list[Any]:
        if self.key == (ROWID,) and ROWID not in self.table.c:
            return [literal_column(ROWID).label(ROWID)]
        return [self.table.c[k] for k in self.key]


def row_key(table: Table, dialect: str) -> tuple[str, ...]:
    """The columns that name one row (see the module notes); empty when there are none."""
    pk = tuple(c.name for c in table.primary_key.columns)
    if pk:
        return pk
    candidates = [tuple(c.name for c in ix.columns) for ix in table.indexes if ix.unique]
    candidates += [tuple(c.name for c in uc.columns) for uc in table.constraints
                   if isinstance(uc, UniqueConstraint)]
    for cols in sorted(candidates, key=len):
        if cols and all(not table.c[c].nullable for c in cols):
            return cols
    return (ROWID,) if dialect == "sqlite" else ()


def reflect_all(conn: Connection, database: str) -> list[SweptTable]:
    """Every table of the database with at least one swept column."""
    dialect = conn.dialect.name
    inspector = inspect(conn)
    schemas: list[str | None] = [None]
    if dialect == "postgresql":
        default = inspector.default_schema_name
        schemas += [s for s in inspector.get_schema_names()
                    if s != default and s not in SYSTEM_SCHEMAS and not s.startswith("pg_")]
    out: list[SweptTable] = []
    for schema in schemas:
        md = MetaData()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)  # expression indexes, unknown types
            md.reflect(bind=conn, schema=schema, views=False)
        for table in sorted(md.tables.values(), key=lambda t: t.name):
            columns = tuple(c.name for c in table.c if is_swept(c))
            if columns:
                name = f"{schema}.{table.name}" if schema else table.name
                out.append(SweptTable(database, name, table, row_key(table, dialect), columns))
    return out


def as_text(value: Any) -> str | None:
    """A stored value as text: bytes (SQLite lets a text column hold them) decoded."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    if value is not None and not isinstance(value, int | float):
        return str(value)  # JSON read as a structure
    return None


def _key(row: Any, key: Sequence[str], rules: Rules) -> tuple[Any, bool]:
    """The row's key as JSON, and whether it is withheld (it mentions the person)."""
    values = [row[k] for k in key]
    withheld = any(isinstance(v, str) and rules.kinds(v) for v in values)
    plain = [json_value(v) for v in values]
    return (plain[0] if len(plain) == 1 else plain) if plain else None, withheld


def confirm(row: Any, swept: SweptTable, rules: Rules) -> Iterator[Mention]:
    """The mentions in one row the prefilter passed, by the exact rules."""
    values = {c: as_text(row[c]) for c in swept.columns}
    found: dict[str, set[str]] = {}
    for column, value in values.items():
        if value:
            kinds = rules.kinds(value)
            if kinds:
                found[column] = kinds
    for column in rules.split_name({c: v for c, v in values.items() if v}):
        found.setdefault(column, set()).add("name")
    if not found:
        return
    key, withheld = _key(row, swept.key, rules)
    for column in swept.columns:
        if column in found:
            yield Mention(swept.database, swept.name, column, key,
                          tuple(k for k in ("email", "phone", "name") if k in found[column]),
                          key_withheld=withheld)


@dataclass(frozen=True)
class Unit:
    """A part of one table swept by one statement: all of it, or a range of SQLite rowids."""

    swept: SweptTable
    low: int | None = None  # rowid range [low, high], SQLite only
    high: int | None = None
    weight: int = 0  # rows (estimated) x text columns: the largest units go first

    @property
    def label(self) -> str:
        part = f" (rows {self.low:,} to {self.high:,})" if self.low is not None else ""
        return f"{self.swept.database}.{self.swept.name}{part}"


def units(conn: Connection, swept: SweptTable, rows_per_unit: int = CHUNK_ROWS) -> list[Unit]:
    """The units of one table: SQLite tables in rowid ranges, other tables whole.

    Ranges let several threads share a large SQLite table (and progress say more);
    PostgreSQL scans a large table with its own parallel workers.
    """
    cols = len(swept.columns)
    if conn.dialect.name != "sqlite":
        return [Unit(swept, weight=_estimate(conn, swept) * cols)]
    try:
        low, high = conn.execute(select(literal_column("min(rowid)"),
                                        literal_column("max(rowid)")).select_from(swept.table)
                                 ).one()
    except SQLAlchemyError:  # a WITHOUT ROWID table
        return [Unit(swept, weight=cols)]
    if low is None:
        return [Unit(swept)]
    out = []
    for start in range(int(low), int(high) + 1, rows_per_unit):
        end = min(start + rows_per_unit - 1, int(high))
        out.append(Unit(swept, start, end, (end - start + 1) * cols))
    return out


def _estimate(conn: Connection, swept: SweptTable) -> int:
    """The engine's own estimate of a table's rows (no count is run)."""
    table = swept.table
    try:
        if conn.dialect.name == "postgresql":
            sql = "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = to_regclass(:t)"
            name = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
            return int(conn.execute(text(sql), {"t": name}).scalar() or 0)
        sql = ("SELECT table_rows FROM information_schema.tables "
               "WHERE table_schema = DATABASE() AND table_name = :t")
        return int(conn.execute(text(sql), {"t": table.name}).scalar() or 0)
    except SQLAlchemyError:
        return 0


def sweep_unit(conn: Connection, unit: Unit, rules: Rules) -> tuple[list[Mention], int]:
    """The mentions in one unit, and how many rows the prefilter passed."""
    swept = unit.swept
    dialect = conn.dialect.name
    table = swept.table
    where = row_prefilter([table.c[c] for c in swept.columns], rules.pieces(), rules.shortest(),
                          dialect)
    if where is None:
        return [], 0
    if unit.low is not None:
        rowid = literal_column(ROWID)
        where = and_(rowid >= unit.low, rowid <= unit.high, where)
    stmt = select(*swept.key_columns(), *[table.c[c] for c in swept.columns]).where(where)
    # PostgreSQL scans in parallel only without a server-side cursor; the prefilter
    # keeps its result small.
    options = {} if dialect == "postgresql" else {"stream_results": True, "yield_per": BATCH}
    mentions: list[Mention] = []
    candidates = 0
    for row in conn.execution_options(**options).execute(stmt).mappings():
        candidates += 1
        mentions += confirm(row, swept, rules)
    return mentions, candidates
