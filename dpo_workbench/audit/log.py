""":class:`AuditLog`, the append-only, hash-chained audit log in the state database.

It stores events (:mod:`.events`) in the tables of :mod:`.tables`, chains them
with :mod:`.chain` under a sub-key of the audit key (:mod:`.keys`), and lists
and verifies them. It has no update or delete method.

Serialised appends
------------------
Two processes appending at once must not both chain on the same event. Each
append runs in one transaction that first takes a lock every appender takes:
SQLite ``BEGIN IMMEDIATE`` (the database's write lock), PostgreSQL
``LOCK TABLE audit_events IN EXCLUSIVE MODE`` (readers still read), MariaDB/MySQL
``SELECT ... FOR UPDATE`` on the head row. Ids are the primary key, so even a
lock that could not be taken (a deleted head row on MariaDB) ends in a
duplicate-key error rather than a fork; the append then retries. After the
commit, the head file beside the key file (:mod:`.headfile`) is advanced under
a file lock of its own.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..engines import IMMEDIATE, private_folder, state_engine
from ..errors import ConfigError, DatabaseError
from .chain import (
    GENESIS_HASH,
    HEAD_FILE_MARKER,
    HEAD_NAME,
    ChainHead,
    Head,
    HeadFile,
    VerifyReport,
    chain_key,
    head_mac,
    make_row,
    next_link,
    verify_chain,
)
from .events import Action, AuditEvent, Scalar, StoredEvent, os_account, time_text
from .headfile import HeadFileKeeper, locked, read_head_file, write_head_file
from .tables import create_tables, events_query, events_table, head_table, stored_event

if TYPE_CHECKING:
    from ..criteria import Criteria

_APPEND_ATTEMPTS = 5
_FLUSH_SECONDS = 10.0
_logger = logging.getLogger("dpo_workbench")

# The statements of an append, made once: building a statement and its cache key
# anew for every event took more time than the database's own work on SQLite.
_HEAD_ROW = select(head_table).where(head_table.c.name == bindparam("head_name"))
_HEAD_ROW_LOCKED = _HEAD_ROW.with_for_update()  # the append lock on MariaDB/MySQL
_LAST_EVENT = (select(events_table.c.id, events_table.c.hash)
               .order_by(events_table.c.id.desc()).limit(1))
_INSERT_EVENT = events_table.insert()
_INSERT_HEAD = head_table.insert()
_UPDATE_HEAD = update(head_table).where(head_table.c.name == bindparam("head_name"))


def _is_retryable(exc: SQLAlchemyError) -> bool:
    """Whether ``exc`` came from a racing appender, so that trying again is right."""
    # A racing appender that the lock could not hold back (see the module docstring).
    if isinstance(exc, IntegrityError):
        return True
    code = getattr(getattr(exc, "orig", None), "args", (None,))[0]
    return code in (1213, 1205) or "database is locked" in str(getattr(exc, "orig", ""))


class AuditLog:
    """The append-only, hash-chained audit log in the state database.

    Parameters
    ----------
    url
        The state database (any SQLAlchemy URL); tables ``audit_events`` and
        ``audit_head`` are created if missing, and for SQLite the file's folder.
    key
        The audit key (:func:`load_or_create_key`), at least 16 bytes.
    head_file
        The head file (:mod:`.headfile`; :func:`open_audit_log` passes the one
        beside the key file). Without it only the database is checked. Opening
        a log that keeps no head file yet creates it from the database's end.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> log = AuditLog(f"sqlite:///{d}/state/workbench.sqlite", b"k" * 32)
    >>> e = log.record("dpo", Action.LOGIN)
    >>> e.id, e.prev_hash == GENESIS_HASH
    (1, True)
    >>> log.verify().ok
    True
    >>> log.close()
    """

    def __init__(self, url: str | URL, key: bytes,
                 head_file: str | os.PathLike[str] | None = None):
        if not isinstance(key, bytes) or len(key) < 16:
            raise ValueError("The audit key must be at least 16 bytes (load_or_create_key).")
        self._head_file = Path(head_file) if head_file is not None else None
        self._url = make_url(url)
        self._key = key
        self._chain_key = chain_key(key)
        self._keeper = (HeadFileKeeper(self._head_file, self._chain_key)
                        if self._head_file is not None else None)
        self._backend = self._url.get_backend_name()
        # Recorded beside the declared user: the account that really ran the process.
        self._os_user = os_account()
        self._engine = state_engine(self._url)
        try:
            create_tables(self._engine)
            self._ensure_head()
            if self._head_file is not None:
                self._ensure_head_file(self._head_file)
        except SQLAlchemyError as exc:
            self._engine.dispose()
            raise self._db_error("open", exc) from None
        except BaseException:
            self._engine.dispose()
            raise

    # -- public -----------------------------------------------------------------------

    @property
    def key(self) -> bytes:
        """The audit key (for :meth:`AuditEvent.build`)."""
        return self._key

    def criteria_hash(self, criteria: Criteria) -> str:
        """The keyed hash of ``criteria`` this log stores instead of the criteria.

        Examples
        --------
        >>> from dpo_workbench.criteria import Criteria
        >>> log = AuditLog("sqlite://", b"k" * 32)
        >>> log.criteria_hash(Criteria.parse(email="a@b.fi")) == Criteria.parse(
        ...     email="A@B.FI").fingerprint(b"k" * 32)
        True
        """
        return criteria.fingerprint(self._key)

    def record(
        self,
        user: str,
        action: Action | str,
        *,
        criteria: Criteria | None = None,
        tables: Mapping[str, int] | None = None,
        detail: Mapping[str, Scalar] | None = None,
        reference: str | None = None,
    ) -> StoredEvent:
        """Build an event with this log's key and append it (``reference``: the request's).

        Examples
        --------
        >>> log = AuditLog("sqlite://", b"k" * 32)
        >>> log.record("dpo", Action.REPORT_CREATED, tables={"op.contacts": 2},
        ...            detail={"format": "csv"}).rows
        2
        """
        return self.append(AuditEvent.build(user, action, criteria=criteria, key=self._key,
                                            tables=tables, detail=detail, reference=reference))

    def append(self, event: AuditEvent) -> StoredEvent:
        """Store ``event`` at the end of the chain and return it as stored.

        Appends from any number of threads and processes are serialised (see the
        module docstring), so the chain never forks.

        Examples
        --------
        >>> log = AuditLog("sqlite://", b"k" * 32)
        >>> first = log.append(AuditEvent("dpo", Action.LOGIN))
        >>> second = log.append(AuditEvent("dpo", Action.LOGOUT))
        >>> second.id, second.prev_hash == first.hash
        (2, True)
        """
        if not isinstance(event, AuditEvent):
            raise TypeError("append() takes an AuditEvent (see AuditEvent.build).")
        for attempt in range(_APPEND_ATTEMPTS):
            try:
                with self._append_transaction() as conn:
                    stored = self._append_locked(conn, event)
            except SQLAlchemyError as exc:
                if attempt + 1 < _APPEND_ATTEMPTS and _is_retryable(exc):
                    continue
                raise self._db_error("append to", exc) from None
            if self._keeper is not None:
                # After the commit: the head file may lag behind the database, never lead it.
                self._keeper.advance(stored.id, stored.hash)
            return stored
        raise AssertionError("unreachable")  # pragma: no cover

    def head(self) -> ChainHead:
        """The id and hash of the last event written: the point the next event chains on.

        Give it to a system outside the workbench (an erasure receipt, a ticket)
        to pin the log as it is now; :meth:`verify` reports ``last_id`` and
        ``last_hash`` for the same purpose. If events at the end were deleted,
        this is still the last event written (from the head record or file).

        Examples
        --------
        >>> log = AuditLog("sqlite://", b"k" * 32)
        >>> log.head() == (0, GENESIS_HASH)
        True
        >>> e = log.record("dpo", Action.LOGIN)
        >>> log.head() == ChainHead(e.id, e.hash)
        True
        """
        try:
            with self._snapshot() as conn:
                new_id, prev_hash = self._chain_point(conn, self._read_head(conn, lock=False))
        except SQLAlchemyError as exc:
            raise self._db_error("read", exc) from None
        return ChainHead(new_id - 1, prev_hash)

    def events(
        self,
        *,
        since: datetime | date | None = None,
        action: Action | str | None = None,
        user: str | None = None,
        limit: int | None = None,
        reference: str | None = None,
    ) -> list[StoredEvent]:
        """Stored events, oldest first; with ``limit``, the newest ``limit`` of them.

        ``since`` keeps events at or after that time (a naive time is UTC, a date
        means its midnight UTC); ``reference`` those of one request.

        Examples
        --------
        >>> log = AuditLog("sqlite://", b"k" * 32)
        >>> _ = [log.record(u, a) for u, a in [("dpo", "login"), ("ann", "login"),
        ...                                    ("dpo", "logout")]]
        >>> [e.id for e in log.events(user="dpo")], [e.id for e in log.events(limit=1)]
        ([1, 3], [3])
        """
        stmt = events_query(since=since, action=action, user=user, limit=limit,
                            reference=reference)
        try:
            with self._engine.connect() as conn:
                rows = [r._mapping for r in conn.execute(stmt)]
        except SQLAlchemyError as exc:
            raise self._db_error("read", exc) from None
        return [stored_event(r) for r in reversed(rows)]

    def verify(self) -> VerifyReport:
        """Check every event's hash, the chain, the ids and the head record.

        Examples
        --------
        >>> log = AuditLog("sqlite://", b"k" * 32)
        >>> _ = log.record("dpo", "login")
        >>> r = log.verify()
        >>> r.ok, r.checked, r.problems
        (True, 1, [])
        """
        try:
            # The head file first: it only moves after a commit, so read before the
            # snapshot it cannot be ahead of it unless events were deleted.
            self.flush()
            on_file = self._file_head()
            with self._snapshot() as conn:
                head = self._read_head(conn, lock=False)
                head_file = None
                if self._head_file is not None:
                    kept = self._read_head(conn, lock=False, name=HEAD_FILE_MARKER) is not None
                    head_file = HeadFile(str(self._head_file), on_file, kept)
                rows = conn.execute(select(events_table).order_by(events_table.c.id))
                return verify_chain(self._chain_key, (r._mapping for r in rows), head, head_file)
        except SQLAlchemyError as exc:
            raise self._db_error("read", exc) from None

    def flush(self) -> None:
        """Wait until the head file covers every event this log appended.

        Appends advance the head file on a thread of their own (see
        :class:`.headfile.HeadFileKeeper`); :meth:`verify` and :meth:`close`
        call this first.
        """
        if self._keeper is not None and not self._keeper.flush(timeout=_FLUSH_SECONDS):
            _logger.warning("the audit head file %s is still being advanced", self._head_file)

    def close(self) -> None:
        """Bring the head file up to date and release the database connections."""
        self.flush()
        self._engine.dispose()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AuditLog({self._url.render_as_string(hide_password=True)!r})"

    # -- setup ------------------------------------------------------------------------

    def _ensure_head(self) -> None:
        """Write the head record of a new, empty log."""
        # A fresh log gets its head now, so that MariaDB appenders have a row to lock.
        with self._engine.connect() as conn:
            if conn.execute(select(head_table.c.name).where(
                    head_table.c.name == HEAD_NAME)).first() is not None:
                return  # the usual case: no need to take the append lock
        try:
            with self._append_transaction() as conn:
                if self._read_head(conn, lock=True) is not None:
                    return
                if conn.execute(select(events_table.c.id).limit(1)).first() is not None:
                    return  # head deleted from a non-empty log: verify reports it
                self._write_head(conn, 0, GENESIS_HASH, exists=False)
        except SQLAlchemyError as exc:
            if not _is_retryable(exc):
                raise
            # A concurrent opener wrote it (or will: an append writes a missing head too).

    def _ensure_head_file(self, path: Path) -> None:
        """Start the head file of a log that keeps none yet, and record that one is kept."""
        with self._engine.connect() as conn:
            kept = self._read_head(conn, lock=False, name=HEAD_FILE_MARKER) is not None
        if kept and path.exists():
            return  # the usual case: no lock needed
        try:
            private_folder(path.parent)
            # The file lock, then the append lock: an appender takes them one after the
            # other, never both at once, so the two cannot deadlock.
            with locked(path), self._append_transaction() as conn:
                head = self._read_head(conn, lock=True)
                if self._read_head(conn, lock=False, name=HEAD_FILE_MARKER) is not None:
                    return  # kept: a missing file is for verify to report, not to re-create
                new_id, prev_hash = self._chain_point(conn, head)
                if not path.exists():
                    # A new log, or one written before head files: start at its end.
                    write_head_file(path, self._chain_key, new_id - 1, prev_hash)
                conn.execute(head_table.insert().values(
                    name=HEAD_FILE_MARKER, last_id=new_id - 1, last_hash=prev_hash,
                    mac=head_mac(self._chain_key, new_id - 1, prev_hash, HEAD_FILE_MARKER)))
        except IntegrityError:
            pass  # another opener recorded it a moment ago
        except OSError as exc:
            raise ConfigError(f"Cannot write the audit head file {path}: {exc.strerror}. "
                              "Make its folder writable by the workbench's account.") from None

    def _file_head(self) -> Head | None:
        """The head in the head file, or ``None`` when there is none (or no head file is kept)."""
        return read_head_file(self._head_file, self._chain_key) if self._head_file else None

    def _file_heads(self) -> tuple[Head | None, ...]:
        """The head file's head (re-read when it changed) and this log's newest append."""
        if self._keeper is None:
            return ()
        return self._keeper.read(), self._keeper.appended

    # -- transactions -----------------------------------------------------------------

    @contextlib.contextmanager
    def _append_transaction(self) -> Iterator[Connection]:
        """A transaction holding the append lock of this engine."""
        with self._engine.connect() as conn:
            if self._backend == "sqlite":
                conn.execution_options(**{IMMEDIATE: True})
            elif self._backend == "postgresql":
                # Each statement after the lock must see the rows committed before it.
                conn.execution_options(isolation_level="READ COMMITTED")
            with conn.begin():
                if self._backend == "postgresql":
                    conn.exec_driver_sql("LOCK TABLE audit_events IN EXCLUSIVE MODE")
                yield conn

    @contextlib.contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """A read-only transaction that sees one state of the log."""
        # verify() reads head and events in one snapshot, so a concurrent append
        # cannot look like a truncated or extended log.
        with self._engine.connect() as conn:
            if self._backend in ("postgresql", "mysql", "mariadb"):
                conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    # -- appending --------------------------------------------------------------------

    def _read_head(self, conn: Connection, *, lock: bool, name: str = HEAD_NAME) -> Head | None:
        """The head row ``name``, or ``None`` when there is none; ``lock`` takes MariaDB's lock."""
        stmt = _HEAD_ROW_LOCKED if lock and self._backend in ("mysql", "mariadb") else _HEAD_ROW
        row = conn.execute(stmt, {"head_name": name}).first()
        if row is None:
            return None
        return Head.from_stored(self._chain_key, row.last_id, row.last_hash, row.mac, name)

    def _write_head(self, conn: Connection, last_id: int, last_hash: str, *,
                    exists: bool) -> None:
        """Point the head record at event ``last_id``, inserting it unless it ``exists``."""
        values = {"last_id": last_id, "last_hash": last_hash,
                  "mac": head_mac(self._chain_key, last_id, last_hash)}
        if exists:
            conn.execute(_UPDATE_HEAD, {"head_name": HEAD_NAME, **values})
        else:
            conn.execute(_INSERT_HEAD, {"name": HEAD_NAME, **values})

    def _chain_point(self, conn: Connection, head: Head | None) -> tuple[int, str]:
        """The id and prev_hash of the event to append (see :func:`.chain.next_link`)."""
        last = conn.execute(_LAST_EVENT).first()
        last_id, last_hash = (last.id, last.hash) if last else (0, GENESIS_HASH)
        # The head file too: after a wipe of the database it is the only trace of the end.
        return next_link(last_id, last_hash, head, *self._file_heads())

    def _append_locked(self, conn: Connection, event: AuditEvent) -> StoredEvent:
        """Store ``event`` and move the head, the append lock being held."""
        head = self._read_head(conn, lock=True)
        new_id, prev_hash = self._chain_point(conn, head)
        at = datetime.now(UTC)
        row = make_row(self._chain_key, event_id=new_id, at=time_text(at), user=event.user,
                       action=event.action.value, criteria_hash=event.criteria_hash,
                       tables=dict(event.tables), detail=dict(event.detail),
                       prev_hash=prev_hash, os_user=self._os_user, reference=event.reference)
        conn.execute(_INSERT_EVENT, row)
        self._write_head(conn, new_id, row["hash"], exists=head is not None)
        return StoredEvent(id=new_id, at=at, user=event.user, action=event.action,
                           criteria_hash=event.criteria_hash, tables=event.tables,
                           detail=event.detail, prev_hash=prev_hash, hash=row["hash"],
                           os_user=self._os_user, reference=event.reference)

    # -- reading and checking ---------------------------------------------------------

    def _db_error(self, verb: str, exc: SQLAlchemyError) -> DatabaseError:
        """The error to raise when a statement failed, without the driver's details."""
        # The driver's message names statements and values; keep only its class.
        where = self._url.render_as_string(hide_password=True)
        return DatabaseError(f"Cannot {verb} the audit log in {where} "
                             f"({type(getattr(exc, 'orig', exc)).__name__}). Check that the "
                             "state database is reachable and writable.")

