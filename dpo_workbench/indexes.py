"""The workbench's indexes: the DDL per engine, whether they exist, create, drop, analyze.

Every match kind (:mod:`~dpo_workbench.matchkinds`) names the key expressions of
a matched column; an index covers them. SQLite and PostgreSQL get expression
indexes on exactly these expressions; MariaDB gets indexed virtual columns
(``dpo_<tag>_<column>``) instead, which the search uses when they exist.

Without the indexes a search still works, by scanning.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, column, inspect, text
from sqlalchemy.exc import SAWarning, SQLAlchemyError

from .datamap import TableSpec
from .errors import DatabaseError
from .installation import Installation
from .matchkinds import MATCH_KINDS, MYSQL, MatchKind, short_hash, virtual_column_name
from .progress import Progress
from .sqlfuncs import PLAIN


@dataclass(frozen=True)
class IndexDef:
    """One index the workbench can create to make a match fast."""

    database: str
    table: str
    name: str
    kind: str  # phone, email, name
    columns: tuple[str, ...]
    statements: tuple[str, ...]  # DDL, in order

    @property
    def sql(self) -> str:
        return ";\n".join(self.statements) + ";"


@dataclass(frozen=True)
class IndexStatus:
    """An index the workbench can create, and whether it exists now."""

    index: IndexDef
    exists: bool


def index_name(kind: str, table: str, columns: Iterable[str], version: str = "") -> str:
    """A deterministic index name within every engine's length limit (63).

    ``version`` (a hash of the indexed expressions) gives a changed rule a new
    name, so an index of the old rule is recognised as obsolete.

    >>> index_name("phone", "contact_events", ["remote_number"], "1a2b")
    'dpo_phone1a2b_contact_events_remote_number'
    """
    name = f"dpo_{kind}{version}_{table}_{'_'.join(columns)}"
    return name if len(name) <= 60 else f"{name[:51]}_{short_hash(name)}"


def _compile(expr: Any, dialect: Any) -> str:
    return str(expr.compile(dialect=dialect,
                            compile_kwargs={"literal_binds": True, PLAIN: True}))


def _version(kind: MatchKind, cols: tuple[str, ...], dialect: Any) -> str:
    """A hash of the indexed expressions: it changes when a match rule changes."""
    text = "|".join(_compile(key.build(column(c)), dialect) for c in cols
                    for key in kind.index_keys())
    return short_hash(text)[:4]


def _statements(kind: MatchKind, table: Any, cols: tuple[str, ...], iname: str,
                dialect: Any) -> tuple[str, ...]:
    q = dialect.identifier_preparer.quote
    if dialect.name in MYSQL:
        parts: list[str] = []
        vcols: list[str] = []
        for c in cols:
            length = getattr(table.c[c].type, "length", None) or 255
            for key in kind.index_keys():
                vname = virtual_column_name(key.versioned, c)
                size = key.size or min(length, 255)
                expr = _compile(key.build(column(c)), dialect)
                parts.append(f"ADD COLUMN IF NOT EXISTS {q(vname)} VARCHAR({size}) CHARACTER "
                             f"SET utf8mb4 COLLATE utf8mb4_bin AS ({expr}) VIRTUAL")
                vcols.append(q(vname))
        parts.append(f"ADD INDEX IF NOT EXISTS {q(iname)} ({', '.join(vcols)})")
        return (f"ALTER TABLE {q(table.name)} " + ", ".join(parts),)
    exprs = [_compile(key.build(column(c)), dialect) for c in cols for key in kind.index_keys()]
    return (f"CREATE INDEX IF NOT EXISTS {q(iname)} ON {q(table.name)} "
            f"({', '.join(f'({e})' for e in exprs)})",)


def table_indexes(inst: Installation, spec: TableSpec) -> list[IndexDef]:
    """The indexes (and, on MariaDB, virtual columns) that make one table's matches fast."""
    table = inst.table(spec.database, spec.table)
    dialect = inst.engines[spec.database].dialect
    out = []
    for name, kind in MATCH_KINDS.items():
        for matched in spec.match.get(name, ()):
            cols = kind.index_columns(matched)
            iname = index_name(name, table.name, cols, _version(kind, cols, dialect))
            out.append(IndexDef(database=spec.database, table=table.name, name=iname,
                                kind=name, columns=cols,
                                statements=_statements(kind, table, cols, iname, dialect)))
    return out


def definitions(inst: Installation) -> list[IndexDef]:
    """Every index that makes the datamap's matches fast, in each engine's DDL."""
    return [idx for spec in inst.datamap.tables if inst.is_open(spec.database)
            for idx in table_indexes(inst, spec)]


