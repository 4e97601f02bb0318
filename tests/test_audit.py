"""The audit log: append/list/verify, tampering detected, serialised appends, no
personal data stored, and the ``audit`` command. The state database is SQLite,
PostgreSQL and MariaDB in turn."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import dbservers
import pytest
from sqlalchemy import URL, create_engine, text

from dpo_workbench.audit import (
    GENESIS_HASH,
    Action,
    AuditEvent,
    AuditLog,
    StoredEvent,
    audit_key_path,
    format_events,
    load_or_create_key,
    open_audit_log,
    personal_data_reason,
)
from dpo_workbench.audit.chain import chain_key
from dpo_workbench.audit.events import os_account
from dpo_workbench.audit.headfile import read_head_file
from dpo_workbench.cli import audit as audit_cli
from dpo_workbench.criteria import Criteria
from dpo_workbench.errors import ConfigError
from dpo_workbench.settings import load_settings

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
ENGINES = ("sqlite", "postgresql", "mariadb")

# The data subject of these tests; none of it may reach the state database.
EMAIL = "Aino.Virtanen@Example.fi"
PHONE = "+358 40 765 4321"
FIRST, LAST = "Aino", "Virtanen"


def _url_text(url: str | URL) -> str:
    return url if isinstance(url, str) else url.render_as_string(hide_password=False)


@pytest.fixture(params=ENGINES)
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty state database on each engine."""
    kind = request.param
    if kind == "sqlite":
        # A folder that does not exist yet: the log creates it.
        yield f"sqlite:///{tmp_path}/state/workbench.sqlite"
        return
    reason = dbservers.server_available(kind)
    if reason:
        pytest.skip(reason)
    fresh = dbservers.pg_database if kind == "postgresql" else dbservers.mariadb_database
    with fresh() as url:
        yield _url_text(url)


@pytest.fixture
def log(state_url: str) -> Iterator[AuditLog]:
    with AuditLog(state_url, KEY) as opened:
        yield opened


