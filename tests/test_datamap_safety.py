"""What `check` refuses so that erasure cannot reach more than it planned.

Erasure acts by key and relies on one transaction per database, and the datamap
is what a DBA declared. Each test here is named for a finding:

- a ``key`` that several rows share (``key: channel``) let an erasure of 17 items
  anonymize 1,681 contacts and delete other people's recordings;
- a MariaDB table without transactions (MyISAM) kept 9 of 11 deleted rows after
  a killed connection that reported "nothing of it was committed";
- a table id given twice under ``tables:`` silently dropped the first table.

The schemas are written here, per engine, with a few rows each.
"""

from __future__ import annotations

import io
import sqlite3
import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from conftest import demo_installation, require_engine
from dbservers import server_database
from sqlalchemy import create_engine, text

import dpo_workbench as dw
from dpo_workbench.cli import main
from dpo_workbench.datamap import load_datamap
from dpo_workbench.errors import ConfigError, DatamapError
from dpo_workbench.settings import load_settings
from dpo_workbench.typedyaml import load_yaml

# Contacts of two channels, their recordings, and the monitoring copies. Every
# statement runs on SQLite, PostgreSQL and MariaDB; {engine} is the MariaDB table
# option (empty elsewhere), placed on the table a test makes non-transactional.
SCHEMA = [
    "CREATE TABLE contacts (id INTEGER PRIMARY KEY, channel VARCHAR(10) NOT NULL, "
    "remote_number VARCHAR(40), code VARCHAR(20) UNIQUE, ref VARCHAR(20), "
    "seq INTEGER, UNIQUE (seq)) {contacts}",
    "CREATE UNIQUE INDEX contacts_ref ON contacts (ref)",
    "CREATE TABLE recordings (id INTEGER PRIMARY KEY, contact_id INTEGER NOT NULL, "
    "path VARCHAR(100)) {recordings}",
    "CREATE TABLE contacts_copy (id INTEGER PRIMARY KEY, channel VARCHAR(10) NOT NULL, "
    "remote_number VARCHAR(40)) {contacts_copy}",
]
ROWS = [
    "INSERT INTO contacts VALUES (1, 'phone', '070 111 22 33', 'c1', 'r1', 1)",
    "INSERT INTO contacts VALUES (2, 'phone', '070 999 88 77', 'c2', 'r2', 2)",
    "INSERT INTO contacts VALUES (3, 'chat', '070 111 22 33', 'c3', 'r3', 3)",
    "INSERT INTO contacts VALUES (4, 'phone', '08 555 44 33', 'c4', 'r4', 4)",
    "INSERT INTO recordings VALUES (1, 1, 'a.wav')",
    "INSERT INTO recordings VALUES (2, 1, 'b.wav')",
    "INSERT INTO recordings VALUES (3, 2, 'c.wav')",
    "INSERT INTO contacts_copy VALUES (1, 'phone', '070 111 22 33')",
    "INSERT INTO contacts_copy VALUES (3, 'chat', '070 111 22 33')",
]
DATAMAP = """
    version: 1
    tables:
      contacts:
        database: cc
        table: contacts
        group: contacts
        key: {key}
        match: {{phone: remote_number}}
        show: [channel, remote_number]
        erase: {{row: anonymize, columns: {{remote_number: redact}}}}
        children:
          recordings:
            table: recordings
            key: {child_key}
            parent: contact_id
            show: [path]
            erase: {{row: delete}}
      contacts_copy:
        database: cc
        table: contacts_copy
        group: contacts
        copy_of: contacts
        key: id
        match: {{phone: remote_number}}
        show: [channel, remote_number]
        erase: {{row: anonymize, columns: {{remote_number: redact}}}}
"""


@contextmanager
def database(engine: str, folder: Path) -> Iterator[str]:
    """An empty database of ``engine``; yields its URL."""
    require_engine(engine)
    if engine == "sqlite":
        yield f"sqlite:///{folder / 'cc.sqlite'}"
    else:
        with server_database(engine, prefix="dpo_safe") as url:
            yield url


def run_sql(url: str, statements: Sequence[str]) -> None:
    if url.startswith("sqlite"):  # the standard library, as the help-desk test does
        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        con.executescript(";\n".join(statements) + ";")
        con.close()
        return
    eng = create_engine(url)
    try:
        with eng.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        eng.dispose()


