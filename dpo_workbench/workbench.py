"""The workbench: one installation opened, checked, and searched.

This is the API that the command line, the dashboard and analysts in JupyterLab
all call.
"""

from __future__ import annotations

import getpass
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, inspect, text
from sqlalchemy.exc import SAWarning, SQLAlchemyError

from .audit import Action, AuditLog, open_audit_log, personal_data_reason
from .config import Settings, load_settings
from .criteria import Criteria
from .datamap import Datamap, check_against_schema, load_datamap
from .details import Details, FileInfo
from .engines import database_engine, state_engine
from .engines import unreachable as _unreachable
from .erasure import ErasurePlan, Journal, plan_erasure, verify_run
from .erasure import executor as erasure_executor
from .errors import ActionRefused, DatabaseError, NotFound
from .matching import IndexDef, drop_statements, index_definitions
from .plan import QueryPlan, build_plan
from .search import SearchResult, execute_plan
from .selection import RowRef, Selection

log = logging.getLogger("dpo_workbench")


@dataclass(frozen=True)
class IndexStatus:
    """An index the workbench can create, and whether it exists now."""

    index: IndexDef
    exists: bool


class Workbench:
    """An installation, opened: settings, datamap, one engine per database.

    Open it with :func:`open_workbench` (or ``Workbench.open``): that reads the
    settings file and the datamap, connects to every database and checks the
    datamap against the reflected live schema, so a wrong column name fails here,
    naming the file, table and column, before anything is searched.

    Examples
    --------
    >>> import dpo_workbench as dw                                    # doctest: +SKIP
    >>> wb = dw.open_workbench("demo-install/workbench.yaml")         # doctest: +SKIP
    >>> result = wb.search(email="aino.jarvinen@example.fi")          # doctest: +SKIP
    >>> result.contacts.head()                                        # doctest: +SKIP
    """

    def __init__(self, settings: Settings, datamap: Datamap, engines: Mapping[str, Engine],
                 user: str | None = None):
        self.settings = settings
        self.datamap = datamap
        self.engines = dict(engines)
        self.schema: dict[str, dict[str, Table]] = {}
        self.user = user or getpass.getuser()
        self._journal: Journal | None = None
        self._audit: AuditLog | None = None
        # One thread per database, kept for the workbench's life: starting threads
        # per search costs more than a warm index lookup.
        self._search_pool = ThreadPoolExecutor(max_workers=max(1, len(self.engines)),
                                               thread_name_prefix="dpo-search")
        self._state_engine: Engine | None = None
        self.reflect()

    # -- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, settings_path: str | os.PathLike[str], user: str | None = None) -> Workbench:
        settings = load_settings(settings_path)
        datamap = load_datamap(settings.datamap_path)
        # A database the datamap names but the settings lack is reported by the
        # schema check, table by table.
        engines = {db: make_engine(settings, db) for db in datamap.databases
                   if db in settings.databases}
        return cls(settings, datamap, engines, user=user)

    def close(self) -> None:
        """Release every database connection and the search threads."""
        self._search_pool.shutdown(wait=False)
        for engine in self.engines.values():
            engine.dispose()
        if self._state_engine is not None:
            self._state_engine.dispose()
        if self._audit is not None:
            self._audit.close()

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def reflect(self) -> None:
        """Read the live schema of every table the datamap names, then check the datamap."""
        wanted = self.datamap.tables_by_database()
        schema: dict[str, dict[str, Table]] = {}
        for db, engine in self.engines.items():
            try:
                with engine.connect() as conn:
                    present = set(inspect(conn).get_table_names())
                    md = MetaData()
                    only = sorted(wanted.get(db, set()) & present)
                    with warnings.catch_warnings():
                        # Expression indexes (the workbench's own) are not reflected.
                        warnings.simplefilter("ignore", SAWarning)
                        md.reflect(bind=conn, only=only)
            except SQLAlchemyError as exc:
                raise unreachable(self.settings, db, exc) from None
            schema[db] = dict(md.tables)
            # Tables the datamap wants but that are absent are reported by the check.
            for name in wanted.get(db, set()) - present:
                schema[db].pop(name, None)
        check_against_schema(self.datamap, schema,
                             file_stores=self.settings.files)
        self.schema = schema

    @property
    def dialects(self) -> dict[str, str]:
        return {db: e.dialect.name for db, e in self.engines.items()}

    @contextmanager
    def connect(self, database: str) -> Iterator[Connection]:
        """A connection to one logical database (errors become DatabaseError)."""
        try:
            with self.engines[database].connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise DatabaseError(f"reading database '{database}' failed "
                                f"({type(exc).__name__}).") from None

    # -- searching ----------------------------------------------------------------------

    def criteria(self, criteria: Criteria | None = None, **fields: Any) -> Criteria:
        """Validate criteria given as a :class:`Criteria` or as keyword fields."""
        if criteria is not None:
            if fields:
                raise TypeError("give either a Criteria or keyword fields, not both")
            return criteria.validated()
        if fields.get("digits") in (None, ""):
            fields["digits"] = self.settings.search.digits
        return Criteria.parse(**fields)

    def plan(self, criteria: Criteria | None = None, **fields: Any) -> QueryPlan:
        """The selects a search would run (nothing is run)."""
        c = self.criteria(criteria, **fields)
        return build_plan(self.datamap, self.schema, self.dialects, c)

    def explain(self, criteria: Criteria | None = None, **fields: Any) -> str:
        """Say in plain words what a search will look at, table by table."""
        return self.plan(criteria, **fields).explain()

    def engine_plans(self, criteria: Criteria | None = None, **fields: Any) -> dict[str, str]:
        """Each table's query plan as its engine reports it (EXPLAIN), by table id.

        Shows whether a search seeks the workbench's indexes or scans a table.
        """
        out = {}
        for q in self.plan(criteria, **fields).queries:
            with self.connect(q.spec.database) as conn:
                compiled = q.statement.compile(dialect=conn.dialect,
                                               compile_kwargs={"render_postcompile": True})
                prefix = "EXPLAIN QUERY PLAN " if conn.dialect.name == "sqlite" else "EXPLAIN "
                params = compiled.construct_params()
                if compiled.positiontup is not None:
                    args: Any = tuple(params[k] for k in compiled.positiontup)
                else:
                    args = params
                rows = conn.exec_driver_sql(prefix + str(compiled), args).fetchall()
            out[q.spec.id] = "\n".join(" | ".join(str(v) for v in r) for r in rows)
        return out

    def search(self, criteria: Criteria | None = None, *,
               progress: Callable[[str, int, int], None] | None = None,
               **fields: Any) -> SearchResult:
        """Find everything the installation holds about one person.

        Parameters
        ----------
        criteria : Criteria, optional
            Validated criteria; or give the fields as keywords: ``email``, ``phone``,
            ``digits``, ``first_name``, ``last_name``, ``start``, ``end``.
        progress : callable, optional
            Called as ``progress(message, done, total)`` while databases answer.

        Returns
        -------
        SearchResult
            One DataFrame per group (``contacts``, ``directory_entries``,
            ``campaign_customers``, ``consents``).

        Raises
        ------
        InvalidCriteria
            A rule is broken; nothing was searched.

        Examples
        --------
        >>> r = wb.search(phone="040-123 4567", start="2025-01-01")   # doctest: +SKIP
        >>> r.counts()                                                # doctest: +SKIP
        {'contacts': 5, 'directory_entries': 1, 'campaign_customers': 2, 'consents': 2}
        """
        plan = self.plan(criteria, **fields)
        result = execute_plan(plan, self.datamap, self.engines, self.schema,
                              self.settings.search.too_many, self._search_pool,
                              progress=progress)
        log.info("search over %d tables found %d items in %.1f ms", len(plan.queries),
                 result.total, result.elapsed * 1000)
        tables = {self.datamap.table(tid).location: n
                  for tid, n in result.rows_per_table.items()}
        self.record(Action.SEARCH, criteria=plan.criteria, tables=tables,
                    detail={"items": result.total, "too_many": result.too_many,
                            "ms": round(result.elapsed * 1000, 1)})
        return result

    # -- details ------------------------------------------------------------------------

    def details(self, ref: RowRef) -> Details:
        """All fields, lookups, child rows, files and copies of one found item."""
        from .gather import gather_details

        try:
            spec = self.datamap.by_location(ref.database, ref.table)
        except KeyError:
            raise NotFound(f"{ref.database}.{ref.table} is not a table of the datamap.") from None
        found = gather_details(self, [ref])
        if not found:
            raise NotFound(f"{ref.database}.{ref.table} has no row with that key any more "
                           "(search again).")
        self.record(Action.DETAILS_VIEWED, tables={spec.location: 1},
                    detail={"group": spec.group.value})
        return found[0]

    # -- files --------------------------------------------------------------------------

    def read_file(self, info: FileInfo, action: str = "download",
                  reason: str | None = None) -> bytes:
        """The content of a found item's file, audit-logged as downloaded, played or shown.

        Parameters
        ----------
        info : FileInfo
            A file of :attr:`Details.files`.
        action : {"download", "play", "show"}
        reason : str, optional
            Why the DPO listens; required for ``play`` when the settings say
            ``dashboard: {require_listen_reason: true}``. Recorded in the audit log,
            so it must not contain personal data (e-mail addresses and phone
            numbers are refused).
        """
        actions = {"download": Action.FILE_DOWNLOADED, "play": Action.FILE_PLAYED,
                   "show": Action.FILE_SHOWN}
        if action not in actions:
            raise ValueError(f"action must be one of {', '.join(actions)}")
        reason = (reason or "").strip() or None
        if action == "play" and self.listen_reason_required and not reason:
            raise ActionRefused("Give a reason for listening to this recording.")
        if reason and personal_data_reason(reason):
            raise ActionRefused("The reason is recorded in the audit log, which keeps no personal "
                                "data: describe why without e-mail addresses or long numbers.")
        if not info.exists or info.path is None:
            raise NotFound(f"The file is not available: {info.problem or 'missing'}.")
        data = info.path.read_bytes()
        detail: dict[str, Any] = {"kind": info.kind, "bytes": len(data)}
        if reason:
            detail["reason"] = reason[:200]
        self.record(actions[action], tables={f"{info.owner.database}.{info.owner.table}": 1},
                    detail=detail)
        return data

    @property
    def listen_reason_required(self) -> bool:
        dashboard = self.settings.extra.get("dashboard") or {}
        return bool(dashboard.get("require_listen_reason", False))

    # -- erasure ------------------------------------------------------------------------

    @property
    def journal(self) -> Journal:
        """The erasure journal in the state database."""
        if self._journal is None:
            self._journal = Journal(self.state_engine)
        return self._journal

    @property
    def state_engine(self) -> Engine:
        if self._state_engine is None:
            self._state_engine = state_engine(self.settings.state_url)
        return self._state_engine

    @property
    def audit(self) -> AuditLog:
        """The installation's audit log; every action of this workbench is recorded in it."""
        if self._audit is None:
            self._audit = open_audit_log(self.settings)
        return self._audit

    @property
    def audit_key(self) -> bytes:
        """The key of the keyed hashes of criteria (kept apart from the state database)."""
        return self.audit.key

    def record(self, action: Action, *, criteria: Criteria | None = None,
               tables: Mapping[str, int] | None = None,
               detail: Mapping[str, Any] | None = None) -> None:
        """Append an event to the audit log under this workbench's user."""
        self.audit.record(self.user, action, criteria=criteria, tables=tables, detail=detail)

    def plan_erasure(self, selection: Selection | Iterable[RowRef], *,
                     criteria: Criteria | None = None) -> ErasurePlan:
        """What erasing the selected items would change (a dry run: nothing changes).

        Examples
        --------
        >>> result = wb.search(phone="+358 40 123 4567")          # doctest: +SKIP
        >>> plan = wb.plan_erasure(Selection.all(result))          # doctest: +SKIP
        >>> print(plan.describe()); plan.token                     # doctest: +SKIP
        """
        refs = selection.selected() if isinstance(selection, Selection) else list(selection)
        plan = plan_erasure(self, refs)
        self.record(Action.ERASURE_PLANNED, criteria=criteria, tables=_plan_tables(plan),
                    detail={"token": plan.token, "items": len(plan.items),
                            "files": len(plan.files)})
        return plan

    def erase(self, plan: ErasurePlan, confirm: str, *, criteria: Criteria | None = None,
              user: str | None = None, on_step: Callable[[str, str], None] | None = None,
              progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
        """Execute a plan confirmed with its token, then verify; return the receipt.

        Raises
        ------
        ConfirmationError
            ``confirm`` is not the plan's token; nothing was changed.
        ErasureIncomplete
            A database failed; the ones before it are done. Resume with
            :meth:`resume_erasure`.
        """
        fingerprint = criteria.fingerprint(self.audit_key) if criteria is not None else None
        run_id = erasure_executor.start(self.journal, plan, confirm, user=user or self.user,
                                        criteria_hash=fingerprint)
        return self.resume_erasure(run_id, criteria=criteria, on_step=on_step, progress=progress)

    def resume_erasure(self, run_id: str, *, criteria: Criteria | None = None,
                       on_step: Callable[[str, str], None] | None = None,
                       progress: Callable[[str, int, int], None] | None = None,
                       ) -> dict[str, Any]:
        """Complete an interrupted run (skipping what is done), verify, return the receipt."""
        try:
            run = erasure_executor.resume(self, self.journal, run_id, on_step=on_step,
                                          progress=progress)
        except erasure_executor.ErasureIncomplete as exc:
            self.record(Action.ERASURE_FAILED, criteria=criteria,
                        detail={"run": run_id, "token": exc.run.token,
                                "done": ",".join(s.database for s in exc.run.steps
                                                 if s.status == "done"),
                                "not_done": ",".join(s.database for s in exc.run.steps
                                                     if s.status != "done")})
            raise
        changed = {f"{s.database}.{t}": sum(c.values()) for s in run.steps
                   for t, c in s.rows.items()}
        self.record(Action.ERASURE_EXECUTED, criteria=criteria, tables=changed,
                    detail={"run": run_id, "token": run.token,
                            "files_deleted": sum(s.files.get("deleted", 0) for s in run.steps)})
        receipt = verify_run(self, run, criteria)
        self.journal.finish(run_id, run.status, receipt)
        self.record(Action.ERASURE_VERIFIED, criteria=criteria,
                    detail={"run": run_id, "token": run.token, "verified": receipt["verified"],
                            "problems": len(receipt["problems"])})
        return receipt

    # -- indexes ------------------------------------------------------------------------

    def index_definitions(self) -> list[IndexDef]:
        """Every index that makes the datamap's matches fast, in each engine's DDL."""
        out: list[IndexDef] = []
        for spec in self.datamap.tables:
            table = self.schema[spec.database][spec.table]
            name = (spec.name.first, spec.name.last) if spec.name else None
            out += index_definitions(spec.database, table, spec.phone, spec.email, name,
                                     self.engines[spec.database].dialect)
        return out

    def index_status(self) -> list[IndexStatus]:
        """The indexes and whether each exists in its database now."""
        out = []
        for idx in self.index_definitions():
            with self.connect(idx.database) as conn:
                names = _index_names(conn, idx.table)
            out.append(IndexStatus(idx, idx.name in names))
        return out

    def create_indexes(self, progress: Callable[[IndexDef, float], None] | None = None,
                       ) -> list[tuple[IndexDef, float]]:
        """Create the missing indexes; return each created one with its build time (s).

        On PostgreSQL and MariaDB the tables that got an index are then analyzed:
        without statistics on the new index expressions, PostgreSQL guesses their
        selectivity and may walk a date index instead (measured: 1.5 s instead of
        25 ms at 10M events).
        """
        built = []
        for status in self.index_status():
            if status.exists:
                continue
            started = time.perf_counter()
            self._run_ddl(status.index.database, status.index.statements)
            took = time.perf_counter() - started
            built.append((status.index, took))
            if progress:
                progress(status.index, took)
        self.analyze({(idx.database, idx.table) for idx, _ in built})
        self.reflect()  # MariaDB searches use the new virtual columns
        return built

    def analyze(self, tables: Iterable[tuple[str, str]] | None = None) -> None:
        """Refresh the planner statistics of (database, table) pairs (default: all searched).

        SQLite is left alone: its statistics count the many NULL e-mail keys of
        calls as one key with a huge row count, after which it prefers a date
        index over the e-mail index; without statistics its heuristics pick the
        workbench's indexes (checked by tests/test_query_plans.py).
        """
        if tables is None:
            tables = {(t.database, t.table) for t in self.datamap.tables}
        for database, table in sorted(tables):
            dialect = self.engines[database].dialect
            name = dialect.identifier_preparer.quote(table)
            if dialect.name == "postgresql":
                self._run_ddl(database, (f"ANALYZE {name}",))
            elif dialect.name in ("mysql", "mariadb"):
                self._run_ddl(database, (f"ANALYZE TABLE {name}",))

    def drop_indexes(self) -> int:
        """Remove the workbench's indexes (and MariaDB key columns); return how many."""
        n = 0
        for status in self.index_status():
            if status.exists:
                dialect = self.engines[status.index.database].dialect
                self._run_ddl(status.index.database, drop_statements(status.index, dialect))
                n += 1
        self.reflect()
        return n

    def _run_ddl(self, database: str, statements: tuple[str, ...]) -> None:
        try:
            with self.engines[database].begin() as conn:
                for stmt in statements:
                    conn.execute(text(stmt))
        except SQLAlchemyError as exc:
            raise DatabaseError(f"changing the indexes of database '{database}' failed: "
                                f"{getattr(exc, 'orig', exc)}") from None


def _plan_tables(plan: ErasurePlan) -> dict[str, int]:
    out: dict[str, int] = {}
    for t in plan.targets:
        out[t.location] = out.get(t.location, 0) + t.rows
    return out


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


def make_engine(settings: Settings, database: str) -> Engine:
    """An engine for one logical database of the settings."""
    return database_engine(database, settings.databases[database], settings.path)


def unreachable(settings: Settings, database: str, exc: Exception) -> DatabaseError:
    return _unreachable(database, settings.databases[database], settings.path, exc)


def open_workbench(settings_path: str | os.PathLike[str], user: str | None = None) -> Workbench:
    """Open an installation from its settings file (see :class:`Workbench`).

    ``user`` names who acts (the audit log records it); by default the operating
    system's user name.
    """
    return Workbench.open(settings_path, user=user)

