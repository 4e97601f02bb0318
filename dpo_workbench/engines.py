"""Database engines: the installation's databases and the workbench's own state database.

Every SQLite engine of the workbench is made by :func:`sqlite_engine`, so that
the busy time-out, the write-ahead log, ``secure_delete`` and the explicit
``BEGIN`` are set in one place.
"""

from __future__ import annotations

import contextlib
import functools
import os
import ssl
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError

from .errors import ConfigError, DatabaseError

#: Seconds a SQLite connection waits for another writer before giving up.
SQLITE_BUSY_SECONDS = 30.0

#: Execution option that makes a SQLite transaction take the write lock at once.
IMMEDIATE = "dpo_immediate"

#: Seconds a pooled server connection may have been idle and still be used untested.
PING_AFTER_IDLE_SECONDS = 5.0


def sqlite_engine(url: str | URL, *, create_folder: bool = False, wal: bool = False,
                  secure_delete: bool = False, explicit_begin: bool = False,
                  busy_seconds: float = SQLITE_BUSY_SECONDS) -> Engine:
    """An engine for a SQLite database file, set up as the workbench needs it.

    Parameters
    ----------
    create_folder : bool
        Create the file's folder if missing (the state database).
    wal : bool
        Use a write-ahead log (each commit is one sequential write).
    secure_delete : bool
        Overwrite deleted content with zeros (``PRAGMA secure_delete``).
    explicit_begin : bool
        The driver emits no ``BEGIN`` of its own; the engine emits ``BEGIN``, or
        ``BEGIN IMMEDIATE`` on a connection with the execution option
        :data:`IMMEDIATE`, so that a writer takes the write lock before it reads
        (SQLAlchemy's documented recipe for serialisable SQLite transactions).

    Examples
    --------
    >>> e = sqlite_engine("sqlite://", secure_delete=True)
    >>> with e.connect() as c:
    ...     c.exec_driver_sql("PRAGMA secure_delete").scalar()
    1
    """
    url = make_url(url) if isinstance(url, str) else url
    on_disk = bool(url.database) and url.database != ":memory:" \
        and not str(url.database).startswith("file:")
    if create_folder and on_disk:
        Path(str(url.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": busy_seconds})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # A stored value that is not valid UTF-8 must not block the whole person's
        # search, report or erasure: it is read with U+FFFD in place of bad bytes.
        dbapi_connection.text_factory = _decode_text
        if explicit_begin:
            dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        if secure_delete:
            cur.execute("PRAGMA secure_delete = ON")
        if wal and on_disk:
            cur.execute("PRAGMA journal_mode = WAL")
        cur.close()

    if explicit_begin:
        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get(IMMEDIATE, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _decode_text(raw: bytes) -> str:
    """SQLite TEXT as Python text, invalid UTF-8 replaced (never an exception)."""
    return raw.decode("utf-8", "replace")


def state_engine(url: str | URL) -> Engine:
    """An engine for the workbench's state database (audit log, erasure journal).

    On SQLite the folder (mode 0700) and the file (mode 0600) are created owner-only
    when missing, deleted content is overwritten (the journal briefly holds file
    paths of erased items) and a write-ahead log is used.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "state"
    >>> state_engine(f"sqlite:///{d}/workbench.sqlite").dispose()
    >>> oct((d / "workbench.sqlite").stat().st_mode & 0o777), oct(d.stat().st_mode & 0o777)
    ('0o600', '0o700')
    """
    url = make_url(url) if isinstance(url, str) else url
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            _create_private_file(Path(url.database).expanduser())
        return sqlite_engine(url, create_folder=True, wal=True, secure_delete=True,
                             explicit_begin=True)
    return driver_engine(url, "the state database", "state: in the settings file")


def server_engine(url: URL, **kwargs: Any) -> Engine:
    """An engine for a database server whose pooled connections are tested after idling.

    A connection taken from the pool after more than
    :data:`PING_AFTER_IDLE_SECONDS` unused is tested with one round trip first
    (the server may have been restarted, or a firewall may have dropped an idle
    connection); a dead one is replaced before the work starts. A connection
    used moments ago is not tested again: SQLAlchemy's ``pool_pre_ping`` would
    test it before every use, a round trip per database on every search.

    Examples
    --------
    >>> e = server_engine(make_url("postgresql+psycopg://u@db.example/x"))
    >>> e.pool._pre_ping
    False
    """
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["dpo_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("dpo_idle_since", None)
        if since is None or time.monotonic() - since <= PING_AFTER_IDLE_SECONDS:
            return  # just connected, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool discards the connection and connects again (up to three times).
            raise DisconnectionError("the pooled connection no longer answers") from exc

    return engine


def _create_private_file(path: Path) -> None:
    """Create the empty file ``path`` (mode 0600) and its missing folders (0700), if missing."""
    # SQLite gives its -wal and -shm files the database file's mode, so an owner-only
    # database file made here keeps all three unreadable to other accounts (the audit
    # log and the erasure journal are in it), whatever the process's umask.
    try:
        private_folder(path.parent)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:
        pass  # it exists (and keeps its mode), or SQLite reports the problem when it opens it


def private_folder(folder: Path) -> None:
    """Create ``folder`` where missing, and each missing parent, owner-only (mode 0700).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "a" / "b"
    >>> private_folder(d); oct(d.stat().st_mode & 0o777), oct(d.parent.stat().st_mode & 0o777)
    ('0o700', '0o700')
    """
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for f in reversed(missing):
        with contextlib.suppress(FileExistsError):  # a concurrent creator was first
            f.mkdir(mode=0o700)


def database_engine(name: str, url: URL, settings_path: Path | str) -> Engine:
    """An engine for one logical database of an installation.

    Raises
    ------
    DatabaseError
        A SQLite file that does not exist (it would be created empty).
    ConfigError
        The URL names a driver that is not installed.
    """
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not os.path.exists(url.database):
            raise DatabaseError(
                f"database '{name}': the SQLite file {url.database} does not exist. Check "
                f"databases.{name} in {settings_path} (or build the demo: "
                "dpo-workbench demo build).")
        return sqlite_engine(url)
    engine = driver_engine(url, f"database '{name}'", f"databases.{name} in {settings_path}")
    if url.get_driver_name() == "pymysql":
        _share_preferred_tls(engine)
    return engine


#: The drivers installed with the workbench, by backend, as a URL names them.
INSTALLED_DRIVERS: dict[str, tuple[str, ...]] = {
    "postgresql": ("postgresql+psycopg2", "postgresql+psycopg"),
    "mysql": ("mysql+pymysql",), "mariadb": ("mariadb+pymysql",)}


def driver_engine(url: URL, what: str, where: str) -> Engine:
    """An engine for a database on a server (PostgreSQL, MariaDB/MySQL), through the
    driver its URL names (:func:`server_engine`, with the driver's options).

    ``what`` names the database in messages (``"database 'operative'"``) and
    ``where`` the setting that holds its URL. PostgreSQL URLs may name either
    installed driver: ``postgresql+psycopg2://`` connects with psycopg2,
    ``postgresql+psycopg://`` with psycopg 3, and a plain ``postgresql://`` with
    SQLAlchemy's default (psycopg 3 from SQLAlchemy 2.1 on, psycopg2 before); they
    read and write the same: on psycopg 3 ``inet`` and ``cidr`` values are read as
    text, as psycopg2 reads them (not as :mod:`ipaddress` objects). On psycopg2 the
    dialect's native ``hstore`` support is left off: it would look up the ``hstore``
    type in the catalogue on every engine's first connection, and a reflected
    ``hstore`` column reads as the same ``dict`` without it.

    Raises
    ------
    ConfigError
        The URL names a driver that is not installed, or one SQLAlchemy does not know.

    Examples
    --------
    >>> from sqlalchemy.engine import make_url
    >>> e = driver_engine(make_url("postgresql+psycopg2://dpo@db1.example.com/operative"),
    ...                   "database 'operative'", "databases.operative")
    >>> e.dialect.driver, e.dialect.use_native_hstore
    ('psycopg2', False)
    >>> driver_engine(make_url("postgresql+pg8000://dpo@db1/operative"),
    ...               "database 'operative'", "databases.operative")
    Traceback (most recent call last):
    dpo_workbench.errors.ConfigError: database 'operative' (postgresql+pg8000://dpo@db1/...): \
the driver pg8000 is not installed (No module named 'pg8000'). Use a driver the workbench \
installs (postgresql+psycopg2, postgresql+psycopg), or install pg8000. Check ...
    """
    options: dict[str, Any] = {}
    if url.get_driver_name() == "psycopg2":
        options["use_native_hstore"] = False
    elif url.get_driver_name() == "psycopg":
        options["native_inet_types"] = False
    try:
        return server_engine(url, **options)
    except ImportError as exc:
        driver = url.get_driver_name()
        known = INSTALLED_DRIVERS.get(url.get_backend_name())
        instead = f"Use a driver the workbench installs ({', '.join(known)}), or install " \
            f"{driver}" if known else f"Install {driver}"
        raise ConfigError(f"{what} ({describe_url(url)}): the driver {driver} is not "
                          f"installed ({exc}). {instead}. Check {where}.") from None
    except SQLAlchemyError as exc:
        raise ConfigError(f"{what} ({describe_url(url)}): {exc}. Check {where}.") from None


def _share_preferred_tls(engine: Engine) -> None:
    """Let every PyMySQL connection of ``engine`` without TLS options share one context.

    Given no TLS option, PyMySQL connects in its "preferred" mode: TLS when the
    server offers it, without checking the server's certificate. For that it builds
    a new TLS context for every connection, loading the system's certificate
    authorities (which an unverified connection never consults): about 20 ms of CPU
    per connection, so that opening an installation with five MariaDB databases
    spent a tenth of a second on it. The connections made here use one context with
    the same effect instead. A URL with TLS options (``ssl_ca``, ``ssl_verify_cert``,
    ...) or ``ssl_disabled`` is connected exactly as PyMySQL does.
    """
    from pymysql.connections import Connection as PyMySQLConnection

    class _Connection(PyMySQLConnection):  # type: ignore[misc]
        def _create_ssl_ctx(self, sslp: Any) -> Any:
            if isinstance(sslp, dict) and not sslp:  # the preferred mode's empty options
                return preferred_tls_context()
            return super()._create_ssl_ctx(sslp)

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        return _Connection(*cargs, **cparams)


@functools.cache
def preferred_tls_context() -> ssl.SSLContext:
    """The TLS context of PyMySQL's preferred mode: TLS 1.2 or newer, not verified.

    Examples
    --------
    >>> ctx = preferred_tls_context()
    >>> ctx is preferred_tls_context(), ctx.verify_mode == ssl.CERT_NONE, ctx.check_hostname
    (True, True, False)
    """
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def describe_url(url: URL) -> str:
    """A URL with its password hidden, for messages."""
    return url.render_as_string(hide_password=True)


def unreachable(name: str, url: URL, settings_path: Path | str,
                exc: Exception) -> DatabaseError:
    """The error for a database that could not be read, with the driver's first line."""
    reason = getattr(exc, "orig", None) or exc
    text_ = str(reason).strip()
    first_line = text_.splitlines()[0] if text_ else type(reason).__name__
    return DatabaseError(
        f"database '{name}' ({describe_url(url)}) is not reachable: "
        f"{first_line}. Check the server and databases.{name} in {settings_path}.")