def _sql(url: str, statement: str, **params: Any) -> None:
    """Tamper with the state database behind the workbench's back."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), params)
    finally:
        engine.dispose()


def _raw_rows(url: str) -> list[tuple[Any, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for table in ("audit_events", "audit_head")
                    for r in conn.execute(text(f"SELECT * FROM {table}"))]
    finally:
        engine.dispose()


def _three_events(log: AuditLog) -> list[StoredEvent]:
    criteria = Criteria.parse(email=EMAIL, phone=PHONE)
    return [
        log.record("dpo", Action.LOGIN),
        log.record("dpo", Action.SEARCH, criteria=criteria,
                   tables={"operative.contacts": 4, "outbound.customers": 1},
                   detail={"items": 5, "seconds": 0.25, "too_many": False, "note": None}),
        log.record("analyst", Action.REPORT_CREATED, criteria=criteria,
                   tables={"operative.contacts": 4}, detail={"format": "csv"}),
    ]


# -- append, list, verify ---------------------------------------------------------------


@pytest.mark.engines
def test_append_list_verify_roundtrip(log: AuditLog, state_url: str) -> None:
    stored = _three_events(log)

    assert [e.id for e in stored] == [1, 2, 3]
    assert stored[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in stored[1:]] == [e.hash for e in stored[:-1]]
    listed = log.events()
    assert listed == stored  # every field survives the database, times to the microsecond
    assert {e.os_user for e in listed} == {os_account()}  # who really ran the process
    second = listed[1]
    assert second.action is Action.SEARCH
    assert dict(second.tables) == {"operative.contacts": 4, "outbound.customers": 1}
    assert second.rows == 5
    assert dict(second.detail) == {"items": 5, "seconds": 0.25, "too_many": False, "note": None}
    assert second.at.tzinfo is not None and second.at.utcoffset() == timedelta(0)
    assert second.criteria_hash == log.criteria_hash(Criteria.parse(email=EMAIL, phone=PHONE))

    report = log.verify()
    assert (report.ok, report.checked, report.problems) == (True, 3, [])
    assert (report.last_id, report.last_hash) == (3, stored[-1].hash)

    # The log persists: another process opening it sees the same intact chain.
    with AuditLog(state_url, KEY) as again:
        assert again.events() == stored
        assert again.verify().ok


@pytest.mark.engines
def test_events_filters(log: AuditLog) -> None:
    _three_events(log)

    assert [e.id for e in log.events(user="dpo")] == [1, 2]
    assert [e.id for e in log.events(action=Action.REPORT_CREATED)] == [3]
    assert [e.id for e in log.events(action="search", user="dpo")] == [2]
    assert log.events(user="DPO") == []  # user names compare exactly on every engine
    assert [e.id for e in log.events(limit=2)] == [2, 3]  # the newest, oldest first
    assert [e.id for e in log.events(since=date.today() - timedelta(days=1))] == [1, 2, 3]
    assert log.events(since=datetime.now(UTC) + timedelta(hours=1)) == []
    with pytest.raises(ValueError):
        log.events(action="dance")


def test_format_events_one_line_per_event(tmp_path: Path) -> None:
    with AuditLog(f"sqlite:///{tmp_path}/s.sqlite", KEY) as log:
        events = _three_events(log)
    lines = format_events(events).splitlines()

    assert len(lines) == 4  # header + 3 events
    # "os user": the operating-system account that wrote the event, beside the declared user.
    assert lines[0].split() == ["id", "time", "(UTC)", "user", "os", "user", "action", "rows",
                                "tables", "hash"]
    assert lines[2].split()[0] == "2"
    assert lines[2].split()[2:4] == ["dpo", os_account()]
    assert "dpo" in lines[2] and "search" in lines[2]
    assert "operative.contacts=4, outbound.customers=1" in lines[2]
    assert lines[2].endswith(events[1].hash[:12])
    assert format_events([]) == "No audit events."


# -- tampering --------------------------------------------------------------------------


@pytest.mark.engines
@pytest.mark.parametrize("column, value", [
    ("tables_json", '{"operative.contacts":1}'),  # fewer rows claimed
    ("user_name", "someone_else"),  # blame another user
    ("action", "login"),  # hide what was done
    ("detail_json", '{"format":"json"}'),
    ("at", "2020-01-01T00:00:00.000000+00:00"),  # backdated
    ("os_user", "someone_else"),  # blame another operating-system account
    ("os_user", None),  # pass a new event off as one written before os_user was recorded
])
def test_edited_event_is_reported(log: AuditLog, state_url: str, column: str,
                                  value: str | None) -> None:
    _three_events(log)
    _sql(state_url, f"UPDATE audit_events SET {column} = :v WHERE id = 3", v=value)

    report = log.verify()

    assert not report.ok
    assert report.problems == ["event 3: its content does not match its hash: it was edited."]


@pytest.mark.engines
def test_edit_with_recomputed_unkeyed_hash_is_reported(log: AuditLog, state_url: str) -> None:
    _three_events(log)
    # Without the key, the best a forger can do is a plain SHA-256.
    forged = hashlib.sha256(b"forged").hexdigest()
    _sql(state_url, "UPDATE audit_events SET tables_json = '{}', hash = :h WHERE id = 2",
         h=forged)

    problems = log.verify().problems

    assert "event 2: its content does not match its hash: it was edited." in problems
    assert any(p.startswith("event 3: its prev_hash is not the hash of event 2") for p in problems)


@pytest.mark.engines
def test_deleted_middle_event_is_reported(log: AuditLog, state_url: str) -> None:
    _three_events(log)
    _sql(state_url, "DELETE FROM audit_events WHERE id = 2")

    report = log.verify()

    assert report.problems == ["Event 2 is missing: deleted from the log."]
    assert report.checked == 2


@pytest.mark.engines
def test_deleted_last_event_is_reported_now_and_after_the_next_append(
        log: AuditLog, state_url: str) -> None:
    events = _three_events(log)
    _sql(state_url, "DELETE FROM audit_events WHERE id = 3")

    # The head record still names event 3.
    assert log.verify().problems == ["Event 3 is missing: the end of the log was deleted."]

    # The next append chains on the head, so the gap stays in the chain for good.
    fourth = log.record("dpo", Action.LOGOUT)
    assert (fourth.id, fourth.prev_hash) == (4, events[2].hash)
    assert log.verify().problems == ["Event 3 is missing: deleted from the log."]


@pytest.mark.engines
def test_tail_and_head_deleted_is_reported_until_the_next_append(
        log: AuditLog, state_url: str) -> None:
    # The documented limit: without the head, the next append re-anchors on event 2.
    _three_events(log)
    _sql(state_url, "DELETE FROM audit_events WHERE id = 3")
    _sql(state_url, "DELETE FROM audit_head")

    problems = log.verify().problems
    assert len(problems) == 1 and problems[0].startswith("the head record")

    log.record("dpo", Action.LOGOUT)
    assert log.verify().ok


@pytest.mark.engines
def test_edited_head_is_reported(log: AuditLog, state_url: str) -> None:
    _three_events(log)
    # Hiding the deletion of event 3 by moving the head back does not work without the key.
    _sql(state_url, "DELETE FROM audit_events WHERE id = 3")
    _sql(state_url, "UPDATE audit_head SET last_id = 2, last_hash = "
                    "(SELECT hash FROM (SELECT hash FROM audit_events WHERE id = 2) AS h)")

    problems = log.verify().problems

    assert len(problems) == 1 and "head record" in problems[0] and "edited" in problems[0]


@pytest.mark.engines
def test_another_key_cannot_verify(log: AuditLog, state_url: str) -> None:
    # Why the key file must be backed up with the database.
    _three_events(log)
    with AuditLog(state_url, OTHER_KEY) as wrong:
        problems = wrong.verify().problems
    assert [p.split(":")[0] for p in problems[:3]] == ["event 1", "event 2", "event 3"]
    assert "head record" in problems[-1]


def test_log_has_no_update_or_delete_methods() -> None:
    public = {name for name in dir(AuditLog) if not name.startswith("_")}
    # head() reads where the chain ends (for receipts); flush() waits for the head file
    # to catch up with this log's appends: neither changes an event.
    assert public == {"append", "close", "criteria_hash", "events", "flush", "head", "key",
                      "record", "verify"}


# -- concurrency ------------------------------------------------------------------------


def _append_many(url: str, who: str, n: int, start: Any, head_file: Path | None = None) -> None:
    start.wait()  # every appender starts at the same moment
    with AuditLog(url, KEY, head_file) as log:
        for i in range(n):
            log.record(who, Action.DETAILS_VIEWED, tables={"operative.contacts": i})


def _check_single_chain(log: AuditLog, expected: int) -> None:
    report = log.verify()
    assert report.problems == []
    assert report.checked == expected
    events = log.events()
    assert [e.id for e in events] == list(range(1, expected + 1))
    assert len({e.prev_hash for e in events}) == expected  # no two events chain on one


@pytest.mark.engines
@pytest.mark.slow
def test_concurrent_processes_keep_a_single_chain(state_url: str, tmp_path: Path) -> None:
    head_file = tmp_path / "audit.key.head"
    with AuditLog(state_url, KEY, head_file):
        pass  # create the tables and the head file once, so the race is about appends
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_append_many, args=(state_url, f"user{i}", 15, start, head_file))
             for i in range(4)]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]

    with AuditLog(state_url, KEY, head_file) as log:
        _check_single_chain(log, 60)
        assert {e.user for e in log.events()} == {"user0", "user1", "user2", "user3"}
        # Four processes advanced the head file in whatever order their updates came:
        # it never moved backwards, so it is on the last event.
        assert tuple(log.head()) == (60, log.events(limit=1)[0].hash)
        head = read_head_file(head_file, chain_key(KEY))
        assert head is not None and (head.last_id, head.last_hash) == tuple(log.head())


@pytest.mark.engines
def test_concurrent_threads_keep_a_single_chain(state_url: str) -> None:
    # Some threads share one log (its connection pool), others open their own.
    start = threading.Barrier(6)
    shared = AuditLog(state_url, KEY)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            start.wait()
            if i % 2:
                for _ in range(10):
                    shared.record(f"t{i}", Action.SEARCH)
            else:
                _append_many(state_url, f"t{i}", 10, threading.Barrier(1))
        except BaseException as exc:  # reported below, in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    try:
        assert errors == []
        _check_single_chain(shared, 60)
    finally:
        shared.close()


# -- no personal data -------------------------------------------------------------------


@pytest.mark.engines
def test_no_personal_data_in_any_stored_column(log: AuditLog, state_url: str) -> None:
    criteria = Criteria.parse(email=EMAIL, phone=PHONE, first_name=FIRST, last_name=LAST)
    log.record("dpo", Action.SEARCH, criteria=criteria, tables={"directory.entries": 1})
    log.record("dpo", Action.ERASURE_EXECUTED, criteria=criteria,
               tables={"directory.entries": 1}, detail={"plan": "3f2a9c1b7e4d5a6b8c9d0e1f2233"})

    stored = " ".join(str(v) for row in _raw_rows(state_url) for v in row).casefold()

    for raw in (EMAIL, "example.fi", PHONE, criteria.phone, criteria.phone_tail, FIRST, LAST):
        assert raw.casefold() not in stored


def test_criteria_hash_is_keyed_and_stable(tmp_path: Path) -> None:
    criteria = Criteria.parse(email=EMAIL, phone=PHONE)
    same = Criteria.parse(email=EMAIL.upper(), phone="040-765 4321")  # same person, other spelling
    other = Criteria.parse(email="someone@example.fi")
    with AuditLog(f"sqlite:///{tmp_path}/a.sqlite", KEY) as a, \
            AuditLog(f"sqlite:///{tmp_path}/b.sqlite", OTHER_KEY) as b:
        assert a.criteria_hash(criteria) == a.criteria_hash(same)
        assert a.criteria_hash(criteria) != a.criteria_hash(other)
        assert a.criteria_hash(criteria) != b.criteria_hash(criteria)
    # Without the key the hash cannot be recomputed from a guessed phone suffix.
    fingerprint = criteria.fingerprint(KEY)
    for guess in (criteria.phone_tail, criteria.phone, EMAIL.casefold()):
        assert hashlib.sha256(guess.encode()).hexdigest() != fingerprint


@pytest.mark.parametrize("value", [
    "aino.virtanen@example.fi",  # e-mail address
    "mail to <AINO@EXAMPLE.FI> sent",  # inside other text, any case
    "+358 40 765 4321",  # international phone with spaces
    "040-765 4321",  # national, hyphen and space
    "(040) 765.43.21",  # parentheses and dots
    "4076543",  # bare digits
    "ticket 1234567",  # a long number inside text
])
def test_detail_guard_refuses_personal_data(value: str) -> None:
    with pytest.raises(ValueError) as info:
        AuditEvent("dpo", Action.FILE_DOWNLOADED, detail={"note": value})
    assert value not in str(info.value)  # the refusal does not repeat the value
    assert "'note'" in str(info.value)


@pytest.mark.parametrize("value", [
    "csv",  # a format
    "recording",  # a file kind
    "3f2a9c1b7e4d5a6b8c9d0e1f22334455",  # a hex plan token
    "123e4567-e89b-12d3-a456-426614174000",  # a UUID
    "2025-03-01T10:00:00.123456+00:00",  # an ISO time stamp
    "completed in 3 of 5 databases",  # small numbers
])
def test_detail_guard_allows_facts(value: str) -> None:
    assert personal_data_reason(value) is None
    AuditEvent("dpo", Action.ERASURE_EXECUTED, detail={"note": value})


@pytest.mark.parametrize("kwargs", [
    {"criteria_hash": EMAIL},  # raw criteria instead of the fingerprint
    {"detail": {"when": datetime.now(UTC)}},  # not a scalar
    {"detail": {"ratio": float("nan")}},  # not canonical JSON
    {"detail": {"bad key!": 1}},
    {"tables": {"operative.contacts": -1}},
    {"tables": {"operative.contacts": True}},
    {"user": " dpo"},
    {"user": ""},
    {"action": "dance"},
])
def test_event_fields_are_checked(kwargs: dict[str, Any]) -> None:
    fields: dict[str, Any] = {"user": "dpo", "action": Action.SEARCH, **kwargs}
    with pytest.raises(ValueError):
        AuditEvent(**fields)


def test_build_hashes_criteria_and_needs_the_key() -> None:
    criteria = Criteria.parse(phone=PHONE)
    event = AuditEvent.build("dpo", "search", criteria=criteria, key=KEY)
    assert event.criteria_hash == criteria.fingerprint(KEY)
    assert event.action is Action.SEARCH
    with pytest.raises(ValueError):
        AuditEvent.build("dpo", "search", criteria=criteria)


# -- the key file -----------------------------------------------------------------------


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "secret" / "audit.key"

    key = load_or_create_key(path)

    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_or_create_key(path) == key
    assert load_or_create_key(tmp_path / "another.key") != key
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


def test_damaged_key_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "audit.key"
    path.write_text("not a key\n")
    path.chmod(0o600)  # owner-only, so that the content is what is refused
    with pytest.raises(ConfigError, match="audit.key.*Restore it from the backup"):
        load_or_create_key(path)


def _settings_file(folder: Path, state: str, extra: str = "") -> Path:
    path = folder / "workbench.yaml"
    path.write_text(f"datamap: dm.yaml\ndatabases: {{x: sqlite:///x.sqlite}}\n"
                    f"state: {state}\n{extra}", encoding="utf-8")
    return path


def test_key_file_location_from_settings(tmp_path: Path) -> None:
    default = load_settings(_settings_file(tmp_path, "sqlite:///state/s.sqlite"))
    assert audit_key_path(default) == tmp_path.resolve() / "state" / "audit.key"

    moved = load_settings(_settings_file(tmp_path, "sqlite:///state/s.sqlite",
                                         "audit: {key_file: ../keys/audit.key}\n"))
    assert audit_key_path(moved) == (tmp_path.parent / "keys" / "audit.key").resolve()

    with pytest.raises(ConfigError, match="audit: unknown key 'keyfile'"):
        load_settings(_settings_file(tmp_path, "sqlite:///state/s.sqlite",
                                     "audit: {keyfile: k}\n"))


# -- the command ------------------------------------------------------------------------


def _run(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="dpo-workbench")
    audit_cli.register(parser.add_subparsers(dest="command", required=True))
    out, err = io.StringIO(), io.StringIO()
    status = audit_cli.run(parser.parse_args(list(argv)), out, err)
    return status, out.getvalue(), err.getvalue()


@pytest.mark.engines
def test_cli_verify_and_list(tmp_path: Path, state_url: str) -> None:
    config = str(_settings_file(tmp_path, state_url))
    with open_audit_log(load_settings(config)) as log:
        last = _three_events(log)[-1]

    assert _run("audit", "verify", "--config", config) == (
        0, f"Audit log intact: 3 events checked; last event 3, hash {last.hash[:12]}.\n", "")

    status, out, _ = _run("audit", "list", "--config", config)
    assert status == 0 and len(out.splitlines()) == 4
    status, out, _ = _run("audit", "list", "-c", config, "--action", "search", "--format", "json")
    assert status == 0
    assert [(e["id"], e["action"], e["tables"], e["user"], e["os_user"])
            for e in json.loads(out)] == [
        (2, "search", {"operative.contacts": 4, "outbound.customers": 1}, "dpo", os_account())]
    status, out, _ = _run("audit", "list", "-c", config, "--user", "dpo", "--limit", "1")
    assert [line.split()[0] for line in out.splitlines()] == ["id", "2"]

    _sql(state_url, "UPDATE audit_events SET tables_json = '{}' WHERE id = 2")
    status, out, err = _run("audit", "verify", "--config", config)
    assert status == 4
    assert out.splitlines() == [
        "Audit log TAMPERED: 1 problem in 3 events checked:",
        "  - event 2: its content does not match its hash: it was edited.",
    ]

    # Neither the datamap nor the installation's databases were needed.
    assert not (tmp_path / "dm.yaml").exists() and not (tmp_path / "x.sqlite").exists()


def test_cli_missing_settings_file_is_exit_3(tmp_path: Path) -> None:
    status, out, err = _run("audit", "verify", "--config", str(tmp_path / "nope.yaml"))
    assert (status, out) == (3, "")
    assert "does not exist" in err


def test_cli_rejects_a_bad_limit(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        _run("audit", "list", "--config", "w.yaml", "--limit", "0")
