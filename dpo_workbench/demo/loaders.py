"""Bulk loading of the demo's rows into SQLite, PostgreSQL or MariaDB.

Tables and indexes are declared by the SQLAlchemy metadata of
:mod:`dpo_workbench.demo.schema`, so that every engine gets the types SQLAlchemy
would give them; the rows then go in through each driver's fastest path:
``executemany`` inside one transaction with the journal off on SQLite, ``COPY ...
FROM STDIN`` on PostgreSQL (psycopg 3 or psycopg2, as the URL names it) and
multi-row ``INSERT`` statements on MariaDB. Indexes are created after the rows are
in, which is several times faster than updating them row by row.

Values arrive as Python tuples in the table's column order: text, integers,
``None``, and datetimes already as text in SQLAlchemy's SQLite format
``YYYY-MM-DD HH:MM:SS.ffffff`` (which PostgreSQL and MariaDB parse as well).
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, MetaData, create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.schema import CreateIndex, CreateTable

Row = tuple[Any, ...]
#: ``step(done, total)``: how far :meth:`Sink.finish` is through the indexes.
Step = Callable[[int, int], None]

#: Rows per statement batch on the server engines.
SERVER_BATCH = 5_000


class Sink(Protocol):
    """Where the generator puts one logical database's rows."""

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        """Add ``rows`` (tuples in ``columns`` order) to ``table``."""

    def finish(self, step: Step | None = None) -> None:
        """Commit, create the indexes and leave the database ready for use.

        ``step(done, total)`` is called before each index and once all are made.
        """

    def close(self) -> None:
        """Release the connection (after :meth:`finish`, or to give up)."""


def open_sink(metadata: MetaData, *, path: Path | None = None, url: str | None = None) -> Sink:
    """Create the tables of ``metadata`` in a fresh SQLite file or a server database.

    Give ``path`` for a SQLite file (replaced if it exists) or ``url`` for a
    PostgreSQL or MariaDB database, where existing tables of the same names are
    dropped first.

    Examples
    --------
    >>> import tempfile
    >>> from dpo_workbench.demo.schema import metadata_for
    >>> sink = open_sink(metadata_for("configuration"),
    ...                  path=Path(tempfile.mkdtemp()) / "c.sqlite")
    >>> sink.insert("queues", ["id", "name", "channel", "phone_number"], [(1, "Q", "call", None)])
    >>> sink.finish(); sink.close()
    """
    if path is not None:
        return SQLiteSink(path, metadata)
    if url is None:
        raise ValueError("open_sink needs a SQLite path or a database URL")
    engine = create_engine(url)
    backend = engine.dialect.name
    if backend == "postgresql":
        return PostgresSink(engine, metadata)
    if backend in ("mysql", "mariadb"):
        return MariaDBSink(engine, metadata)
    engine.dispose()
    raise ValueError(f"the demo loads into SQLite, PostgreSQL or MariaDB, not {backend} "
                     f"(URL scheme of {engine.url.render_as_string(hide_password=True)})")


def _index_ddl(metadata: MetaData, engine: Engine) -> list[str]:
    return [str(CreateIndex(ix).compile(dialect=engine.dialect))
            for table in metadata.sorted_tables for ix in sorted(table.indexes, key=_name)]


def _stepped(ddl: Sequence[str], step: Step | None) -> Iterator[str]:
    """``ddl`` one statement after another, telling ``step`` before each and at the end."""
    for i, statement in enumerate(ddl):
        if step:
            step(i, len(ddl))
        yield statement
    if step:
        step(len(ddl), len(ddl))


def _name(ix: Any) -> str:
    return str(ix.name)


def _create_tables(engine: Engine, metadata: MetaData) -> None:
    """Drop the metadata's tables if present, then create them without their indexes."""
    metadata.drop_all(engine, checkfirst=True)
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            conn.execute(CreateTable(table))


class SQLiteSink:
    """Rows into a new SQLite file through the stdlib driver."""

    def __init__(self, path: Path, metadata: MetaData):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        engine = create_engine(f"sqlite:///{path}")
        try:
            _create_tables(engine, metadata)
            self._indexes = _index_ddl(metadata, engine)
        finally:
            engine.dispose()
        self._conn = sqlite3.connect(path, isolation_level=None)
        # The file is new: a crash means building again, so no journal is needed.
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-262144",
                       "temp_store=MEMORY", "locking_mode=EXCLUSIVE"):
            self._conn.execute(f"PRAGMA {pragma}")
        self._conn.execute("BEGIN")

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if rows:
            marks = ", ".join("?" * len(columns))
            self._conn.executemany(
                f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})', rows)

    def finish(self, step: Step | None = None) -> None:
        for ddl in _stepped(self._indexes, step):
            self._conn.execute(ddl)
        self._conn.execute("COMMIT")
        # Statistics let the planner choose between the indexes the search creates.
        self._conn.execute("PRAGMA analysis_limit=1000")
        self._conn.execute("ANALYZE")
        self._conn.execute("PRAGMA locking_mode=NORMAL")
        self._conn.execute("PRAGMA journal_mode=WAL")

    def close(self) -> None:
        self._conn.close()


