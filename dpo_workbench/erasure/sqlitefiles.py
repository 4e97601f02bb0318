"""What erasure does to SQLite files so that no erased value lingers in them.

- **Deleted content is overwritten**: every erasure connection sets
  ``PRAGMA secure_delete``, so freed pages and cells are zeroed.
- **Rollback journals** (databases not in WAL mode) would receive the old pages
  in clear and be unlinked without being overwritten. The erasure connection
  therefore takes the database's lock exclusively for the transaction, keeps the
  journal (``journal_mode = PERSIST``), overwrites it with zeros after the commit
  or rollback, and restores the database's journal mode, which removes the file.
- **Write-ahead logs** hold the new (anonymized) pages until a checkpoint copies
  them over the old ones. :func:`scrub` checkpoints with ``TRUNCATE`` and retries
  while readers hold old snapshots; when it cannot complete it says why, the step
  records it, and the receipt is not "verified" until a resume completes it.
- **Waits are bounded**: the busy time-out (SQLite), ``lock_timeout`` and
  ``statement_timeout`` (PostgreSQL), ``innodb_lock_wait_timeout``,
  ``lock_wait_timeout`` and ``max_statement_time`` (MariaDB) come from the
  settings' ``erasure:`` section.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

if TYPE_CHECKING:
    from ..settings import ErasureSettings

_ROLLBACK_MODES = ("delete", "truncate", "persist")


@contextlib.contextmanager
def erasure_connection(engine: Engine, options: ErasureSettings) -> Iterator[Connection]:
    """A connection for one database's erasure transaction, with bounded waits.

    The connection is discarded afterwards: its session settings must not leak
    into the pool.
    """
    name = engine.dialect.name
    with engine.connect() as conn:
        try:
            if name == "sqlite":
                with _sqlite(conn, engine, options):
                    yield conn
            else:
                _bound_waits(conn, name, options)
                yield conn
        finally:
            conn.invalidate()


def _bound_waits(conn: Connection, dialect: str, options: ErasureSettings) -> None:
    lock_ms = int(options.lock_timeout_seconds * 1000)
    statement_ms = int(options.statement_timeout_seconds * 1000)
    if dialect == "postgresql":
        conn.exec_driver_sql(f"SET lock_timeout = {lock_ms}")
        conn.exec_driver_sql(f"SET statement_timeout = {statement_ms}")
    elif dialect in ("mysql", "mariadb"):
        seconds = max(1, round(options.lock_timeout_seconds))
        conn.exec_driver_sql(f"SET SESSION innodb_lock_wait_timeout = {seconds}")
        conn.exec_driver_sql(f"SET SESSION lock_wait_timeout = {seconds}")
        with contextlib.suppress(Exception):  # MariaDB only; MySQL says max_execution_time
            conn.exec_driver_sql(
                f"SET SESSION max_statement_time = {options.statement_timeout_seconds:g}")
    if conn.in_transaction():
        conn.commit()


@contextlib.contextmanager
def _sqlite(conn: Connection, engine: Engine, options: ErasureSettings) -> Iterator[None]:
    ms = int(options.lock_timeout_seconds * 1000)
    conn.exec_driver_sql(f"PRAGMA busy_timeout = {ms}")
    conn.exec_driver_sql("PRAGMA secure_delete = ON")
    mode = str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).lower()
    journal = _journal_path(engine) if mode in _ROLLBACK_MODES else None
    if journal is not None:
        conn.exec_driver_sql("PRAGMA locking_mode = EXCLUSIVE")
        conn.exec_driver_sql("PRAGMA journal_mode = PERSIST")
    if conn.in_transaction():
        conn.commit()
    try:
        yield
    finally:
        if journal is not None:
            # Still holding the exclusive lock: nobody else writes this journal now.
            _overwrite(journal)
            conn.exec_driver_sql(f"PRAGMA journal_mode = {mode.upper()}")
            conn.exec_driver_sql("PRAGMA locking_mode = NORMAL")
            conn.exec_driver_sql("SELECT count(*) FROM sqlite_master")  # releases the lock
            if conn.in_transaction():
                conn.commit()


def _journal_path(engine: Engine) -> Path | None:
    database = engine.url.database
    if not database or database == ":memory:":
        return None
    return Path(f"{database}-journal")


def _overwrite(path: Path) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return
    try:
        size = os.fstat(fd).st_size
        zeros = b"\0" * 65536
        done = 0
        while done < size:
            done += os.write(fd, zeros[:min(size - done, len(zeros))])
        os.fsync(fd)
    finally:
        os.close(fd)


def scrub(engine: Engine | None, options: ErasureSettings) -> str | None:
    """Checkpoint a SQLite database's write-ahead log into its (scrubbed) file.

    Returns None when done (or when there is nothing to do), else why it could not
    complete within ``options.checkpoint_seconds``.
    """
    if engine is None or engine.dialect.name != "sqlite":
        return None
    deadline = time.monotonic() + options.checkpoint_seconds
    delay = 0.05
    with engine.connect() as conn:
        if str(conn.exec_driver_sql("PRAGMA journal_mode").scalar()).lower() != "wal":
            return None
        while True:
            busy, frames, done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if not busy and frames in (done, -1, 0):
                return None
            if time.monotonic() >= deadline:
                return ("another connection still reads an older state of the database, so the "
                        "erased values remain in its write-ahead log; resume when it has closed")
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def is_lock_timeout(exc: BaseException) -> bool:
    """Whether a driver error is a lock wait that timed out (on any engine)."""
    text = str(exc).lower()
    code = getattr(exc, "args", (None,))[0] if getattr(exc, "args", None) else None
    # PostgreSQL's SQLSTATE: psycopg 3 calls it sqlstate, psycopg2 pgcode.
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return ("database is locked" in text or code in (1205, 1969, 3024)
            or sqlstate in ("55P03", "57014") or "lock timeout" in text
            or "lock_timeout" in text)
