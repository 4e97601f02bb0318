"""An installation, opened: settings, datamap, one engine per database, the live schema.

Every step of the flow (search, details, reports, erasure, indexes, log-on)
receives an :class:`Installation` and takes from it only what it needs: the
datamap, a reflected table, a connection, a file store. It holds no personal data
and performs no step itself.
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import (
    Connection,
    Engine,
    Index,
    MetaData,
    Table,
    UniqueConstraint,
    inspect,
    select,
)
from sqlalchemy.exc import SAWarning, SQLAlchemyError

from . import schemacache
from .datamap import Datamap, TableSpec, check_against_schema, load_datamap
from .engines import database_engine, unreachable
from .errors import DatabaseError, DatamapError, NotFound, UsageError
from .selection import RowRef
from .settings import Settings, load_settings
from .timespan import resolve as resolve_time_format
from .timespan import unfit as unfit_times

#: Values of a text or number time column read to check its format.
TIME_SAMPLE = 200
#: Seconds between two checks that the databases' schema is the one reflected
#: (:meth:`Installation.refresh_if_due`, before every search plan).
SCHEMA_CHECK_SECONDS = 60.0


class Installation:
    """The opened installation that every step of the workbench works on.

    Open it with :meth:`Installation.open`: that reads the settings file and the
    datamap, connects to every database the datamap names, reflects the tables it
    names and checks the datamap against them, so a wrong column name fails here,
    naming the file, table and column, before anything is searched.

    Examples
    --------
    >>> path = wb.settings.path                  # e.g. demo-install/workbench.yaml
    >>> inst = Installation.open(path)
    >>> sorted(inst.engines)
    ['configuration', 'directory', 'monitoring1', 'operative', 'outbound']
    >>> inst.table("operative", "contact_events").c.keys()[:2]
    ['id', 'channel']
    >>> inst.close()
    """

    def __init__(self, settings: Settings, datamap: Datamap, engines: Mapping[str, Engine], *,
                 only: Iterable[str] | None = None):
        self.settings = settings
        self.datamap = datamap
        self.engines: dict[str, Engine] = dict(engines)
        #: The databases asked for, when not every one was (see :meth:`open`).
        self.only = None if only is None else frozenset(only)
        self.schema: dict[str, dict[str, Table]] = {}
        #: Each database's schema fingerprint when it was reflected (None: not taken).
        self._fingerprints: dict[str, str | None] = {}
        #: Seconds after which :meth:`refresh_if_due` checks the schema again.
        self.schema_check_seconds = SCHEMA_CHECK_SECONDS
        self._checked_at = time.monotonic()
        # One thread per database, kept for the installation's life: starting threads
        # per search costs more than a warm index lookup.
        self.pool = ThreadPoolExecutor(max_workers=max(1, len(self.engines)),
                                       thread_name_prefix="dpo-search")
        try:
            self.reflect()
        except BaseException:
            self.pool.shutdown(wait=False)
            raise

    @classmethod
    def open(cls, settings_path: str | os.PathLike[str] | Settings, *,
             databases: Iterable[str] | None = None,
             searched_only: bool = False) -> Installation:
        """Read the settings file and its datamap, connect, reflect and check.

        ``settings_path`` may also be the settings already read (:func:`load_settings`).
        ``databases`` limits the databases opened (default: every one the datamap
        names); tables of the others are then not searched, and nothing connects to
        them, so work that needs only some databases goes on while another is down.
        ``searched_only`` opens the databases a search reads
        (:attr:`Datamap.searched_databases`): enough for a search, not for the
        lookups of details and reports.
        """
        settings = (settings_path if isinstance(settings_path, Settings)
                    else load_settings(settings_path))
        datamap = load_datamap(settings.datamap_path)
        if searched_only:
            if databases is not None:
                raise TypeError("give either databases or searched_only, not both")
            databases = datamap.searched_databases
        wanted = set(datamap.databases if databases is None else databases)
        # A database the datamap names but the settings lack is reported by the
        # schema check, table by table.
        engines = {db: database_engine(db, settings.databases[db], settings.path)
                   for db in datamap.databases if db in settings.databases and db in wanted}
        try:
            return cls(settings, datamap, engines,
                       only=None if databases is None else wanted)
        except BaseException:
            for engine in engines.values():
                engine.dispose()
            raise

    def close(self) -> None:
        """Release every database connection and the search threads."""
        self.pool.shutdown(wait=False)
        for engine in self.engines.values():
            engine.dispose()

    def __enter__(self) -> Installation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the live schema ------------------------------------------------------------

    def reflect(self) -> None:
        """Read the live schema of every table the datamap names, then check the datamap.

        The databases are read at the same time, one on each of the installation's
        threads: on a server each reflection is many round trips, so the start of
        every command waits for the slowest database rather than for their sum. A
        schema kept from an earlier run is used only while the database's catalogue
        still has it (:mod:`.schemacache`), so a column added or removed since is
        always seen.
        """
        wanted = self.datamap.tables_by_database()
        with warnings.catch_warnings():
            # Expression indexes (the workbench's own) are not reflected. The filter is
            # process-wide, so it is set here once, not in each thread.
            warnings.simplefilter("ignore", SAWarning)
            futures = {db: self.pool.submit(self._reflect_database, db, wanted.get(db, set()))
                       for db in self.engines}
            # Every reflection ends before an error is raised: none is left running.
            done = {db: future.exception() or future.result() for db, future in futures.items()}
        schema: dict[str, dict[str, Table]] = {}
        for db, outcome in done.items():
            if isinstance(outcome, BaseException):
                raise outcome
            schema[db] = outcome
        check_against_schema(self.datamap, schema, file_stores=self.settings.files,
                             only=self.only)
        self.schema = schema
        self._checked_at = time.monotonic()
        self._check_time_values()

    def _reflect_database(self, db: str, tables: set[str]) -> dict[str, Table]:
        """The tables ``tables`` of one database, as its live schema has them.

        The tables kept from an earlier run are taken when the database's catalogue
        still has the schema they were read from (:mod:`.schemacache`).
        """
        folder = schemacache.folder(self.settings)
        with self._reading(db) as conn:
            digest = self._fingerprints[db] = schemacache.fingerprint(conn, tables)
            kept = schemacache.load(folder, db, digest) if digest else None
            if kept is not None:
                return kept
            present = set(inspect(conn).get_table_names())
            md = MetaData()
            md.reflect(bind=conn, only=sorted(tables & present))
            if conn.dialect.name == "sqlite":
                sqlite_unique_columns(conn, md)
        if digest:
            schemacache.store(folder, db, digest, dict(md.tables))
        return dict(md.tables)

    def refresh(self) -> bool:
        """Reflect again unless every database's catalogue still has the schema reflected.

        For an installation opened ahead of its use (a pooled kernel of the dashboard
        opens it before anyone logs on): one catalogue query per database, all at the
        same time; a database whose schema cannot be fingerprinted is always reflected
        again. Returns True when the schema was reflected again.
        """
        wanted = self.datamap.tables_by_database()

        def unchanged(db: str) -> bool:
            kept = self._fingerprints.get(db)
            if kept is None:
                return False
            with self._reading(db) as conn:
                return schemacache.fingerprint(conn, wanted.get(db, set())) == kept

        futures = [self.pool.submit(unchanged, db) for db in self.engines]
        if all([future.result() for future in futures]):
            self._checked_at = time.monotonic()
            return False
        self.reflect()
        return True

    @contextmanager
    def _reading(self, db: str) -> Iterator[Connection]:
        """A connection to read ``db``'s schema; a failure names the database and its URL."""
        try:
            with self.engines[db].connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise unreachable(db, self.settings.databases[db], self.settings.path,
                              exc) from None

    def refresh_if_due(self) -> bool:
        """:meth:`refresh`, when :attr:`schema_check_seconds` have passed since the last check.

        A workbench kept open for hours (a JupyterLab session) then sees the indexes a
        DBA created since (``indexes --apply``) and a column dropped since, which the
        datamap check then names, instead of searching by the schema of the morning.
        Returns True when the schema was reflected again.
        """
        if time.monotonic() - self._checked_at < self.schema_check_seconds:
            return False
        return self.refresh()

    def time_format(self, spec: TableSpec) -> str | None:
        """How a table's time column stores time (``native``, ``iso``, ``epoch_*``)."""
        if not spec.time:
            return None
        return resolve_time_format(spec.time_format, self.table(spec.database,
                                                                spec.table).c[spec.time])

    def _check_time_values(self) -> None:
        """Refuse a time column whose sampled values are not what its format says."""
        problems = []
        for spec in self.datamap.tables:
            fmt = self.time_format(spec) if self.is_open(spec.database) else None
            if fmt not in ("iso", "epoch_seconds", "epoch_millis") or not spec.time:
                continue
            column = self.table(spec.database, spec.table).c[spec.time]
            with self.connect(spec.database) as conn:
                values = conn.execute(select(column).where(column.is_not(None))
                                      .limit(TIME_SAMPLE)).scalars().all()
            bad = unfit_times(fmt, values)
            if bad:
                problems.append(
                    f"table {spec.id}: time column '{spec.time}' holds values that are not "
                    f"{fmt.replace('_', ' ')} ({bad} of {len(values)} sampled); declare how it "
                    f"stores time (time: {{column: {spec.time}, format: ...}}: iso, "
                    "epoch_seconds, epoch_millis) or correct the values.")
        if problems:
            raise DatamapError(self.datamap.source, problems)

    def is_open(self, database: str) -> bool:
        """Whether the installation connected to ``database`` (see :meth:`open`)."""
        return database in self.schema

    def table(self, database: str, name: str) -> Table:
        """The reflected table ``name`` of logical database ``database``."""
        return self.schema[database][name]

    def spec_of(self, ref: RowRef) -> TableSpec:
        """The datamap table a reference names.

        Raises
        ------
        NotFound
            The reference names no table of the datamap.
        """
        try:
            return self.datamap.by_location(ref.database, ref.table)
        except KeyError:
            raise NotFound(f"{ref.database}.{ref.table} is not a table of the datamap.") \
                from None

    def typed_ref(self, ref: RowRef) -> RowRef:
        """``ref`` with its key converted to the type of the table's key column.

        A key typed as text (``"13570"`` from a command line or a CSV) finds the row
        whose integer key is 13570.

        Raises
        ------
        NotFound
            The reference names no table of the datamap.
        UsageError
            The key cannot be a value of the key column (``"abc"`` for an integer key).
        """
        spec = self.spec_of(ref)
        column = self.table(ref.database, ref.table).c[spec.key]
        try:
            python_type = column.type.python_type
        except NotImplementedError:
            return ref
        if isinstance(ref.key, python_type) and not isinstance(ref.key, bool):
            return ref
        try:
            if python_type is int:
                whole = isinstance(ref.key, float) and ref.key.is_integer()
                key: object = int(ref.key) if whole else int(str(ref.key).strip())
            elif python_type is str:
                key = str(ref.key)
            else:
                return ref
        except ValueError:
            raise UsageError(f"{ref.database}.{ref.table} has whole-number keys; the key given "
                             "is not one.") from None
        return RowRef(ref.database, ref.table, key)

    def dialect(self, database: str) -> str:
        """The dialect name of a database (``sqlite``, ``postgresql``, ``mysql``...)."""
        return self.engines[database].dialect.name

    @property
    def dialects(self) -> dict[str, str]:
        """The dialect name of every database."""
        return {db: e.dialect.name for db, e in self.engines.items()}

    # -- connections ----------------------------------------------------------------

    @contextmanager
    def connect(self, database: str) -> Iterator[Connection]:
        """A connection to one logical database (errors become DatabaseError)."""
        try:
            with self.engines[database].connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            # The driver's message can quote parameter values (personal data): name
            # the failure, not the statement.
            raise DatabaseError(f"reading database '{database}' failed "
                                f"({type(exc).__name__}).") from None

    # -- files ----------------------------------------------------------------------

    @property
    def stores(self) -> Mapping[str, Path]:
        """The file stores: name -> folder."""
        return self.settings.files

    @property
    def name(self) -> str:
        return self.settings.name

    def __repr__(self) -> str:
        return (f"Installation({self.settings.name!r}, {len(self.engines)} databases, "
                f"{len(self.datamap.tables)} tables)")


def sqlite_unique_columns(conn: Connection, md: MetaData) -> None:
    """Add the one-column UNIQUE constraints SQLite's reflection misses, as unique indexes.

    SQLAlchemy reflects an inline ``UNIQUE`` only after some column types
    (``code TEXT UNIQUE``, not ``code VARCHAR(20) UNIQUE``); SQLite's own
    ``sqlite_autoindex_*`` indexes list them all.
    """
    for table in md.tables.values():
        known = {tuple(c.name for c in ix.columns) for ix in table.indexes if ix.unique}
        known |= {tuple(c.name for c in uc.columns) for uc in table.constraints
                  if isinstance(uc, UniqueConstraint)}
        for ix in inspect(conn).get_indexes(table.name, include_auto_indexes=True):
            columns = tuple(c for c in ix.get("column_names") or () if c)
            if ix.get("unique") and len(columns) == 1 and columns not in known \
                    and str(ix.get("name", "")).startswith("sqlite_autoindex"):
                Index(ix["name"], table.c[columns[0]], unique=True)