class _ServerSink:
    """What the server sinks share: fresh tables, deferred indexes, one driver connection."""

    def __init__(self, engine: Engine, metadata: MetaData):
        self._engine = engine
        _create_tables(engine, metadata)
        self._indexes = _index_ddl(metadata, engine)
        self._tables = [t.name for t in metadata.sorted_tables]
        self._raw = engine.raw_connection()
        self._conn = self._raw.driver_connection

    def close(self) -> None:
        self._raw.close()
        self._engine.dispose()


class PostgresSink(_ServerSink):
    """Rows into PostgreSQL with ``COPY ... FROM STDIN``, through the URL's own driver.

    psycopg 3 (``postgresql+psycopg://``) writes the rows with its ``Copy.write_row``;
    psycopg2 (``postgresql+psycopg2://``) gets them in COPY's text format
    (:func:`copy_text`) through ``copy_expert``. A plain ``postgresql://`` URL takes
    SQLAlchemy's default driver, either of the two.
    """

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        if not rows:
            return
        sql = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
        with self._conn.cursor() as cur:
            if self._engine.dialect.driver == "psycopg2":
                cur.copy_expert(sql, io.StringIO(copy_text(rows)))
                return
            with cur.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)

    def finish(self, step: Step | None = None) -> None:
        with self._conn.cursor() as cur:
            for ddl in _stepped(self._indexes, step):
                cur.execute(ddl)
            for table in self._tables:
                cur.execute(f'ANALYZE "{table}"')
        self._conn.commit()


class MariaDBSink(_ServerSink):
    """Rows into MariaDB/MySQL with multi-row ``INSERT`` statements (pymysql)."""

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Row]) -> None:
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO `{table}` ({', '.join(columns)}) VALUES ({marks})"
        with self._conn.cursor() as cur:
            # pymysql rewrites executemany of an INSERT into multi-row statements.
            for start in range(0, len(rows), SERVER_BATCH):
                cur.executemany(sql, rows[start:start + SERVER_BATCH])

    def finish(self, step: Step | None = None) -> None:
        with self._conn.cursor() as cur:
            for ddl in _stepped(self._indexes, step):
                cur.execute(ddl)
        self._conn.commit()


#: What COPY's text format escapes in a value: the backslash, the field and row separators.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(rows: Sequence[Row]) -> str:
    r"""``rows`` in PostgreSQL's COPY text format: tab-separated, ``\N`` for NULL.

    Each value is written as its text (``True`` as ``True``, which PostgreSQL reads
    as a boolean); backslashes, tabs and line breaks are escaped.

    Examples
    --------
    >>> copy_text([(1, "a\tb", None), (2, "c:\\d\n", True)])
    '1\ta\\tb\t\\N\n2\tc:\\\\d\\n\tTrue\n'
    """
    return "".join("\t".join("\\N" if v is None else str(v).translate(_COPY_ESCAPES)
                             for v in row) + "\n" for row in rows)


def copy_mariadb_database(conn: Connection, source: str, dest: str) -> None:
    """Copy the MariaDB database ``source`` into the empty database ``dest``, table by table.

    Each table is created with the source's own ``SHOW CREATE TABLE`` (keys, indexes,
    virtual columns, engine, next auto-increment value) and filled with its stored
    (non-generated) columns; foreign keys are not checked while copying. Leaves the
    connection on ``dest``.
    """
    conn.execute(text("SET SESSION foreign_key_checks = 0"))
    tables = conn.execute(text(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = :s "
        "AND table_type = 'BASE TABLE'"), {"s": source}).scalars().all()
    conn.execute(text(f"USE `{dest}`"))
    for table in tables:
        ddl = conn.execute(text(f"SHOW CREATE TABLE `{source}`.`{table}`")).one()[1]
        conn.execute(text(ddl.replace(":", r"\:")))
        columns = ", ".join(f"`{c}`" for c in conn.execute(text(
            "SELECT column_name FROM information_schema.columns WHERE "
            "table_schema = :s AND table_name = :t AND is_generated = 'NEVER' "
            "ORDER BY ordinal_position"), {"s": source, "t": table}).scalars())
        conn.execute(text(f"INSERT INTO `{dest}`.`{table}` ({columns}) "
                          f"SELECT {columns} FROM `{source}`.`{table}`"))
