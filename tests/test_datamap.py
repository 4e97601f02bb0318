"""The datamap: parsing, checking against the live schema, and searching a schema
that is not the demo's by writing only a datamap for it."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import pytest
import yaml

import dpo_workbench as dw
from dpo_workbench.datamap import Group, load_datamap, parse_datamap
from dpo_workbench.errors import DatamapError
from dpo_workbench.typedyaml import load_yaml

# A help-desk product shaped nothing like the demo: text keys, other column names,
# two databases, a file column and a child table.
HELPDESK_SQL = {
    "crm": """
        CREATE TABLE people (person_id TEXT PRIMARY KEY, given TEXT, family TEXT,
                             cell VARCHAR(30), landline VARCHAR(30), mail VARCHAR(200),
                             avatar VARCHAR(100), created TIMESTAMP);
        CREATE TABLE optins (optin_id INTEGER PRIMARY KEY, msisdn VARCHAR(30), channel TEXT,
                             at TIMESTAMP, yes_no INTEGER);
    """,
    "desk": """
        CREATE TABLE tickets (ticket_no INTEGER PRIMARY KEY, opened TIMESTAMP NOT NULL,
                              caller VARCHAR(40), reply_to VARCHAR(200), title VARCHAR(300),
                              queue TEXT);
        CREATE TABLE ticket_lines (line_id INTEGER PRIMARY KEY, ticket_no INTEGER,
                                   body TEXT);
    """,
}
HELPDESK_ROWS = {
    "crm": [
        "INSERT INTO people VALUES ('p-1', 'Öllä', 'Ääpinen', '+46 70-111 22 33', NULL, "
        "'OLLA@EXAMPLE.SE', 'p1.png', '2024-05-01 10:00:00.000000')",
        "INSERT INTO people VALUES ('p-2', 'Other', 'Person', '070 999 88 77', '08-111 2234', "
        "'other@example.se', NULL, '2024-05-01 10:00:00.000000')",
        "INSERT INTO optins VALUES (1, '0046701112233', 'sms', '2025-02-01 00:00:00.000000', 1)",
        "INSERT INTO optins VALUES (2, '0701112234', 'sms', '2025-02-01 00:00:00.000000', 0)",
    ],
    "desk": [
        "INSERT INTO tickets VALUES (10, '2025-01-15 09:00:00.000000', '070 111 2233', NULL, "
        "'Broken router', 'tech')",
        "INSERT INTO tickets VALUES (11, '2025-06-15 09:00:00.000000', NULL, 'ollä@example.se',"
        " 'Invoice', 'billing')",
        "INSERT INTO tickets VALUES (12, '2025-06-16 09:00:00.000000', '+46 8 111 22 34', NULL, "
        "'Someone else', 'tech')",
        "INSERT INTO ticket_lines VALUES (1, 10, 'My number is 070 111 2233')",
    ],
}
HELPDESK_DATAMAP = textwrap.dedent("""
    version: 1
    tables:
      tickets:
        database: desk
        table: tickets
        group: contacts
        key: ticket_no
        time: opened
        match: {phone: caller, email: reply_to}
        show: [opened, title, caller, reply_to]
        erase:
          row: anonymize
          columns: {caller: redact, reply_to: redact, title: redact}
        children:
          lines:
            table: ticket_lines
            key: line_id
            parent: ticket_no
            show: [body]
            identifying: [body]
            erase: {row: delete}
      people:
        database: crm
        table: people
        group: directory_entries
        key: person_id
        match:
          phone: [cell, landline]
          email: [mail]
          name: {first: given, last: family}
        show: [given, family, cell, mail]
        files:
          avatar: {store: avatars, kind: image}
        erase: {row: delete}
      optins:
        database: crm
        table: optins
        group: consents
        key: optin_id
        time: at
        match: {phone: msisdn}
        show: [at, channel, yes_no]
        erase: {row: delete}
