"""Pooled connections to a database server: tested after idling, trusted when just used.

A search takes one pooled connection per database. Testing it with a round trip
before every use (SQLAlchemy's ``pool_pre_ping``) cost each search a round trip
per database; a connection idle for longer than ``PING_AFTER_IDLE_SECONDS`` is
still tested, so a server restarted (or a connection dropped by a firewall) while
the workbench sat idle does not fail the next search.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import demo_installation, require_engine
from dbservers import server_database
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from dpo_workbench import engines, open_workbench

SERVERS = ("postgresql", "mariadb")


@pytest.fixture(params=SERVERS)
def server_engine(request: pytest.FixtureRequest) -> Iterator[tuple[str, Engine, str]]:
    """An engine made as the workbench makes one for an installation's database."""
    require_engine(request.param)
    with server_database(request.param) as url:
        engine = engines.database_engine("operative", make_url(url), "workbench.yaml")
        try:
            yield request.param, engine, url
        finally:
            engine.dispose()


def _session_id(kind: str, engine: Engine) -> int:
    with engine.connect() as conn:
        sql = "SELECT pg_backend_pid()" if kind == "postgresql" else "SELECT CONNECTION_ID()"
        return int(conn.execute(text(sql)).scalar_one())


def _drop_on_the_server(kind: str, url: str, session: int) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if kind == "postgresql":
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": session})
            else:
                conn.exec_driver_sql(f"KILL {int(session)}")
    finally:
        admin.dispose()


def _count_pings(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> list[int]:
    calls: list[int] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection: object) -> bool:
        calls.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return calls


def test_a_pooled_connection_the_server_dropped_while_idle_is_replaced_before_use(
        server_engine: tuple[str, Engine, str], monkeypatch: pytest.MonkeyPatch) -> None:
    kind, engine, url = server_engine
    first = _session_id(kind, engine)
    _drop_on_the_server(kind, url, first)
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has idled long enough

    second = _session_id(kind, engine)  # no error: the dead connection was replaced

    assert second != first


def test_a_connection_used_a_moment_ago_is_not_tested_again(
        server_engine: tuple[str, Engine, str], monkeypatch: pytest.MonkeyPatch) -> None:
    kind, engine, _url = server_engine
    pings = _count_pings(monkeypatch, engine)
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 60.0)

    sessions = {_session_id(kind, engine) for _ in range(5)}

    assert len(sessions) == 1, "the pooled connection is reused"
    assert pings == [], "a connection used a moment ago costs no extra round trip"
    monkeypatch.setattr(engines, "PING_AFTER_IDLE_SECONDS", 0.0)
    _session_id(kind, engine)
    assert pings == [1], "one that idled longer is tested once before use"


def test_a_search_reads_postgresql_outside_a_transaction(tmp_path: Path) -> None:
    """No BEGIN before a search's selects and no ROLLBACK after them: two round trips
    per database that bought nothing under READ COMMITTED."""
    require_engine("postgresql")
    with demo_installation(tmp_path / "demo", {"operative": "postgresql"}) as settings, \
            open_workbench(settings, user="dpo") as wb:
        engine = wb.installation.engines["operative"]
        states: list[str] = []

        @event.listens_for(engine, "after_cursor_execute")
        def _state(conn: Any, *_args: Any) -> None:
            states.append(conn.connection.dbapi_connection.info.transaction_status.name)

        found = wb.search(email="aino.jarvinen@example.fi", phone="+358 40 123 4567")

    assert found.total > 0 and states, "the operative database was searched"
    assert set(states) == {"IDLE"}, "each select ran in no transaction of its own"
