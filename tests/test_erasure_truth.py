"""An erasure receipt is true: each test is named for a way a receipt was found to lie.

They run on the small fixed installation (tests/fixed_install.py: Eeva Mäkelä's
rows in every group, a recording, an attachment and a photo) with real SQLite
files and real file stores. Crashes at every named point, on three engines, are
in tests/test_erasure_faults.py.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
from fixed_install import ATTACHMENT, EMAIL, PHONE, PHOTO, RECORDING, build_fixed_install

import dpo_workbench as dw
from dpo_workbench.cli import main
from dpo_workbench.erasure import execute
from dpo_workbench.erasure.journal import APPLYING, EXECUTED, FINISHED
from dpo_workbench.erasure.verify import summarize
from dpo_workbench.errors import (
    EXIT_CHECK_FAILED,
    ActionRefused,
    ConfirmationError,
    JournalTampered,
    PlanChanged,
)
from dpo_workbench.selection import Selection


@pytest.fixture
def install(tmp_path: Path) -> Path:
    return build_fixed_install(tmp_path / "install")


def _sql(install: Path, database: str, *statements: str) -> list[tuple]:
    con = sqlite3.connect(install.parent / f"{database}.sqlite")
    try:
        rows: list[tuple] = []
        for stmt in statements:
            rows = con.execute(stmt).fetchall()
        con.commit()
        return rows
    finally:
        con.close()


def _plan(wb: dw.Workbench):
    result = wb.search(phone=PHONE, email=EMAIL)
    return wb.plan_erasure(Selection.all(result), criteria=result.criteria)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- plan and execution see the same world ---------------------------------------------


def test_a_plan_confirmed_after_new_data_arrived_is_refused_with_the_new_plan(install):
    with dw.open_workbench(install) as wb:
        plan = _plan(wb)
        # After the plan: a new call of the person, a transcript message on a planned
        # contact and a note on another one.
        _sql(install, "operative",
             "INSERT INTO contact_events (id, channel, direction, started_at, remote_number) "
             f"VALUES (104, 'call', 'in', '2025-04-01 10:00:00.000000', '{PHONE}')",
             "INSERT INTO transcript_messages (id, contact_id, seq, sender, message) "
             f"VALUES (901, 102, 1, 'customer', 'write to {EMAIL}')",
             "INSERT INTO contact_notes (id, contact_id, note_text) "
             "VALUES (902, 101, 'called back about the invoice')")
        with pytest.raises(PlanChanged) as info:
            wb.erase(plan, plan.token)
        fresh = info.value.plan
        assert fresh.token != plan.token
        assert dw.RowRef("operative", "contact_events", 104) in fresh.items
        receipt = wb.erase(fresh, fresh.token)
        assert receipt["verified"], receipt["problems"]
        assert wb.search(phone=PHONE, email=EMAIL).total == 0
    assert _sql(install, "operative", "SELECT id FROM transcript_messages WHERE id = 901") == []
    assert _sql(install, "operative",
                "SELECT note_text FROM contact_notes WHERE id = 902") == [("{Anonymized by DPO}",)]
    actions = [e.action for e in dw.open_workbench(install).audit.events()]
    assert "erasure_refused" in actions


def test_a_child_row_added_after_the_plan_goes_with_its_parent(install):
    """Execution changes every child of a planned parent, not only the planned children."""
    with dw.open_workbench(install) as wb:
        plan = _plan(wb)
        run_id = wb.journal.start(plan, "test", None)  # recorded as confirmed
        _sql(install, "operative",
             "INSERT INTO transcript_messages (id, contact_id, seq, sender, message) "
             "VALUES (903, 102, 2, 'customer', 'late message')")
        receipt = wb.resume_erasure(run_id)
        assert receipt["verified"], receipt["problems"]
    assert _sql(install, "operative", "SELECT id FROM transcript_messages WHERE id = 903") == []


def test_the_dashboard_asks_again_when_the_data_changed_after_the_plan(install):
    from dpo_workbench.ui.model import DashboardState

    state = DashboardState(install)
    state._wb = dw.open_workbench(install, user="dpo")  # logged on (log-on is tested apart)
    state.user = "dpo"
    state._last_activity = state.clock()
    state.auth.has_right = lambda user: True  # type: ignore[method-assign]
    state.search(phone=PHONE, email=EMAIL)
    state.prepare_erasure()
    first = state.plan
    _sql(install, "operative",
         "INSERT INTO contact_events (id, channel, direction, started_at, remote_number) "
         f"VALUES (105, 'call', 'in', '2025-04-02 10:00:00.000000', '{PHONE}')")
    with pytest.raises(ActionRefused, match="changed since the plan"):
        state.erase(first.token)
    assert state.plan is not None and state.plan.token != first.token
    assert "105" not in state.plan_text and state.view == "erase"
    receipt = state.erase(state.plan.token)
    assert receipt["verified"] and state.result.total == 0
    state.close()


def test_a_no_op_update_keeps_the_token(install):
    with dw.open_workbench(install) as wb:
        token = _plan(wb).token
        _sql(install, "operative", "UPDATE contact_events SET subject = subject")
        assert _plan(wb).token == token


# -- the journal is evidence, not an instruction -----------------------------------------


def test_a_tampered_journal_plan_is_refused_on_resume(install, capsys):
    with dw.open_workbench(install) as wb:
        plan = _plan(wb)
        run_id = wb.journal.start(plan, "test", None)
        with wb.state_engine.begin() as conn:
            raw = conn.exec_driver_sql("SELECT plan_json FROM erasure_runs").scalar()
            conn.exec_driver_sql("UPDATE erasure_runs SET plan_json = ?",
                                 (raw.replace("[11]", "[11, 12]"),))
        with pytest.raises(JournalTampered):
            wb.resume_erasure(run_id)
    assert main(["erase", "-c", str(install), "--resume", run_id]) == EXIT_CHECK_FAILED
    assert "does not match its seal" in capsys.readouterr().err
    assert main(["erase", "-c", str(install), "--status"]) == 0
    assert "does not match its seal" in capsys.readouterr().out
    # Nothing was erased.
    assert _sql(install, "directory", "SELECT count(*) FROM directory_entries") == [(1,)]


def test_the_state_database_is_readable_by_its_owner_only(install):
    with dw.open_workbench(install) as wb:
        wb.journal.stories()
    state = install.parent / "state" / "workbench.sqlite"
    assert state.stat().st_mode & 0o077 == 0, oct(state.stat().st_mode)


def test_a_key_reused_by_another_person_is_left_alone_on_resume(install):
    with dw.open_workbench(install) as wb:
        plan = _plan(wb)
        run_id = wb.journal.start(plan, "test", None)
        # As if the directory's transaction committed and the process died before the
        # journal said so; then SQLite gave the freed id to somebody else.
        wb.journal.set_step(run_id, "directory", APPLYING)
        _sql(install, "directory", "DELETE FROM directory_entries WHERE id = 11",
             "INSERT INTO directory_entries (id, first_name, last_name, phone_mobile) "
             "VALUES (11, 'Ville', 'Toinen', '+358 44 000 1111')")
        receipt = wb.resume_erasure(run_id, criteria=wb.criteria(phone=PHONE, email=EMAIL))
    assert _sql(install, "directory",
                "SELECT first_name FROM directory_entries WHERE id = 11") == [("Ville",)]
    assert receipt["rows"]["directory"]["directory_entries"] == {"left_alone_changed": 1}
    assert any("key was reused" in n for n in receipt["notes"])
    # The person's photo is named by the row whose key now holds Ville: it is not
    # touched (it could be his), and the receipt says it is still there.
    assert (install.parent / "files" / "photos" / PHOTO).exists()
    assert receipt["files"]["not_removed"] == [{
        "owner": "directory.directory_entries#11 photo_file", "status": "skipped",
        "why": "its row now holds other data"}]
    assert not receipt["verified"]


# -- files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["2025", ".", "fifo", "a\0b"],
                         ids=["a folder", "the store itself", "a FIFO", "NUL"])
def test_a_hostile_stored_path_never_stops_the_erasure(install, tmp_path, path):
    store = install.parent / "files" / "recordings"
    if path == "fifo":
        os.mkfifo(store / "fifo")
    canary = tmp_path / "canary.txt"
    canary.write_text("not the person's data")
    before = _sha(canary)
    con = sqlite3.connect(install.parent / "operative.sqlite")
    con.execute("UPDATE contact_events SET recording_file = ? WHERE id = 101", (path,))
    con.commit()
    con.close()
    with dw.open_workbench(install) as wb:
        plan = _plan(wb)
        receipt = wb.erase(plan, plan.token)
        # A report of the same data would not crash either.
        report = wb.report(Selection.of({}), out=tmp_path / "r.zip")
    assert report.total == 0
    assert not receipt["verified"]
    [refused] = receipt["files"]["not_removed"]
    assert refused["owner"] == "operative.contact_events#101 recording_file"
    assert refused["status"] == "refused"
    if len(path) > 2:  # the path itself never reaches the receipt
        assert path not in str(receipt)
    # The other databases and files were erased all the same.
    assert _sql(install, "directory", "SELECT count(*) FROM directory_entries") == [(0,)]
    assert not (install.parent / "files" / "photos" / PHOTO).exists()
    assert _sha(canary) == before and store.exists()


def test_a_hard_link_or_symlink_in_a_store_never_touches_another_file(install, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("somebody else's letter")
    before = _sha(outside)
    photos = install.parent / "files" / "photos"
    (photos / PHOTO).unlink()
    os.link(outside, photos / PHOTO)  # the person's photo is a hard link to outside data
    recordings = install.parent / "files" / "recordings"
    other = recordings / "other-person.wav"
    other.write_bytes(b"RIFF another person's call")
    (recordings / RECORDING).unlink()
    (recordings / RECORDING).symlink_to(other)
    with dw.open_workbench(install) as wb:
        result = wb.search(phone=PHONE, email=EMAIL)
        report = wb.report(Selection.all(result), criteria=result.criteria,
                           out=tmp_path / "r.zip")
        plan = wb.plan_erasure(Selection.all(result), criteria=result.criteria)
        receipt = wb.erase(plan, plan.token)
    assert b"somebody else" not in (tmp_path / "r.zip").read_bytes()
    assert b"another person" not in (tmp_path / "r.zip").read_bytes()
    assert report.total > 0
    assert _sha(outside) == before  # never overwritten through the link
    assert other.read_bytes() == b"RIFF another person's call"
    statuses = {f["owner"]: f["status"] for f in receipt["files"]["not_removed"]}
    assert statuses == {"directory.directory_entries#11 photo_file": "unlinked_shared",
                        "operative.contact_events#101 recording_file": "refused"}
    assert not (photos / PHOTO).exists()
    assert not receipt["verified"]


def test_verification_checks_the_files_by_their_planned_paths(install, monkeypatch):
    """A file erasure says it removed but that is still there makes the receipt false."""
    monkeypatch.setattr(execute, "remove_stored", lambda root, rel: ("removed", ""))
    with dw.open_workbench(install) as wb:
        plan = _plan(wb)
        receipt = wb.erase(plan, plan.token)
        assert not receipt["verified"]
        assert any("still exist in their stores" in p for p in receipt["problems"])
        run = wb.journal.load(receipt["run_id"])
        assert run.status == EXECUTED  # open until the files are gone
        monkeypatch.undo()
        for store, rel in (("recordings", RECORDING), ("attachments", ATTACHMENT),
                           ("photos", PHOTO)):
            (install.parent / "files" / store / rel).unlink()
        again = wb.resume_erasure(receipt["run_id"])
        assert again["verified"], again["problems"]
        assert wb.journal.load(receipt["run_id"]).status == FINISHED


# -- runs, tokens, bounded waits ------------------------------------------------------------


def test_one_token_cannot_execute_twice(install):
    with dw.open_workbench(install) as wb:
        plan = _plan(wb)
        wb.journal.start(plan, "test", None)
        with pytest.raises(ConfirmationError, match="executed already"):
            wb.journal.start(plan, "test", None)


def test_a_fresh_erase_while_a_run_is_unfinished_points_to_the_resume(install, capsys):
    with dw.open_workbench(install) as wb:
        plan = _plan(wb)
        run_id = wb.journal.start(plan, "test", None)
        other = wb.plan_erasure(Selection.all(wb.search(phone=PHONE)),
                                criteria=wb.criteria(phone=PHONE))
        with pytest.raises(ActionRefused, match=f"--resume {run_id}"):
            wb.erase(other, other.token)
    assert _sql(install, "directory", "SELECT count(*) FROM directory_entries") == [(1,)]


def test_invalid_utf8_in_a_sqlite_text_column_never_blocks_a_person(install, tmp_path):
    _sql(install, "operative",
         "UPDATE contact_events SET subject = CAST(X'4d79c3a4ff6b656c' AS TEXT) WHERE id = 101")
    with dw.open_workbench(install) as wb:
        result = wb.search(phone=PHONE, email=EMAIL)
        assert result.counts()["contacts"] == 2
        wb.report(Selection.all(result), criteria=result.criteria, out=tmp_path / "r.json")
        plan = wb.plan_erasure(Selection.all(result), criteria=result.criteria)
        assert wb.erase(plan, plan.token)["verified"]


def test_an_open_sqlite_reader_keeps_the_receipt_unverified_until_resumed(install):
    with open(install, "a", encoding="utf-8") as f:
        f.write("erasure: {checkpoint_seconds: 0.2}\n")
    db = install.parent / "operative.sqlite"
    _sql(install, "operative", "PRAGMA journal_mode = WAL")
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM contact_events").fetchall()  # holds a snapshot
    with dw.open_workbench(install) as wb:
        plan = _plan(wb)
        receipt = wb.erase(plan, plan.token)
        assert not receipt["verified"]
        assert any("write-ahead log" in p for p in receipt["problems"])
        reader.execute("COMMIT")
        reader.close()
        again = wb.resume_erasure(receipt["run_id"])
        assert again["verified"], again["problems"]
    for path in install.parent.glob("operative.sqlite*"):
        assert EMAIL.encode() not in path.read_bytes(), path.name
        assert b"765 4321" not in path.read_bytes(), path.name


def test_a_rollback_journal_never_keeps_erased_values(install):
    """The demo's SQLite files use rollback journals: none is left, none holds data."""
    db = install.parent / "operative.sqlite"
    assert _sql(install, "operative", "PRAGMA journal_mode") == [("delete",)]
    with dw.open_workbench(install) as wb:
        plan = _plan(wb)
        assert wb.erase(plan, plan.token)["verified"]
    assert not Path(f"{db}-journal").exists()
    assert _sql(install, "operative", "PRAGMA journal_mode") == [("delete",)]
    assert EMAIL.encode() not in db.read_bytes()