""")


def make_helpdesk(folder: Path, datamap: str = HELPDESK_DATAMAP) -> Path:
    for db, ddl in HELPDESK_SQL.items():
        con = sqlite3.connect(folder / f"{db}.sqlite")
        con.executescript(ddl)
        for stmt in HELPDESK_ROWS[db]:
            con.execute(stmt)
        con.commit()
        con.close()
    (folder / "avatars").mkdir()
    (folder / "avatars" / "p1.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    (folder / "helpdesk-datamap.yaml").write_text(datamap, encoding="utf-8")
    settings = folder / "helpdesk.yaml"
    settings.write_text(textwrap.dedent("""
        name: Help desk
        datamap: helpdesk-datamap.yaml
        databases:
          crm: sqlite:///crm.sqlite
          desk: sqlite:///desk.sqlite
        files:
          avatars: avatars
    """), encoding="utf-8")
    return settings


def test_a_differently_shaped_schema_is_searched_by_writing_only_a_datamap(tmp_path):
    with dw.open_workbench(make_helpdesk(tmp_path)) as wb:
        by_phone = wb.search(phone="+46 70 111 22 33")
        assert by_phone.counts() == {"contacts": 1, "directory_entries": 1,
                                     "campaign_customers": 0, "consents": 1}
        assert by_phone.contacts["_key"].tolist() == [10]
        assert by_phone.contacts["_matched"].tolist() == ["phone ends 1112233 in caller"]
        assert by_phone.directory_entries["_key"].tolist() == ["p-1"]
        assert by_phone.consents["_key"].tolist() == [1]  # optin 2 differs in the last digit

        # the e-mail in another letter case, non-ASCII letters included
        by_email = wb.search(email="ollä@EXAMPLE.se")
        assert by_email.contacts["_key"].tolist() == [11]
        assert by_email.directory_entries["_key"].tolist() == []  # stored without the umlaut

        by_name = wb.search(first_name="ÖLLÄ", last_name="ääpinen")
        assert by_name.directory_entries["_key"].tolist() == ["p-1"]
        assert by_name.total == 1  # a name does not find contacts or consents

        # the date span restricts the tickets, not the directory
        spanned = wb.search(phone="0701112233", start="2025-06-01")
        assert spanned.counts()["contacts"] == 0
        assert spanned.counts()["directory_entries"] == 1

        details = wb.details(dw.RowRef("desk", "tickets", 10))
        assert details.children["lines"]["body"].tolist() == ["My number is 070 111 2233"]
        photo = wb.details(dw.RowRef("crm", "people", "p-1")).files
        assert [(f.kind, f.name, f.exists) for f in photo] == [("image", "p1.png", True)]


def _problems(tmp_path: Path, datamap: str) -> str:
    with pytest.raises(DatamapError) as info:
        dw.open_workbench(make_helpdesk(tmp_path, datamap))
    return str(info.value)


# (edit to the valid datamap, words the error must contain)
SCHEMA_ERRORS = [
    # a misspelt column is named with its table and the columns that exist
    (("show: [opened, title,", "show: [opened, titel,"),
     ["table tickets", "show column 'titel' does not exist in tickets", "title"]),
    (("phone: [cell, landline]", "phone: [cell, landlin]"),
     ["table people", "phone column 'landlin' does not exist in people"]),
    (("table: people", "table: persons"),
     ["table people", "table 'persons' does not exist in database 'crm'"]),
    (("database: desk", "database: helpdesk"),
     ["database 'helpdesk'"]),
    # a text time column is taken as ISO 8601 text; these values are not
    (("time: at", "time: channel"),
     ["time column 'channel' holds values that are not iso (2 of 2 sampled)"]),
    # numbers must say how they count time
    (("time: at", "time: yes_no"),
     ["time column 'yes_no' is of type INTEGER", "format: epoch_seconds"]),
    (("show: [body]", "show: [body, bodyy]"),
     ["children.lines", "'bodyy' does not exist in ticket_lines"]),
    (("avatar: {store: avatars", "avatar: {store: pictures"),
     ["file store 'pictures'", "not in the settings file's 'files'"]),
    (("columns: {caller: redact,", "columns: {caller: clear,"),
     []),  # valid: caller is nullable
    (("title: redact}", "title: redact, queue: redact, opened: clear}"),
     ["column 'opened' is NOT NULL"]),
]


@pytest.mark.parametrize(("edit", "words"), SCHEMA_ERRORS)
def test_schema_problems_name_file_table_and_column(tmp_path, edit, words):
    datamap = HELPDESK_DATAMAP.replace(*edit)
    assert datamap != HELPDESK_DATAMAP
    if not words:
        make = make_helpdesk(tmp_path, datamap)
        dw.open_workbench(make).close()
        return
    message = _problems(tmp_path, datamap)
    assert "helpdesk-datamap.yaml" in message
    for w in words:
        assert w in message


# (edit, words): problems found before any database is touched
PARSE_ERRORS = [
    (("group: consents", "group: consent"), ["group 'consent' is not one of"]),
    (("key: optin_id", "kee: optin_id"), ["unknown key 'kee'", "the key 'key' is missing"]),
    (("erase: {row: delete}\n  people", "erase: {row: remove}\n  people"), []),
    (("show: [at, channel, yes_no]", "show: [at, channel, yes_no]\n    match: {email: x}"),
     []),
    (("match: {phone: msisdn}", "match: {phone: msisdn, email: channel}"),
     ["Customer Consents are linked to the phone number only"]),
    (("match: {phone: caller, email: reply_to}",
      "match: {phone: caller, email: reply_to, name: {first: title, last: queue}}"),
     ["Contacts are found only by phone or e-mail"]),
    (("columns: {caller: redact, reply_to: redact, title: redact}",
      "columns: {caller: redact, title: redact}"),
     ["column 'reply_to' identifies the person and has no erase strategy"]),
    (("columns: {caller: redact,", "columns: {caller: shred,"),
     ["unknown strategy 'shred'", "clear, redact"]),
]


@pytest.mark.parametrize(("edit", "words"), PARSE_ERRORS)
def test_parse_problems_are_all_reported(edit, words):
    text = HELPDESK_DATAMAP.replace(*edit)
    assert text != HELPDESK_DATAMAP
    if "match: {email: x}" in text:  # a key given twice: refused before parsing
        with pytest.raises(yaml.YAMLError, match="the key 'match' is given twice"):
            load_yaml(text)
        return
    data = yaml.safe_load(text)
    if not words:
        with pytest.raises(DatamapError):
            parse_datamap(data, "dm.yaml")
        return
    with pytest.raises(DatamapError) as info:
        parse_datamap(data, "dm.yaml")
    for w in words:
        assert w in str(info.value)


def test_a_missing_datamap_file_is_named(tmp_path):
    with pytest.raises(DatamapError, match="does not exist"):
        load_datamap(tmp_path / "nope.yaml")


def test_the_demo_datamap_declares_all_four_groups():
    from importlib.resources import files

    dm = load_datamap(files("dpo_workbench.demo") / "datamap.yaml")
    assert {t.group for t in dm.tables} == set(Group)
    assert dm.table("monitoring1_contact_events").copy_of == "contact_events"
