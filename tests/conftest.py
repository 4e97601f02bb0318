"""Shared fixtures: demo installations on SQLite, PostgreSQL and MariaDB.

Engine tests take the ``engine`` fixture (parametrised over the three engines). A
server that is not reachable is skipped with the reason, unless
``DPO_REQUIRE_SERVERS`` is set (CI sets it), in which case the test fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from dbservers import pg_driver_url, server_available, server_database

from dpo_workbench.demo.build import build_demo
from dpo_workbench.demo.schema import DATABASES

ENGINES = ("sqlite", "postgresql", "mariadb")
#: Big enough for every sample subject (the switchboard alone has 1100 events).
SMALL_EVENTS = 2500


def require_engine(kind: str) -> None:
    """Skip (or, in CI, fail) when the ``kind`` server is not reachable."""
    if kind == "sqlite":
        return
    reason = server_available(kind)
    if reason:
        if os.environ.get("DPO_REQUIRE_SERVERS"):
            pytest.fail(f"{reason} (DPO_REQUIRE_SERVERS is set)")
        pytest.skip(reason)


@contextmanager
def demo_installation(folder: Path, placement: Mapping[str, str] | str = "sqlite", *,
                      events: int = SMALL_EVENTS, indexes: bool = True,
                      pg_driver: str | None = None) -> Iterator[Path]:
    """Build a demo installation; yield its settings file; drop server databases after.

    ``placement`` is one engine for every database, or a mapping from logical
    database to engine (databases not named stay SQLite). ``pg_driver``
    ("psycopg" or "psycopg2") is the driver of the PostgreSQL URLs, which build the
    demo and go into its settings file; by default the test server's own URL's.
    """
    if isinstance(placement, str):
        placement = {db: placement for db in DATABASES}
    with ExitStack() as stack:
        urls = {db: stack.enter_context(server_database(kind, prefix=f"dpo_{db[:4]}"))
                for db, kind in placement.items() if kind != "sqlite"}
        if pg_driver:
            urls = {db: pg_driver_url(url, pg_driver) if placement[db] == "postgresql" else url
                    for db, url in urls.items()}
        settings = build_demo(folder, events=events, urls=urls)
        if indexes:
            from dpo_workbench import open_workbench

            with open_workbench(settings) as wb:
                wb.create_indexes()
        yield settings


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    require_engine(request.param)
    return request.param


@pytest.fixture(scope="module", params=ENGINES)
def shared_demo(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A read-only demo installation per engine, shared by a module's tests.

    Tests that change data must build their own with :func:`demo_installation`.
    """
    require_engine(request.param)
    folder = tmp_path_factory.mktemp(f"demo-{request.param}")
    with demo_installation(folder, request.param) as settings:
        yield request.param, settings


@pytest.fixture
def state_url(engine: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty state database (audit log, journal) on each engine."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path}/workbench.sqlite"
        return
    with server_database(engine) as url:
        yield url


@pytest.fixture(scope="session")
def fixed_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixed installation (:mod:`fixed_install`), built once; copy it before changing it."""
    from fixed_install import build_fixed_install

    return build_fixed_install(tmp_path_factory.mktemp("fixed") / "install")


@pytest.fixture
def fixed_copy(fixed_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the fixed installation (its paths are relative); its settings file."""
    import shutil

    shutil.copytree(fixed_template.parent, tmp_path / "install")
    return tmp_path / "install" / fixed_template.name