def drop_statements(index: IndexDef, dialect: Any) -> tuple[str, ...]:
    """DDL that removes an index (and its MariaDB virtual columns)."""
    q = dialect.identifier_preparer.quote
    if dialect.name in MYSQL:
        tags = [k.versioned for k in MATCH_KINDS[index.kind].index_keys()]
        drops = [f"DROP INDEX IF EXISTS {q(index.name)}"]
        drops += [f"DROP COLUMN IF EXISTS {q(virtual_column_name(t, c))}"
                  for c in index.columns for t in tags]
        return (f"ALTER TABLE {q(index.table)} " + ", ".join(drops),)
    return (f"DROP INDEX IF EXISTS {q(index.name)}",)


def _index_names(conn: Connection, table: str) -> set[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        names = {ix["name"] for ix in inspect(conn).get_indexes(table) if ix.get("name")}
    if conn.dialect.name == "sqlite":
        # SQLite's inspector skips expression indexes; its catalogue lists them all.
        names |= set(conn.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"),
            {"t": table}).scalars())
    elif conn.dialect.name == "postgresql":
        names |= set(conn.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = :t"), {"t": table}).scalars())
    return names


def status(inst: Installation) -> list[IndexStatus]:
    """The indexes and whether each exists in its database now."""
    out = []
    for idx in definitions(inst):
        with inst.connect(idx.database) as conn:
            names = _index_names(conn, idx.table)
        out.append(IndexStatus(idx, idx.name in names))
    return out


@dataclass(frozen=True)
class ObsoleteIndex:
    """A workbench index (or MariaDB key column) of an older match rule, to be dropped."""

    database: str
    table: str
    name: str
    is_column: bool = False

    def statement(self, dialect: Any) -> str:
        q = dialect.identifier_preparer.quote
        if self.is_column:
            return f"ALTER TABLE {q(self.table)} DROP COLUMN IF EXISTS {q(self.name)}"
        if dialect.name in MYSQL:
            return f"ALTER TABLE {q(self.table)} DROP INDEX IF EXISTS {q(self.name)}"
        return f"DROP INDEX IF EXISTS {q(self.name)}"


def obsolete(inst: Installation) -> list[ObsoleteIndex]:
    """The workbench's indexes and key columns that the current rules no longer use.

    A match rule that changed (a new release normalises text differently) gives its
    indexes new names; the old ones would only cost space and writes.
    """
    wanted: dict[tuple[str, str], set[str]] = {}
    columns: dict[tuple[str, str], set[str]] = {}
    for idx in definitions(inst):
        wanted.setdefault((idx.database, idx.table), set()).add(idx.name)
        kind = MATCH_KINDS[idx.kind]
        columns.setdefault((idx.database, idx.table), set()).update(
            virtual_column_name(k.versioned, c) for c in idx.columns for k in kind.index_keys())
    out = []
    for (database, table), names in wanted.items():
        with inst.connect(database) as conn:
            present = _index_names(conn, table)
            out += [ObsoleteIndex(database, table, n) for n in sorted(present)
                    if n.startswith("dpo_") and n not in names]
            if conn.dialect.name in MYSQL:
                cols = {c["name"] for c in inspect(conn).get_columns(table)}
                out += [ObsoleteIndex(database, table, c, is_column=True) for c in sorted(cols)
                        if c.startswith("dpo_") and c not in columns[(database, table)]]
    return out


def run_ddl(inst: Installation, database: str, statements: Iterable[str]) -> None:
    """Run DDL statements in one transaction (errors become DatabaseError)."""
    try:
        with inst.engines[database].begin() as conn:
            for stmt in statements:
                conn.execute(text(stmt))
    except SQLAlchemyError as exc:
        raise DatabaseError(f"changing the indexes of database '{database}' failed: "
                            f"{getattr(exc, 'orig', exc)}") from None


def create(inst: Installation, progress: Progress | None = None) -> list[tuple[IndexDef, float]]:
    """Create the missing indexes; return each created one with its build time (s).

    ``progress(message, done, total)`` is called before each index is built and
    once all are (``total``: the indexes to build), so that a long build shows
    which index it is on, its rate and the time left.

    On PostgreSQL and MariaDB the tables that got an index are then analyzed:
    without statistics on the new index expressions, PostgreSQL guesses their
    selectivity and may walk a date index instead (measured: 1.5 s instead of
    25 ms at 10M events). The installation's schema is reflected again, because
    MariaDB searches use the new virtual columns.
    """
    for old in obsolete(inst):
        run_ddl(inst, old.database, (old.statement(inst.engines[old.database].dialect),))
    built = []
    missing = [state.index for state in status(inst) if not state.exists]
    for i, idx in enumerate(missing):
        if progress:
            progress(f"index {idx.database}.{idx.name}", i, len(missing))
        started = time.perf_counter()
        run_ddl(inst, idx.database, idx.statements)
        built.append((idx, time.perf_counter() - started))
    if progress and missing:
        progress("indexes created", len(missing), len(missing))
    analyze(inst, {(idx.database, idx.table) for idx, _ in built})
    inst.reflect()
    return built


def analyze(inst: Installation, tables: Iterable[tuple[str, str]] | None = None) -> None:
    """Refresh the planner statistics of (database, table) pairs (default: all searched).

    SQLite is left alone: its statistics count the many NULL e-mail keys of
    calls as one key with a huge row count, after which it prefers a date
    index over the e-mail index; without statistics its heuristics pick the
    workbench's indexes (checked by tests/test_query_plans.py).
    """
    if tables is None:
        tables = {(t.database, t.table) for t in inst.datamap.tables}
    for database, table in sorted(tables):
        dialect = inst.engines[database].dialect
        name = dialect.identifier_preparer.quote(table)
        if dialect.name == "postgresql":
            run_ddl(inst, database, (f"ANALYZE {name}",))
        elif dialect.name in MYSQL:
            run_ddl(inst, database, (f"ANALYZE TABLE {name}",))


@dataclass(frozen=True)
class CacheShortfall:
    """A MariaDB server whose InnoDB buffer pool is smaller than the tables searched there.

    A search reads every found row from its table's page. InnoDB keeps pages in its
    buffer pool and, by default from MariaDB 10.6 on (``O_DIRECT``), bypasses the
    operating system's file cache: a page that other work has pushed out of the
    pool is read from the disk again, once per found row. With a pool that holds
    the searched tables and their indexes, a search stays in memory (PostgreSQL
    and SQLite fall back on the file cache instead).
    """

    databases: tuple[str, ...]  # the logical databases on that server
    pool_bytes: int
    searched_bytes: int  # the searched tables' data and indexes

    def note(self) -> str:
        """The shortfall in words, with the setting that removes it."""
        return (f"the MariaDB server of {', '.join(self.databases)} has an InnoDB buffer "
                f"pool of {_mib(self.pool_bytes)}, smaller than the searched tables and "
                f"their indexes ({_mib(self.searched_bytes)}): a search reads the rows it "
                "finds from the disk whenever other work has pushed them out of the pool. "
                "Setting innodb_buffer_pool_size to at least "
                f"{_mib(self.searched_bytes)} keeps searches in memory")


def _mib(size: int) -> str:
    """A size in MiB for a note.

    >>> _mib(134217728), _mib(2**14)
    ('128 MiB', '0.02 MiB')
    """
    mib = size / 2**20
    return f"{mib:,.0f} MiB" if mib >= 10 else f"{mib:.2f} MiB"


def _server_cache(conn: Connection) -> tuple[str, int]:
    """The server's identity (host and port) and its InnoDB buffer pool size."""
    server, pool = conn.execute(text(
        "SELECT CONCAT(@@hostname, ':', @@port), @@innodb_buffer_pool_size")).one()
    return str(server), int(pool)


def _searched_bytes(conn: Connection, tables: list[str]) -> int:
    """The data and index bytes of ``tables`` in the connection's database (estimates)."""
    query = text("SELECT COALESCE(SUM(data_length + index_length), 0) "
                 "FROM information_schema.tables "
                 "WHERE table_schema = DATABASE() AND table_name IN :names")
    return int(conn.execute(query.bindparams(bindparam("names", expanding=True)),
                            {"names": tables}).scalar_one())


def cache_shortfalls(inst: Installation) -> list[CacheShortfall]:
    """The MariaDB servers whose buffer pool cannot hold the tables searched on them.

    The datamap's tables of every open MariaDB (or MySQL) database are summed per
    server, since the databases of one server share its pool.
    """
    servers: dict[str, tuple[int, list[str], int]] = {}
    for database in sorted({t.database for t in inst.datamap.tables}):
        if not inst.is_open(database) or inst.engines[database].dialect.name not in MYSQL:
            continue
        tables = sorted({t.table for t in inst.datamap.tables if t.database == database})
        with inst.connect(database) as conn:
            server, pool = _server_cache(conn)
            size = _searched_bytes(conn, tables)
        _, names, total = servers.get(server, (pool, [], 0))
        servers[server] = (pool, [*names, database], total + size)
    return [CacheShortfall(tuple(names), pool, total)
            for pool, names, total in servers.values() if pool < total]


def drop(inst: Installation) -> int:
    """Remove the workbench's indexes (and MariaDB key columns), old ones too; return how many."""
    n = 0
    for old in obsolete(inst):
        run_ddl(inst, old.database, (old.statement(inst.engines[old.database].dialect),))
        n += not old.is_column
    for state in status(inst):
        if state.exists:
            dialect = inst.engines[state.index.database].dialect
            run_ddl(inst, state.index.database, drop_statements(state.index, dialect))
            n += 1
    inst.reflect()
    return n
