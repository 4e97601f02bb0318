"""The head file is advanced off the appender's path, and still covers every append.

An append commits its event and returns; a thread of the log moves the head file
(``<key file>.head``) forward afterwards. ``verify``, ``close`` and the end of the
process wait for it, so the file lags only when a process is killed in between.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dpo_workbench.audit import Action, AuditLog
from dpo_workbench.audit.chain import chain_key
from dpo_workbench.audit.headfile import head_file_path, locked, read_head_file

KEY = bytes(range(32))


def _log(folder: Path) -> AuditLog:
    return AuditLog(f"sqlite:///{folder}/state/workbench.sqlite", KEY,
                    head_file=head_file_path(folder / "state" / "audit.key"))


def _on_file(folder: Path) -> tuple[int, str]:
    head = read_head_file(head_file_path(folder / "state" / "audit.key"), chain_key(KEY))
    assert head is not None and head.valid
    return head.last_id, head.last_hash


def test_an_append_does_not_wait_for_the_head_files_lock(tmp_path: Path) -> None:
    log = _log(tmp_path)
    stored = []
    # Another process advancing the head file holds its lock; the user's search must
    # not wait for it (it used to: each append advanced the file itself).
    with locked(head_file_path(tmp_path / "state" / "audit.key")):
        appender = threading.Thread(
            target=lambda: stored.append(log.record("dpo", Action.SEARCH)), daemon=True)
        appender.start()
        appender.join(timeout=20)
        assert not appender.is_alive(), "the append waited for the head file's lock"
    log.flush()
    assert _on_file(tmp_path) == (stored[0].id, stored[0].hash)
    log.close()


def test_close_brings_the_head_file_up_to_date(tmp_path: Path) -> None:
    log = _log(tmp_path)
    events = [log.record("dpo", Action.SEARCH, tables={"op.contacts": i}) for i in range(20)]
    log.close()
    assert _on_file(tmp_path) == (20, events[-1].hash)
    with _log(tmp_path) as again:
        report = again.verify()
    assert (report.ok, report.checked, report.last_id) == (True, 20, 20)


def test_a_process_that_exits_without_closing_leaves_the_head_file_current(
        tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from dpo_workbench.audit import Action, AuditLog\n"
        "from dpo_workbench.audit.headfile import head_file_path\n"
        "d = Path(sys.argv[1])\n"
        f"log = AuditLog(f'sqlite:///{{d}}/state/workbench.sqlite', {KEY!r},\n"
        "               head_file=head_file_path(d / 'state' / 'audit.key'))\n"
        "for i in range(5):\n"
        "    e = log.record('dpo', Action.SEARCH)\n"
        "print(e.id, e.hash)\n"  # and exit, the log left open
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert done.returncode == 0, done.stderr
    last_id, last_hash = done.stdout.split()
    assert _on_file(tmp_path) == (int(last_id), last_hash)


def test_an_edited_head_file_is_noticed_by_the_log_that_keeps_it_open(tmp_path: Path) -> None:
    log = _log(tmp_path)
    log.record("dpo", Action.SEARCH)
    log.flush()
    path = head_file_path(tmp_path / "state" / "audit.key")
    text_before = path.read_text()
    # Edited in place, keeping its size: the log must read it again, not trust a copy.
    path.write_text(text_before.replace('"last_id":1', '"last_id":7'))
    log.record("dpo", Action.SEARCH)
    problems = log.verify().problems
    log.close()
    assert any("head file" in p for p in problems), problems
    assert path.read_text() != text_before  # kept as found, for whoever investigates


@pytest.mark.parametrize("flushed", [False, True])
def test_a_log_wiped_under_an_open_log_still_shows_the_gap(tmp_path: Path,
                                                           flushed: bool) -> None:
    # Whether or not the head file caught up yet, the log that appended events 1-3
    # chains the next one after them, so the wiped events stay a visible gap.
    log = _log(tmp_path)
    for _ in range(3):
        log.record("dpo", Action.SEARCH)
    if flushed:
        log.flush()
    engine = create_engine(f"sqlite:///{tmp_path}/state/workbench.sqlite")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events"))
        conn.execute(text("DELETE FROM audit_head"))
    engine.dispose()
    fourth = log.record("dpo", Action.SEARCH)
    report = log.verify()
    log.close()
    assert fourth.id == 4
    assert not report.ok
