"""Who an audit event names: the declared user passes the personal-data guard (the
security review's finding 4), and the operating-system account is recorded beside it,
also in logs written before it was (SQLite, PostgreSQL and MariaDB)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fixed_install import PHONE, build_fixed_install
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, text

import dpo_workbench as dw
from dpo_workbench.audit import GENESIS_HASH, Action, AuditEvent, AuditLog, format_events
from dpo_workbench.audit.chain import chain_key, head_mac, make_row
from dpo_workbench.audit.events import os_account
from dpo_workbench.audit.tables import head_table
from dpo_workbench.cli import main
from dpo_workbench.errors import UsageError, exit_status

KEY = bytes(range(32))
SUBJECT_EMAIL = "aino.jarvinen@example.fi"
SUBJECT_PHONE = "+358 40 123 4567"


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), out, err)
    return status, out.getvalue(), err.getvalue()


# -- finding 4: personal data as the declared user --------------------------------------


@pytest.mark.parametrize("user", [SUBJECT_EMAIL, SUBJECT_PHONE, "040-123 4567"])
def test_personal_data_as_the_declared_user_is_refused_with_exit_2(tmp_path: Path,
                                                                  user: str) -> None:
    # The review ran a command with --user aino.jarvinen@example.fi: the address went
    # into the append-only log for good.
    config = build_fixed_install(tmp_path / "install")
    with dw.open_workbench(config, user="dpo") as wb:
        before = wb.audit.events()

    status, out, err = _run("search", "--config", str(config), "--user", user,
                            "--phone", PHONE)

    assert (status, out) == (2, "")
    assert "keeps no personal data" in err and "--user" in err
    assert user not in err and "aino" not in err.casefold()  # the value is not repeated
    with dw.open_workbench(config, user="dpo") as wb:
        assert wb.audit.events() == before  # nothing was written


@pytest.mark.parametrize("user", [SUBJECT_EMAIL, SUBJECT_PHONE])
def test_personal_data_as_user_is_refused_before_anything_is_written(tmp_path: Path,
                                                                     user: str) -> None:
    url = f"sqlite:///{tmp_path}/s.sqlite"
    with AuditLog(url, KEY) as log:
        with pytest.raises(UsageError) as info:
            log.record(user, Action.LOGIN)
        assert user not in str(info.value)
        assert exit_status(info.value) == 2
        with pytest.raises(ValueError):  # a UsageError is a ValueError, as before
            AuditEvent(user, Action.LOGIN)
        assert log.events() == [] and log.verify().ok

    config = build_fixed_install(tmp_path / "install")
    with pytest.raises(UsageError):
        dw.open_workbench(config, user=user)


def test_user_names_of_the_workbench_still_pass() -> None:
    for user in ("dpo", "ann.smith", "DPO-2", "(unknown)", "analyst_7"):
        assert AuditEvent(user, Action.LOGIN).user == user


# -- the operating-system account -------------------------------------------------------


@pytest.mark.engines
def test_os_account_is_recorded_beside_the_declared_user(state_url: str, tmp_path: Path) -> None:
    config = tmp_path / "workbench.yaml"
    config.write_text(f"datamap: dm.yaml\ndatabases: {{x: sqlite:///x.sqlite}}\n"
                      f"state: {state_url}\n", encoding="utf-8")
    with dw.audit.open_audit_log(dw.settings.load_settings(config)) as log:
        stored = log.record("dpo", Action.LOGIN, detail={"reason": "user"})
        assert (stored.user, stored.os_user) == ("dpo", os_account())
        assert dict(stored.detail) == {"reason": "user"}  # detail is untouched
        assert log.events() == [stored]

    status, out, _ = _run("audit", "list", "--config", str(config), "--format", "json")
    assert status == 0
    assert [(e["user"], e["os_user"]) for e in json.loads(out)] == [("dpo", os_account())]
    status, out, _ = _run("audit", "list", "--config", str(config))
    assert out.splitlines()[1].split()[2:5] == ["dpo", os_account(), "login"]


_old_metadata = MetaData()
# The events table as versions before os_user created it.
_old_events = Table(
    "audit_events", _old_metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),
    Column("user_name", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("criteria_hash", String(64)),
    Column("tables_json", Text, nullable=False),
    Column("detail_json", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    mysql_engine="InnoDB", mysql_charset="utf8mb4", mysql_collate="utf8mb4_bin",
)
_old_head = head_table.to_metadata(_old_metadata)  # unchanged since


def _write_old_log(url: str, n: int) -> list[dict[str, object]]:
    """A log as an older version wrote it: no os_user column, events hashed without it."""
    k = chain_key(KEY)
    rows: list[dict[str, object]] = []
    for i in range(1, n + 1):
        row = make_row(k, event_id=i, at=f"2025-03-0{i}T10:00:00.000000+00:00", user="dpo",
                       action="login", criteria_hash=None, tables={}, detail={"n": i},
                       prev_hash=str(rows[-1]["hash"]) if rows else GENESIS_HASH)
        del row["os_user"]
        rows.append(row)
    engine = create_engine(url)
    try:
        _old_metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(_old_events.insert(), rows)
            last = str(rows[-1]["hash"])
            conn.execute(_old_head.insert().values(name="chain", last_id=n, last_hash=last,
                                                   mac=head_mac(k, n, last)))
    finally:
        engine.dispose()
    return rows


@pytest.mark.engines
def test_old_log_without_os_user_verifies_and_is_appended_to(state_url: str) -> None:
    old = _write_old_log(state_url, 2)

    with AuditLog(state_url, KEY) as log:  # adds the column
        assert log.verify().ok
        events = log.events()
        assert [(e.id, e.os_user) for e in events] == [(1, None), (2, None)]
        third = log.record("dpo", Action.LOGOUT)
        assert (third.prev_hash, third.os_user) == (old[-1]["hash"], os_account())
        report = log.verify()
        assert (report.ok, report.checked) == (True, 3)
        lines = format_events(log.events()).splitlines()
    assert [line.split()[3] for line in lines[1:]] == ["-", "-", os_account()]

    # Opening it again (another process) finds the column there.
    with AuditLog(state_url, KEY) as again:
        assert again.verify().ok
    # Old events stay covered: giving one an os_user afterwards is an edit.
    engine = create_engine(state_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET os_user = 'root' WHERE id = 1"))
    engine.dispose()
    with AuditLog(state_url, KEY) as log:
        assert log.verify().problems == [
            "event 1: its content does not match its hash: it was edited."]


@pytest.mark.engines
def test_user_names_in_the_audit_log_compare_exactly_on_every_engine(state_url: str) -> None:
    # MariaDB's default collation would find "DPO" when asked for "dpo"; the audit
    # tables are created with a binary collation there.
    with AuditLog(state_url, KEY) as log:
        log.record("dpo", Action.LOGIN)
        log.record("DPO", Action.LOGIN)
        log.record("dpö", Action.LOGIN)
        assert [e.user for e in log.events(user="dpo")] == ["dpo"]
        assert [e.user for e in log.events(user="DPO")] == ["DPO"]