@contextmanager
def installation(tmp_path: Path, engine: str, *, key: str = "id", child_key: str = "id",
                 schema: Sequence[str] = SCHEMA, storage: dict[str, str] | None = None,
                 inline_text: bool = True) -> Iterator[Path]:
    """The contact centre above on ``engine``; yields its settings file.

    ``storage`` gives a MariaDB storage engine per table (the default is the
    server's, InnoDB). ``inline_text`` declares SQLite's inline UNIQUE column as
    TEXT, the form SQLAlchemy's SQLite reflection reports.
    """
    options = {t: f"ENGINE={e}" for t, e in (storage or {}).items()}
    statements = [s.format_map(_Blank(options)) for s in schema]
    if engine == "sqlite" and inline_text:
        statements = [s.replace("VARCHAR(20) UNIQUE", "TEXT UNIQUE") for s in statements]
    with database(engine, tmp_path) as url:
        run_sql(url, statements + ROWS)
        (tmp_path / "datamap.yaml").write_text(
            textwrap.dedent(DATAMAP.format(key=key, child_key=child_key)), encoding="utf-8")
        settings = tmp_path / "workbench.yaml"
        settings.write_text(f"datamap: datamap.yaml\ndatabases:\n  cc: '{url}'\n",
                            encoding="utf-8")
        yield settings


class _Blank(dict[str, str]):
    """Format values where a table has no option: nothing."""

    def __missing__(self, key: str) -> str:
        return ""


def refusal(settings: Path) -> str:
    """The message with which opening the installation is refused."""
    with pytest.raises(DatamapError) as info:
        dw.open_workbench(settings).close()
    message = str(info.value)
    assert str(settings.parent / "datamap.yaml") in message  # names the file
    return message


# -- 1. a key must identify one row ----------------------------------------------------


def test_a_datamap_key_that_is_not_unique_is_refused(tmp_path, engine):
    with installation(tmp_path, engine, key="channel") as settings:
        message = refusal(settings)
        assert "table contacts: key column 'channel' does not identify one row of contacts" \
            in message
        assert "no unique constraint or unique index" in message
        assert "would also reach every other row with the same channel" in message
        # how to fix it: the table's unique columns, or declaring the column unique
        assert "name a unique column as 'key' (id, code, ref, seq)" in message
        assert "CREATE UNIQUE INDEX contacts_channel_key ON contacts (channel)" in message
        # the command line refuses too, with the datamap's exit status
        err = io.StringIO()
        assert main(["check", "--config", str(settings)], out=io.StringIO(), err=err) == 3
        assert "key column 'channel'" in err.getvalue()


def test_a_child_table_key_that_is_not_unique_is_refused(tmp_path, engine):
    with installation(tmp_path, engine, child_key="contact_id") as settings:
        message = refusal(settings)
        assert "table contacts.children.recordings: key column 'contact_id' does not " \
               "identify one row of recordings" in message
        assert "name a unique column as 'key' (id)" in message


@pytest.mark.parametrize("key", ["id", "code", "seq", "ref"],
                         ids=["primary key", "UNIQUE column", "UNIQUE table constraint",
                              "CREATE UNIQUE INDEX"])
def test_a_key_declared_unique_in_any_way_passes_check(tmp_path, engine, key):
    with installation(tmp_path, engine, key=key) as settings:
        dw.open_workbench(settings).close()


def test_sqlite_inline_unique_after_a_type_with_a_length_passes_check(tmp_path):
    with installation(tmp_path, "sqlite", key="code", inline_text=False) as settings:
        dw.open_workbench(settings).close()


def test_one_column_of_a_composite_primary_key_is_refused(tmp_path, engine):
    schema = ["CREATE TABLE contacts (id INTEGER NOT NULL, channel VARCHAR(10) NOT NULL, "
              "remote_number VARCHAR(40), code VARCHAR(20), ref VARCHAR(20), seq INTEGER, "
              "PRIMARY KEY (id, channel))", *SCHEMA[1:]]
    with installation(tmp_path, engine, schema=schema) as settings:
        message = refusal(settings)
        assert "key column 'id' does not identify one row of contacts: it is one of the 2 " \
               "columns of the primary key (id, channel)" in message
        assert "name a unique column as 'key' (ref)" in message


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])  # MariaDB has neither
@pytest.mark.parametrize("index", ["contacts (ref) WHERE ref IS NOT NULL",
                                   "contacts (lower(ref))"], ids=["partial", "expression"])
def test_a_partial_or_expression_unique_index_does_not_make_a_key(tmp_path, engine, index):
    require_engine(engine)
    schema = [*SCHEMA]
    schema[1] = f"CREATE UNIQUE INDEX contacts_ref ON {index}"
    with installation(tmp_path, engine, key="ref", schema=schema) as settings:
        assert "key column 'ref' does not identify one row of contacts" in refusal(settings)


# -- 2. every table erasure writes must be transactional -------------------------------


@pytest.mark.parametrize("storage", ["MyISAM", "Aria", "MEMORY"])
def test_a_non_transactional_mariadb_table_is_refused(tmp_path, storage):
    require_engine("mariadb")
    with installation(tmp_path, "mariadb", storage={"contacts": storage}) as settings:
        message = refusal(settings)
        assert f"table contacts: table contacts uses the storage engine {storage}, which " \
               "has no transactions" in message
        assert "ALTER TABLE contacts ENGINE=InnoDB" in message
        assert "recordings" not in message  # InnoDB, the server's default


