"""The schema kept between opens (dpo_workbench.schemacache): used only while the
database's catalogue still has it, so every open checks the datamap against the live
schema; a kept file that another account could have written, or a damaged one, is
never used."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import demo_installation
from sqlalchemy import Column, Engine, MetaData, String, event, text

from dpo_workbench.errors import DatamapError
from dpo_workbench.installation import Installation


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement any engine sends while the block runs."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", note)


def _shape(inst: Installation) -> dict:
    """Columns with types, primary keys, indexes and unique columns of every table."""
    return {(db, name): ([(c.name, repr(c.type), c.nullable) for c in t.c],
                         [c.name for c in t.primary_key],
                         sorted((i.name, i.unique, tuple(c.name for c in i.columns))
                                for i in t.indexes))
            for db, tables in inst.schema.items() for name, t in tables.items()}


def _execute(inst: Installation, database: str, *sql: str) -> None:
    with inst.engines[database].begin() as conn:
        for statement in sql:
            conn.execute(text(statement))


def _kept(settings: Path) -> Path:
    return settings.parent / "state" / "schema"


def test_a_second_open_takes_the_kept_schema_and_sees_every_change_made_since(engine,
                                                                             tmp_path):
    with demo_installation(tmp_path / "demo", engine, events=300, indexes=False) as settings:
        with statements() as first, Installation.open(settings) as inst:
            fresh = _shape(inst)
        assert sorted(p.stem for p in _kept(settings).glob("*.pickle")) == sorted(inst.schema)
        with statements() as second, Installation.open(settings) as inst:
            assert _shape(inst) == fresh
        # one catalogue query per database instead of the reflection's many
        assert len(second) <= len(first) // 3, (len(first), len(second))

        # a column added is seen by the next open, and one dropped is gone again
        _execute(inst, "directory", "ALTER TABLE directory_entries ADD COLUMN nickname "
                 "VARCHAR(40)")
        with Installation.open(settings) as inst:
            assert "nickname" in inst.table("directory", "directory_entries").c
        _execute(inst, "directory", "ALTER TABLE directory_entries DROP COLUMN nickname")
        with Installation.open(settings) as inst:
            assert "nickname" not in inst.table("directory", "directory_entries").c
            assert _shape(inst) == fresh

        # an index created or dropped
        _execute(inst, "outbound", "CREATE UNIQUE INDEX cc_probe ON campaign_customers (id, "
                 "campaign_id)")
        with Installation.open(settings) as inst:
            names = {i.name for i in inst.table("outbound", "campaign_customers").indexes}
            assert "cc_probe" in names
        drop = "DROP INDEX cc_probe" + (" ON campaign_customers" if engine == "mariadb" else "")
        _execute(inst, "outbound", drop)
        with Installation.open(settings) as inst:
            assert _shape(inst) == fresh

        # a column's type changed (SQLite cannot alter a column)
        if engine != "sqlite":
            alter = {"postgresql": "ALTER TABLE directory_entries ALTER COLUMN last_name "
                                   "TYPE TEXT",
                     "mariadb": "ALTER TABLE directory_entries MODIFY last_name TEXT"}[engine]
            _execute(inst, "directory", alter)
            with Installation.open(settings) as inst:
                assert "TEXT" in repr(inst.table("directory", "directory_entries")
                                      .c["last_name"].type).upper()

        # a column the datamap names, dropped: the open fails as it always did
        _execute(inst, "directory", "ALTER TABLE directory_entries DROP COLUMN last_name")
        with pytest.raises(DatamapError, match="last_name"):
            Installation.open(settings)


@pytest.fixture
def opened_once(tmp_path: Path) -> Iterator[Path]:
    with demo_installation(tmp_path / "demo", events=300, indexes=False) as settings:
        Installation.open(settings).close()
        yield settings


def _forge(settings: Path) -> Path:
    """The kept schema of the directory with a column its entries do not have, under the
    right fingerprint: a file that would change the schema if it were used."""
    path = _kept(settings) / "directory.pickle"
    with path.open("rb") as f:
        digest = pickle.load(f)
        metadata: MetaData = pickle.load(f)
    metadata.tables["directory_entries"].append_column(Column("forged", String(10)),
                                                         replace_existing=True)
    with path.open("wb") as f:
        pickle.dump(digest, f)
        pickle.dump(metadata, f)
    return path


def test_a_kept_schema_that_other_accounts_may_write_is_not_used(opened_once):
    forged = _forge(opened_once)
    with Installation.open(opened_once) as inst:  # the forged file is used: it is ours
        assert "forged" in inst.table("directory", "directory_entries").c
    forged = _forge(opened_once)
    forged.chmod(0o666)
    with Installation.open(opened_once) as inst:
        assert "forged" not in inst.table("directory", "directory_entries").c
    assert forged.stat().st_mode & 0o777 == 0o600  # replaced by a file of its own


def test_a_kept_schema_in_a_folder_others_may_write_is_not_used(opened_once):
    _forge(opened_once)
    _kept(opened_once).chmod(0o777)
    with Installation.open(opened_once) as inst:
        assert "forged" not in inst.table("directory", "directory_entries").c


def test_a_damaged_kept_schema_is_read_afresh_and_replaced(opened_once, caplog):
    path = _kept(opened_once) / "operative.pickle"
    good = path.read_bytes()
    path.write_bytes(good[: len(good) // 2])
    with Installation.open(opened_once) as inst:
        assert "remote_number" in inst.table("operative", "contact_events").c
    assert "operative" in caplog.text and "afresh" in caplog.text
    assert pickle.loads(path.read_bytes()) == pickle.loads(good)  # the digest, rewritten


def test_a_kept_schema_is_written_owner_only(opened_once):
    folder = _kept(opened_once)
    assert folder.stat().st_mode & 0o777 == 0o700
    assert {p.stat().st_mode & 0o777 for p in folder.iterdir()} == {0o600}


def test_an_unwritable_folder_costs_nothing_but_the_keeping(opened_once):
    folder = _kept(opened_once)
    for p in folder.iterdir():
        p.unlink()
    folder.rmdir()
    folder.write_text("a file where the folder would be")
    with Installation.open(opened_once) as inst:
        assert "last_name" in inst.table("directory", "directory_entries").c
