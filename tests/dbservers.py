"""Throwaway databases on the local PostgreSQL and MariaDB servers, for tests.

Each context manager creates a uniquely named database, yields its SQLAlchemy URL
and drops the database afterwards, even when the test fails::

    reason = server_available("postgresql")
    if reason:
        pytest.skip(reason)
    with pg_database() as url:
        engine = create_engine(url)

:func:`pg_driver_url` gives the same PostgreSQL database's URL for the other driver
(psycopg 3 or psycopg2).

The administrative URLs default to the servers of the development machine
(PostgreSQL with trust authentication for ``postgres``; MariaDB ``root`` without
password) and can be changed with ``DPO_TEST_PG_ADMIN_URL`` and
``DPO_TEST_MARIADB_ADMIN_URL``.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url

from dpo_workbench.demo.loaders import copy_mariadb_database

PG_ADMIN_URL = os.environ.get("DPO_TEST_PG_ADMIN_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MARIADB_ADMIN_URL = os.environ.get("DPO_TEST_MARIADB_ADMIN_URL",
                                   "mysql+pymysql://root@127.0.0.1:3306/?charset=utf8mb4")
KINDS: tuple[str, ...] = ("postgresql", "mariadb")
_CONNECT_TIMEOUT = 3


def _admin_url(kind: str) -> URL:
    if kind == "postgresql":
        return make_url(PG_ADMIN_URL)
    if kind == "mariadb":
        return make_url(MARIADB_ADMIN_URL)
    raise ValueError(f"unknown server kind {kind!r}; use one of {', '.join(KINDS)}")


def _admin_engine(kind: str) -> Engine:
    return create_engine(_admin_url(kind), isolation_level="AUTOCOMMIT",
                         connect_args={"connect_timeout": _CONNECT_TIMEOUT})


@functools.cache
def server_available(kind: str) -> str | None:
    """None when the ``kind`` server ("postgresql" or "mariadb") answers, else a skip reason."""
    url = _admin_url(kind).render_as_string(hide_password=True)
    engine = _admin_engine(kind)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means: no server to test against
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"{kind} server not reachable at {url}: {first_line}"
    finally:
        engine.dispose()
    return None


def _unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@contextmanager
def pg_database(prefix: str = "dpo_test", *, template: str = "template0") -> Iterator[str]:
    """Create a PostgreSQL database, empty or a copy of ``template``; yield its URL; drop it
    afterwards. Nobody may be connected to the template while it is copied."""
    name = _unique_name(prefix)
    engine = _admin_engine("postgresql")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\' TEMPLATE "{template}"'))
        try:
            yield _admin_url("postgresql").set(database=name).render_as_string(
                hide_password=False)
        finally:
            with engine.connect() as conn:
                # FORCE ends connections a failed test may have left open.
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


#: The PostgreSQL drivers the workbench installs, as a URL names them after ``postgresql+``.
PG_DRIVERS: tuple[str, ...] = ("psycopg", "psycopg2")


def pg_driver_url(url: str, driver: str) -> str:
    """The PostgreSQL ``url`` connecting through ``driver`` ("psycopg" or "psycopg2").

    >>> pg_driver_url("postgresql+psycopg://postgres@127.0.0.1:5432/db", "psycopg2")
    'postgresql+psycopg2://postgres@127.0.0.1:5432/db'
    """
    if driver not in PG_DRIVERS:
        raise ValueError(f"unknown PostgreSQL driver {driver!r}; use one of "
                         f"{', '.join(PG_DRIVERS)}")
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string(hide_password=True)}")
    return parsed.set(drivername=f"postgresql+{driver}").render_as_string(hide_password=False)


@contextmanager
def mariadb_database(prefix: str = "dpo_test") -> Iterator[str]:
    """Create an empty MariaDB database (utf8mb4); yield its URL; drop it afterwards."""
    name = _unique_name(prefix)
    engine = _admin_engine("mariadb")
    try:
        with engine.connect() as conn:
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                              "COLLATE utf8mb4_unicode_ci"))
        try:
            url = _admin_url("mariadb").set(database=name)
            if "charset" not in url.query:
                url = url.update_query_dict({"charset": "utf8mb4"})
            yield url.render_as_string(hide_password=False)
        finally:
            with engine.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    finally:
        engine.dispose()


@contextmanager
def server_database(kind: str, prefix: str = "dpo_test") -> Iterator[str]:
    """:func:`pg_database` or :func:`mariadb_database` by ``kind``."""
    manager = pg_database if kind == "postgresql" else mariadb_database
    if kind not in KINDS:
        raise ValueError(f"unknown server kind {kind!r}; use one of {', '.join(KINDS)}")
    with manager(prefix) as url:
        yield url


@contextmanager
def pg_clone(source_url: str, prefix: str = "dpo_clone") -> Iterator[str]:
    """Copy a PostgreSQL database (``CREATE DATABASE ... TEMPLATE``); yield its URL; drop it."""
    with pg_database(prefix, template=str(make_url(source_url).database)) as url:
        yield url


@contextmanager
def mariadb_clone(source_url: str, prefix: str = "dpo_clone") -> Iterator[str]:
    """Copy a MariaDB database table by table (its DDL, then its rows); yield its URL; drop it.

    Each table is created with the source's own ``SHOW CREATE TABLE`` (keys, indexes,
    virtual columns, engine, next auto-increment value) and filled with its stored
    (non-generated) columns.
    """
    source = make_url(source_url).database
    with mariadb_database(prefix) as url:
        name = make_url(url).database
        engine = _admin_engine("mariadb")
        try:
            with engine.connect() as conn:
                copy_mariadb_database(conn, source, name)
        finally:
            engine.dispose()
        yield url


@contextmanager
def server_clone(kind: str, source_url: str, prefix: str = "dpo_clone") -> Iterator[str]:
    """:func:`pg_clone` or :func:`mariadb_clone` by ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"unknown server kind {kind!r}; use one of {', '.join(KINDS)}")
    manager = pg_clone if kind == "postgresql" else mariadb_clone
    with manager(source_url, prefix) as url:
        yield url
