"""Connections to MariaDB: PyMySQL's "preferred" TLS mode (TLS when the server offers it,
unverified) with one TLS context for every connection, instead of a new one that loads
the system's certificate authorities each time; a URL's own TLS options are PyMySQL's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import require_engine
from dbservers import server_database
from sqlalchemy import text
from sqlalchemy.engine import make_url

from dpo_workbench.engines import database_engine, preferred_tls_context


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    require_engine("mariadb")
    with server_database("mariadb") as url:
        yield url


def _raw(conn):
    return conn.connection.dbapi_connection


def test_every_connection_shares_one_tls_context_in_preferred_mode(mariadb_url):
    engine = database_engine("operative", make_url(mariadb_url), "workbench.yaml")
    try:
        with engine.connect() as first, engine.connect() as second:
            assert first.execute(text("SELECT 1")).scalar() == 1
            assert second.execute(text("SELECT 2")).scalar() == 2
            # preferred mode kept: TLS is tried (and used when the server offers it)
            assert _raw(first).ssl and not _raw(first)._ssl_required
            assert _raw(first).ctx is _raw(second).ctx is preferred_tls_context()
    finally:
        engine.dispose()


def test_a_url_that_disables_tls_is_connected_as_pymysql_does(mariadb_url):
    url = make_url(mariadb_url).update_query_dict({"ssl_disabled": "true"})
    engine = database_engine("operative", url, "workbench.yaml")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
            assert not _raw(conn).ssl and getattr(_raw(conn), "ctx", None) is None
    finally:
        engine.dispose()
