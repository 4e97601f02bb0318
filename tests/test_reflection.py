"""Opening an installation reads every database's live schema, the databases at the same
time: each open sees the schema as it is then (a schema kept from an earlier open is used
only while the catalogue still has it: test_schema_cache.py), and a database that cannot
be read is reported by name."""

from __future__ import annotations

import sqlite3
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import demo_installation
from sqlalchemy import MetaData, event, inspect

from dpo_workbench.datamap import load_datamap
from dpo_workbench.demo.schema import DATABASES
from dpo_workbench.engines import database_engine
from dpo_workbench.errors import DatabaseError
from dpo_workbench.installation import Installation, sqlite_unique_columns
from dpo_workbench.settings import load_settings


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Path]:
    with demo_installation(tmp_path / "demo", indexes=False) as path:
        yield path


def _columns(schema: dict) -> dict[str, dict[str, list[str]]]:
    return {db: {name: [c.name for c in table.c] for name, table in tables.items()}
            for db, tables in schema.items()}


def test_the_schema_read_at_once_equals_the_schema_read_database_by_database(settings):
    with Installation.open(settings) as inst:
        together = inst.schema
        one_by_one = {}
        for db, engine in inst.engines.items():
            with engine.connect() as conn, warnings.catch_warnings():
                warnings.simplefilter("ignore")
                md = MetaData()
                wanted = inst.datamap.tables_by_database()[db]
                md.reflect(bind=conn, only=sorted(wanted & set(inspect(conn).get_table_names())))
                sqlite_unique_columns(conn, md)
            one_by_one[db] = dict(md.tables)
    assert _columns(together) == _columns(one_by_one)
    for db, tables in together.items():  # keys and indexes too, not only the columns
        for name, table in tables.items():
            expected = one_by_one[db][name]
            assert [c.name for c in table.primary_key] == [c.name for c in expected.primary_key]
            assert sorted(i.name for i in table.indexes) == sorted(i.name for i in
                                                                   expected.indexes)


def test_each_database_is_read_on_the_installations_own_threads(settings):
    config = load_settings(settings)
    datamap = load_datamap(config.datamap_path)
    engines = {db: database_engine(db, config.databases[db], config.path)
               for db in datamap.databases}
    readers: dict[str, str] = {}
    for db, engine in engines.items():
        event.listen(engine, "connect",
                     lambda *_, db=db: readers.setdefault(db, threading.current_thread().name))
    with Installation(config, datamap, engines) as inst:
        assert set(inst.schema) == set(DATABASES)
    assert set(readers) == set(DATABASES)
    assert all(name.startswith("dpo-search") for name in readers.values()), readers


def test_a_column_added_after_an_open_is_seen_by_the_next_open(settings):
    # a schema kept from the first open is not used: an erasure planned after a change sees
    # the new column
    with Installation.open(settings) as inst:
        assert "nickname" not in inst.table("directory", "directory_entries").c
    with sqlite3.connect(settings.parent / "directory.sqlite") as conn:
        conn.execute("ALTER TABLE directory_entries ADD COLUMN nickname TEXT")
    with Installation.open(settings) as inst:
        assert "nickname" in inst.table("directory", "directory_entries").c


def test_a_database_that_cannot_be_read_is_named_and_no_reader_is_left(settings):
    (settings.parent / "outbound.sqlite").write_bytes(b"not a database " * 100)
    before = {t.name for t in threading.enumerate()}
    with pytest.raises(DatabaseError, match="outbound"):
        Installation.open(settings)
    for thread in threading.enumerate():  # the readers have stopped (or are stopping)
        if thread.name.startswith("dpo-search") and thread.name not in before:
            thread.join(timeout=10)
            assert not thread.is_alive()


def test_a_workbench_kept_open_sees_a_schema_changed_since_at_its_next_search(settings):
    """An analyst's workbench open for hours: the first search after the check interval
    sees a column added since; within the interval nothing is read again."""
    from dpo_workbench import open_workbench
    from dpo_workbench.demo.samples import AINO

    with open_workbench(settings, user="analyst") as wb:
        inst = wb.installation
        with sqlite3.connect(settings.parent / "directory.sqlite") as conn:
            conn.execute("ALTER TABLE directory_entries ADD COLUMN nickname TEXT")
        wb.search(email=AINO.email)  # within the interval: the schema as opened
        assert "nickname" not in inst.table("directory", "directory_entries").c
        inst.schema_check_seconds = 0
        wb.search(email=AINO.email)
        assert "nickname" in inst.table("directory", "directory_entries").c


def test_a_datamap_column_dropped_while_the_workbench_is_open_is_named_at_the_next_search(
        settings):
    from dpo_workbench import open_workbench
    from dpo_workbench.demo.samples import AINO
    from dpo_workbench.errors import DatamapError

    with open_workbench(settings, user="analyst") as wb:
        with sqlite3.connect(settings.parent / "directory.sqlite") as conn:
            conn.execute("ALTER TABLE directory_entries DROP COLUMN email_private")
        wb.installation.schema_check_seconds = 0
        with pytest.raises(DatamapError, match="email_private"):
            wb.search(email=AINO.email)
