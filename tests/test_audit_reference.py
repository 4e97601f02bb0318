"""The request reference in audit events: stored, chained, listed and filtered on every
engine; old logs without it still verify; a reference that carries an e-mail address
is refused without repeating it."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, create_engine, text

from dpo_workbench.audit import (
    GENESIS_HASH,
    Action,
    AuditEvent,
    AuditLog,
    check_reference,
    format_events,
    open_audit_log,
)
from dpo_workbench.audit.chain import chain_key, head_mac, make_row
from dpo_workbench.audit.tables import events_table, head_table
from dpo_workbench.cli import main
from dpo_workbench.errors import UsageError
from dpo_workbench.settings import load_settings

KEY = bytes(range(32))


def _sql(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.mark.engines
def test_reference_is_stored_listed_filtered_and_verified(state_url: str) -> None:
    with AuditLog(state_url, KEY) as log:
        log.record("dpo", Action.LOGIN)
        first = log.record("dpo", Action.SEARCH, tables={"operative.contact_events": 3},
                           reference="DPO-2025-000017")
        log.record("dpo", Action.SEARCH, reference="DPO-2025-000018")
        log.record("dpo", Action.REPORT_CREATED, reference="DPO-2025-000017")

        assert first.reference == "DPO-2025-000017"
        case = log.events(reference="DPO-2025-000017")
        assert [(e.id, str(e.action)) for e in case] == [(2, "search"), (4, "report_created")]
        assert [e.reference for e in log.events()] == [None, "DPO-2025-000017",
                                                       "DPO-2025-000018", "DPO-2025-000017"]
        assert case[0].to_dict()["reference"] == "DPO-2025-000017"
        assert log.events()[0].to_dict()["reference"] is None
        assert log.verify().ok


@pytest.mark.engines
@pytest.mark.parametrize("statement", [
    # move an event to another case
    "UPDATE audit_events SET reference = 'DPO-OTHER' WHERE id = 2",
    # take an event out of its case
    "UPDATE audit_events SET reference = NULL WHERE id = 2",
    # put an event that belonged to no case into one
    "UPDATE audit_events SET reference = 'DPO-2025-000017' WHERE id = 1",
])
def test_an_edited_reference_is_reported(state_url: str, statement: str) -> None:
    with AuditLog(state_url, KEY) as log:
        log.record("dpo", Action.LOGIN)
        log.record("dpo", Action.SEARCH, reference="DPO-2025-000017")
    _sql(state_url, statement)
    with AuditLog(state_url, KEY) as log:
        problems = log.verify().problems
    assert len(problems) == 1 and "its content does not match its hash" in problems[0]


_old = MetaData()
# The events table as the version before request references created it (with os_user).
_old_events = Table("audit_events", _old,
                    *(c._copy() for c in events_table.columns if c.name != "reference"),
                    **events_table.kwargs)
head_table.to_metadata(_old)


@pytest.mark.engines
def test_a_log_written_before_references_verifies_and_is_appended_to(state_url: str) -> None:
    k = chain_key(KEY)
    rows = []
    for i in (1, 2):
        rows.append(make_row(k, event_id=i, at=f"2025-03-0{i}T10:00:00.000000+00:00",
                             user="dpo", action="search", criteria_hash=None, tables={},
                             detail={"items": i}, os_user="svc",
                             prev_hash=rows[-1]["hash"] if rows else GENESIS_HASH))
    assert "reference" not in rows[0]  # an event without one is hashed as before
    engine = create_engine(state_url)
    _old.create_all(engine)
    with engine.begin() as conn:
        conn.execute(_old_events.insert(), rows)
        conn.execute(_old.tables["audit_head"].insert().values(
            name="chain", last_id=2, last_hash=rows[-1]["hash"],
            mac=head_mac(k, 2, rows[-1]["hash"])))
    engine.dispose()

    with AuditLog(state_url, KEY) as log:  # adds the column
        assert log.verify().ok
        third = log.record("dpo", Action.SEARCH, reference="DPO-2025-000017")
        assert third.prev_hash == rows[-1]["hash"]
        assert [e.reference for e in log.events()] == [None, None, "DPO-2025-000017"]
        assert log.verify().ok


@pytest.mark.parametrize("reference", [
    "DPO-2025-000017",  # a case number with many digits: not personal data
    "Case 17/2025",  # spaces and a slash (the report's file name makes it safe)
    "Ärende-5",  # non-ASCII letters
    "x" * 64,  # the longest
])
def test_case_numbers_are_accepted(reference: str) -> None:
    assert check_reference(reference) == reference
    assert AuditEvent("dpo", Action.SEARCH, reference=reference).reference == reference


@pytest.mark.parametrize("reference", [
    "aino.jarvinen@example.fi",  # the data subject's e-mail address as the case number
    "aino@example",  # an address without a dot in its domain is still refused
    "",
    " DPO-17",  # surrounding spaces
    "x" * 65,  # longer than the column
    "DPO-17\nforged line",  # a control character
    17,  # not a text
])
def test_a_reference_that_may_carry_personal_data_or_is_malformed_is_refused(
        reference: object) -> None:
    with pytest.raises(UsageError) as raised:
        check_reference(reference)
    assert "aino" not in str(raised.value)  # the message never repeats it
    with pytest.raises(UsageError):
        AuditEvent("dpo", Action.SEARCH, reference=reference)  # type: ignore[arg-type]


def test_audit_list_filters_and_shows_the_reference(tmp_path: Path) -> None:
    settings = tmp_path / "w.yaml"
    settings.write_text("datamap: dm.yaml\ndatabases: {x: sqlite:///x.sqlite}\n",
                        encoding="utf-8")
    with open_audit_log(load_settings(settings)) as log:
        log.record("dpo", Action.LOGIN)
        log.record("dpo", Action.SEARCH, reference="DPO-17")
        log.record("dpo", Action.SEARCH, reference="DPO-18")

    out = io.StringIO()
    assert main(["audit", "list", "-c", str(settings), "--reference", "DPO-17",
                 "--format", "json"], out, io.StringIO()) == 0
    assert [(e["id"], e["reference"]) for e in json.loads(out.getvalue())] == [(2, "DPO-17")]

    out = io.StringIO()
    assert main(["audit", "list", "-c", str(settings)], out, io.StringIO()) == 0
    header, *lines = out.getvalue().splitlines()
    assert header.split()[7] == "reference"  # after "os user action"
    assert [line.split()[5] for line in lines] == ["-", "DPO-17", "DPO-18"]


def test_events_without_references_list_as_before() -> None:
    with AuditLog("sqlite://", KEY) as log:
        log.record("dpo", Action.LOGIN)
        assert "reference" not in format_events(log.events())