@pytest.mark.parametrize("lock", ["sqlite"])
def test_a_locked_database_fails_fast_and_says_resume_later(install, lock):
    with open(install, "a", encoding="utf-8") as f:
        f.write("erasure: {lock_timeout_seconds: 0.5}\n")
    blocker = sqlite3.connect(install.parent / "directory.sqlite", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer: readers go on, writers wait
    with dw.open_workbench(install) as wb:
        plan = _plan(wb)
        with pytest.raises(dw.ErasureIncomplete) as info:
            wb.erase(plan, plan.token)
        assert "directory: failed (locked by another session (waited 0.5 s)" in str(info.value)
        assert "resume later" in str(info.value)
        blocker.execute("ROLLBACK")
        blocker.close()
        assert wb.resume_erasure(info.value.run.run_id)["verified"]


def test_status_and_resume_work_while_an_unrelated_database_is_down(install, capsys):
    with dw.open_workbench(install) as wb:
        plan = wb.plan_erasure(Selection.all(wb.search(phone=PHONE)).unselect_group(
            "contacts").unselect_group("consents").unselect_group("campaign_customers"))
        run_id = wb.journal.start(plan, "test", None)
        assert plan.databases == ("directory",)
    (install.parent / "outbound.sqlite").rename(install.parent / "outbound.moved")
    assert main(["erase", "-c", str(install), "--status"]) == 0
    assert run_id in capsys.readouterr().out
    assert main(["erase", "-c", str(install), "--resume", run_id]) == 0
    assert "verified" in capsys.readouterr().out


def test_every_receipt_pins_the_audit_log(install):
    """The receipt carries the audit chain's head, so a wipe of the log is provable."""
    with dw.open_workbench(install) as wb:
        plan = _plan(wb)
        receipt = wb.erase(plan, plan.token)
        head = receipt["audit_head"]
        stored = {e.id: e.hash for e in wb.audit.events()}
    assert stored[head["id"]] == head["hash"]
    assert f"audit log head: event {head['id']}" in summarize(receipt)