@pytest.mark.parametrize(("table", "where"), [
    ("recordings", "table contacts.children.recordings"),
    ("contacts_copy", "table contacts_copy")], ids=["child table", "monitoring copy"])
def test_a_non_transactional_child_or_copy_table_is_refused(tmp_path, table, where):
    require_engine("mariadb")
    with installation(tmp_path, "mariadb", storage={table: "MyISAM"}) as settings:
        message = refusal(settings)
        assert f"{where}: table {table} uses the storage engine MyISAM" in message
        assert "1 problem in the datamap" in message


def test_myisam_keeps_what_a_rolled_back_transaction_deleted(tmp_path):
    """Why the rule exists: the finding's "nothing of it was committed" was untrue."""
    require_engine("mariadb")
    with installation(tmp_path, "mariadb", storage={"recordings": "MyISAM"}) as settings:
        url = load_settings(settings).databases["cc"]
        eng = create_engine(url)
        try:
            with eng.connect() as conn:
                tx = conn.begin()
                conn.execute(text("DELETE FROM recordings WHERE contact_id = 1"))
                conn.execute(text("DELETE FROM contacts_copy WHERE id = 1"))  # InnoDB
                tx.rollback()
                assert conn.execute(text("SELECT count(*) FROM recordings")).scalar() == 1
                assert conn.execute(text("SELECT count(*) FROM contacts_copy")).scalar() == 2
        finally:
            eng.dispose()


def test_the_demo_installation_passes_check(tmp_path, engine):
    with demo_installation(tmp_path, engine, events=1, indexes=False) as settings:
        out = io.StringIO()
        assert main(["check", "--config", str(settings)], out=out, err=io.StringIO()) == 0
        assert "OK" in out.getvalue()
        if engine == "mariadb":  # the demo's tables are the server's default: InnoDB
            engines: set[str] = set()
            for url in load_settings(settings).databases.values():
                eng = create_engine(url)
                try:
                    with eng.connect() as conn:
                        engines.update(conn.execute(text(
                            "SELECT engine FROM information_schema.tables "
                            "WHERE table_schema = DATABASE()")).scalars())
                finally:
                    eng.dispose()
            assert engines == {"InnoDB"}


# -- 3. a key given twice in a YAML file -----------------------------------------------


def test_duplicate_table_ids_in_the_datamap_are_refused(tmp_path):
    text_ = textwrap.dedent(DATAMAP.format(key="id", child_key="id"))
    second = text_.split("\n  contacts_copy:\n")[1]
    path = tmp_path / "datamap.yaml"
    path.write_text(text_ + "  contacts:\n" + second, encoding="utf-8")
    lines = path.read_text().splitlines()
    first, again = (i + 1 for i, line in enumerate(lines) if line == "  contacts:")
    with pytest.raises(DatamapError) as info:
        load_datamap(path)
    message = str(info.value)
    assert str(path) in message
    assert f"the key 'contacts' is given twice in one mapping (lines {first} and {again})" \
        in message
    assert "silently drop the earlier" in message
    # before the fix the later table replaced the first without a word
    assert list(yaml.safe_load(path.read_text())["tables"]) == ["contacts", "contacts_copy"]


def test_duplicate_keys_in_the_settings_file_are_refused(tmp_path):
    path = tmp_path / "workbench.yaml"
    path.write_text("datamap: datamap.yaml\n"
                    "databases:\n  cc: sqlite:///cc.sqlite\n"
                    "search: {digits: 7, digits: 9}\n"
                    "databases:\n  other: sqlite:///other.sqlite\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert str(path) in message
    # every duplicate, in the order of the file, each with both lines
    assert message.index("the key 'digits' is given twice in one mapping (line 4)") \
        < message.index("the key 'databases' is given twice in one mapping (lines 2 and 5)")


def test_duplicate_keys_inside_a_table_are_refused(tmp_path):
    text_ = textwrap.dedent(DATAMAP.format(key="id", child_key="id"))
    text_ = text_.replace("        key: id\n", "        key: id\n        key: code\n", 1)
    first = text_.splitlines().index("        key: code")  # the line before, counting from 1
    with pytest.raises(yaml.YAMLError, match=rf"the key 'key' is given twice in one mapping "
                                             rf"\(lines {first} and {first + 1}\)"):
        load_yaml(text_)


def test_yaml_merge_keys_may_still_be_overridden():
    # '<<' merges an anchored mapping; overriding a merged key is what it is for.
    data = load_yaml("base: &b {row: delete, files: keep}\nerase:\n  <<: *b\n  files: delete\n")
    assert data["erase"] == {"row": "delete", "files": "delete"}
    assert load_yaml("a: 1\nA: 2\n'1': 3\n1: 4\n") == {"a": 1, "A": 2, "1": 3, 1: 4}
